"""How long scoring, qualification and routing take on many leads (not a test).

    .venv/bin/python bench/selection.py [--leads 1000000]

Generates synthetic leads already through verification (the columns `enriched`
leaves), then times `score_campaign`, `qualify` and `route` with the demo campaign
plus opportunity rules, routing rules, review decisions and exclusivity holds.
Prints seconds per stage and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
import pandas as pd
import yaml

from cam_core.campaign.demo import demo_campaign_yaml
from cam_core.campaign.models import Campaign
from cam_core.selection.qualification import qualify
from cam_core.selection.routing import route
from cam_core.selection.scoring import score_campaign

TITLES = [
    "CTO",
    "Chief Technology Officer",
    "VP Engineering",
    "Head of Data",
    "Director of Engineering",
    "Marketing Director",
    "Sales Coordinator",
    "Software Engineer",
    "Co-founder & CEO",
    "Office Manager",
    "Data Engineering Manager",
    "Director",
]
SENIORITY = ["c_suite", "vp", "head", "director", "manager", "senior", "entry", "founder", ""]
INDUSTRIES = [
    "Computer Software",
    "Information Technology",
    "Financial Services",
    "SaaS",
    "Retail",
    "Construction",
    "Education",
    "Fintech",
    "",
]
COUNTRIES = ["United States", "United Kingdom", "Germany", "France", "Brazil", "India", "Japan", ""]
TECH = ["Snowflake, dbt", "Oracle", "Databricks", "", "PostgreSQL, Looker", "dbt"]
DESCRIPTIONS = ["A data platform for retailers", "Analytics for banks", "We build bridges", "", "Robot alert systems"]


def campaign() -> Campaign:
    raw = yaml.safe_load(demo_campaign_yaml())
    raw.update(
        name="bench",
        opportunity={
            "rules": [
                {"name": "hiring", "field": "open_jobs", "between": [1, 10000], "points": 30},
                {"name": "recent_funding", "field": "months_since_funding", "between": [0, 12], "points": 40},
                {
                    "name": "modern_stack",
                    "field": "technologies",
                    "any_of": ["snowflake", "dbt", "databricks"],
                    "points": 20,
                },
                {
                    "name": "data_story",
                    "field": "company_description",
                    "any_of": ["data platform", "analytics"],
                    "points": 10,
                },
            ]
        },
        weights={"fit": 0.7, "opportunity": 0.3},
        routing_rules=[
            {"name": "dach", "field": "country", "any_of": ["germany"], "sequence": "standard"},
            {"name": "founders", "field": "seniority", "any_of": ["founder"], "tiers": ["hot"], "sequence": "standard"},
        ],
        exclusivity_days=30,
    )
    return Campaign.model_validate(raw)


def leads(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def pick(values: list[str]) -> np.ndarray:
        return np.asarray(values, dtype=object)[rng.integers(0, len(values), n)]

    funded = pd.Timestamp("2026-11-24") - pd.to_timedelta(rng.integers(0, 1500, n), unit="D")
    return pd.DataFrame(
        {
            "email": pd.Series(np.arange(n)).astype("str").radd("lead").add("@company.example"),
            "title": pick(TITLES),
            "seniority": pick(SENIORITY),
            "industry": pick(INDUSTRIES),
            "employees": rng.choice([12, 35, 80, 150, 500, 1200, 4500, np.nan], n),
            "country": pick(COUNTRIES),
            "company": "Acme",
            "domain": "company.example",
            "technologies": pick(TECH),
            "company_description": pick(DESCRIPTIONS),
            "open_jobs": rng.choice([0, 1, 4, np.nan], n),
            "latest_funding_date": np.where(rng.random(n) < 0.5, funded.strftime("%Y-%m-%d"), ""),
            "email_valid": rng.random(n) > 0.02,
            "email_problem": "",
            "role_account": rng.random(n) < 0.02,
            "free_mail": rng.random(n) < 0.05,
            "disposable": rng.random(n) < 0.005,
            "competitor": rng.random(n) < 0.001,
            "mx": "unknown",
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    n = parser.parse_args().leads
    c = campaign()
    frame = leads(n)
    suppressed = pd.Series("unsubscribed", index=frame["email"].sample(frac=0.01, random_state=1).to_numpy())
    timings = {}

    start = time.perf_counter()
    scored, _ = score_campaign(frame, c, as_of="2026-11-24")
    timings["score"] = time.perf_counter() - start

    review_band = scored["email"].sample(frac=0.02, random_state=2).to_numpy()
    decisions = pd.DataFrame({"decision": "approved", "decided_by": "bench"}, index=review_band)
    start = time.perf_counter()
    qualified = qualify(scored, c.qualification, suppressed, decisions)
    timings["qualify"] = time.perf_counter() - start

    enrolled = pd.Series("standard", index=frame["email"].sample(frac=0.1, random_state=3).to_numpy())
    elsewhere = pd.Series(
        "campaign other since 2026-11-20", index=frame["email"].sample(frac=0.05, random_state=4).to_numpy()
    )
    start = time.perf_counter()
    routed = route(qualified, c, enrolled, elsewhere)
    timings["route"] = time.perf_counter() - start

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"leads: {n:,}  python {sys.version.split()[0]}  pandas {pd.__version__}")
    for stage, seconds in timings.items():
        print(f"{stage:<8} {seconds:6.2f} s")
    print(f"total    {sum(timings.values()):6.2f} s")
    print(f"verdicts {qualified['qualification'].value_counts().to_dict()}")
    print(f"routed   {len(routed):,} ({routed['enrolment'].value_counts().to_dict()})")
    print(f"peak RSS {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
