"""Which enrolled leads are due which step on a day (the planning half of `nurture_batch`).

A lead's next step is the one after its last sent step (a `pending` step, left
by a killed run, is its next step again, so the rerun can finish it). It is due
on `day` when the step's delay in business days has passed since the previous
step was sent, or since enrolment for the first step. A lead is left out when
it is suppressed, replied, bounced or unsubscribed, had a step fail for good,
or has finished its sequence. Due leads beyond the day's room (daily cap,
warm-up ramp, sending-domain cap) are held for a later day, best tier and score
first. Each lead gets one variant of its step, by a hash of its address.

A lead whose sequence is done, or that had a step fail for good, is `finished`: the caller
closes its enrolment, and later days read only open enrolments of leads not stopped, and
their ledger rows, so a day's planning costs what its open leads cost, not the campaign's
history. (Steps added to a sequence later do not reopen finished enrolments.)
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

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
    #: Leads whose sequence is done or had a step fail for good: never due again
    #: (`leads.close_enrolments` keeps later days from reading them).
    finished: list[str] = field(default_factory=list)


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
        .where(*_open(campaign, day), lead.c.status.notin_(STOPPED_STATUSES))
    )
    with engine.connect() as conn:
        return bulk.read_frame(conn, query, [*ENROLLED_COLUMNS, "enrolled_on"])


def _open(campaign: str, day: str) -> tuple[sa.ColumnElement[bool], ...]:
    e = schema.enrolments
    return e.c.campaign == campaign, e.c.enrolled_on <= day, e.c.closed_on.is_(None)


def _stopped(engine: Engine, campaign: str, day: str) -> int:
    """Open enrolments whose lead stopped them (a reply, a bounce, an out-of-office...): counted, not
    read, since a stop can be undone (a reply reclassified, a lead back from holiday)."""
    e, lead = schema.enrolments, schema.leads
    query = (
        sa.select(sa.func.count())
        .select_from(e.join(lead, sa.and_(lead.c.campaign == e.c.campaign, lead.c.email == e.c.email)))
        .where(*_open(campaign, day), lead.c.status.in_(STOPPED_STATUSES))
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _ledger(engine: Engine, campaign: str, emails: pd.Series) -> pd.DataFrame:
    """The ledger rows of these leads of `campaign`, through its (campaign, email) index."""
    t = schema.sends
    columns = ["send_key", "email", "step", "status", "send_day"]
    query = sa.select(*(t.c[c] for c in columns)).where(t.c.campaign == campaign)
    found = [pd.DataFrame({c: pd.Series(dtype="int64" if c == "step" else "str") for c in columns})]
    values = emails.tolist()
    with engine.connect() as conn:
        for start in range(0, len(values), 5000):  # bounded IN lists
            found.append(bulk.read_frame(conn, query.where(t.c.email.in_(values[start : start + 5000])), columns))
    return pd.concat(found, ignore_index=True)


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
    ledger = _ledger(engine, campaign.name, leads["email"])
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
    out = ~is_suppressed & ~failed & ~completed
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
        "stopped": _stopped(engine, campaign.name, day),
        "failed": int((failed & ~is_suppressed).sum()),
        "completed": int((completed & ~failed & ~is_suppressed).sum()),
        "not_yet_due": int((out & ~ready).sum()),
        "held_by_cap": len(candidates) - len(due),
        "due": len(due),
    }
    finished = leads.loc[(completed | failed) & ~is_pending, "email"]
    return DuePlan(due=due[list(DUE_COLUMNS)], counts=counts, finished=finished.tolist())
