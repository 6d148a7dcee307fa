"""Why a lead stands where it does, in words: `cam leads explain EMAIL --campaign C`.

Besides its score, verdict and review, a lead's steps in the send ledger, each with
its status and, where it failed (a provider's refusal, a template that failed on the
lead's data), the reason.
"""

from __future__ import annotations

import re

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cam_core.state import schema

_RULE = re.compile(r"(?P<rule>[a-z0-9_]+) (?P<points>[+-]\d+) \((?P<field>[a-z_]+): (?P<matched>.*?)\)(?=; |$)")


def breakdown_rows(breakdown: str) -> pd.DataFrame:
    """`score_breakdown` as a table: part (fit / opportunity), rule, points, field, matched."""
    rows = []
    for section in (breakdown or "").split(" | "):
        part, body = "fit", section
        head = re.match(r"^(fit|opportunity) \d+: (.*)$", section)
        if head:
            part, body = head.group(1), head.group(2)
        elif section.startswith("score = "):
            continue
        for found in _RULE.finditer(body):
            rows.append(
                {
                    "part": part,
                    "rule": found["rule"],
                    "points": int(found["points"]),
                    "field": found["field"],
                    "matched": found["matched"],
                }
            )
    return pd.DataFrame(rows, columns=["part", "rule", "points", "field", "matched"])


def explain(engine: Engine, campaign: str, email: str) -> str | None:
    """A few lines a person can read, or None when the campaign has no such lead."""
    email = email.strip().lower()
    t, q, s = schema.leads, schema.review_queue, schema.sends
    with engine.connect() as conn:
        lead = conn.execute(sa.select(t).where(t.c.campaign == campaign, t.c.email == email)).mappings().first()
        queued = conn.execute(sa.select(q).where(q.c.campaign == campaign, q.c.email == email)).mappings().first()
        sends = (
            conn.execute(
                sa.select(s.c.step, s.c.sequence, s.c.variant, s.c.send_day, s.c.status, s.c.error)
                .where(s.c.campaign == campaign, s.c.email == email)
                .order_by(s.c.step)
            )
            .mappings()
            .all()
        )
    if lead is None:
        return None
    lines = [
        f"{email} in {campaign}: {lead['status']}, score {lead['icp_score']}"
        + (f", tier {lead['tier']}, sequence {lead['sequence']}" if lead["tier"] else ""),
        f"reason: {lead['reason']}",
    ]
    total = re.search(r"score = (.*)$", lead["score_breakdown"] or "")
    if total:
        lines.append(f"score: {total.group(1)}")
    rules = breakdown_rows(lead["score_breakdown"])
    if rules.empty:
        lines.append("rules: none fired")
    else:
        lines.append("rules that fired:")
        lines += [f"  {r.part:<11} {r.rule:<24} {r.points:+4d}  {r.field}: {r.matched}" for r in rules.itertuples()]
    if queued is not None:
        decided = f" by {queued['decided_by']}" if queued["decided_by"] else ""
        lines.append(
            f"review: {queued['status']}{decided} (queued on {queued['day']})"
            + (f", note: {queued['note']}" if queued["note"] else "")
        )
    lines.append("sends:" if sends else "sends: none")
    lines += [
        f"  step {r['step']} ({r['sequence']}, variant {r['variant']}) on {r['send_day']}: {r['status']}"
        + (f": {r['error']}" if r["error"] else "")
        for r in sends
    ]
    return "\n".join(lines)
