"""The campaign partitions sensor: the `campaign` partitions follow the campaign files."""

from collections.abc import Sequence
from dataclasses import dataclass

import dagster as dg

from cam_dagster.partitions import CAMPAIGN_DIMENSION, campaign_partitions
from cam_dagster.resources.cam import CamResource


@dataclass
class CampaignSync:
    added: list[str]  # valid campaign files without a partition yet
    removed: list[str]  # partitions whose campaign file is gone
    problems: list[str]  # campaign files that do not validate, with their errors


def campaign_sync(cam: CamResource, existing: Sequence[str]) -> CampaignSync:
    """What to change so the partitions follow the files. A campaign whose file is
    broken keeps its partition: its history stays visible while someone mends it."""
    found = cam.campaigns()
    named = set(found.campaigns) | set(found.errors)
    return CampaignSync(
        added=sorted(set(found.campaigns) - set(existing)),
        removed=sorted(set(existing) - named),
        problems=[str(err) for err in found.errors.values()],
    )


DESCRIPTION = (
    "Every 30 s: adds a `campaign` partition for each valid file in $CAM_HOME/campaigns/ and removes the "
    "partition of a campaign whose file was deleted. A file that does not validate keeps its partition and "
    "is reported in the log. Starts no runs."
)


@dg.sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING, description=DESCRIPTION)
def campaign_partitions_sensor(
    context: dg.SensorEvaluationContext, cam: CamResource
) -> dg.SensorResult | dg.SkipReason:
    """Adds and removes `campaign` partitions to match the campaign files."""
    existing = context.instance.get_dynamic_partitions(CAMPAIGN_DIMENSION)
    sync = campaign_sync(cam, existing)
    for problem in sync.problems:
        context.log.error("Campaign file skipped: %s", problem)
    requests: list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest] = []
    if sync.added:
        requests.append(campaign_partitions.build_add_request(sync.added))
    if sync.removed:
        requests.append(campaign_partitions.build_delete_request(sync.removed))
    if not requests:
        return dg.SkipReason(f"{len(existing)} campaign partition(s) match the campaign files")
    return dg.SensorResult(dynamic_partitions_requests=requests)
