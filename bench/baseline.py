"""The row-by-row way: one ORM object and one commit per lead, Python loops for scoring.

This is how per-lead ORM pipelines are usually written (and how CAM's predecessor
was): read a row, normalise it, look the email up, score it rule by rule in a
Python loop, decide, add one `Lead` and commit; then enrol each qualified lead
with its own commit. It does the same work as harvest -> routed on the same file.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from cam_core.campaign.models import Campaign
from cam_core.vocabulary import Tier

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ROLES = {"info", "sales", "contact", "hello", "support", "admin"}
_FREE = {"gmail.com", "outlook.com", "yahoo.com", "proton.me"}
_DISPOSABLE = {"mailinator.com"}
_FIELDS = {
    "title": "Title",
    "seniority": "Seniority",
    "industry": "Industry",
    "employees": "# Employees",
    "country": "Country",
    "company": "Company",
}


class Base(DeclarativeBase):
    pass


class Lead(Base):
    __tablename__ = "baseline_leads"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), index=True)
    first_name: Mapped[str]
    last_name: Mapped[str]
    title: Mapped[str]
    company: Mapped[str]
    score: Mapped[int]
    breakdown: Mapped[str]
    status: Mapped[str]
    reason: Mapped[str]
    tier: Mapped[str | None]


class Enrolment(Base):
    __tablename__ = "baseline_enrolments"
    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("baseline_leads.id"))
    sequence: Mapped[str]


def _score(row: dict[str, str], campaign: Campaign) -> tuple[int, str]:
    points, reasons = 0, []
    for rule in campaign.icp.rules:
        value = row.get(_FIELDS[rule.field], "") or ""
        if rule.any_of is not None:
            for word in rule.any_of:
                if re.search(r"(?<![\w])" + re.escape(word) + r"(?![\w])", value, re.IGNORECASE):
                    points += rule.points
                    reasons.append(f"{rule.name} {rule.points:+d} ({rule.field}: {word})")
                    break
        else:
            assert rule.between is not None  # a rule gives exactly one of any_of and between
            try:
                number = float(value.replace(",", ""))
            except ValueError:
                continue
            if rule.between[0] <= number <= rule.between[1]:
                points += rule.points
                reasons.append(f"{rule.name} {rule.points:+d} ({rule.field}: {value})")
    best = sum(r.points for r in campaign.icp.rules if r.points > 0)
    return round(100 * max(points, 0) / best), "; ".join(reasons)


def run(path: Path, campaign: Campaign, database_url: str, limit: int) -> int:
    """Process the first `limit` rows; returns leads stored."""
    engine = sa.create_engine(database_url)
    Base.metadata.create_all(engine)
    stored = 0
    t = campaign.tiers
    with Session(engine) as session, path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            if number >= limit:
                break
            email = (row.get("Email") or "").strip().lower()
            if not email or not _EMAIL.match(email):
                continue
            if session.query(Lead).filter_by(email=email).first() is not None:
                continue  # duplicate
            local, domain = email.split("@", 1)
            value, breakdown = _score(row, campaign)
            if domain in _DISPOSABLE:
                status, reason = "rejected", "disposable email domain"
            elif local in _ROLES:
                status, reason = "rejected", "role account, not a person"
            elif value >= campaign.qualification.qualify_at:
                status, reason = "qualified", f"score {value} >= qualify_at"
            elif value >= campaign.qualification.review_at:
                status, reason = "review", "review band"
            else:
                status, reason = "rejected", "below review_at"
            tier = None
            if status == "qualified":
                tier = "hot" if value >= t.hot else "warm" if value >= t.warm else "cool" if value >= t.cool else "cold"
            lead = Lead(
                email=email,
                first_name=row.get("First Name", ""),
                last_name=row.get("Last Name", ""),
                title=row.get("Title", ""),
                company=row.get("Company", ""),
                score=value,
                breakdown=breakdown,
                status=status,
                reason=reason,
                tier=tier,
            )
            session.add(lead)
            session.commit()
            stored += 1
            if tier is not None:
                session.add(Enrolment(lead_id=lead.id, sequence=campaign.routing[Tier(tier)]))
                session.commit()
    engine.dispose()
    return stored
