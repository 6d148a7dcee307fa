"""The `events` table: what providers and recipients told CAM, each stored once by
its id (a replayed webhook stores nothing new). Written through
`cam_core.engagement.receiving.receive`; read by `engagement` (a day's events of a
campaign), by `campaign_metrics` and by the reputation guard.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cam_core.state import bulk, schema
from cam_core.vocabulary import EventKind

#: The columns of an event row; `send_key`, `step`, `source`, `payload` may be missing (None).
EVENT_COLUMNS = (
    "event_id",
    "campaign",
    "email",
    "kind",
    "occurred_at",
    "detail",
    "send_key",
    "step",
    "source",
    "payload",
)


def record_events(engine: Engine, events: pd.DataFrame) -> pd.DataFrame:
    """Store events (EVENT_COLUMNS); an id already stored is ignored. The rows stored now."""
    unknown = sorted(set(events["kind"]) - set(EventKind))
    if unknown:
        raise ValueError(f"unknown event kind(s) {', '.join(unknown)}; expected one of {', '.join(EventKind)}")
    occurred = pd.to_datetime(events["occurred_at"], utc=True, format="ISO8601")
    rows = events.reindex(columns=list(EVENT_COLUMNS)).assign(
        email=events["email"].fillna("").str.strip().str.lower(),
        occurred_at=occurred.dt.to_pydatetime(),
        day=occurred.dt.strftime("%Y-%m-%d"),
        detail=events.get("detail", pd.Series("", index=events.index)).fillna(""),
    )
    rows = rows.drop_duplicates("event_id")
    t = schema.events
    with engine.begin() as conn:
        ids = rows["event_id"].tolist()
        seen = set(conn.execute(sa.select(t.c.event_id).where(t.c.event_id.in_(ids))).scalars()) if ids else set()
        fresh = rows[~rows["event_id"].isin(seen)]
        bulk.insert_ignoring_conflicts(conn, t, fresh)
    return fresh.reset_index(drop=True)


def events_for(engine: Engine, campaign: str, day: str) -> pd.DataFrame:
    """The campaign's events of one day (email, kind, occurred_at, detail), in the order they happened."""
    t = schema.events
    query = (
        sa.select(t.c.email, t.c.kind, t.c.occurred_at, t.c.detail)
        .where(t.c.campaign == campaign, t.c.day == day)
        .order_by(t.c.occurred_at, t.c.event_id)
    )
    with engine.connect() as conn:
        return bulk.read_frame(conn, query, ["email", "kind", "occurred_at", "detail"])


def event_counts(engine: Engine, campaign: str, until: str, since: str | None = None) -> pd.Series:
    """kind -> how many of the campaign's events happened from `since` (or ever) to `until`, inclusive."""
    t = schema.events
    query = (
        sa.select(t.c.kind, sa.func.count())
        .where(t.c.campaign == campaign, t.c.day <= until, *([t.c.day >= since] if since else []))
        .group_by(t.c.kind)
    )
    with engine.connect() as conn:
        return pd.Series(dict(conn.execute(query).all()), dtype="int64")
