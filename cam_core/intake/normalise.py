"""Cleaning lead fields so the same person is spelled one way, vectorised over a table.

- email: `cam_core.addresses` (trimmed, NFKC, lower-case, `mailto:` and angle brackets
  removed, the domain's one IDNA spelling), so both spellings of a mailbox are one lead.
- domain: the company's domain from the given domain, else the website, else the
  email when it is not a free-mail provider.
- linkedin_url: see `cam_core.linkedin`.
- first/last name from a full name where the export gives only that.
"""

from __future__ import annotations

import pandas as pd

from cam_core import addresses
from cam_core.frames import extract
from cam_core.reference import free_mail_domains

# Every character Python's str.isspace() accepts, spelled out (not \s) so pandas runs the
# patterns in pyarrow's RE2 rather than in Python's re row by row (RE2's \s is ASCII only).
_WHITESPACE = "\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_SPACES = f"[{_WHITESPACE}]+"
# Shape only: the full syntax check (email-validator) belongs to verification.
EMAIL_SHAPE = f"^[^@{_WHITESPACE}]+@[^@{_WHITESPACE}]+\\.[^@{_WHITESPACE}]+$"
# Social and profile hosts are not a company's website.
_NOT_COMPANY_SITES = r"^(?:[a-z0-9-]+\.)*(?:linkedin\.com|facebook\.com|twitter\.com|x\.com|instagram\.com|lnkd\.in)$"


def text(values: pd.Series) -> pd.Series:
    """Strings with runs of whitespace (newlines in a cell too) collapsed to one space."""
    return values.fillna("").astype("str").str.replace(_SPACES, " ", regex=True).str.strip()


def emails(values: pd.Series) -> pd.Series:
    return addresses.emails(values)


def domains_from_websites(websites: pd.Series) -> pd.Series:
    hosts = (
        websites.fillna("")
        .astype("str")
        .str.strip()
        .str.lower()
        .str.replace(r"^[a-z]+://", "", regex=True)
        .str.replace(r"^www\.", "", regex=True)
        .str.replace(r"[/?#:].*$", "", regex=True)
    )
    hosts = addresses.domains(hosts)  # the spelling the email's domain has, IDN or not
    return hosts.where(~hosts.str.match(_NOT_COMPANY_SITES), "")


def company_domains(domain: pd.Series, website: pd.Series, email: pd.Series) -> pd.Series:
    email_domain = extract(email, r"@(?P<domain>[^@]+)$").fillna("")
    from_email = email_domain.where(~email_domain.isin(free_mail_domains()), "")
    given = domains_from_websites(domain)
    from_site = domains_from_websites(website)
    return given.where(given != "", from_site.where(from_site != "", from_email))


def split_full_names(full: pd.Series) -> tuple[pd.Series, pd.Series]:
    """("Ada", "King Lovelace") from "Ada King Lovelace": first word, then the rest."""
    parts = text(full).str.split(" ", n=1, expand=True).reindex(columns=[0, 1]).astype("object")
    return parts[0].fillna("").astype("str"), parts[1].fillna("").astype("str")


def employees(values: pd.Series) -> pd.Series:
    """A head count from "1,200", "51-200" (the lower bound) or "250 employees"; NaN when none."""
    numbers = values.fillna("").astype("str").str.replace(",", "", regex=False)
    numbers = extract(numbers, r"(?P<number>\d+(?:\.\d+)?)")
    return pd.to_numeric(numbers, errors="coerce").astype("float64")
