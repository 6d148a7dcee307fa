import dagster as dg
import pandas as pd

from cam_core.engagement.events import fold_events, moves_of
from cam_core.state.events import events_for
from cam_core.state.leads import move_leads
from cam_dagster import metadata
from cam_dagster.owners import GROWTH_TEAM
from cam_dagster.partitions import CampaignDay, cam_partitions
from cam_dagster.resources.cam import CamResource
from cam_dagster.tables import EVENTS, LEADS, report_write


@dg.asset(
    partitions_def=cam_partitions,
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
    some other way left undone, and counts the day by kind.
    """
    partition = CampaignDay.of(context.partition_key)
    events = events_for(cam.engine, partition.campaign, partition.day)
    folded = fold_events(events)
    moved = move_leads(cam.engine, partition.campaign, moves_of(events), cam.stamp(context.run.run_id))
    report_write(context, LEADS, leads_moved=moved)
    return dg.Output(
        folded,
        metadata={
            "events": dg.MetadataValue.int(len(events)),
            **metadata.counts("events", events["kind"].value_counts()),
            **metadata.counts("leads", folded.loc[folded["status"] != "", "status"].value_counts()),
            "leads_moved_now": dg.MetadataValue.int(moved),
        },
    )
