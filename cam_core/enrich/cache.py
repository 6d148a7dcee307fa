"""What enrichment providers answered, kept in the CAM database so nobody is paid for twice.

A person is looked up by one key, the best identifier the lead has:
- `email:<normalised email>` (trimmed, lower-case);
- `linkedin:linkedin.com/in/<slug>` (scheme, `www.`, country subdomain, query and
  trailing slash dropped, lower-case) for rows without an address;
- `apollo:<Apollo person id>` for rows with neither that People Search found (the id
  it gave, `cam_core.apollo.PERSON_ID`; built by `enrich.waterfall`, as Apollo matches
  such people by their id and a hidden surname "Lo***e" names nobody);
- `name:<first> <last>@<company domain>` for rows with none of these.
Each (key, provider) answer is kept, found or not, with its time; answers older than
the campaign's `cache_ttl_days` are asked again. A found person is also stored under
the other keys the answer carries (their email, their LinkedIn URL), so a campaign
that knows them another way reuses the answer too.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cam_core.linkedin import profile_urls
from cam_core.state import bulk, schema


def lookup_keys(leads: pd.DataFrame) -> pd.Series:
    """The cache key of each lead ("" when it has nothing to look a person up by)."""

    def text(column: str) -> pd.Series:
        return (
            leads[column].fillna("").astype("str").str.strip().str.lower()
            if column in leads
            else pd.Series("", index=leads.index)
        )

    email, domain = text("email"), text("domain")
    linkedin = profile_urls(text("linkedin_url"))
    first, last = text("first_name"), text("last_name")
    by_name = ("name:" + first + " " + last + "@" + domain).where((first != "") & (last != "") & (domain != ""), "")
    by_linkedin = ("linkedin:" + linkedin).where(linkedin != "", by_name)
    return ("email:" + email).where(email != "", by_linkedin).astype("str")


def keys_of_answer(answer: dict[str, Any]) -> list[str]:
    """Other keys a found person can be reached by."""
    keys = []
    if answer.get("email"):
        keys.append("email:" + str(answer["email"]).strip().lower())
    linkedin = profile_urls(pd.Series([answer.get("linkedin_url") or ""])).iloc[0]
    if linkedin:
        keys.append("linkedin:" + linkedin)
    return keys


def load(
    engine: Engine, keys: list[str], providers: list[str], ttl_days: int, now: datetime
) -> dict[tuple[str, str], dict[str, Any] | None]:
    """(key, provider) -> the answer (None: the provider does not know the person), fresh ones only."""
    oldest = now - timedelta(days=ttl_days)
    t = schema.enrichment_cache
    found: dict[tuple[str, str], dict[str, Any] | None] = {}
    with engine.connect() as conn:
        for start in range(0, len(keys), 2000):
            query = sa.select(t.c.lookup_key, t.c.provider, t.c.found, t.c.data, t.c.fetched_at).where(
                t.c.lookup_key.in_(keys[start : start + 2000]), t.c.provider.in_(providers)
            )
            for key, provider, hit, data, fetched_at in conn.execute(query):
                if fetched_at.tzinfo is None:  # SQLite hands back naive UTC
                    fetched_at = fetched_at.replace(tzinfo=UTC)
                if fetched_at >= oldest:
                    found[(key, provider)] = json.loads(data) if hit else None
    return found


def save(engine: Engine, provider: str, answers: dict[str, dict[str, Any] | None], now: datetime) -> None:
    """Store a provider's answers (key -> answer or None), also under the keys each answer carries."""
    rows: dict[str, dict[str, Any]] = {}
    for key, answer in answers.items():
        for k in [key, *(keys_of_answer(answer) if answer else [])]:
            if k not in rows or answer:
                rows[k] = {
                    "lookup_key": k[:400],
                    "provider": provider,
                    "found": answer is not None,
                    "data": json.dumps(answer or {}, ensure_ascii=False, default=str),
                    "fetched_at": now,
                }
    t = schema.enrichment_cache
    with engine.begin() as conn:
        bulk.upsert(
            conn,
            t,
            list(rows.values()),
            keys=("lookup_key", "provider"),
            updates={c: bulk.incoming(c) for c in ("found", "data", "fetched_at")},
        )
