"""The send ledger: exactly one row per (campaign, lead, step), ever.

A send is claimed (a `pending` row) before anything is handed to a sender and
completed (`sent`, with its Message-ID) after. Claims happen under the lock of the
campaign-day `send_quota` row, so two runs at once can neither claim the same step
twice (the unique key) nor both spend the last room under the daily cap. A
`pending` row left by a killed run is handed out again by the next claim; senders
are idempotent per send key (the outbox file is named by it, Resend gets it as
its Idempotency-Key), so that repair never produces a second copy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cam_core import db

PENDING, SENT, FAILED = "pending", "sent", "failed"
_COUNTS_AGAINST_CAP = (PENDING, SENT)


def send_keys(campaign: str, emails: pd.Series, steps: pd.Series) -> pd.Series:
    """A stable key per campaign, lead and step (also the provider's idempotency key)."""
    material = campaign + "\x1f" + emails.astype("str") + "\x1f" + steps.astype("str")
    return material.map(lambda m: hashlib.sha256(m.encode()).hexdigest()[:32]).astype("str")


def ledger_rows(engine: Engine, campaign: str, keys: list[str] | None = None, day: str | None = None) -> pd.DataFrame:
    t = db.sends
    query = sa.select(t).where(t.c.campaign == campaign).order_by(t.c.send_key)
    if keys is not None:
        query = query.where(t.c.send_key.in_(keys))
    if day is not None:
        query = query.where(t.c.send_day == day)
    with engine.connect() as conn:
        result = conn.execute(query)
        return pd.DataFrame(result.all(), columns=list(result.keys()))


def claims_on(engine: Engine, campaign: str, day: str, excluding: list[str] | None = None) -> int:
    """Sends claimed or made for a campaign on a day, which count against its cap."""
    t = db.sends
    query = sa.select(sa.func.count()).select_from(t).where(
        t.c.campaign == campaign, t.c.send_day == day, t.c.status.in_(_COUNTS_AGAINST_CAP)
    )
    if excluding:
        query = query.where(t.c.send_key.not_in(excluding))
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def claim(engine: Engine, campaign: str, day: str, batch: pd.DataFrame, cap: int, provider: str) -> pd.DataFrame:
    """Claim the batch rows (columns send_key, email, sequence, step) this run may deliver.

    Returns the claimed rows: newly claimed ones, and `pending` ones a killed run
    left behind. Rows already sent or failed, and rows over the cap, are not returned.
    """
    if batch.empty:
        return batch.iloc[0:0]
    t = db.sends
    keys = batch["send_key"].tolist()
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        db.insert_ignoring_conflicts(conn, db.send_quota, [{"campaign": campaign, "day": day, "claims": 0}])
        # Taking the quota row's lock serialises claims for this campaign and day.
        conn.execute(
            db.send_quota.update()
            .where(db.send_quota.c.campaign == campaign, db.send_quota.c.day == day)
            .values(claims=db.send_quota.c.claims + 1)
        )
        known = dict(conn.execute(sa.select(t.c.send_key, t.c.status).where(t.c.send_key.in_(keys))).all())
        used = conn.execute(
            sa.select(sa.func.count()).select_from(t).where(
                t.c.campaign == campaign, t.c.send_day == day, t.c.status.in_(_COUNTS_AGAINST_CAP)
            )
        ).scalar_one()
        fresh = batch[~batch["send_key"].isin(known)].head(max(cap - int(used), 0))
        db.insert_ignoring_conflicts(
            conn, t,
            db.records(fresh.assign(campaign=campaign, send_day=day, status=PENDING, provider=provider, claimed_at=now)[
                ["send_key", "campaign", "email", "sequence", "step", "send_day", "status", "provider", "claimed_at"]
            ]),
        )
    repair = batch["send_key"].map(known) == PENDING
    return batch[batch["send_key"].isin(fresh["send_key"]) | repair]


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed send."""

    send_key: str
    status: str                  # SENT or FAILED
    message_id: str | None = None
    location: str | None = None
    error: str | None = None


def record_outcomes(engine: Engine, outcomes: list[Outcome]) -> None:
    """Complete claimed rows, all in one transaction."""
    if not outcomes:
        return
    now = datetime.now(timezone.utc)
    update = (
        db.sends.update()
        .where(db.sends.c.send_key == sa.bindparam("b_key"))
        .values(status=sa.bindparam("b_status"), message_id=sa.bindparam("b_message_id"),
                location=sa.bindparam("b_location"), error=sa.bindparam("b_error"), sent_at=sa.bindparam("b_sent_at"))
    )
    with engine.begin() as conn:
        conn.execute(update, [
            {"b_key": o.send_key, "b_status": o.status, "b_message_id": o.message_id, "b_location": o.location,
             "b_error": o.error[:2000] if o.error else None, "b_sent_at": now if o.status == SENT else None}
            for o in outcomes
        ])
