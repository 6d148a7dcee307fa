"""The schedules: hourly outreach for every campaign (sends), and a daily intake per campaign (never sends).

Outreach is hourly because sending windows are in each recipient's local time and hourly
pacing spreads a day's sends: each run re-materializes the day's partition (which
converges) and sends what is due, open and within the caps.

Intake runs once a day at INTAKE_HOUR in each campaign's own time zone, so the day's
leads are landed, enriched, scored and qualified (and the review queue filled) before
the working day starts there, whether or not outreach is turned on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import dagster as dg

from cam_core.campaign.models import Campaign
from cam_core.intake.inbox import campaign_today
from cam_dagster.jobs import cam_intake, cam_pipeline
from cam_dagster.partitions import CAMPAIGN_DIMENSION, day_outside_range, partition_key
from cam_dagster.resources.cam import CamResource
from cam_dagster.run_tags import sending_tags

#: Local hour of the daily intake run: early, so the review queue is ready by morning.
INTAKE_HOUR = 6

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


def intake_schedule_name(campaign: str) -> str:
    """`intake_<campaign>`; Dagster names allow no '-', which campaign names may hold."""
    return "intake_" + re.sub(r"[^A-Za-z0-9_]", "_", campaign)


def _intake_description(campaign: Campaign) -> str:
    return (
        f"Sends nothing. Every day at {INTAKE_HOUR:02d}:00 {campaign.timezone} (the campaign's time zone), one "
        f"cam_intake run of {campaign.name}'s partition for that local day: harvest through routed (lands, "
        "enriches, scores, qualifies and enrols; Apollo and Dropcontact are called when their keys are set). "
        "Stopped by default. Made when the code location loaded: reload it after adding a campaign or "
        "changing its time zone."
    )


def intake_schedule(campaign: Campaign) -> dg.ScheduleDefinition:
    """The daily intake-and-selection schedule of one campaign, in its time zone.

    Its run is for the campaign's local day (at 06:00 in Auckland, UTC is still on the day
    before), keyed by that day so a repeated tick asks once. It checks the campaign file again
    when it ticks: a file deleted or broken since the code location loaded skips with why."""
    name = campaign.name

    @dg.schedule(
        name=intake_schedule_name(name),
        job=cam_intake,
        cron_schedule=f"0 {INTAKE_HOUR} * * *",
        execution_timezone=campaign.timezone,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=_intake_description(campaign),
    )
    def _intake(context: dg.ScheduleEvaluationContext, cam: CamResource) -> dg.RunRequest | dg.SkipReason:
        found = cam.campaigns()
        if name in found.errors:
            return dg.SkipReason(f"campaign file does not load: {found.errors[name]}")
        current = found.campaigns.get(name)
        if current is None:
            return dg.SkipReason(
                f"campaign {name} has no file any more; reload the code location to drop this schedule"
            )
        day = campaign_today(current, context.scheduled_execution_time)
        if name not in context.instance.get_dynamic_partitions(CAMPAIGN_DIMENSION):
            return dg.SkipReason(
                f"campaign {name} has no partition yet; campaign_partitions_sensor adds it within a minute when running"
            )
        outside = day_outside_range(day)
        if outside:
            return dg.SkipReason(f"{name}'s day in {current.timezone}: {outside}")
        return dg.RunRequest(
            run_key=f"intake:{name}:{day}",
            partition_key=partition_key(name, day),
            tags={"cam/source": "intake_schedule"},
        )

    return _intake


def intake_schedules(campaigns: Iterable[Campaign]) -> list[dg.ScheduleDefinition]:
    """One intake schedule per campaign; a campaign whose schedule name another already took
    (`a-b` and `a_b`) gets none rather than breaking the code location."""
    made: dict[str, dg.ScheduleDefinition] = {}
    for campaign in sorted(campaigns, key=lambda c: c.name):
        made.setdefault(intake_schedule_name(campaign.name), intake_schedule(campaign))
    return list(made.values())
