"""A fake Apollo People Enrichment (bulk_match) on 127.0.0.1, as strict as the real one.

- the key must come in the `x-api-key` header (401 otherwise);
- at most 10 `details` per call (422 with Apollo's message otherwise);
- `matches` is aligned with `details`, `null` for nobody found; credits only for matches;
- a person is found by `id` (Apollo's person id, from a search result), email, LinkedIn URL,
  or first and last name at a company domain; a last name as People Search shows it
  ("Lo***e") matches nobody, as with the real API;
- replies queued in `script` are served first (429, 500, slow answers...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tests.fakes.server import FakeServer, Reply, Request

KEY = "apollo-test-key"


def person(
    email: str,
    first: str,
    last: str,
    title: str,
    *,
    linkedin: str = "",
    seniority: str = "",
    departments: list[str] | None = None,
    country: str = "",
    company: str = "",
    domain: str = "",
    industry: str = "",
    employees: int | None = None,
    technologies: list[str] | None = None,
    keywords: list[str] | None = None,
    description: str = "",
    funded: str = "",
    person_id: str = "",
) -> dict[str, Any]:
    """A person as Apollo returns one (the fields CAM reads, and a few it does not)."""
    return {
        "id": person_id or f"apollo-{first.lower()}",
        "first_name": first,
        "last_name": last,
        "name": f"{first} {last}",
        "email": email,
        "email_status": "verified",
        "title": title,
        "seniority": seniority,
        "departments": departments or [],
        "linkedin_url": linkedin,
        "country": country,
        "city": "Somewhere",
        "organization": {
            "name": company,
            "primary_domain": domain,
            "industry": industry,
            "estimated_num_employees": employees,
            "technology_names": technologies or [],
            "keywords": keywords or [],
            "short_description": description,
            "latest_funding_round_date": f"{funded}T00:00:00.000+00:00" if funded else None,
        },
    }


class FakeApollo(FakeServer):
    def __init__(self, people: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__()
        self.people = list(people)
        self.script: list[Reply] = []
        self.credits = 0

    def _find(self, detail: dict[str, Any]) -> dict[str, Any] | None:
        if detail.get("id"):
            return next((p for p in self.people if p["id"] == detail["id"]), None)
        # People Search hides most of a surname; Apollo cannot match a name it only half knows.
        named = bool(detail.get("last_name")) and "*" not in detail["last_name"]
        for p in self.people:
            if detail.get("email") and detail["email"].lower() == p["email"].lower():
                return p
            if (
                detail.get("linkedin_url")
                and p["linkedin_url"]
                and detail["linkedin_url"].rstrip("/") == p["linkedin_url"].rstrip("/")
            ):
                return p
            if (
                (detail.get("first_name", "").lower(), detail.get("last_name", "").lower(), detail.get("domain"))
                == (
                    p["first_name"].lower(),
                    p["last_name"].lower(),
                    p["organization"]["primary_domain"],
                )
                and named
                and detail.get("domain")
            ):
                return p
        return None

    @property
    def match_calls(self) -> list[Request]:
        return [r for r in self.requests if r.path == "/api/v1/people/bulk_match"]

    def handle(self, request: Request) -> Reply:
        if request.headers.get("x-api-key") != KEY:
            return Reply(401, {"error": "Invalid access credentials."})
        if self.script:
            return self.script.pop(0)
        if request.method != "POST" or request.path != "/api/v1/people/bulk_match":
            return Reply(404, {"error": "Not Found"})
        details = (request.json or {}).get("details") or []
        if len(details) > 10:
            return Reply(
                422, {"error": "You can only enrich up to 10 people per request", "error_code": "INVALID_INPUT"}
            )
        matches = [self._find(d) for d in details]
        found = sum(m is not None for m in matches)
        self.credits += found
        return Reply(
            200,
            {
                "status": "success",
                "matches": matches,
                "credits_consumed": found,
                "total_requested_enrichments": len(details),
                "unique_enriched_records": found,
                "missing_records": len(details) - found,
            },
        )
