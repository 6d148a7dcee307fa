import dagster as dg
import pandas as pd

from cam_core.scoring import score
from cam_dagster import metadata
from cam_dagster.partitions import cam_partitions, campaign_day
from cam_dagster.resources import CamResource


@dg.asset(partitions_def=cam_partitions, group_name="selection", kinds={"pandas"})
def scored(context: dg.AssetExecutionContext, cam: CamResource, enriched: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """ICP fit score 0-100 from the campaign's rules, with a per-lead breakdown of
    which rules fired and on what (`score_breakdown`)."""
    campaign = cam.campaign(campaign_day(context.partition_key).campaign)
    result, fired = score(enriched, campaign.icp)
    scores = result["icp_score"]
    return dg.Output(
        result,
        metadata={
            **metadata.rows(len(enriched), len(result)),
            "score_mean": dg.MetadataValue.float(float(scores.mean()) if len(scores) else 0.0),
            "score_median": dg.MetadataValue.float(float(scores.median()) if len(scores) else 0.0),
            **metadata.counts("rule_fired", fired),
        },
    )
