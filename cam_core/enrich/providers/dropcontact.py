"""Dropcontact batch enrichment: submit people, then poll the request until it is done.

POST /v1/enrich/all with `data` (up to 250 people) answers a `request_id`;
GET /v1/enrich/all/{request_id} answers `success: false` ("not ready yet") while
Dropcontact works, then `success: true` with `data`, one record per person sent, in
order. The key goes in the `X-Access-Token` header. A credit is spent per email
found or verified. Polling waits `poll_every` seconds between asks, up to `max_wait`;
a batch still not ready then is an error, and its people stay pending for the next run.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from cam_core.http import ApiClient, ApiError

BASE_URL = "https://api.dropcontact.com"
SUBMIT_PATH = "/v1/enrich/all"
MAX_PER_BATCH = 250


def dropcontact_client(api_key: str, base_url: str = BASE_URL, timeout: float = 10.0, **kwargs: Any) -> ApiClient:
    return ApiClient("dropcontact", base_url, headers={"X-Access-Token": api_key}, timeout=timeout, **kwargs)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _employees(value: Any) -> float | None:
    """Dropcontact gives a band ("51-200") or a number; CAM keeps the band's lower end."""
    found = re.search(r"\d[\d,.]*", _text(value))
    return float(found.group(0).replace(",", "")) if found else None


def _best_email(emails: Any) -> str:
    if not isinstance(emails, list):
        return ""
    ranked = sorted(
        (e for e in emails if isinstance(e, dict) and e.get("email")),
        key=lambda e: not str(e.get("qualification", "")).startswith(("nominati", "catch")),
    )
    return _text(ranked[0]["email"]).lower() if ranked else ""


def _person(record: dict[str, Any]) -> dict[str, Any] | None:
    email = _best_email(record.get("email"))
    if not email and not record.get("job") and not record.get("linkedin"):
        return None  # Dropcontact echoes what it was sent; nothing found is not a match
    website = re.sub(r"^([a-z]+://)?(www\.)?", "", _text(record.get("website")).lower()).split("/")[0]
    return {
        "email": email,
        "first_name": _text(record.get("first_name")),
        "last_name": _text(record.get("last_name")),
        "title": _text(record.get("job")),
        "seniority": _text(record.get("job_level")),
        "department": _text(record.get("job_function")),
        "linkedin_url": _text(record.get("linkedin")),
        "country": _text(record.get("country")),
        "company": _text(record.get("company")),
        "domain": website,
        "industry": _text(record.get("naf5_des")),
        "employees": _employees(record.get("nb_employees")),
    }


class DropcontactBatch:
    """The `dropcontact` step of the enrichment waterfall."""

    name = "dropcontact"
    batch_size = MAX_PER_BATCH

    def __init__(
        self,
        api: ApiClient,
        poll_every: float = 5.0,
        max_wait: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api = api
        self.poll_every = poll_every
        self.max_wait = max_wait
        self.sleep = sleep

    def lookup(self, people: list[dict[str, str]]) -> list[dict[str, Any] | None]:
        data = [
            {
                k: v
                for k, v in (
                    ("email", p.get("email")),
                    ("linkedin", p.get("linkedin_url")),
                    ("first_name", p.get("first_name")),
                    ("last_name", p.get("last_name")),
                    ("website", p.get("domain")),
                    ("company", p.get("company")),
                )
                if v
            }
            for p in people
        ]
        submitted = self.api.request("POST", SUBMIT_PATH, json={"data": data, "siren": False, "language": "en"}).json()
        if not submitted.get("success") or not submitted.get("request_id"):
            raise ApiError("dropcontact", _text(submitted.get("reason")) or "the batch was not accepted")
        request_id = submitted["request_id"]
        waited = 0.0
        while True:
            answer = self.api.request("GET", f"{SUBMIT_PATH}/{request_id}").json()
            if answer.get("success"):
                records = list(answer.get("data") or [])
                records += [{}] * (len(people) - len(records))
                return [_person(r) if isinstance(r, dict) else None for r in records[: len(people)]]
            if waited >= self.max_wait:
                raise ApiError(
                    "dropcontact",
                    f"request {request_id} not ready after {waited:.0f}s "
                    f"({_text(answer.get('reason')) or 'still processing'})",
                )
            self.sleep(self.poll_every)
            waited += self.poll_every
