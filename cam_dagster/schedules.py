"""The daily run: every campaign's partition for the day, once."""


import dagster as dg

from cam_dagster.jobs import cam_pipeline
from cam_dagster.partitions import CAMPAIGN_DIMENSION, partition_key


@dg.schedule(job=cam_pipeline, cron_schedule="0 8 * * 1-5", execution_timezone="UTC")
def daily_outreach_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest] | dg.SkipReason:
    """At 08:00 UTC on weekdays, one run per campaign partition for that day.

    Stopped until someone turns it on: scheduled runs send email.
    """
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    campaigns = context.instance.get_dynamic_partitions(CAMPAIGN_DIMENSION)
    if not campaigns:
        return dg.SkipReason("no campaign partitions yet; add a campaign file under $CAM_HOME/campaigns/")
    return [
        dg.RunRequest(run_key=f"scheduled:{campaign}:{day}", partition_key=partition_key(campaign, day))
        for campaign in campaigns
    ]
