"""The global `suppression` list: addresses never to be written to again, in any campaign.

Written by `cam suppress` (`suppress`) and by the engagement fold for bounces,
complaints and unsubscribes (`leads.apply_engagement`, through `add`); read by
`qualified` and by `nurture_batch` and its blocking check.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cam_core.state import bulk, schema


def suppressed(engine: Engine) -> pd.Series:
    """email -> reason for every suppressed address."""
    t = schema.suppression
    with engine.connect() as conn:
        found = bulk.read_frame(conn, sa.select(t.c.email, t.c.reason), ["email", "reason"])
    return found.set_index("email")["reason"].astype("str")


def add(conn: Connection, emails: list[str], reason: str, source: str, now: dt.datetime) -> None:
    """Suppress addresses in the caller's transaction; an address already listed keeps its first reason."""
    rows = [{"email": e, "reason": reason, "source": source, "suppressed_at": now} for e in emails]
    bulk.insert_ignoring_conflicts(conn, schema.suppression, rows)


def suppress(engine: Engine, emails: list[str], reason: str, source: str, now: dt.datetime) -> int:
    """Add addresses (trimmed, lower-cased) to the list; returns how many were new."""
    normalised = sorted({e.strip().lower() for e in emails if e.strip()})
    count = sa.select(sa.func.count()).select_from(schema.suppression)
    with engine.begin() as conn:
        before = conn.execute(count).scalar_one()
        add(conn, normalised, reason, source, now)
        return int(conn.execute(count).scalar_one() - before)
