import dagster as dg
import pandas as pd

from cam_core.selection.scoring import score_campaign
from cam_dagster import metadata
from cam_dagster.owners import DATA_TEAM
from cam_dagster.partitions import CampaignDay, cam_partitions
from cam_dagster.resources.cam import CamResource

#: Bump when what the asset stores for a partition changes (see the package docstring).
CODE_VERSION = "1"


@dg.asset(
    partitions_def=cam_partitions,
    code_version=CODE_VERSION,
    group_name="selection",
    kinds={"pandas"},
    owners=[DATA_TEAM],
)
def scored(context: dg.AssetExecutionContext, cam: CamResource, enriched: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Score 0-100: ICP fit (`icp.rules`) and, where the campaign has them, opportunity
    (`opportunity.rules`: hiring, recent funding, technologies, company description),
    combined with the campaign's `weights`. Every lead carries `score_breakdown`: each
    rule that fired, its points and the text it matched."""
    partition = CampaignDay.of(context.partition_key)
    campaign = cam.campaign(partition.campaign)
    result, fired = score_campaign(enriched, campaign, as_of=partition.day)

    def mean(column: str) -> dg.MetadataValue:
        return dg.MetadataValue.float(float(result[column].mean()) if len(result) else 0.0)

    return dg.Output(
        result,
        metadata={
            **metadata.rows(len(enriched), len(result)),
            "score_mean": mean("icp_score"),
            "score_median": dg.MetadataValue.float(float(result["icp_score"].median()) if len(result) else 0.0),
            "fit_mean": mean("fit_score"),
            "opportunity_mean": mean("opportunity_score"),
            **metadata.counts("rule_fired", fired),
        },
    )
