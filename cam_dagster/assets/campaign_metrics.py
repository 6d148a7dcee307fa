import dagster as dg
import pandas as pd

from cam_core.reporting.metrics import EVENT_STAGES, funnel, funnel_series
from cam_core.state import replies
from cam_core.state.events import event_counts
from cam_core.state.ledger import sent_count
from cam_core.state.rejects import rejects_count
from cam_core.vocabulary import TIERS, VERDICTS, ReplyClass, SendStatus
from cam_dagster import metadata
from cam_dagster.owners import GROWTH_TEAM
from cam_dagster.partitions import CampaignDay, cam_partitions
from cam_dagster.resources.cam import CamResource

#: Bump when what the asset stores for a partition changes (see the package docstring).
CODE_VERSION = "1"


@dg.asset(
    partitions_def=cam_partitions,
    code_version=CODE_VERSION,
    group_name="reporting",
    kinds={"pandas"},
    owners=[GROWTH_TEAM],
)
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
    and the day's replies by class, by the tier of the lead and by the A/B variant they answer.

    Each stage is a number the UI plots across days, named in funnel order: `funnel_04_qualified`,
    beside it `funnel_04_qualified_target` and `funnel_04_qualified_pct_of_target` where the campaign
    sets a target (qualified, sent, replies), and the campaign's totals as `to_date_10_sent` and on."""
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
            # funnel_NN_<stage> in funnel order, targets and percent of target beside them; to_date_NN_<stage>.
            **metadata.numbers(funnel_series(frame)),
            # Which tier and which A/B variant draws which answer.
            **metadata.ordered("replies", answers["reply_class"].value_counts(), ReplyClass),
            **metadata.ordered("replies_tier", answers["tier"].value_counts(), TIERS),
            **metadata.counts("replies_variant", answers["variant"].value_counts()),
            "funnel": metadata.table(frame),
        },
    )
