"""Apollo's API as CAM calls it from two stages: People Search (intake, a lead source)
and bulk people match (enrichment). One client for both: one base URL, one way of
sending the key (the `x-api-key` header only, never a URL or a log line), one
retry policy and breaker.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pandas as pd

from cam_core.http import ApiClient, CircuitBreaker, RetryPolicy

DEFAULT_BASE_URL = "https://api.apollo.io"
SEARCH_PATH = "/api/v1/mixed_people/api_search"
MATCH_PATH = "/api/v1/people/bulk_match"
#: Apollo's documented limit for bulk_match.
MAX_MATCH_PER_CALL = 10
#: The lead attribute (an `extra` key of harvested search results) holding Apollo's id of the person.
PERSON_ID = "apollo_person_id"
#: Apollo's id as `harvest` keeps it in `extra` (JSON; pandas escapes "/" as "\/").
_PERSON_ID_IN_EXTRA = rf'"{PERSON_ID}"\s*:\s*"((?:[^"\\]|\\.)*)"'
#: How People Search hides most of a surname ("Lo***e"): such a name identifies nobody.
OBFUSCATION_MARK = "*"


def is_obfuscated(name: str) -> bool:
    """A name as People Search shows it, not as the person writes it."""
    return OBFUSCATION_MARK in name


def person_ids(leads: pd.DataFrame) -> pd.Series:
    """Apollo's id of each lead's person ("" when unknown): its own column, else the `extra` attribute.

    Read by `harvest` (one person per id) and enrichment (Apollo matches searched people by it).
    """
    ids = pd.Series("", index=leads.index, dtype="str")
    if "extra" in leads:
        found = leads["extra"].fillna("").astype("str").str.extract(_PERSON_ID_IN_EXTRA, expand=False)
        ids = found.fillna("").str.replace(r"\\(.)", r"\1", regex=True).str.strip().astype("str")
    if PERSON_ID in leads:
        own = leads[PERSON_ID].fillna("").astype("str").str.strip()
        ids = own.where(own != "", ids).astype("str")
    return ids


def retry_policy(attempts: int = 5, base_delay: float = 1.0) -> RetryPolicy:
    """Apollo answers 429 with a Retry-After that can reach a minute; waiting it out beats failing the run."""
    return RetryPolicy(attempts=attempts, base_delay=base_delay, max_wait=120)


def apollo_client(
    api_key: str,
    base_url: str = DEFAULT_BASE_URL,
    timeout: float = 10.0,
    retry: RetryPolicy | None = None,
    breaker: CircuitBreaker | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ApiClient:
    headers = {"x-api-key": api_key, "Cache-Control": "no-cache", "accept": "application/json"}
    return ApiClient(
        "apollo",
        base_url,
        headers=headers,
        timeout=timeout,
        retry=retry or retry_policy(),
        breaker=breaker or CircuitBreaker(failure_threshold=5),
        sleep=sleep,
    )
