"""Apollo People API Search as a lead source for a campaign and day.

`POST /api/v1/mixed_people/api_search` with the campaign's filters, page by
page (at most `max_pages` calls, at most `credit_cap` people). The search costs
no credits but returns no emails: the people found become leads without an
email (`needs_email`), for enrichment (Apollo people match) to complete.

The results are landed as a CSV (`apollo_search.<hash>.csv`) in the partition's
landed folder, like any dropped file, so `harvest` reads them the same way and a
rerun of the partition reads the stored results instead of searching (and
paying) again. The API key travels in the `x-api-key` header only; it is never
logged or written anywhere.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cam_core.apollo import PERSON_ID, SEARCH_PATH
from cam_core.campaign.models import ApolloSearch
from cam_core.columns import FULL_NAME, MAPPABLE_FIELDS
from cam_core.http import ApiClient
from cam_core.intake.landing import land_file
from cam_core.settings import HomeLayout

RESULT_STEM = "apollo_search"
#: The lead fields a search result fills (no address: enrichment finds it), and Apollo's id of the person.
RESULT_COLUMNS = (*(f for f in MAPPABLE_FIELDS if f not in ("email", FULL_NAME)), PERSON_ID)


@dataclass
class SearchOutcome:
    people: pd.DataFrame  # RESULT_COLUMNS, one row per person found
    pages: int  # search calls made
    total: int | None  # people Apollo says match, where it says


def request_body(search: ApolloSearch, page: int) -> dict[str, Any]:
    body: dict[str, Any] = {"page": page, "per_page": search.per_page}
    filters = {
        "person_titles": search.titles,
        "person_seniorities": list(search.seniorities),
        "person_locations": search.locations,
        "organization_num_employees_ranges": search.employee_ranges,
        "q_organization_keyword_tags": search.industries,
    }
    body.update({k: v for k, v in filters.items() if v})
    if search.keywords:
        body["q_keywords"] = " ".join(search.keywords)
    return body


def _row(person: dict[str, Any]) -> dict[str, str]:
    org = person.get("organization") or {}
    last = str(person.get("last_name") or "")
    return {
        "first_name": str(person.get("first_name") or ""),
        # The search hides most of the surname ("Lo***e"); the hint keeps two Adas at one company apart
        # until enrichment (people match) brings the real name.
        "last_name": last or str(person.get("last_name_obfuscated") or ""),
        "title": str(person.get("title") or ""),
        "seniority": str(person.get("seniority") or ""),
        "company": str(org.get("name") or person.get("organization_name") or ""),
        "website": str(org.get("website_url") or ""),
        "domain": str(org.get("primary_domain") or ""),
        "industry": str(org.get("industry") or ""),
        "employees": str(org.get("estimated_num_employees") or ""),
        "country": str(person.get("country") or ""),
        "linkedin_url": str(person.get("linkedin_url") or ""),
        PERSON_ID: str(person.get("id") or ""),
    }


def search_people(client: ApiClient, search: ApolloSearch) -> SearchOutcome:
    """Every page the caps allow; 429 and 5xx are retried by the client, a bad key raises AuthError."""
    rows: list[dict[str, str]] = []
    total: int | None = None
    page = 0
    while page < search.max_pages and len(rows) < search.credit_cap:
        page += 1
        body = client.request("POST", SEARCH_PATH, json=request_body(search, page)).json()
        people = body.get("people") or []
        rows += [_row(p) for p in people]
        pagination = body.get("pagination") or {}
        total = body.get("total_entries", pagination.get("total_entries", total))
        last_page = pagination.get("total_pages")
        if len(people) < search.per_page or (last_page is not None and page >= int(last_page)):
            break
    frame = pd.DataFrame(rows[: search.credit_cap], columns=list(RESULT_COLUMNS)).fillna("")
    return SearchOutcome(people=frame, pages=page, total=None if total is None else int(total))


def landed_results(home: HomeLayout, campaign: str, day: str) -> Path | None:
    """The partition's stored search results, if it has searched already."""
    folder = home.landed_dir(campaign, day)
    found = sorted(folder.glob(f"{RESULT_STEM}.*.csv")) if folder.is_dir() else []
    return found[0] if found else None


def land_results(home: HomeLayout, campaign: str, day: str, people: pd.DataFrame) -> Path:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / f"{RESULT_STEM}.csv"
        people.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        landed, _ = land_file(home, path, campaign, day)
    return landed
