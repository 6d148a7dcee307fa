from collections.abc import Iterator

import dagster as dg
import pandas as pd

from cam_core.selection.checks import CHECK_DESCRIPTIONS as SELECTION_CHECKS
from cam_core.selection.checks import NO_LEAD_ENROLLED_TWICE, check_enrolments
from cam_core.selection.exclusivity import active_elsewhere
from cam_core.selection.routing import route
from cam_core.state.leads import enrolled_before, enrolments_of, save_routing
from cam_core.vocabulary import TIERS, Enrolment, LeadStatus
from cam_dagster import metadata
from cam_dagster.checks import blocking_checks, check_results
from cam_dagster.owners import DATA_TEAM
from cam_dagster.partitions import CampaignDay, cam_partitions
from cam_dagster.resources.cam import CamResource
from cam_dagster.tables import ENROLMENTS, LEADS, report_write

#: Bump when what the asset stores for a partition changes (see the package docstring).
CODE_VERSION = "1"


@dg.asset(
    partitions_def=cam_partitions,
    code_version=CODE_VERSION,
    group_name="selection",
    kinds={"pandas", "sql"},
    owners=[DATA_TEAM],
    check_specs=blocking_checks("routed", {NO_LEAD_ENROLLED_TWICE: SELECTION_CHECKS[NO_LEAD_ENROLLED_TWICE]}),
)
def routed(
    context: dg.AssetExecutionContext, cam: CamResource, qualified: pd.DataFrame
) -> Iterator[dg.Output[pd.DataFrame] | dg.AssetCheckResult]:
    """Qualified leads with their tier (the campaign's cut-offs) and sequence: the first
    of the campaign's `routing_rules` that matches, else the tier's sequence. New leads
    are enrolled in the `enrolments` table; a lead enrolled on an earlier day keeps its
    sequence and is not enrolled again. A lead active in another campaign within the
    campaign's `exclusivity_days` is held back (not enrolled, not in this output); the
    `leads` table says why."""
    partition = CampaignDay.of(context.partition_key)
    campaign = cam.campaign(partition.campaign)
    emails = qualified.loc[qualified["qualification"] == LeadStatus.QUALIFIED, "email"].tolist()
    taken = active_elsewhere(cam.engine, partition.campaign, partition.day, campaign.exclusivity_days, emails)
    enrolled = enrolled_before(cam.engine, partition.campaign, partition.day, emails)
    result = route(qualified, campaign, enrolled, taken)
    save_routing(cam.engine, partition.campaign, partition.day, result, cam.stamp(context.run.run_id))
    held = result[result["enrolment"] == Enrolment.HELD]
    result = result[result["enrolment"] != Enrolment.HELD].reset_index(drop=True)
    new = int((result["enrolment"] == Enrolment.NEW).sum())
    report_write(context, ENROLMENTS, enrolled=new)
    report_write(context, LEADS, leads_routed=len(result), leads_held=len(held))
    tiers = result["tier"].value_counts()
    yield dg.Output(
        result,
        metadata={
            **metadata.rows(len(qualified), len(result)),
            **metadata.ordered("tier", tiers, TIERS),
            **metadata.counts("sequence", result["sequence"].value_counts()),
            **metadata.counts("route_rule", result["route_rule"].value_counts()),
            **metadata.counts("enrolment", result["enrolment"].value_counts()),
            "held_exclusive": dg.MetadataValue.int(len(held)),
            "held_preview": metadata.table(held[["email", "hold_reason"]]),
        },
    )
    stored = enrolments_of(cam.engine, partition.campaign, result["email"].tolist())
    yield from check_results(check_enrolments(result, stored))
