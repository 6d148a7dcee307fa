"""A deterministic synthetic Apollo-format export of N leads, written in chunks (low memory)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from cam_core.campaign.demo import HEADER as DEMO_HEADER

HEADER = [*DEMO_HEADER, "Email Status", "Apollo Contact Id"]
_FIRST = np.array(
    ["Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Zoë", "José", "Søren", "Łukasz", "Priya"]
)
_LAST = np.array(
    ["Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Müller", "García", "Nørgaard", "Patel", "O'Brien"]
)
_TITLES = np.array(
    [
        "CTO",
        "VP Engineering",
        "Head of Data",
        "Director of Engineering",
        "Data Engineering Manager",
        "Software Engineer",
        "Marketing Director",
        "Sales Coordinator",
        "Office Manager",
        "Product Manager",
    ]
)
_SENIORITY = np.array(
    ["c_suite", "vp", "head", "director", "manager", "entry", "director", "entry", "manager", "manager"]
)
_INDUSTRIES = np.array(
    [
        "Computer Software",
        "Information Technology",
        "Financial Services",
        "SaaS",
        "Retail",
        "Construction",
        "Education",
        "Logistics and Supply Chain",
    ]
)
_COUNTRIES = np.array(
    ["United States", "United Kingdom", "Germany", "France", "Netherlands", "Canada", "Brazil", "India"]
)
_EMPLOYEES = np.array(["12", "35", "80", "150", "240", "500", "1,200", "1800", "4500", "12000"])
CHUNK = 100_000


def _chunk(start: int, stop: int, seed: int, domain_suffix: str, country: str | None) -> pd.DataFrame:
    rng = np.random.default_rng([seed, start])
    i = np.arange(start, stop)
    n = len(i)
    title = rng.integers(0, len(_TITLES), n)
    company_no = (i // 7).astype(str)
    first, last = _FIRST[rng.integers(0, len(_FIRST), n)], _LAST[rng.integers(0, len(_LAST), n)]
    local = np.char.add(np.char.add("person", i.astype(str)), "")
    domain = np.char.add(np.char.add("company", company_no), domain_suffix)
    email = pd.Series(np.char.add(np.char.add(local, "@"), domain), dtype="object")
    kind = i % 50
    email[kind == 7] = ""  # no email
    email[kind == 13] = pd.Series(np.char.add(np.char.add(local, "."), domain))[kind == 13]  # malformed
    email[kind == 17] = pd.Series(np.char.add("info@", domain))[kind == 17]  # role account
    email[kind == 21] = pd.Series(np.char.add(local, "@gmail.com"))[kind == 21]  # free mail
    email[kind == 29] = pd.Series(np.char.add(local, "@mailinator.com"))[kind == 29]  # disposable
    dup = kind == 41  # a re-export of the row before
    email[dup] = pd.Series([f"  {e.upper()} " for e in email.shift(1).fillna("")])[dup]
    return pd.DataFrame(
        {
            "First Name": first,
            "Last Name": last,
            "Title": _TITLES[title],
            "Seniority": _SENIORITY[title],
            "Company": np.char.add("Company ", company_no),
            "Website": np.char.add("https://www.", domain),
            "Industry": _INDUSTRIES[rng.integers(0, len(_INDUSTRIES), n)],
            "# Employees": _EMPLOYEES[rng.integers(0, len(_EMPLOYEES), n)],
            "Country": country or _COUNTRIES[rng.integers(0, len(_COUNTRIES), n)],
            "Email": email,
            "Person Linkedin Url": np.char.add("http://www.linkedin.com/in/person-", i.astype(str)),
            "Email Status": "Verified",
            "Apollo Contact Id": np.char.add("apollo-", i.astype(str)),
        },
        columns=HEADER,
    )


def rows(start: int, stop: int, seed: int = 20261125) -> pd.DataFrame:
    """Rows `start` to `stop` of the export (HEADER columns), as `write_export` writes them from `start` on."""
    return _chunk(start, stop, seed, ".example", None)


def write_export(
    path: Path,
    leads: int,
    seed: int = 20261125,
    domain_suffix: str = ".example",
    country: str | None = None,
    start: int = 0,
) -> Path:
    """`leads` data rows, numbered from `start`; the same arguments give the same bytes.

    Row i is person i at company i // 7, so exports over disjoint ranges of rows share no
    address and no person: `start=N` gives a day of new leads after N earlier ones.
    """
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(HEADER)
        for first in range(start, start + leads, CHUNK):
            _chunk(first, min(first + CHUNK, start + leads), seed, domain_suffix, country).to_csv(
                handle, header=False, index=False, lineterminator="\n"
            )
    return path
