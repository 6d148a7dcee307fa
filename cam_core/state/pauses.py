"""The `sending_pauses` table: campaigns whose sending the reputation guard stopped.

One row per campaign that was ever paused: when and why its last pause began and,
once a person lifted it with `cam resume`, when (`resumed_at`). A campaign is paused
while its row has no `resumed_at`. The guard (`cam_core.outreach.reputation`) pauses;
only `cam resume` lifts. Read by `sent_emails` (through the guard) and `cam campaigns`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cam_core.state import schema


@dataclass(frozen=True)
class Pause:
    """A campaign's last pause: in force while `resumed_at` is None."""

    campaign: str
    paused_at: dt.datetime
    reason: str
    resumed_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.resumed_at is None


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands timezone-aware columns back naive; they were stored in UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def _pause(row: sa.Row) -> Pause:
    paused_at = _utc(row.paused_at)
    assert paused_at is not None  # NOT NULL
    return Pause(row.campaign, paused_at, row.reason, _utc(row.resumed_at))


def _pause_of(conn: Connection, campaign: str) -> Pause | None:
    t = schema.sending_pauses
    row = conn.execute(sa.select(t).where(t.c.campaign == campaign)).first()
    return None if row is None else _pause(row)


def pause_of(engine: Engine, campaign: str) -> Pause | None:
    """The campaign's last pause, in force or lifted; None if it was never paused."""
    with engine.connect() as conn:
        return _pause_of(conn, campaign)


def paused(engine: Engine) -> dict[str, Pause]:
    """campaign -> its pause, for every campaign paused now."""
    t = schema.sending_pauses
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t).where(t.c.resumed_at.is_(None)).order_by(t.c.campaign)).all()
    return {row.campaign: _pause(row) for row in rows}


def pause(engine: Engine, campaign: str, reason: str, now: dt.datetime) -> Pause:
    """Pause the campaign's sending for `reason`; the pause in force after the call.

    A campaign already paused keeps its first pause (when and why), so two runs
    tripping the guard at once record one pause.
    """
    t = schema.sending_pauses
    with engine.begin() as conn:
        schema.lock_until_commit(conn, "sending_pauses", campaign)
        current = _pause_of(conn, campaign)
        if current is not None and current.active:
            return current
        values = {"paused_at": now, "reason": reason, "resumed_at": None}
        if current is None:
            conn.execute(t.insert().values(campaign=campaign, **values))
        else:
            conn.execute(t.update().where(t.c.campaign == campaign).values(**values))
    return Pause(campaign, now, reason)


def resume(engine: Engine, campaign: str, now: dt.datetime) -> Pause | None:
    """Lift the campaign's pause at `now`; the pause lifted, or None if it was not paused."""
    t = schema.sending_pauses
    with engine.begin() as conn:
        schema.lock_until_commit(conn, "sending_pauses", campaign)
        current = _pause_of(conn, campaign)
        if current is None or not current.active:
            return None
        conn.execute(t.update().where(t.c.campaign == campaign).values(resumed_at=now))
    return current
