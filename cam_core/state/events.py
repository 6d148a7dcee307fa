"""The `events` table: replies, bounces, complaints and unsubscribes as they arrive,
each stored once by its id. Read by `engagement`, which folds a day's events into
lead state.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cam_core.state import bulk, schema
from cam_core.vocabulary import EventKind


def record_events(engine: Engine, events: pd.DataFrame) -> None:
    """Store events (columns: event_id, campaign, email, kind, occurred_at, detail); repeats are ignored."""
    unknown = sorted(set(events["kind"]) - set(EventKind))
    if unknown:
        raise ValueError(f"unknown event kind(s) {', '.join(unknown)}; expected one of {', '.join(EventKind)}")
    occurred = pd.to_datetime(events["occurred_at"], utc=True)
    rows = events.assign(
        email=events["email"].str.strip().str.lower(),
        occurred_at=occurred.dt.to_pydatetime(),
        day=occurred.dt.strftime("%Y-%m-%d"),
        detail=events.get("detail", pd.Series("", index=events.index)).fillna(""),
    )[["event_id", "campaign", "email", "kind", "day", "occurred_at", "detail"]]
    with engine.begin() as conn:
        bulk.insert_ignoring_conflicts(conn, schema.events, rows)


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
