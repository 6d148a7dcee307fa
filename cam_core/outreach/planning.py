"""Which enrolled leads are due which step on a day (the planning half of `nurture_batch`).

A lead's next step is the one after its last sent step (a `pending` step, left
by a killed run, is its next step again, so the rerun can finish it). It is due
on `day` when the step's delay in business days has passed since the previous
step was sent, or since enrolment for the first step. A lead is left out when
it is suppressed, replied, bounced or unsubscribed, had a step fail for good,
or has finished its sequence. Due leads beyond the day's room (daily cap,
warm-up ramp, sending-domain cap) are held for a later day, best tier and score
first. Each lead gets one variant of its step, by a hash of its address.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cam_core.campaign.models import Campaign
from cam_core.outreach.window import business_days_after
from cam_core.state import bulk, schema
from cam_core.state.ledger import room_on, send_keys
from cam_core.vocabulary import STOPPED_STATUSES, TIERS, SendStatus

#: Columns of an enrolled lead as planning reads it from the `leads` and `enrolments` tables.
ENROLLED_COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "title",
    "company",
    "domain",
    "industry",
    "country",
    "icp_score",
    "tier",
    "sequence",
    "status",
)
DUE_COLUMNS = (*ENROLLED_COLUMNS, "step", "variant", "send_key")


@dataclass
class DuePlan:
    due: pd.DataFrame  # DUE_COLUMNS: the messages to render, within the day's room
    counts: dict[str, int]  # enrolled, suppressed, stopped, failed, completed, not_yet_due, held_by_cap, due


def _enrolled(engine: Engine, campaign: str, day: str) -> pd.DataFrame:
    e, lead = schema.enrolments, schema.leads
    query = (
        sa.select(
            e.c.email,
            lead.c.first_name,
            lead.c.last_name,
            lead.c.title,
            lead.c.company,
            lead.c.domain,
            lead.c.industry,
            lead.c.country,
            lead.c.icp_score,
            e.c.tier,
            e.c.sequence,
            lead.c.status,
            e.c.enrolled_on,
        )
        .join(lead, sa.and_(lead.c.campaign == e.c.campaign, lead.c.email == e.c.email))
        .where(e.c.campaign == campaign, e.c.enrolled_on <= day)
    )
    with engine.connect() as conn:
        return bulk.read_frame(conn, query, [*ENROLLED_COLUMNS, "enrolled_on"])


def _ledger(engine: Engine, campaign: str) -> pd.DataFrame:
    t = schema.sends
    query = sa.select(t.c.send_key, t.c.email, t.c.step, t.c.status, t.c.send_day).where(t.c.campaign == campaign)
    with engine.connect() as conn:
        return bulk.read_frame(conn, query)


def variants_for(frame: pd.DataFrame, campaign: Campaign) -> pd.Series:
    """The variant each lead gets of its step: stable for an address, spread evenly."""
    names = {
        (seq, i + 1): [v.name for v in step.versions()]
        for seq, sequence in campaign.sequences.items()
        for i, step in enumerate(sequence.steps)
    }
    buckets = frame["email"].map(lambda e: zlib.crc32(e.encode()))
    return pd.Series(
        [
            names[(s, k)][b % len(names[(s, k)])]
            for s, k, b in zip(frame["sequence"], frame["step"], buckets, strict=True)
        ],
        index=frame.index,
        dtype="str",
    )


def plan_due_steps(engine: Engine, campaign: Campaign, day: str, suppressed: pd.Series) -> DuePlan:
    leads = _enrolled(engine, campaign.name, day)
    ledger = _ledger(engine, campaign.name)
    sent = ledger[ledger["status"] == SendStatus.SENT].sort_values("step").groupby("email").last()
    pending_step = ledger[ledger["status"] == SendStatus.PENDING].groupby("email")["step"].min()
    failed = leads["email"].isin(ledger.loc[ledger["status"] == SendStatus.FAILED, "email"])

    last_step = leads["email"].map(sent["step"]).fillna(0).astype("int64")
    is_pending = leads["email"].isin(pending_step.index)
    leads["step"] = leads["email"].map(pending_step).fillna(last_step + 1).astype("int64")
    lengths = {name: len(seq.steps) for name, seq in campaign.sequences.items()}
    completed = leads["step"] > leads["sequence"].map(lengths)
    delays = {
        f"{name}|{i + 1}": step.delay_days
        for name, seq in campaign.sequences.items()
        for i, step in enumerate(seq.steps)
    }
    delay = (leads["sequence"] + "|" + leads["step"].astype("str")).map(delays).fillna(0).astype("int64")
    since = leads["enrolled_on"].where(leads["step"] == 1, leads["email"].map(sent["send_day"]))
    due_on = business_days_after(since.fillna(day), delay)
    ready = is_pending | (due_on <= pd.Timestamp(day))

    is_suppressed = leads["email"].isin(suppressed.index)
    stopped = leads["status"].isin(STOPPED_STATUSES) & ~is_suppressed
    out = ~is_suppressed & ~stopped & ~failed & ~completed
    candidates = (
        leads[out & ready]
        .assign(
            _repair=lambda f: ~is_pending[f.index], _rank=lambda f: f["tier"].map({t: i for i, t in enumerate(TIERS)})
        )
        .sort_values(["_repair", "_rank", "icp_score", "email"], ascending=[True, True, False, True])
    )
    # Today's ledger rows for these very steps are the ones the plan re-sends, so they do not
    # count against the room; keys are hashed only for the steps that make it into the batch.
    already = ledger.merge(candidates[["email", "step"]], on=["email", "step"])["send_key"]
    room = room_on(engine, campaign, day, excluding=already.tolist())
    due = candidates.head(room).drop(columns=["_repair", "_rank", "enrolled_on"]).reset_index(drop=True)
    due["send_key"] = send_keys(campaign.name, due["email"], due["step"])
    due["variant"] = variants_for(due, campaign) if len(due) else pd.Series(dtype="str")
    counts = {
        "enrolled": len(leads),
        "suppressed": int(is_suppressed.sum()),
        "stopped": int(stopped.sum()),
        "failed": int((failed & ~is_suppressed & ~stopped).sum()),
        "completed": int((completed & ~failed & ~is_suppressed & ~stopped).sum()),
        "not_yet_due": int((out & ~ready).sum()),
        "held_by_cap": len(candidates) - len(due),
        "due": len(due),
    }
    return DuePlan(due=due[list(DUE_COLUMNS)], counts=counts)
