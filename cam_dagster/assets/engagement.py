import dagster as dg
import pandas as pd

from cam_core.engagement.events import fold_events
from cam_core.state.events import events_for
from cam_core.state.leads import apply_engagement
from cam_dagster import metadata
from cam_dagster.owners import GROWTH_TEAM
from cam_dagster.partitions import CampaignDay, cam_partitions
from cam_dagster.resources.cam import CamResource
from cam_dagster.tables import EVENTS, LEADS, SUPPRESSION, report_write


@dg.asset(
    partitions_def=cam_partitions,
    group_name="engagement",
    kinds={"sql"},
    owners=[GROWTH_TEAM],
    deps=["sent_emails", EVENTS],
)
def engagement(context: dg.AssetExecutionContext, cam: CamResource) -> dg.Output[pd.DataFrame]:
    """The day's replies, bounces, complaints and unsubscribes folded into lead state.

    Replies stop a lead's sequence; bounces, complaints and unsubscribes also put
    the address on the global suppression list, for every campaign.
    """
    partition = CampaignDay.of(context.partition_key)
    events = events_for(cam.engine, partition.campaign, partition.day)
    folded = fold_events(events)
    apply_engagement(cam.engine, partition.campaign, folded, now=cam.now())
    report_write(context, LEADS, leads_moved=int((folded["status"] != "").sum()))
    report_write(context, SUPPRESSION, suppressed=int(folded["suppress"].sum()))
    return dg.Output(
        folded,
        metadata={
            "events": dg.MetadataValue.int(len(events)),
            **metadata.counts("events", events["kind"].value_counts()),
            **metadata.counts("leads", folded["status"].value_counts()),
            "suppressed_now": dg.MetadataValue.int(int(folded["suppress"].sum())),
        },
    )
