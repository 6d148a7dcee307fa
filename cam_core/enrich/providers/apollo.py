"""Apollo People Enrichment, in bulk: POST /api/v1/people/bulk_match, at most 10 people a call.

Each person is sent with what the lead knows: Apollo's own id of the person when People
Search found them (`apollo_person_id`; the only way Apollo matches a search result, whose
surname it shows hidden as "Lo***e"), email, LinkedIn URL, first and last name, company
domain and name. A hidden surname is never sent, nor the first name that goes with it:
Apollo matches nobody by them, or worse the wrong person.

Apollo answers `matches`, aligned with the `details` sent, `null` where it found nobody.
Apollo charges a credit per person it returns data for, never for a miss. Personal
(free-mail) emails are only revealed when the campaign asks.
"""

from __future__ import annotations

from typing import Any

from cam_core.apollo import MATCH_PATH, MAX_MATCH_PER_CALL, PERSON_ID, is_obfuscated
from cam_core.http import ApiClient


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v.get("name", v)) if isinstance(v, dict) else str(v) for v in value if v)
    return "" if value is None else str(value).strip()


def _person(match: dict[str, Any]) -> dict[str, Any]:
    """An Apollo person as CAM lead fields."""
    org = match.get("organization") or {}
    email = _text(match.get("email")).lower()
    if email.startswith("email_not_unlocked") or "@" not in email:
        email = ""  # Apollo's placeholder for an address the plan did not reveal
    technologies = org.get("technology_names") or org.get("current_technologies") or []
    funding = _text(org.get("latest_funding_round_date"))[:10]
    return {
        "email": email,
        "first_name": _text(match.get("first_name")),
        "last_name": _text(match.get("last_name")),
        "title": _text(match.get("title")),
        "seniority": _text(match.get("seniority")),
        "department": _text(match.get("departments")),
        "linkedin_url": _text(match.get("linkedin_url")),
        "country": _text(match.get("country")),
        "company": _text(org.get("name")),
        "domain": _text(org.get("primary_domain")).lower(),
        "industry": _text(org.get("industry")),
        "employees": org.get("estimated_num_employees"),
        "technologies": _text(technologies),
        "keywords": _text(org.get("keywords")),
        "company_description": _text(org.get("short_description")),
        "latest_funding_date": funding,
    }


def detail(person: dict[str, str]) -> dict[str, str]:
    """One person as a bulk_match `details` entry: what identifies them, nothing empty or hidden."""
    last = person.get("last_name") or ""
    # With a hidden surname the first name alone could only match the wrong person.
    named = not is_obfuscated(last)
    fields = (
        ("id", person.get(PERSON_ID)),
        ("email", person.get("email")),
        ("linkedin_url", person.get("linkedin_url")),
        ("first_name", person.get("first_name") if named else None),
        ("last_name", last if named else None),
        ("domain", person.get("domain")),
        ("organization_name", person.get("company")),
    )
    return {k: v for k, v in fields if v}


class ApolloMatch:
    """The `apollo` step of the enrichment waterfall."""

    name = "apollo"
    batch_size = MAX_MATCH_PER_CALL

    def __init__(self, api: ApiClient, reveal_personal_emails: bool = False) -> None:
        self.api = api
        self.reveal_personal_emails = reveal_personal_emails

    def lookup(self, people: list[dict[str, str]]) -> list[dict[str, Any] | None]:
        """One call for up to 10 people; an answer (or None) per person, in order."""
        if len(people) > MAX_MATCH_PER_CALL:
            raise ValueError(f"Apollo bulk_match takes at most {MAX_MATCH_PER_CALL} people a call, got {len(people)}")
        details = [detail(p) for p in people]
        body = self.api.request(
            "POST",
            MATCH_PATH,
            json={
                "details": details,
                "reveal_personal_emails": self.reveal_personal_emails,
                "reveal_phone_number": False,
            },
        ).json()
        matches = list(body.get("matches") or [])
        matches += [None] * (len(people) - len(matches))
        return [_person(m) if isinstance(m, dict) else None for m in matches[: len(people)]]
