"""The `replies` table: every reply taken in, once (by its Message-ID), with the send it
answers, what it says and why. Written by `cam_core.engagement.replies` (and a person,
through `cam replies reclassify`); read by `cam replies list`, `engagement` (the day's
referrals) and `campaign_metrics` (replies by class, tier and variant).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cam_core.state import bulk, schema

#: What `cam replies list` shows of each reply (never the raw message).
LISTED = ("reply_id", "day", "email", "campaign", "lead_email", "step", "matched_by", "reply_class", "reason")


def store(engine: Engine, row: Mapping[str, Any]) -> bool:
    """Store one reply; False when its id is already stored (a repeat, from any source)."""
    t = schema.replies
    with engine.begin() as conn:
        result = conn.execute(bulk.insert_for(conn, t).on_conflict_do_nothing(), [dict(row)])
        return bool(result.rowcount)


def reply(engine: Engine, reply_id: str) -> dict[str, Any] | None:
    t = schema.replies
    with engine.connect() as conn:
        found = conn.execute(sa.select(t).where(t.c.reply_id == reply_id)).first()
    return dict(found._mapping) if found is not None else None


def reclassify(engine: Engine, reply_id: str, reply_class: str, reason: str) -> None:
    t = schema.replies
    with engine.begin() as conn:
        conn.execute(
            t.update()
            .where(t.c.reply_id == reply_id)
            .values(reply_class=reply_class, reason=reason, classified_by="cli")
        )


def listing(engine: Engine, campaign: str | None = None, reply_class: str | None = None) -> pd.DataFrame:
    """Replies (LISTED), newest first; unmatched ones under campaign ""."""
    t = schema.replies
    query = sa.select(*(t.c[c] for c in LISTED)).order_by(t.c.received_at.desc(), t.c.reply_id)
    if campaign is not None:
        query = query.where(t.c.campaign == campaign)
    if reply_class:
        query = query.where(t.c.reply_class == reply_class)
    with engine.connect() as conn:
        return bulk.read_frame(conn, query, list(LISTED))


def of_day(engine: Engine, campaign: str, day: str) -> pd.DataFrame:
    """The campaign's replies of one day with the tier and variant of the send each answers:
    reply_id, reply_class, referral, lead_email, tier, variant."""
    r, s, lead = schema.replies, schema.sends, schema.leads
    query = (
        sa.select(r.c.reply_id, r.c.reply_class, r.c.referral, r.c.lead_email, lead.c.tier, s.c.variant)
        .select_from(
            r.outerjoin(s, s.c.send_key == r.c.send_key).outerjoin(
                lead, sa.and_(lead.c.campaign == r.c.campaign, lead.c.email == r.c.lead_email)
            )
        )
        .where(r.c.campaign == campaign, r.c.day == day)
    )
    columns = ["reply_id", "reply_class", "referral", "lead_email", "tier", "variant"]
    with engine.connect() as conn:
        found = bulk.read_frame(conn, query, columns)
    return found.fillna({"tier": "none", "variant": "none", "referral": ""})
