"""The outreach schedule: every campaign's partition for the day, every hour.

Hourly because sending windows are in each recipient's local time and hourly
pacing spreads a day's sends: each run re-materializes the day's partition
(which converges) and sends what is due, open and within the caps.
"""

import dagster as dg

from cam_dagster.jobs import cam_pipeline
from cam_dagster.partitions import CAMPAIGN_DIMENSION, partition_key
from cam_dagster.resources.cam import CamResource
from cam_dagster.run_tags import sending_tags

DESCRIPTION = (
    "SENDS EMAIL when turned on. At a quarter past every hour, one cam_pipeline run per campaign partition "
    "for that day: each run sends what is due, inside its recipients' sending windows and within every cap. "
    "Stopped by default; a run of a partition converges, so the repeats are safe."
)


@dg.schedule(
    job=cam_pipeline,
    cron_schedule="15 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description=DESCRIPTION,
)
def outreach_schedule(context: dg.ScheduleEvaluationContext, cam: CamResource) -> list[dg.RunRequest] | dg.SkipReason:
    """At a quarter past every hour, one run per campaign partition for that day.

    Stopped until someone turns it on: scheduled runs send email. Each run carries
    its campaign's sending domain as a tag, so the queue runs one per domain at a time.
    """
    when = context.scheduled_execution_time
    day = when.strftime("%Y-%m-%d")
    campaigns = context.instance.get_dynamic_partitions(CAMPAIGN_DIMENSION)
    if not campaigns:
        return dg.SkipReason("no campaign partitions yet; add a campaign file under $CAM_HOME/campaigns/")
    return [
        dg.RunRequest(
            run_key=f"scheduled:{campaign}:{when:%Y-%m-%dT%H}",
            partition_key=partition_key(campaign, day),
            tags=sending_tags(cam, campaign),
        )
        for campaign in campaigns
    ]
