"""A campaign's `intake:` block: how its files' columns map, and the Apollo search it runs.

    intake:
      columns: {"Mail Pro": email, "Boîte": company}   # file header -> lead field; wins over auto-mapping
      apollo_search:                                   # People Search as a lead source (needs APOLLO_API_KEY)
        titles: [CTO, VP Engineering]
        seniorities: [c_suite, vp]
        locations: [Germany, France]
        employee_ranges: ["51,200", "201,500"]
        keywords: [data platform]
        industries: [computer software]
        per_page: 100
        max_pages: 5          # page cap: at most this many search calls per partition
        credit_cap: 200       # at most this many people taken: each costs an enrichment credit to get an email
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cam_core.headers import MAPPABLE_FIELDS

APOLLO_SENIORITIES = ("owner", "founder", "c_suite", "partner", "vp", "head", "director", "manager", "senior",
                      "entry", "intern")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApolloSearch(_Strict):
    """Apollo People API Search filters and spending caps for one campaign."""

    titles: list[str] = []
    seniorities: list[Literal[APOLLO_SENIORITIES]] = []  # type: ignore[valid-type]
    locations: list[str] = []
    employee_ranges: list[str] = []
    keywords: list[str] = []
    industries: list[str] = []
    per_page: int = Field(default=100, ge=1, le=100)
    max_pages: int = Field(default=5, ge=1, le=500)
    credit_cap: int = Field(default=100, ge=1)

    @field_validator("employee_ranges")
    @classmethod
    def _ranges(cls, ranges: list[str]) -> list[str]:
        bad = [r for r in ranges if not re.fullmatch(r"\d+,\d+", r.replace(" ", ""))]
        if bad:
            raise ValueError(f"employee ranges are 'min,max' like \"51,200\"; got {', '.join(map(repr, bad))}")
        return [r.replace(" ", "") for r in ranges]


class Intake(_Strict):
    columns: dict[str, Literal[MAPPABLE_FIELDS]] = {}  # type: ignore[valid-type]
    apollo_search: ApolloSearch | None = None
