import dagster as dg
import pandas as pd

from cam_core import store
from cam_core.engagement import fold_events
from cam_dagster import metadata
from cam_dagster.partitions import cam_partitions, campaign_day
from cam_dagster.resources import CamResource


@dg.asset(partitions_def=cam_partitions, group_name="outreach", kinds={"sql"}, deps=["sent_emails"])
def engagement(context: dg.AssetExecutionContext, cam: CamResource) -> dg.Output[pd.DataFrame]:
    """The day's replies, bounces, complaints and unsubscribes folded into lead state.

    Replies stop a lead's sequence; bounces, complaints and unsubscribes also put
    the address on the global suppression list, for every campaign.
    """
    partition = campaign_day(context.partition_key)
    events = store.events_for(cam.engine, partition.campaign, partition.day)
    folded = fold_events(events)
    store.apply_events(cam.engine, partition.campaign, folded)
    return dg.Output(
        folded,
        metadata={
            "events": dg.MetadataValue.int(len(events)),
            **metadata.counts("events", events["kind"].value_counts()),
            **metadata.counts("leads", folded["status"].value_counts()),
            "suppressed_now": dg.MetadataValue.int(int(folded["suppress"].sum())),
        },
    )
