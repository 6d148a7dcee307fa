"""The `leads` and `enrolments` tables: a lead's lifecycle status and why, and the
sequence it is enrolled in. The only writers of both.

A lead's status moves only along `cam_core.lifecycle.TRANSITIONS` (a lead already
contacted is not reset to "qualified" because it turned up again in a later file
or a rerun), and every move is recorded in `lead_history` in the same
transaction. Every transaction that writes a campaign's lead rows takes that
campaign's lock first (`schema.lock_campaign_leads`), so two runs of a campaign
cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cam_core import lifecycle
from cam_core.state import bulk, history, schema
from cam_core.state.history import Stamp
from cam_core.vocabulary import Enrolment, LeadStatus

_VERDICTS = (LeadStatus.QUALIFIED, LeadStatus.REVIEW, LeadStatus.REJECTED)


def _may_become(status: sa.ColumnElement, target: LeadStatus) -> sa.ColumnElement:
    """SQL: a lead in `status` may move to `target`. Spelled as ORs of constants, not
    IN (...): an expanding IN cannot run in executemany."""
    return sa.or_(*(status == sa.literal_column(f"'{s}'") for s in lifecycle.sources_of(target)))


#: Columns of a campaign's earlier leads that `harvest` checks duplicates against.
KNOWN_COLUMNS = ("email", "first_name", "last_name", "company", "domain", "first_seen", "status")


@contextmanager
def _writing_leads(engine: Engine, campaign: str) -> Iterator[Connection]:
    """A transaction that may write `campaign`'s lead rows, other runs' lead writes held off."""
    with engine.begin() as conn:
        schema.lock_campaign_leads(conn, campaign)
        yield conn


def save_qualified(engine: Engine, campaign: str, day: str, qualified: pd.DataFrame, stamp: Stamp) -> None:
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
    with _writing_leads(engine, campaign) as conn, bulk.staged(conn, t, rows) as stage:
        earliest = sa.func.min if conn.dialect.name == "sqlite" else sa.func.least

        def verdict_applies(new: sa.ColumnElement) -> sa.ColumnElement:
            return sa.or_(*(sa.and_(new == v.value, _may_become(t.c.status, v)) for v in _VERDICTS))

        joined = stage.outerjoin(t, sa.and_(t.c.campaign == stage.c.campaign, t.c.email == stage.c.email))
        moves = (
            sa.select(
                stage.c.campaign,
                stage.c.email,
                sa.func.coalesce(t.c.status, LeadStatus.HARVESTED.value),
                stage.c.status,
            )
            .select_from(joined)
            .where(sa.or_(t.c.status.is_(None), verdict_applies(stage.c.status)))
        )
        history.record_moves(conn, moves, "qualification", stamp)
        updates: dict[str, Callable[[Any], sa.ColumnElement]] = {
            **{c: bulk.incoming(c) for c in (*copied, "score_breakdown", "reason", "updated_on")},
            "status": lambda ex: sa.case((verdict_applies(ex.status), ex.status), else_=t.c.status),
            "first_seen": lambda ex: earliest(t.c.first_seen, ex.first_seen),
        }
        bulk.upsert_staged(conn, t, stage, keys=("campaign", "email"), updates=updates)


def known_leads(
    engine: Engine, campaign: str, day: str, emails: Sequence[str], surnames: Sequence[str]
) -> pd.DataFrame:
    """The campaign's leads first seen before `day` (KNOWN_COLUMNS) that could be one of the day's rows,
    for `harvest` to recognise repeats: those with one of `emails`, and those whose surname is one
    of `surnames` (case-folded) or is not plain ASCII (SQL cannot case-fold it as Python does).

    A superset the caller narrows, read through the (campaign, email) key rather than the whole
    table, so a day costs about the same after months of leads; the surname pass reads only the
    campaign's surnames, and only on a day with rows that have no email. Only earlier days count:
    a rerun of a day must not reject that day's own leads as duplicates of themselves.
    """
    t = schema.leads
    earlier = sa.select(*(t.c[c] for c in KNOWN_COLUMNS)).where(t.c.campaign == campaign, t.c.first_seen < day)
    found = [pd.DataFrame(columns=list(KNOWN_COLUMNS))]
    with engine.connect() as conn:
        for chunk in _chunks(sorted(set(emails))):
            found.append(bulk.read_frame(conn, earlier.where(t.c.email.in_(chunk)), list(KNOWN_COLUMNS)))
        wanted = sorted(set(surnames))
        if wanted:
            not_ascii = (
                t.c.last_name.op("GLOB")("*[^\x01-\x7f]*")
                if conn.dialect.name == "sqlite"
                else t.c.last_name.op("~")("[^\x01-\x7f]")
            )
            lowered = sa.func.lower(t.c.last_name)
            for chunk in _chunks(wanted):
                query = earlier.where(sa.or_(lowered.in_(chunk), not_ascii))
                found.append(bulk.read_frame(conn, query, list(KNOWN_COLUMNS)))
    known = pd.concat(found, ignore_index=True).drop_duplicates("email")
    return known.fillna("").astype("str").reset_index(drop=True)


def _chunks(values: list[str], size: int = 5000) -> Iterator[list[str]]:
    """Bounded IN lists: SQLite allows 32,766 parameters a statement."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def enrolled_before(engine: Engine, campaign: str, day: str, emails: Sequence[str]) -> pd.Series:
    """email -> sequence for those of `emails` enrolled in `campaign` on a day before `day`;
    read through the (campaign, email) key, so a day costs the same after months of enrolments."""
    e = schema.enrolments
    earlier = sa.select(e.c.email, e.c.sequence).where(e.c.campaign == campaign, e.c.enrolled_on < day)
    found = [pd.DataFrame(columns=["email", "sequence"])]
    with engine.connect() as conn:
        for chunk in _chunks(sorted(set(emails))):
            found.append(bulk.read_frame(conn, earlier.where(e.c.email.in_(chunk)), ["email", "sequence"]))
    return pd.concat(found, ignore_index=True).set_index("email")["sequence"].astype("str")


def save_routing(engine: Engine, campaign: str, day: str, routed: pd.DataFrame, stamp: Stamp) -> None:
    """Enrol new leads (once per campaign, ever) and record tier and sequence.

    Leads held back (active in another campaign) are not enrolled: they are `held`,
    and their reason says why.
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
            _move(conn, campaign, held["email"], LeadStatus.HELD, "held: active in another campaign", stamp)
        bulk.insert_ignoring_conflicts(conn, schema.enrolments, new.assign(campaign=campaign, enrolled_on=day))
        bulk.update_rows(
            conn,
            t,
            going,
            match={"email": "email"},
            values={"tier": "tier", "sequence": "sequence"},
            where=[t.c.campaign == campaign],
        )
        _move(conn, campaign, going["email"], LeadStatus.ENROLLED, "routing", stamp)


def close_enrolments(engine: Engine, campaign: str, emails: Sequence[str], day: str) -> None:
    """Mark these enrolments of `campaign` closed on `day` (never due again: see `planning`)."""
    e = schema.enrolments
    with engine.begin() as conn:
        for chunk in _chunks(sorted(set(emails))):
            conn.execute(
                e.update()
                .where(e.c.campaign == campaign, e.c.email.in_(chunk), e.c.closed_on.is_(None))
                .values(closed_on=day)
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


def _move(conn: Connection, campaign: str, emails: pd.Series, target: LeadStatus, cause: str, stamp: Stamp) -> int:
    """Move these leads of `campaign` to `target` where the lifecycle allows, each move audited; how many moved."""
    if emails.empty:
        return 0
    t = schema.leads
    with bulk.staged(conn, t, pd.DataFrame({"email": emails.drop_duplicates()})) as stage:
        chosen = (t.c.campaign == campaign, t.c.email.in_(sa.select(stage.c.email)), _may_become(t.c.status, target))
        moves = sa.select(t.c.campaign, t.c.email, t.c.status, sa.literal(target.value, sa.String)).where(*chosen)
        history.record_moves(conn, moves, cause, stamp)
        return int(conn.execute(t.update().where(*chosen).values(status=target.value)).rowcount)


def contacted(conn: Connection, campaign: str, emails: list[str], stamp: Stamp) -> None:
    """Move the leads a batch was delivered to to `contacted`, in the caller's transaction (the one
    that records the batch's outcomes, so a kill leaves both or neither)."""
    schema.lock_campaign_leads(conn, campaign)
    _move(conn, campaign, pd.Series(emails, dtype="str"), LeadStatus.CONTACTED, "sent", stamp)


def move_leads(engine: Engine, campaign: str, moves: pd.DataFrame, stamp: Stamp) -> int:
    """Apply `moves` (email, status, cause) where the lifecycle allows, in one transaction; how many moved."""
    moved = 0
    if moves.empty:
        return moved
    with _writing_leads(engine, campaign) as conn:
        for (status, cause), group in moves.groupby(["status", "cause"], sort=True):
            moved += _move(conn, campaign, group["email"], LeadStatus(str(status)), str(cause), stamp)
    return moved


def mark(engine: Engine, campaign: str, email: str, status: str, stamp: Stamp, cause: str) -> str:
    """Move one lead by hand; refuses a change the lifecycle does not allow. The status it had."""
    [target] = lifecycle.statuses([status])
    t = schema.leads
    email = email.strip().lower()
    with _writing_leads(engine, campaign) as conn:
        current = conn.execute(sa.select(t.c.status).where(t.c.campaign == campaign, t.c.email == email)).scalar()
        if current is None:
            raise lifecycle.IllegalTransition(f"{email} is not a lead of campaign {campaign}")
        lifecycle.check_transition(current, target)
        _move(conn, campaign, pd.Series([email]), target, cause, stamp)
        return str(current)


def pause_lead(engine: Engine, campaign: str, email: str, until: str, stamp: Stamp, cause: str) -> bool:
    """Pause one lead's sequence until `until` (YYYY-MM-DD), where the lifecycle allows; whether it paused."""
    t = schema.leads
    with _writing_leads(engine, campaign) as conn:
        moved = _move(conn, campaign, pd.Series([email]), LeadStatus.PAUSED, cause, stamp)
        if moved:
            conn.execute(t.update().where(t.c.campaign == campaign, t.c.email == email).values(paused_until=until))
    return bool(moved)


def resume_paused(engine: Engine, campaign: str, day: str, stamp: Stamp) -> int:
    """Leads paused until `day` or earlier take up their sequence again (contacted); how many."""
    t = schema.leads
    due = sa.select(t.c.email).where(t.c.campaign == campaign, t.c.status == LeadStatus.PAUSED, t.c.paused_until <= day)
    with _writing_leads(engine, campaign) as conn:
        emails = pd.Series(conn.execute(due).scalars().all(), dtype="str")
        moved = _move(conn, campaign, emails, LeadStatus.CONTACTED, "back from out of office", stamp)
        if moved:
            conn.execute(
                t.update().where(t.c.campaign == campaign, t.c.email.in_(emails.tolist())).values(paused_until=None)
            )
    return moved
