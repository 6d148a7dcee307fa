import dagster as dg
import pandas as pd

from cam_core.reporting.metrics import EVENT_STAGES, funnel
from cam_core.state import replies
from cam_core.state.events import event_counts
from cam_core.state.ledger import sent_count
from cam_core.state.rejects import rejects_count
from cam_core.vocabulary import VERDICTS, SendStatus
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
    """The day's funnel, stage by stage, against the campaign's targets, with campaign-to-date
    totals for sends and events (delivered, opened, clicked, replies, bounces, complaints, unsubscribes),
    and the day's replies by class, by the tier of the lead and by the A/B variant they answer."""
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
        **{k: int(engagement[k].sum()) for k in EVENT_STAGES},
    }
    events = event_counts(cam.engine, partition.campaign, until=partition.day)
    to_date = {
        "sent": sent_count(cam.engine, partition.campaign, until=partition.day),
        **{k: int(events.get(k, 0)) for k in EVENT_STAGES},
    }
    frame = funnel(counts, campaign.targets, to_date)
    answers = replies.of_day(cam.engine, partition.campaign, partition.day)
    return dg.Output(
        frame,
        metadata={
            **metadata.counts("funnel", counts),
            **metadata.counts("to_date", to_date),
            # Which tier and which A/B variant draws which answer.
            **metadata.counts("replies", answers["reply_class"].value_counts()),
            **metadata.counts("replies_tier", answers["tier"].value_counts()),
            **metadata.counts("replies_variant", answers["variant"].value_counts()),
            "funnel": metadata.table(frame),
        },
    )
