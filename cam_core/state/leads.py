"""The `leads` and `enrolments` tables: a lead's lifecycle status and why, and the
sequence it is enrolled in. The only writers of both.

A lead's status only moves forward: a lead already contacted is not reset to
"qualified" because it turned up again in a later file or a rerun. Every
transaction that writes a campaign's lead rows takes that campaign's lock first
(`schema.lock_campaign_leads`), so two runs of a campaign cannot deadlock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cam_core.state import bulk, schema, suppression
from cam_core.vocabulary import Enrolment, LeadStatus

#: Statuses a stage may overwrite, by the stage that writes them.
_DECIDED = (LeadStatus.QUALIFIED, LeadStatus.REVIEW, LeadStatus.REJECTED)
_OVERWRITABLE = {
    "decided": _DECIDED,  # qualification may revise its own verdict
    "enrolled": _DECIDED,  # routing enrols qualified leads
    "contacted": (*_DECIDED, LeadStatus.ENROLLED),  # a send moves an enrolled lead on
    "final": (*_DECIDED, LeadStatus.ENROLLED, LeadStatus.CONTACTED),  # replies, bounces, unsubscribes
}

#: Columns of a campaign's earlier leads that `harvest` checks duplicates against.
KNOWN_COLUMNS = ("email", "first_name", "last_name", "company", "domain", "first_seen", "status")


def _status_case(new_status: sa.ColumnElement, stage: str) -> sa.ColumnElement:
    # Spelled as ORs of constants, not IN (...): an expanding IN cannot run in executemany.
    t = schema.leads
    overwritable = sa.or_(*(t.c.status == sa.literal_column(f"'{s}'") for s in _OVERWRITABLE[stage]))
    return sa.case((overwritable, new_status), else_=t.c.status)


@contextmanager
def _writing_leads(engine: Engine, campaign: str) -> Iterator[Connection]:
    """A transaction that may write `campaign`'s lead rows, other runs' lead writes held off."""
    with engine.begin() as conn:
        schema.lock_campaign_leads(conn, campaign)
        yield conn


def save_qualified(engine: Engine, campaign: str, day: str, qualified: pd.DataFrame) -> None:
    """Record every lead's verdict, score and reason; leads further along keep their status.

    Leads without an email yet are not recorded: the table is keyed by email, and
    such a lead waits in `harvest`/`qualified` (needs_email) until enrichment finds one.
    """
    copied = ("first_name", "last_name", "title", "company", "domain", "industry", "country", "icp_score")
    # The columns first, then the rows: a million-lead table is copied once, 12 columns wide.
    rows = qualified[["email", *copied, "qualification", "score_breakdown", "reason"]]
    rows = rows[rows["email"] != ""].rename(columns={"qualification": "status"})
    rows = rows.assign(campaign=campaign, first_seen=day, updated_on=day)
    t = schema.leads
    with _writing_leads(engine, campaign) as conn:
        earliest = sa.func.min if conn.dialect.name == "sqlite" else sa.func.least
        updates: dict[str, Callable[[Any], sa.ColumnElement]] = {
            **{c: bulk.incoming(c) for c in (*copied, "score_breakdown", "reason", "updated_on")},
            "status": lambda ex: _status_case(ex.status, "decided"),
            "first_seen": lambda ex: earliest(t.c.first_seen, ex.first_seen),
        }
        bulk.upsert(conn, t, rows, keys=("campaign", "email"), updates=updates)


def known_before(engine: Engine, campaign: str, day: str) -> pd.DataFrame:
    """The campaign's leads first seen before `day` (KNOWN_COLUMNS), for `harvest` to recognise repeats.

    Only earlier days count: a rerun of a day must not reject that day's own leads
    as duplicates of themselves.
    """
    t = schema.leads
    query = sa.select(*(t.c[c] for c in KNOWN_COLUMNS)).where(t.c.campaign == campaign, t.c.first_seen < day)
    with engine.connect() as conn:
        found = bulk.read_frame(conn, query, list(KNOWN_COLUMNS))
    return found.fillna("").astype("str")


def enrolled_before(engine: Engine, campaign: str, day: str) -> pd.Series:
    """email -> sequence for leads enrolled in `campaign` on a day before `day`."""
    e = schema.enrolments
    query = sa.select(e.c.email, e.c.sequence).where(e.c.campaign == campaign, e.c.enrolled_on < day)
    with engine.connect() as conn:
        found = bulk.read_frame(conn, query, ["email", "sequence"])
    return found.set_index("email")["sequence"].astype("str")


def save_routing(engine: Engine, campaign: str, day: str, routed: pd.DataFrame) -> None:
    """Enrol new leads (once per campaign, ever) and record tier and sequence.

    Leads held back (active in another campaign) are not enrolled: their reason says why.
    """
    enrolment = routed["enrolment"]
    held = routed.loc[enrolment == Enrolment.HELD, ["email", "hold_reason"]] if "hold_reason" in routed else None
    new = routed.loc[enrolment == Enrolment.NEW, ["email", "sequence", "tier"]]
    going = routed.loc[enrolment != Enrolment.HELD, ["email", "tier", "sequence"]]
    t = schema.leads
    with _writing_leads(engine, campaign) as conn:
        if held is not None:
            bulk.update_rows(
                conn,
                t,
                held,
                match={"email": "email"},
                values={"reason": "hold_reason"},
                where=[t.c.campaign == campaign],
            )
        bulk.insert_ignoring_conflicts(conn, schema.enrolments, new.assign(campaign=campaign, enrolled_on=day))
        bulk.update_rows(
            conn,
            t,
            going,
            match={"email": "email"},
            values={
                "tier": "tier",
                "sequence": "sequence",
                "status": lambda _row: _status_case(sa.literal(LeadStatus.ENROLLED.value), "enrolled"),
            },
            where=[t.c.campaign == campaign],
        )


def enrolments_of(engine: Engine, campaign: str, emails: list[str]) -> pd.DataFrame:
    """The enrolment rows (email, sequence, enrolled_on) of `emails` in `campaign`."""
    e = schema.enrolments
    found = []
    with engine.connect() as conn:
        for start in range(0, len(emails), 5000):  # bounded IN lists
            query = sa.select(e.c.email, e.c.sequence, e.c.enrolled_on).where(
                e.c.campaign == campaign, e.c.email.in_(emails[start : start + 5000])
            )
            found.append(bulk.read_frame(conn, query, ["email", "sequence", "enrolled_on"]))
    return pd.concat([pd.DataFrame(columns=["email", "sequence", "enrolled_on"]), *found], ignore_index=True)


def mark_contacted(engine: Engine, campaign: str, emails: list[str]) -> None:
    if not emails:
        return
    t = schema.leads
    with _writing_leads(engine, campaign) as conn:
        conn.execute(
            t.update()
            .where(t.c.campaign == campaign, t.c.email.in_(emails))
            .values(status=_status_case(sa.literal(LeadStatus.CONTACTED.value), "contacted"))
        )


def apply_engagement(engine: Engine, campaign: str, folded: pd.DataFrame, now: dt.datetime) -> None:
    """Move leads to replied / bounced / unsubscribed and suppress where the events say so
    (`folded`: email, status, suppress), in one transaction."""
    t = schema.leads
    with _writing_leads(engine, campaign) as conn:
        for status, group in folded.groupby("status"):
            conn.execute(
                t.update()
                .where(t.c.campaign == campaign, t.c.email.in_(group["email"].tolist()))
                .values(status=_status_case(sa.literal(str(status)), "final"))
            )
        to_suppress = folded[folded["suppress"]]
        for reason, group in to_suppress.groupby("status"):
            suppression.add(conn, group["email"].tolist(), str(reason), f"event:{campaign}", now)
