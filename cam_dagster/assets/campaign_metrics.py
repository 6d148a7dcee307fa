import dagster as dg
import pandas as pd
import sqlalchemy as sa

from cam_core import db
from cam_core.ledger import SENT
from cam_core.metrics import funnel
from cam_dagster import metadata
from cam_dagster.partitions import cam_partitions, campaign_day
from cam_dagster.resources import CamResource


@dg.asset(partitions_def=cam_partitions, group_name="outreach", kinds={"pandas"})
def campaign_metrics(
    context: dg.AssetExecutionContext,
    cam: CamResource,
    harvest: pd.DataFrame,
    enriched: pd.DataFrame,
    qualified: pd.DataFrame,
    routed: pd.DataFrame,
    nurture_batch: pd.DataFrame,
    sent_emails: pd.DataFrame,
    engagement: pd.DataFrame,
) -> dg.Output[pd.DataFrame]:
    """The day's funnel, stage by stage, against the campaign's targets."""
    partition = campaign_day(context.partition_key)
    campaign = cam.campaign(partition.campaign)
    r = db.harvest_rejects
    with cam.engine.connect() as conn:
        rejected_rows = conn.execute(
            sa.select(sa.func.count()).select_from(r).where(r.c.campaign == partition.campaign, r.c.day == partition.day)
        ).scalar_one()
    verdicts = qualified["qualification"].value_counts()
    counts = {
        "rows_read": len(harvest) + int(rejected_rows),
        "accepted": len(harvest),
        "valid_email": int(enriched["email_valid"].sum()),
        **{v: int(verdicts.get(v, 0)) for v in ("qualified", "review", "rejected", "needs_email")},
        "routed": len(routed),
        "in_batch": len(nurture_batch),
        "sent": int((sent_emails["status"] == SENT).sum()),
        **{k: int(engagement[k].sum()) for k in ("reply", "bounce", "unsubscribe")},
    }
    frame = funnel(counts, campaign.targets)
    return dg.Output(frame, metadata={**metadata.counts("funnel", counts), "funnel": metadata.table(frame)})
