import dagster as dg
import pandas as pd

from cam_core import review, store
from cam_core.qualification import REVIEW, qualify
from cam_dagster import metadata
from cam_dagster.partitions import cam_partitions, campaign_day
from cam_dagster.resources import CamResource


@dg.asset(partitions_def=cam_partitions, group_name="selection", kinds={"pandas", "sql"})
def qualified(context: dg.AssetExecutionContext, cam: CamResource, scored: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Each lead qualified, sent to review or rejected, with the reason in words.

    The verdicts are written to the `leads` table (a lead already further along,
    say contacted, keeps its status). Suppressed addresses are rejected here,
    whatever their score. Leads in the review band go to the review queue; once a
    person decides (`cam review approve|reject`, or a decisions CSV in
    `$CAM_HOME/reviews/`), the next materialization qualifies or rejects them.
    """
    partition = campaign_day(context.partition_key)
    campaign = cam.campaign(partition.campaign)
    decisions = review.decisions_for(cam.engine, partition.campaign)
    result = qualify(scored, campaign.qualification, store.suppressed(cam.engine), decisions)
    store.save_qualified(cam.engine, partition.campaign, partition.day, result)
    waiting = review.queue(cam.engine, partition.campaign, partition.day, result[result["qualification"] == REVIEW])
    verdicts = result["qualification"].value_counts()
    reasons = (
        result["reason"].str.replace(r"\d+", "N", regex=True).str.replace(r" by .*? \(", " by X (", regex=True)
        .value_counts().rename_axis("reason").reset_index()
    )
    decided = result["reason"].str.extract(r"^(approved|rejected) in review", expand=False).value_counts()
    return dg.Output(
        result,
        metadata={
            **metadata.rows(len(scored), len(result)),
            **metadata.counts("verdict", {v: int(verdicts.get(v, 0)) for v in ("qualified", "review", "rejected", "needs_email")}),
            "review_pending": dg.MetadataValue.int(int(waiting)),
            **metadata.counts("review_decided", {d: int(decided.get(d, 0)) for d in ("approved", "rejected")}),
            "reasons": metadata.table(reasons),
        },
    )
