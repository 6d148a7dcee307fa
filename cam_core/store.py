"""Lead lifecycle, enrolments, suppression and events in the CAM database.

A lead's status only moves forward: a lead already contacted is not reset to
"qualified" because it turned up again in a later file or a rerun.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cam_core import db

#: Statuses a stage may overwrite, by the stage that writes them.
_DECIDED = ("qualified", "review", "rejected")
_OVERWRITABLE = {
    "decided": _DECIDED,                        # qualification may revise its own verdict
    "enrolled": _DECIDED,                       # routing enrols qualified leads
    "contacted": (*_DECIDED, "enrolled"),       # a send moves an enrolled lead on
    "final": (*_DECIDED, "enrolled", "contacted"),  # replies, bounces, unsubscribes
}

SUPPRESSING_EVENTS = {"bounce": "bounced", "complaint": "unsubscribed", "unsubscribe": "unsubscribed"}
EVENT_KINDS = ("reply", *SUPPRESSING_EVENTS)


def _status_case(new_status: sa.ColumnElement, stage: str) -> sa.ColumnElement:
    # Spelled as ORs of constants, not IN (...): an expanding IN cannot run in executemany.
    overwritable = sa.or_(*(db.leads.c.status == sa.literal_column(f"'{s}'") for s in _OVERWRITABLE[stage]))
    return sa.case((overwritable, new_status), else_=db.leads.c.status)


@contextmanager
def _writing_leads(engine: Engine, campaign: str) -> Iterator[Connection]:
    """A transaction that may write `campaign`'s lead rows, other runs' lead writes held off."""
    with engine.begin() as conn:
        db.lock_campaign_leads(conn, campaign)
        yield conn


def save_qualified(engine: Engine, campaign: str, day: str, qualified: pd.DataFrame) -> None:
    """Record every lead's verdict, score and reason; leads further along keep their status.

    Leads without an email yet are not recorded: the table is keyed by email, and
    such a lead waits in `harvest`/`qualified` (needs_email) until enrichment finds one.
    """
    # The columns first, then the rows: a million-lead table is copied once, 12 columns wide.
    rows = qualified[["email", "first_name", "last_name", "title", "company", "domain", "industry", "country",
                      "qualification", "icp_score", "score_breakdown", "reason"]]
    rows = rows[rows["email"] != ""].rename(columns={"qualification": "status"})
    rows = rows.assign(campaign=campaign, first_seen=day, updated_on=day)
    with _writing_leads(engine, campaign) as conn:
        updates = {
            **{c: (lambda ex, c=c: ex[c]) for c in ("first_name", "last_name", "title", "company", "domain",
                                                     "industry", "country", "icp_score", "score_breakdown", "reason", "updated_on")},
            "status": lambda ex: _status_case(ex.status, "decided"),
            "first_seen": lambda ex: sa.func.min(db.leads.c.first_seen, ex.first_seen)
            if conn.dialect.name == "sqlite" else sa.func.least(db.leads.c.first_seen, ex.first_seen),
        }
        db.upsert(conn, db.leads, rows, keys=("campaign", "email"), updates=updates)


def enrolled_before(engine: Engine, campaign: str, day: str) -> pd.Series:
    """email -> sequence for leads enrolled in `campaign` on a day before `day`."""
    query = sa.select(db.enrolments.c.email, db.enrolments.c.sequence).where(
        db.enrolments.c.campaign == campaign, db.enrolments.c.enrolled_on < day
    )
    with engine.connect() as conn:
        found = db.read_frame(conn, query, ["email", "sequence"])
    return found.set_index("email")["sequence"].astype("str")


def save_routing(engine: Engine, campaign: str, day: str, routed: pd.DataFrame) -> None:
    """Enrol new leads (once per campaign, ever) and record tier and sequence.

    Leads held back (active in another campaign) are not enrolled: their reason says why.
    """
    enrolment = routed["enrolment"] if "enrolment" in routed else pd.Series("", index=routed.index)
    held = routed.loc[enrolment == "held", ["email", "hold_reason"]] if (enrolment == "held").any() else None
    new = routed.loc[enrolment == "new", ["email", "sequence", "tier"]]
    routed = routed.loc[enrolment != "held", ["email", "tier", "sequence"]]
    with _writing_leads(engine, campaign) as conn:
        if held is not None:
            db.update_rows(conn, db.leads, held, match={"email": "email"},
                           values={"reason": "hold_reason"}, where=[db.leads.c.campaign == campaign])
        db.insert_ignoring_conflicts(
            conn, db.enrolments,
            new.assign(campaign=campaign, enrolled_on=day))
        db.update_rows(
            conn, db.leads, routed,
            match={"email": "email"},
            values={"tier": "tier", "sequence": "sequence",
                    "status": lambda _row: _status_case(sa.literal("enrolled"), "enrolled")},
            where=[db.leads.c.campaign == campaign],
        )


def mark_contacted(engine: Engine, campaign: str, emails: list[str]) -> None:
    if not emails:
        return
    with _writing_leads(engine, campaign) as conn:
        conn.execute(
            db.leads.update()
            .where(db.leads.c.campaign == campaign, db.leads.c.email.in_(emails))
            .values(status=_status_case(sa.literal("contacted"), "contacted"))
        )


def suppressed(engine: Engine) -> pd.Series:
    """email -> reason for every suppressed address."""
    with engine.connect() as conn:
        found = db.read_frame(conn, sa.select(db.suppression.c.email, db.suppression.c.reason), ["email", "reason"])
    return found.set_index("email")["reason"].astype("str")


def suppress(engine: Engine, emails: list[str], reason: str, source: str) -> int:
    """Add addresses to the global suppression list; returns how many were new."""
    now = datetime.now(timezone.utc)
    normalised = sorted({e.strip().lower() for e in emails if e.strip()})
    with engine.begin() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(db.suppression)).scalar_one()
        db.insert_ignoring_conflicts(
            conn, db.suppression,
            [{"email": e, "reason": reason, "source": source, "suppressed_at": now} for e in normalised],
        )
        after = conn.execute(sa.select(sa.func.count()).select_from(db.suppression)).scalar_one()
    return after - before


def record_events(engine: Engine, events: pd.DataFrame) -> None:
    """Store events (columns: event_id, campaign, email, kind, occurred_at, detail); repeats are ignored."""
    unknown = sorted(set(events["kind"]) - set(EVENT_KINDS))
    if unknown:
        raise ValueError(f"unknown event kind(s) {', '.join(unknown)}; expected one of {', '.join(EVENT_KINDS)}")
    occurred = pd.to_datetime(events["occurred_at"], utc=True)
    rows = events.assign(
        email=events["email"].str.strip().str.lower(),
        occurred_at=occurred.dt.to_pydatetime(),
        day=occurred.dt.strftime("%Y-%m-%d"),
        detail=events.get("detail", pd.Series("", index=events.index)).fillna(""),
    )[["event_id", "campaign", "email", "kind", "day", "occurred_at", "detail"]]
    with engine.begin() as conn:
        db.insert_ignoring_conflicts(conn, db.events, rows)


def events_for(engine: Engine, campaign: str, day: str) -> pd.DataFrame:
    query = sa.select(db.events.c.email, db.events.c.kind, db.events.c.occurred_at, db.events.c.detail).where(
        db.events.c.campaign == campaign, db.events.c.day == day
    ).order_by(db.events.c.occurred_at, db.events.c.event_id)
    with engine.connect() as conn:
        return db.read_frame(conn, query, ["email", "kind", "occurred_at", "detail"])


def apply_events(engine: Engine, campaign: str, folded: pd.DataFrame) -> None:
    """Move leads to replied / bounced / unsubscribed and suppress where the event says so."""
    now = datetime.now(timezone.utc)
    with _writing_leads(engine, campaign) as conn:
        for status, group in folded.groupby("status"):
            conn.execute(
                db.leads.update()
                .where(db.leads.c.campaign == campaign, db.leads.c.email.in_(group["email"].tolist()))
                .values(status=_status_case(sa.literal(status), "final"))
            )
        to_suppress = folded[folded["suppress"]]
        db.insert_ignoring_conflicts(
            conn, db.suppression,
            [{"email": e, "reason": s, "source": f"event:{campaign}", "suppressed_at": now}
             for e, s in to_suppress[["email", "status"]].itertuples(index=False)],
        )


def export_leads(engine: Engine, campaign: str, status: str | None = None) -> pd.DataFrame:
    """One row per lead of a campaign, in the order they were first seen."""
    t = db.leads
    query = sa.select(
        t.c.email, t.c.status, t.c.icp_score.label("score"), t.c.tier, t.c.sequence, t.c.reason,
        t.c.score_breakdown, t.c.first_name, t.c.last_name, t.c.title, t.c.company, t.c.domain,
        t.c.first_seen, t.c.updated_on,
    ).where(t.c.campaign == campaign).order_by(t.c.first_seen, t.c.email)
    if status:
        query = query.where(t.c.status == status)
    with engine.connect() as conn:
        return db.read_frame(conn, query)


def lead_status_counts(engine: Engine, campaign: str) -> dict[str, int]:
    query = sa.select(db.leads.c.status, sa.func.count()).where(db.leads.c.campaign == campaign).group_by(db.leads.c.status)
    with engine.connect() as conn:
        return {s: int(n) for s, n in conn.execute(query).all()}
