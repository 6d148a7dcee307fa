"""The inbox sensor: a file dropped in `$CAM_HOME/inbox/<campaign>/` starts that partition's run."""

from __future__ import annotations

import json

import dagster as dg

from cam_core.intake.inbox import scan_inbox
from cam_dagster.jobs import cam_pipeline
from cam_dagster.partitions import CAMPAIGN_DIMENSION, campaign_partitions, partition_key
from cam_dagster.resources.cam import CamResource
from cam_dagster.run_tags import sending_tags

DESCRIPTION = (
    "Every 30 s: lands each new file dropped in $CAM_HOME/inbox/<campaign>/ for the campaign's day and "
    "starts one cam_pipeline run of that partition, keyed by the file's content hash (the same bytes never "
    "start a second run). The run goes through to sending, under the ledger, caps and blocking checks. "
    "Unreadable files move to _quarantine/ with a report."
)


@dg.sensor(
    job=cam_pipeline,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=DESCRIPTION,
)
def inbox_sensor(context: dg.SensorEvaluationContext, cam: CamResource) -> dg.SensorResult:
    """Lands each new file of `inbox/<campaign>/` for the campaign's day (in its time
    zone) and requests one `cam_pipeline` run of that partition, keyed by the file's
    content hash: the same bytes never start a second run, whatever their name,
    a restart or a repeated tick. The whole pipeline runs so a drop flows through
    to sending, which the send ledger, daily cap and blocking checks guard as for
    any run. Files that fail the check `cam ingest` also makes (`screen_lead_file`:
    binary, a renamed workbook, a quote left open, no column saying who each row is)
    go to `_quarantine/` with an error report.
    """
    seen = json.loads(context.cursor) if context.cursor else {}
    scan = scan_inbox(cam.layout, cam.campaigns(), seen)
    for problem in scan.problems:
        context.log.warning("Inbox: %s", problem)
    for bad in scan.quarantined:
        context.log.error("Inbox: quarantined %s (%s); report in %s", bad.path.name, bad.reason, bad.report)
    for item in scan.landed:
        context.log.info(
            "Inbox: %s %s for %s on %s",
            "landed" if item.new else "already landed",
            item.source.name,
            item.campaign,
            item.day,
        )
    known = set(context.instance.get_dynamic_partitions(CAMPAIGN_DIMENSION))
    missing = sorted({item.campaign for item in scan.landed} - known)
    requests = [
        dg.RunRequest(
            run_key=item.run_key,
            partition_key=partition_key(item.campaign, item.day),
            tags={"cam/source": "inbox", "cam/file": item.source.name[:200], **sending_tags(cam, item.campaign)},
        )
        for item in scan.landed
    ]
    waiting = f"; {len(scan.waiting)} file(s) still being written" if scan.waiting else ""
    return dg.SensorResult(
        run_requests=requests,
        cursor=json.dumps(scan.seen, sort_keys=True),
        dynamic_partitions_requests=[campaign_partitions.build_add_request(missing)] if missing else None,
        skip_reason=None if requests else f"no new file in the inbox{waiting}",
    )
