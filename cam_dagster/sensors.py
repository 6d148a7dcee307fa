"""Keeping the `campaign` partitions in step with the campaign files."""

from dataclasses import dataclass

import dagster as dg

from cam_dagster.partitions import CAMPAIGN_DIMENSION, campaign_partitions
from cam_dagster.resources import CamResource


@dataclass
class CampaignSync:
    added: list[str]     # valid campaign files without a partition yet
    removed: list[str]   # partitions whose campaign file is gone
    problems: list[str]  # campaign files that do not validate, with their errors


def campaign_sync(cam: CamResource, existing: list[str]) -> CampaignSync:
    """What to change so the partitions follow the files. A campaign whose file is
    broken keeps its partition: its history stays visible while someone mends it."""
    found = cam.campaigns()
    named = set(found.campaigns) | set(found.errors)
    return CampaignSync(
        added=sorted(set(found.campaigns) - set(existing)),
        removed=sorted(set(existing) - named),
        problems=[str(err) for err in found.errors.values()],
    )


@dg.sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def campaign_partitions_sensor(context: dg.SensorEvaluationContext, cam: CamResource) -> dg.SensorResult | dg.SkipReason:
    """Adds a `campaign` partition for each valid file in `$CAM_HOME/campaigns/`
    and removes the partition of a campaign whose file was deleted."""
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
