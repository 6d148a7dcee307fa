"""Which enrolled leads are due a step on a day (the planning half of `nurture_batch`).

A lead is due step 1 on `day` when it was enrolled on or before `day` minus the
step's delay, has no sent or failed ledger row for that step (a `pending` one,
left by a killed run, is due again so the rerun can finish it), is not
suppressed, and has not replied, bounced or unsubscribed. Due leads beyond the
campaign's daily cap are held for a later day, best tier and score first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cam_core import db
from cam_core.campaigns import Campaign
from cam_core.leads import TIERS
from cam_core.ledger import PENDING, claims_on, send_keys

STOPPED_STATUSES = ("replied", "bounced", "unsubscribed")
DUE_COLUMNS = ("email", "first_name", "last_name", "title", "company", "domain", "industry", "country",
               "icp_score", "tier", "sequence", "status")


@dataclass
class DuePlan:
    due: pd.DataFrame          # DUE_COLUMNS, the leads to write to, within the cap
    counts: dict[str, int]     # candidates, suppressed, stopped, already_sent, held_by_cap, due


def _enrolled_leads(engine: Engine, campaign: str, enrolled_by: str) -> pd.DataFrame:
    e, lead = db.enrolments, db.leads
    query = (
        sa.select(e.c.email, lead.c.first_name, lead.c.last_name, lead.c.title, lead.c.company, lead.c.domain,
                  lead.c.industry, lead.c.country, lead.c.icp_score, e.c.tier, e.c.sequence, lead.c.status,
                  e.c.enrolled_on)
        .join(lead, sa.and_(lead.c.campaign == e.c.campaign, lead.c.email == e.c.email))
        .where(e.c.campaign == campaign, e.c.enrolled_on <= enrolled_by)
    )
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).all(), columns=[*DUE_COLUMNS, "enrolled_on"])


def plan_first_steps(engine: Engine, campaign: Campaign, day: str, suppressed: pd.Series) -> DuePlan:
    delays = {name: seq.steps[0].delay_days for name, seq in campaign.sequences.items()}
    latest = (date.fromisoformat(day) - timedelta(days=min(delays.values()))).isoformat()
    leads = _enrolled_leads(engine, campaign.name, latest)
    due_on = pd.to_datetime(leads["enrolled_on"]) + pd.to_timedelta(leads["sequence"].map(delays), unit="D")
    leads = leads[due_on <= pd.Timestamp(day)]

    keys = send_keys(campaign.name, leads["email"], pd.Series(1, index=leads.index))
    t = db.sends
    with engine.connect() as conn:
        ledger = dict(conn.execute(sa.select(t.c.send_key, t.c.status).where(
            t.c.campaign == campaign.name, t.c.step == 1)).all())
    in_ledger = keys.map(ledger)
    is_suppressed = leads["email"].isin(suppressed.index)
    stopped = leads["status"].isin(STOPPED_STATUSES) & ~is_suppressed
    done = in_ledger.notna() & (in_ledger != PENDING)
    candidates = leads[~is_suppressed & ~stopped & ~done].assign(
        _rank=lambda f: f["tier"].map({t: i for i, t in enumerate(TIERS)})
    ).sort_values(["_rank", "icp_score", "email"], ascending=[True, False, True])
    room = max(campaign.sender.daily_cap - claims_on(engine, campaign.name, day, excluding=keys[~done].tolist()), 0)
    due = candidates.head(room).drop(columns="_rank").reset_index(drop=True)
    counts = {
        "enrolled_and_due": len(leads),
        "suppressed": int(is_suppressed.sum()),
        "stopped": int(stopped.sum()),
        "already_sent": int(done.sum()),
        "held_by_cap": len(candidates) - len(due),
        "due": len(due),
    }
    return DuePlan(due=due[list(DUE_COLUMNS)], counts=counts)
