"""LinkedIn URLs in one spelling, so a person is recognised whoever wrote the link.

Profile links become `https://www.linkedin.com/in/<slug>` (any host spelling,
query, fragment and trailing slash dropped, lower-case); other LinkedIn links
(Sales Navigator leads) keep their case-sensitive id, without query. Shared:
intake normalises the column and deduplicates by it, enrichment caches answers
under it.
"""

from __future__ import annotations

import pandas as pd

from cam_core.frames import extract

PROFILE_PREFIX = "https://www.linkedin.com/in/"


def linkedin_urls(values: pd.Series) -> pd.Series:
    raw = values.fillna("").astype("str").str.strip()
    bare = raw.str.replace(r"^(?i:https?://)?", "", regex=True).str.replace(r"[?#].*", "", regex=True)
    bare = bare.str.rstrip("/")
    profile = extract(bare, r"^(?i:[a-z]{2,3}\.|www\.)?(?i:linkedin\.com/in/)(?P<slug>[^/]+)")
    other = extract(bare, r"^(?i:[a-z]{2,3}\.|www\.)?(?i:linkedin\.com/)(?P<path>.+)")
    canonical = (PROFILE_PREFIX + profile.str.lower()).where(profile.notna())
    fallback = ("https://www.linkedin.com/" + other).where(other.notna(), "")
    return canonical.fillna(fallback).fillna("").astype("str")


def profile_urls(values: pd.Series) -> pd.Series:
    """The canonical profile URL of each value, "" for anything but a person's profile."""
    canonical = linkedin_urls(values)
    return canonical.where(canonical.str.startswith(PROFILE_PREFIX), "")
