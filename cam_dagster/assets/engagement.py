import dagster as dg
import pandas as pd

from cam_core.engagement.events import fold_events, moves_of
from cam_core.intake.manual_lead import land_manual_lead
from cam_core.reporting.metrics import EVENT_STAGES
from cam_core.state import replies
from cam_core.state.events import events_for
from cam_core.state.leads import move_leads
from cam_core.vocabulary import ReplyClass
from cam_dagster import metadata
from cam_dagster.owners import GROWTH_TEAM
from cam_dagster.partitions import CampaignDay, cam_partitions
from cam_dagster.resources.cam import CamResource
from cam_dagster.tables import EVENTS, LEADS, report_write

#: Bump when what the asset stores for a partition changes (see the package docstring).
CODE_VERSION = "1"


@dg.asset(
    partitions_def=cam_partitions,
    code_version=CODE_VERSION,
    group_name="engagement",
    kinds={"sql"},
    owners=[GROWTH_TEAM],
    deps=["sent_emails", EVENTS],
)
def engagement(context: dg.AssetExecutionContext, cam: CamResource) -> dg.Output[pd.DataFrame]:
    """The day's events for the campaign (deliveries, bounces, complaints,
    unsubscribes, opens, clicks, replies), one row per lead, folded through the lead lifecycle.

    `cam serve` already acted on each event as it arrived (suppression, the lead's
    new status); folding the day again here changes only what an event stored
    some other way left undone, and counts the day by kind. A reply that names someone
    else ("write to my colleague") lands that address as a new lead of the campaign for
    the day, which the partition's next run harvests, scores and qualifies like any other.
    """
    partition = CampaignDay.of(context.partition_key)
    events = events_for(cam.engine, partition.campaign, partition.day)
    folded = fold_events(events)
    moved = move_leads(cam.engine, partition.campaign, moves_of(events), cam.stamp(context.run.run_id))
    report_write(context, LEADS, leads_moved=moved)
    answers = replies.of_day(cam.engine, partition.campaign, partition.day)
    named = answers.loc[answers["referral"] != "", "referral"].drop_duplicates()
    landed = [
        land_manual_lead(cam.layout, partition.campaign, partition.day, {"email": address})
        for address in named  # loop for I/O: one small file per person named
    ]
    return dg.Output(
        folded,
        metadata={
            "events": dg.MetadataValue.int(len(events)),
            **metadata.ordered("events", events["kind"].value_counts(), EVENT_STAGES),
            **metadata.counts("leads", folded.loc[folded["status"] != "", "status"].value_counts()),
            "leads_moved_now": dg.MetadataValue.int(moved),
            **metadata.ordered("replies", answers["reply_class"].value_counts(), ReplyClass),
            "referrals_landed": dg.MetadataValue.int(sum(new for _, new in landed)),
        },
    )
