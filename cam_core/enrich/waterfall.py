"""Paid enrichment (the `enriched` stage, before verification): a waterfall of providers,
a cache in the database, a credit budget per run, and graceful degradation.

For each distinct person (by `enrichment_cache.lookup_keys`: email, else LinkedIn URL,
else Apollo's person id, else name at company domain) the providers are asked in the
campaign's waterfall order until one knows them. People found by Apollo's People Search
carry Apollo's id (`apollo_person_id`, kept in `extra`) and a hidden surname ("Lo***e"):
the id is what Apollo matches them by, and the hidden surname is never an identity nor
sent to a provider; the real surname a provider answers replaces it.

Answers, found or not, are cached, so a rerun or another campaign asks nobody again
until the answer is `cache_ttl_days` old. A run sends at most `credit_budget` lookups
(one credit each, the most a provider charges per person).

Enrichment only fills what a lead is missing (an address, title, seniority, industry,
size, country, LinkedIn, domain) and adds the signals scoring uses (department,
technologies, keywords, company description, latest funding date). A provider that
fails (down, rate-limited past patience, breaker open, bad key) does not fail the run:
its people are marked `pending` with the error and asked again next materialization.

Columns added: ENRICHED_COLUMNS and
- `enrichment_status`: off (no provider key), no_identifier, cached, enriched,
  not_found, pending (a provider failed; `enrichment_error` says how), over_budget;
- `enrichment_source`: the provider whose answer was used;
- `enrichment_error`: the failures met for the person, "" when none.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from cam_core.apollo import OBFUSCATION_MARK, PERSON_ID, person_ids
from cam_core.campaign.models import Enrichment
from cam_core.columns import ENRICHED_COLUMNS
from cam_core.enrich import cache as enrichment_cache
from cam_core.enrich.providers import Provider
from cam_core.http import ApiError, AuthError, CircuitOpen
from cam_core.vocabulary import EnrichmentStatus

#: Lead fields a provider may fill where the lead has nothing.
FILLABLE = (
    "email",
    "first_name",
    "last_name",
    "title",
    "seniority",
    "company",
    "domain",
    "industry",
    "employees",
    "country",
    "linkedin_url",
    *ENRICHED_COLUMNS,
)
_NUMERIC = ("employees", "open_jobs")
_PERSON_FIELDS = ("email", "linkedin_url", "first_name", "last_name", "domain", "company", PERSON_ID)


@dataclass
class EnrichmentRun:
    leads: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)  # by status, plus credits_spent, api_calls
    errors: list[str] = field(default_factory=list)  # one line per provider failure


def with_enrichment_columns(leads: pd.DataFrame) -> pd.DataFrame:
    """The lead table with every enrichment column present (empty), whatever answered."""
    out = leads.copy()
    for column in (*ENRICHED_COLUMNS, "linkedin_url", "seniority"):
        if column not in out:
            out[column] = np.nan if column in _NUMERIC else ""
    for column in ("enrichment_status", "enrichment_source", "enrichment_error"):
        out[column] = ""
    out["open_jobs"] = pd.to_numeric(out["open_jobs"], errors="coerce").astype("float64")
    return out


def _hidden_surnames(leads: pd.DataFrame) -> pd.Series:
    """True where the last name is as People Search shows it ("Lo***e"), not a name."""
    if "last_name" not in leads:
        return pd.Series(False, index=leads.index, dtype="bool")
    return leads["last_name"].fillna("").astype("str").str.contains(OBFUSCATION_MARK, regex=False)


def _identities(leads: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """Each lead's cache key and what providers are told about it (hidden surnames blanked)."""
    known = leads.reindex(columns=list(_PERSON_FIELDS)).fillna("").astype("str")
    known[PERSON_ID] = person_ids(leads)
    known["last_name"] = known["last_name"].where(~_hidden_surnames(leads), "")
    keys = enrichment_cache.lookup_keys(known)
    # Apollo's id outranks a name (a hidden surname is none), never an address or a profile.
    by_id = ("apollo:" + known[PERSON_ID]).where(known[PERSON_ID] != "", keys)
    keys = keys.where(keys.str.startswith(("email:", "linkedin:")), by_id).astype("str")
    return keys, known


def enrich(
    leads: pd.DataFrame, providers: list[Provider], engine: Engine, settings: Enrichment, now: datetime
) -> EnrichmentRun:
    """Fill in what providers know about each lead, cheaply and without failing on outages."""
    out = with_enrichment_columns(leads)
    if not providers:
        out["enrichment_status"] = EnrichmentStatus.OFF.value
        return EnrichmentRun(out, {EnrichmentStatus.OFF: len(out)})
    keys, known = _identities(out)
    wanted = keys[keys != ""].drop_duplicates()
    people = dict(zip(wanted, known.loc[wanted.index].to_dict("records"), strict=True))
    names = [p.name for p in providers]
    cached = enrichment_cache.load(engine, list(people), names, settings.cache_ttl_days, now)

    answers: dict[str, tuple[str, dict[str, Any], bool]] = {}  # key -> (provider, answer, from cache)
    errors: dict[str, list[str]] = defaultdict(list)
    over_budget: set[str] = set()
    credits, calls, run_errors = 0, 0, []
    for provider in providers:
        remaining = [k for k in people if k not in answers]
        to_ask = []
        for key in remaining:
            if (key, provider.name) in cached:
                answer = cached[(key, provider.name)]
                if answer is not None:
                    answers[key] = (provider.name, answer, True)
            else:
                to_ask.append(key)
        room = max(settings.credit_budget - credits, 0)
        over_budget.update(to_ask[room:])
        to_ask = to_ask[:room]
        for start in range(0, len(to_ask), provider.batch_size):
            chunk = to_ask[start : start + provider.batch_size]
            try:
                calls += 1
                found = provider.lookup([people[k] for k in chunk])
            except ApiError as exc:
                message = str(exc)
                run_errors.append(message)
                failed = to_ask[start:] if isinstance(exc, (AuthError, CircuitOpen)) else chunk
                for key in failed:
                    errors[key].append(message)
                if isinstance(exc, (AuthError, CircuitOpen)):
                    break  # the rest would fail the same way: leave the provider alone this run
                continue
            credits += len(chunk)
            fresh = dict(zip(chunk, found, strict=True))
            enrichment_cache.save(engine, provider.name, fresh, now)
            for key, answer in fresh.items():
                over_budget.discard(key)
                if answer is not None:
                    answers[key] = (provider.name, answer, False)

    status: dict[str, str] = {}
    for key in people:
        if key in answers:
            status[key] = EnrichmentStatus.CACHED if answers[key][2] else EnrichmentStatus.ENRICHED
        elif errors.get(key):
            status[key] = EnrichmentStatus.PENDING
        elif key in over_budget:
            status[key] = EnrichmentStatus.OVER_BUDGET
        else:
            status[key] = EnrichmentStatus.NOT_FOUND
    out["enrichment_status"] = keys.map(status).fillna(EnrichmentStatus.NO_IDENTIFIER.value).astype("str")
    out["enrichment_error"] = (
        keys.map({k: "; ".join(dict.fromkeys(v)) for k, v in errors.items()}).fillna("").astype("str")
    )
    out["enrichment_source"] = keys.map({k: v[0] for k, v in answers.items()}).fillna("").astype("str")
    out = _fill(out, keys, {k: v[1] for k, v in answers.items()})
    counts = out["enrichment_status"].value_counts().to_dict()
    counts.update(credits_spent=credits, api_calls=calls)
    return EnrichmentRun(out, {str(k): int(v) for k, v in counts.items()}, list(dict.fromkeys(run_errors)))


def _fill(out: pd.DataFrame, keys: pd.Series, answers: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Where a lead's field is empty, take the provider's value (vectorised per column)."""
    if not answers:
        return out
    found = pd.DataFrame.from_dict(answers, orient="index")
    for column in FILLABLE:
        if column not in found:
            continue
        theirs = keys.map(found[column])
        if column in _NUMERIC:
            mine = pd.to_numeric(out[column], errors="coerce")
            out[column] = mine.where(mine.notna(), pd.to_numeric(theirs, errors="coerce")).astype("float64")
        else:
            mine = out[column].fillna("").astype("str")
            theirs = theirs.fillna("").astype("str")
            if column == "email":
                theirs = theirs.str.strip().str.lower()
            empty = mine == ""
            if column == "last_name":  # the real surname replaces the hidden one Search gave
                empty |= mine.str.contains(OBFUSCATION_MARK, regex=False) & (theirs != "")
            out[column] = mine.where(~empty, theirs).astype("str")
    return out
