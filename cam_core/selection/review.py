"""The review queue: leads in a campaign's review band wait here for a person's decision.

`qualified` queues every lead it sends to review (`queue`), keeping any decision
already made. A person decides with `cam review approve|reject` or by dropping a
decisions CSV into `$CAM_HOME/reviews/` (`read_decisions_csv`, applied by a sensor).
The next materialization of the partition that queued the lead reads the decisions
(`decisions_for`) and qualifies or rejects it with "approved in review by <who>".

Decisions CSV: a header row and one row per lead, columns
`campaign,email,decision[,reviewer][,note]`, decision `approve` or `reject`
(also approved/rejected/yes/no).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cam_core.state import bulk, schema
from cam_core.vocabulary import ReviewStatus

_DECISION_WORDS = {
    "approve": ReviewStatus.APPROVED,
    "approved": ReviewStatus.APPROVED,
    "yes": ReviewStatus.APPROVED,
    "qualify": ReviewStatus.APPROVED,
    "reject": ReviewStatus.REJECTED,
    "rejected": ReviewStatus.REJECTED,
    "no": ReviewStatus.REJECTED,
}
CSV_COLUMNS = ("campaign", "email", "decision", "reviewer", "note")


class ReviewError(ValueError):
    """A decision that cannot be applied, with what to fix."""


def queue(engine: Engine, campaign: str, day: str, review: pd.DataFrame, now: dt.datetime) -> int:
    """Queue leads for review (columns email, icp_score, reason, score_breakdown).

    A lead already queued keeps its decision; a pending one gets the latest score,
    reason and day. Returns how many are pending for the campaign after queueing.
    """
    rows = review[review["email"] != ""]
    records = [
        {
            "campaign": campaign,
            "email": e,
            "day": day,
            "score": int(s),
            "reason": r,
            "score_breakdown": b,
            "status": ReviewStatus.PENDING,
            "decided_by": "",
            "note": "",
            "queued_at": now,
            "decided_at": None,
        }
        for e, s, r, b in rows[["email", "icp_score", "reason", "score_breakdown"]].itertuples(index=False)
    ]
    t = schema.review_queue
    with engine.begin() as conn:
        schema.lock_campaign_leads(conn, campaign)  # runs of one campaign queue the same rows
        still_pending = t.c.status == sa.literal_column(f"'{ReviewStatus.PENDING}'")
        bulk.upsert(
            conn,
            t,
            records,
            keys=("campaign", "email"),
            updates={
                c: (lambda ex, c=c: sa.case((still_pending, ex[c]), else_=t.c[c]))
                for c in ("day", "score", "reason", "score_breakdown")
            },
        )
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(t)
            .where(t.c.campaign == campaign, t.c.status == ReviewStatus.PENDING)
        ).scalar_one()


def listing(engine: Engine, campaign: str | None = None, status: str | None = ReviewStatus.PENDING) -> pd.DataFrame:
    t = schema.review_queue
    query = sa.select(
        t.c.campaign, t.c.email, t.c.day, t.c.score, t.c.status, t.c.decided_by, t.c.reason, t.c.note
    ).order_by(t.c.campaign, t.c.score.desc(), t.c.email)
    if campaign:
        query = query.where(t.c.campaign == campaign)
    if status:
        query = query.where(t.c.status == status)
    with engine.connect() as conn:
        return bulk.read_frame(conn, query)


@dataclass
class Decided:
    applied: list[tuple[str, str, str]]  # (campaign, email, day) now decided
    unknown: list[tuple[str, str]]  # (campaign, email) not in the queue

    @property
    def partitions(self) -> list[tuple[str, str]]:
        """(campaign, day) partitions to rerun so the decisions flow on."""
        return sorted({(c, d) for c, _, d in self.applied})


def decide(engine: Engine, decisions: list[tuple[str, str, str, str, str]], now: dt.datetime) -> Decided:
    """Apply (campaign, email, decision, reviewer, note) rows; a later decision replaces an earlier one."""
    t = schema.review_queue
    applied, unknown = [], []
    with engine.begin() as conn:
        for campaign, email, decision, reviewer, note in decisions:
            email = email.strip().lower()
            day = conn.execute(sa.select(t.c.day).where(t.c.campaign == campaign, t.c.email == email)).scalar()
            if day is None:
                unknown.append((campaign, email))
                continue
            conn.execute(
                t.update()
                .where(t.c.campaign == campaign, t.c.email == email)
                .values(status=decision, decided_by=reviewer, note=note, decided_at=now)
            )
            applied.append((campaign, email, day))
    return Decided(applied, unknown)


def decisions_for(engine: Engine, campaign: str) -> pd.DataFrame:
    """email -> decision, decided_by for the campaign's decided reviews."""
    t = schema.review_queue
    query = sa.select(t.c.email, t.c.status.label("decision"), t.c.decided_by).where(
        t.c.campaign == campaign, t.c.status != ReviewStatus.PENDING
    )
    with engine.connect() as conn:
        found = bulk.read_frame(conn, query, ["email", "decision", "decided_by"])
    return found.set_index("email")


def decision_word(text: str) -> str | None:
    return _DECISION_WORDS.get(text.strip().lower())


def read_decisions_csv(name: str, text: str, default_reviewer: str) -> list[tuple[str, str, str, str, str]]:
    """Parse a decisions CSV; a bad row raises ReviewError naming the file, row and field."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    if not rows:
        raise ReviewError(f"{name}: the file is empty; expected a header row: {','.join(CSV_COLUMNS)}")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in ("campaign", "email", "decision") if c not in header]
    if missing:
        raise ReviewError(
            f"{name}: row 1: missing column(s) {', '.join(missing)}; expected a header row: {','.join(CSV_COLUMNS)}"
        )
    col = {c: header.index(c) for c in CSV_COLUMNS if c in header}
    problems, out = [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {c: (row[i].strip() if i < len(row) else "") for c, i in col.items()}
        decision = decision_word(cells["decision"])
        if not cells["campaign"]:
            problems.append(f"row {number}: campaign is empty")
        if "@" not in cells["email"]:
            problems.append(f"row {number}: email {cells['email']!r} is not an address")
        if decision is None:
            problems.append(f"row {number}: decision {cells['decision']!r} must be approve or reject")
        if decision is not None and not problems:
            out.append(
                (
                    cells["campaign"],
                    cells["email"].lower(),
                    decision,
                    cells.get("reviewer") or default_reviewer,
                    cells.get("note", ""),
                )
            )
    if problems:
        raise ReviewError(
            f"{name}: "
            + "; ".join(problems[:10])
            + (" ..." if len(problems) > 10 else "")
            + "; fix the file and drop it again (nothing in it was applied)"
        )
    return out
