"""The columns of the lead tables that assets hand each other, named once.

`harvest` produces one row per usable lead with LEAD_COLUMNS; each later stage
adds its own columns (documented in its module) and keeps the earlier ones.
"""

from __future__ import annotations

import pandas as pd

#: Columns of a harvested lead, in order. Text columns are strings ("" when
#: unknown); `employees` is a float (NaN when unknown); `needs_email` a bool.
LEAD_COLUMNS: tuple[str, ...] = (
    "email",  # normalised: trimmed, Unicode NFKC, lower-case
    "first_name",
    "last_name",
    "title",
    "seniority",
    "company",
    "domain",  # company domain, from the website or else the email
    "website",
    "industry",
    "employees",
    "country",
    "linkedin_url",
    "source_file",  # landed file the row came from
    "source_row",  # spreadsheet row number in that file (the header is row 1)
    "extra",  # the export's other columns as a JSON object {header: value}, "" when none
    "needs_email",  # True: no email yet; kept so enrichment can look for one (never sent to as is)
)

#: Pseudo-field of an export: a full name, split into first and last name where those are absent.
FULL_NAME = "full_name"

#: Lead fields a file's column can be mapped to (by header or by a campaign's `intake.columns`).
MAPPABLE_FIELDS = (
    "email",
    "first_name",
    "last_name",
    FULL_NAME,
    "title",
    "seniority",
    "company",
    "website",
    "domain",
    "industry",
    "employees",
    "country",
    "linkedin_url",
)

#: Columns `enriched` adds so every partition has them, whether or not a provider answered.
#: Text is "" when unknown; `open_jobs` (job postings) is a float, NaN when unknown;
#: `latest_funding_date` is YYYY-MM-DD or "".
ENRICHED_COLUMNS: tuple[str, ...] = (
    "department",
    "technologies",
    "keywords",
    "company_description",
    "open_jobs",
    "latest_funding_date",
)

#: Lead columns an ICP or routing rule may look at.
SCORABLE_COLUMNS = (
    "title",
    "seniority",
    "industry",
    "employees",
    "country",
    "company",
    "domain",
    # filled in by enrichment (empty or NaN when unknown), see ENRICHED_COLUMNS
    "department",
    "technologies",
    "keywords",
    "company_description",
    "open_jobs",
    "months_since_funding",
)

#: Columns of rows that `harvest` could not use (the `harvest_rejects` table, per partition).
REJECT_COLUMNS: tuple[str, ...] = ("source_file", "source_row", "email", "reason", "duplicate_of")


def empty_leads() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in LEAD_COLUMNS})
    frame["employees"] = frame["employees"].astype("float64")
    frame["source_row"] = frame["source_row"].astype("int64")
    frame["needs_email"] = frame["needs_email"].astype("bool")
    return frame
