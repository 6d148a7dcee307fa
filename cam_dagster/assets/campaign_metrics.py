import dagster as dg
import pandas as pd

from cam_core.reporting.metrics import funnel
from cam_core.state.rejects import rejects_count
from cam_core.vocabulary import VERDICTS, EventKind, SendStatus
from cam_dagster import metadata
from cam_dagster.owners import GROWTH_TEAM
from cam_dagster.partitions import CampaignDay, cam_partitions
from cam_dagster.resources.cam import CamResource


@dg.asset(partitions_def=cam_partitions, group_name="reporting", kinds={"pandas"}, owners=[GROWTH_TEAM])
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
    partition = CampaignDay.of(context.partition_key)
    campaign = cam.campaign(partition.campaign)
    verdicts = qualified["qualification"].value_counts()
    counts: dict[str, int] = {
        "rows_read": len(harvest) + rejects_count(cam.engine, partition.campaign, partition.day),
        "accepted": len(harvest),
        "valid_email": int(enriched["email_valid"].sum()),
        **{v: int(verdicts.get(v, 0)) for v in VERDICTS},
        "routed": len(routed),
        "in_batch": len(nurture_batch),
        "sent": int((sent_emails["status"] == SendStatus.SENT).sum()),
        **{k: int(engagement[k].sum()) for k in (EventKind.REPLY, EventKind.BOUNCE, EventKind.UNSUBSCRIBE)},
    }
    frame = funnel(counts, campaign.targets)
    return dg.Output(frame, metadata={**metadata.counts("funnel", counts), "funnel": metadata.table(frame)})
