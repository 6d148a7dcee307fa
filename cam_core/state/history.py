"""The `lead_history` table: one row per change of a lead's status, never updated.

Written through `cam_core.state.leads` (every status write goes through
`record_moves` in the same transaction as the change it records), and by `cam forget`
(`forgetting`), which erases a person's rows and leaves one `forgotten` row under the
keyed hash of the address; read by `cam leads history EMAIL`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cam_core.state import bulk, schema

HISTORY_COLUMNS = ("campaign", "email", "from_status", "to_status", "at", "cause", "source")


@dataclass(frozen=True)
class Stamp:
    """Who changed lead state, and when: `source` such as `asset:<run id>`, `webhook:<svix-id>`, `cli`."""

    source: str
    at: dt.datetime


def record_moves(conn: Connection, moves: sa.Select, cause: str, stamp: Stamp) -> None:
    """Append one row per (campaign, email, from_status, to_status) the query returns."""
    extra = (
        sa.literal(stamp.at, sa.DateTime(timezone=True)).label("at"),
        sa.literal(cause, sa.Text).label("cause"),
        sa.literal(stamp.source, sa.Text).label("source"),
    )
    query = moves.add_columns(*extra)
    conn.execute(schema.lead_history.insert().from_select(list(HISTORY_COLUMNS), query))


def history_of(engine: Engine, email: str, campaign: str | None = None) -> pd.DataFrame:
    """Every recorded change of the person's status (HISTORY_COLUMNS), oldest first."""
    t = schema.lead_history
    query = sa.select(*(t.c[c] for c in HISTORY_COLUMNS)).where(t.c.email == email.strip().lower())
    if campaign:
        query = query.where(t.c.campaign == campaign)
    with engine.connect() as conn:
        return bulk.read_frame(conn, query.order_by(t.c.at, t.c.id), list(HISTORY_COLUMNS))
