import dagster as dg
import pandas as pd

from cam_core import store
from cam_core.qualification import qualify
from cam_dagster import metadata
from cam_dagster.partitions import cam_partitions, campaign_day
from cam_dagster.resources import CamResource


@dg.asset(partitions_def=cam_partitions, group_name="selection", kinds={"pandas", "sql"})
def qualified(context: dg.AssetExecutionContext, cam: CamResource, scored: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Each lead qualified, sent to review or rejected, with the reason in words.

    The verdicts are written to the `leads` table (a lead already further along,
    say contacted, keeps its status). Suppressed addresses are rejected here,
    whatever their score.
    """
    partition = campaign_day(context.partition_key)
    campaign = cam.campaign(partition.campaign)
    result = qualify(scored, campaign.qualification, store.suppressed(cam.engine))
    store.save_qualified(cam.engine, partition.campaign, partition.day, result)
    verdicts = result["qualification"].value_counts()
    reasons = (
        result["reason"].str.replace(r"\d+", "N", regex=True).value_counts().rename_axis("reason").reset_index()
    )
    return dg.Output(
        result,
        metadata={
            **metadata.rows(len(scored), len(result)),
            **metadata.counts("verdict", {v: int(verdicts.get(v, 0)) for v in ("qualified", "review", "rejected", "needs_email")}),
            "reasons": metadata.table(reasons),
        },
    )
