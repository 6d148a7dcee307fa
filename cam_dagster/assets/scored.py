import dagster as dg
import pandas as pd

from cam_core.scoring import score_campaign
from cam_dagster import metadata
from cam_dagster.partitions import cam_partitions, campaign_day
from cam_dagster.resources import CamResource


@dg.asset(partitions_def=cam_partitions, group_name="selection", kinds={"pandas"})
def scored(context: dg.AssetExecutionContext, cam: CamResource, enriched: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Score 0-100: ICP fit (`icp.rules`) and, where the campaign has them, opportunity
    (`opportunity.rules`: hiring, recent funding, technologies, company description),
    combined with the campaign's `weights`. Every lead carries `score_breakdown`: each
    rule that fired, its points and the text it matched."""
    partition = campaign_day(context.partition_key)
    campaign = cam.campaign(partition.campaign)
    result, fired = score_campaign(enriched, campaign, as_of=partition.day)
    scores = result["icp_score"]
    return dg.Output(
        result,
        metadata={
            **metadata.rows(len(enriched), len(result)),
            "score_mean": dg.MetadataValue.float(float(scores.mean()) if len(scores) else 0.0),
            "score_median": dg.MetadataValue.float(float(scores.median()) if len(scores) else 0.0),
            "fit_mean": dg.MetadataValue.float(float(result["fit_score"].mean()) if len(scores) else 0.0),
            "opportunity_mean": dg.MetadataValue.float(float(result["opportunity_score"].mean()) if len(scores) else 0.0),
            **metadata.counts("rule_fired", fired),
        },
    )
