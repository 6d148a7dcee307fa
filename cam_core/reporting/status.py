"""Where each campaign stands, in one row (`cam status`): paused or not, the day's funnel, sends to
date and leads waiting for a person's review. The last run is Dagster's to say; the command adds it.

The day's funnel is the `campaign_metrics` partition the last run of that day wrote
(`<CAM_DATA_URL>/campaign_metrics/<campaign>/<day>.parquet`, by default under `$CAM_HOME/data`): the
numbers the UI shows, not a recount that could disagree with them. A day not run yet has no funnel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from upath import UPath

from cam_core import partition_store
from cam_core.state import schema
from cam_core.state.ledger import sent_count
from cam_core.state.pauses import paused
from cam_core.vocabulary import LeadStatus

#: The funnel stages a status row shows, of `cam_core.reporting.metrics.FUNNEL_STAGES`.
STATUS_STAGES = ("rows_read", "qualified", "sent")


@dataclass(frozen=True)
class CampaignStatus:
    """One campaign's row: `day` holds the day's funnel counts (None: that day was not run)."""

    campaign: str
    paused: str | None  # why its sending is paused; None while it sends
    day: dict[str, int] | None
    sent_to_date: int
    pending_reviews: int


def day_funnel(data: UPath | Path, campaign: str, day: str) -> dict[str, int] | None:
    """stage -> count of the day's `campaign_metrics` partition stored at `data`; None when there is none."""
    path = partition_store.partition_path(data, "campaign_metrics", campaign, day)
    try:
        frame = partition_store.read_frame(path, columns=["stage", "count"])
    except FileNotFoundError:
        return None
    return {str(stage): int(count) for stage, count in zip(frame["stage"], frame["count"], strict=True)}


def pending_reviews(engine: Engine) -> dict[str, int]:
    """campaign -> leads in the review band, waiting for `cam review approve|reject`."""
    t = schema.leads
    query = sa.select(t.c.campaign, sa.func.count()).where(t.c.status == LeadStatus.REVIEW).group_by(t.c.campaign)
    with engine.connect() as conn:
        return {str(campaign): int(n) for campaign, n in conn.execute(query).all()}


def campaign_statuses(engine: Engine, data: UPath | Path, campaigns: list[str], day: str) -> list[CampaignStatus]:
    """A row per campaign, in the order given, for `day` (sends to date count up to and including it)."""
    pauses = paused(engine)
    reviews = pending_reviews(engine)
    return [
        CampaignStatus(
            campaign=name,
            paused=pauses[name].reason if name in pauses else None,
            day=day_funnel(data, name, day),
            sent_to_date=sent_count(engine, name, until=day),
            pending_reviews=reviews.get(name, 0),
        )
        for name in campaigns
    ]
