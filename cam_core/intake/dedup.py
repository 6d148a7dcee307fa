"""Finding the same person twice: within a file, across the day's files, and
against the leads a campaign already has.

A row with an email is the same lead as another row with that email. A row
without one (kept so enrichment can find the address) is the same lead as a row
with the same Apollo person id (People Search results), the same LinkedIn profile,
or the same name at the same company domain or company name. A surname as People
Search hides it ("Lo***e") is no name: two people it shows alike at one company are
told apart by their Apollo ids. A row with an email is never dropped in favour of
one without. The first occurrence wins, and every duplicate names what it duplicates.
"""

from __future__ import annotations

import pandas as pd

from cam_core.apollo import OBFUSCATION_MARK, PERSON_ID, person_ids
from cam_core.frames import folded, lookup
from cam_core.intake.normalise import text
from cam_core.state.leads import KNOWN_COLUMNS


def _name(leads: pd.DataFrame) -> pd.Series:
    """First and last name, folded; "" where the surname is hidden ("Lo***e" names nobody)."""
    last = folded(leads["last_name"])
    full = text(folded(leads["first_name"]) + " " + last)
    return full.where(~last.str.contains(OBFUSCATION_MARK, regex=False), "")


def identity_keys(leads: pd.DataFrame) -> pd.DataFrame:
    """One column per way of recognising a person, most certain first; "" where the row lacks what it needs."""
    name = _name(leads)
    domain = leads["domain"].fillna("").str.lower()
    company = folded(leads["company"]).str.strip()
    return pd.DataFrame(
        {
            PERSON_ID: person_ids(leads),
            "linkedin": leads["linkedin_url"].fillna(""),
            "name_domain": (name + " @ " + domain).where((name != "") & (domain != ""), ""),
            "name_company": (name + " @ " + company).where((name != "") & (company != ""), ""),
        },
        index=leads.index,
    )


def lookup_keys(leads: pd.DataFrame) -> tuple[list[str], list[str]]:
    """What to look earlier leads up by: the rows' addresses, and the folded surnames of the rows
    without one that have a name to be matched by (`identity_keys`' name keys)."""
    has_email = leads["email"] != ""
    without = leads[~has_email]
    surnames = folded(without["last_name"])[_name(without) != ""]
    return leads.loc[has_email, "email"].unique().tolist(), surnames.unique().tolist()


def _where(leads: pd.DataFrame) -> pd.Series:
    return leads["source_file"] + " row " + leads["source_row"].astype("str")


def _known(existing: pd.DataFrame) -> pd.Series:
    return (
        "existing lead "
        + existing["email"]
        + " (first seen "
        + existing["first_seen"]
        + ", "
        + existing["status"]
        + ")"
    )


def find_duplicates(leads: pd.DataFrame, existing: pd.DataFrame | None = None) -> tuple[pd.Series, pd.Series]:
    """(reason, duplicate_of) per row of `leads`, both "" for rows to keep.

    `leads` holds normalised rows in reading order; `existing` (KNOWN_COLUMNS) the
    campaign's leads from before this partition's day.
    """
    existing = existing if existing is not None else pd.DataFrame(columns=list(KNOWN_COLUMNS))
    reason = pd.Series("", index=leads.index, dtype="str")
    origin = pd.Series("", index=leads.index, dtype="str")
    where = _where(leads)
    has_email = leads["email"] != ""

    # Rows with an email: the first row with each address wins; a known address is a known lead.
    # (Series, not a filtered copy of the whole table: a million-row day stays affordable.)
    email = leads["email"][has_email]
    known_email = lookup(email, _known(existing).set_axis(existing["email"]))
    repeated = email.duplicated(keep="first")
    first_row = where[email.index][~repeated].set_axis(email[~repeated])
    reason[known_email.dropna().index] = "duplicate_email"
    origin[known_email.dropna().index] = known_email.dropna()
    in_day = repeated & known_email.isna()
    reason[in_day[in_day].index] = "duplicate_email"
    origin[in_day[in_day].index] = lookup(email[in_day], first_row)

    # Rows without an email, by each identity in turn: a kept row with an email,
    # then a known lead, then an earlier row without an email.
    keys = identity_keys(leads)
    kept_with_email = has_email & (reason == "")
    known_keys = identity_keys(existing.assign(linkedin_url="")) if len(existing) else keys.iloc[0:0]
    for kind in keys.columns:
        key = keys[kind]
        candidates = (~has_email) & (reason == "") & (key != "")
        if not candidates.any():
            continue
        with_address = where[kept_with_email & (key != "")].set_axis(key[kept_with_email & (key != "")])
        known = _known(existing).set_axis(known_keys[kind]) if len(existing) else pd.Series(dtype="str")
        known = known[known.index != ""]
        pool = key[candidates]
        earlier = pool.duplicated(keep="first")
        first_without = where[candidates][~earlier].set_axis(pool[~earlier])
        found = lookup(pool, with_address).fillna(lookup(pool, known))
        found = found.fillna(lookup(pool, first_without).where(earlier))
        hit = found.dropna().index
        reason[hit] = f"duplicate_{kind}"
        origin[hit] = found.dropna()
    return reason, origin
