import dagster as dg
import pandas as pd

from cam_core import store
from cam_core.exclusivity import active_elsewhere
from cam_core.leads import TIERS
from cam_core.qualification import QUALIFIED
from cam_core.routing import route
from cam_dagster import metadata
from cam_dagster.partitions import cam_partitions, campaign_day
from cam_dagster.resources import CamResource


@dg.asset(partitions_def=cam_partitions, group_name="selection", kinds={"pandas", "sql"})
def routed(context: dg.AssetExecutionContext, cam: CamResource, qualified: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Qualified leads with their tier (the campaign's cut-offs) and sequence: the first
    of the campaign's `routing_rules` that matches, else the tier's sequence. New leads
    are enrolled in the `enrolments` table; a lead enrolled on an earlier day keeps its
    sequence and is not enrolled again. A lead active in another campaign within the
    campaign's `exclusivity_days` is held back (not enrolled, not in this output); the
    `leads` table says why."""
    partition = campaign_day(context.partition_key)
    campaign = cam.campaign(partition.campaign)
    emails = qualified.loc[qualified["qualification"] == QUALIFIED, "email"].tolist()
    taken = active_elsewhere(cam.engine, partition.campaign, partition.day, campaign.exclusivity_days, emails)
    result = route(qualified, campaign, store.enrolled_before(cam.engine, partition.campaign, partition.day), taken)
    store.save_routing(cam.engine, partition.campaign, partition.day, result)
    held = result[result["enrolment"] == "held"]
    result = result[result["enrolment"] != "held"].reset_index(drop=True)
    tiers = result["tier"].value_counts()
    return dg.Output(
        result,
        metadata={
            **metadata.rows(len(qualified), len(result)),
            **metadata.counts("tier", {t: int(tiers.get(t, 0)) for t in TIERS}),
            **metadata.counts("sequence", result["sequence"].value_counts()),
            **metadata.counts("route_rule", result["route_rule"].value_counts()),
            **metadata.counts("enrolment", result["enrolment"].value_counts()),
            "held_exclusive": dg.MetadataValue.int(len(held)),
            "held_preview": metadata.table(held[["email", "hold_reason"]]),
        },
    )
