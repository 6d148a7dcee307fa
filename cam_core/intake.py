"""Reading landed lead files into one clean, deduplicated table (the `harvest` stage).

Every row read ends either in `leads` (LEAD_COLUMNS) or in `rejects`
(REJECT_COLUMNS) with a reason, so accepted + rejected = rows read, always.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cam_core.leads import LEAD_COLUMNS, REJECT_COLUMNS, empty_leads
from cam_core.verification import free_mail_domains

# Header spellings seen in real exports, after _header_key() normalisation.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "e mail", "email address", "mail", "work email", "business email", "primary email"),
    "first_name": ("first name", "firstname", "first", "given name"),
    "last_name": ("last name", "lastname", "last", "surname", "family name"),
    "title": ("title", "job title", "position", "role"),
    "seniority": ("seniority", "level"),
    "company": ("company", "company name", "organization", "organisation", "account name"),
    "website": ("website", "company website", "website url", "url company", "company url"),
    "domain": ("domain", "company domain"),
    "industry": ("industry", "sector"),
    "employees": ("employees", "number of employees", "company size", "headcount", "employee count"),
    "country": ("country", "country region", "location country"),
    "linkedin_url": ("linkedin", "linkedin url", "person linkedin url", "linkedin profile"),
}
_ALIAS_TO_COLUMN = {alias: column for column, aliases in HEADER_ALIASES.items() for alias in aliases}

# Shape only: the full syntax check (email-validator) belongs to verification.
_EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_SNIFF_BYTES = 64 * 1024


class IntakeError(ValueError):
    """A landed file that cannot be read at all."""


@dataclass
class HarvestResult:
    leads: pd.DataFrame     # LEAD_COLUMNS, one row per unique email
    rejects: pd.DataFrame   # REJECT_COLUMNS
    rows_read: int
    files: list[str]


def _header_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", unicodedata.normalize("NFKC", header).lower()).strip()


def _decode(raw: bytes, path: Path) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise IntakeError(f"{path.name}: starts like UTF-16 but is damaged or truncated; save it as UTF-8 CSV") from None
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IntakeError(f"{path.name}: cannot decode the file; save it as UTF-8 CSV")  # pragma: no cover


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_lead_file(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One landed file as (rows with LEAD_COLUMNS, rows rejected while reading)."""
    path = Path(path)
    try:
        text = _decode(path.read_bytes(), path)
    except OSError as exc:
        raise IntakeError(f"{path.name}: cannot read the file ({exc.strerror})") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text[:_SNIFF_BYTES]))
    try:
        records = list(reader)
    except csv.Error as exc:  # e.g. a quote opened and never closed swallows the rest of the file
        raise IntakeError(
            f"{path.name}: cannot parse as CSV near line {reader.line_num} ({exc}); check for an unclosed quote"
        ) from None
    # Blank lines are not rows anyone wrote; keep the spreadsheet row numbers honest anyway.
    numbered = [(i + 1, r) for i, r in enumerate(records) if any(cell.strip() for cell in r)]
    if not numbered:
        return empty_leads(), pd.DataFrame(columns=list(REJECT_COLUMNS))
    (_, header), body = numbered[0], numbered[1:]
    columns = [_ALIAS_TO_COLUMN.get(_header_key(h)) for h in header]
    width = len(header)

    too_wide = [(n, r) for n, r in body if len(r) > width and any(c.strip() for c in r[width:])]
    kept = [(n, r) for n, r in body if not (len(r) > width and any(c.strip() for c in r[width:]))]
    cells = [(r + [""] * width)[:width] for _, r in kept]
    frame = pd.DataFrame(cells, columns=[f"c{i}" for i in range(width)], dtype="str")
    out = pd.DataFrame(index=frame.index)
    for column in LEAD_COLUMNS:
        sources = [f"c{i}" for i, c in enumerate(columns) if c == column]
        out[column] = frame[sources[0]] if sources else ""
    out["source_file"] = path.name
    out["source_row"] = pd.Series([n for n, _ in kept], dtype="int64", index=frame.index)

    rejects = pd.DataFrame(
        {
            "source_file": path.name,
            "source_row": pd.Series([n for n, _ in too_wide], dtype="int64"),
            "email": "",
            "reason": f"too_many_fields (header has {width})",
            "duplicate_of": "",
        }
    )
    if "email" not in columns:
        known = ", ".join(HEADER_ALIASES["email"])
        rejects = pd.concat(
            [rejects, out.assign(email="", reason=f"no_email_column (name one column: {known})", duplicate_of="")[list(REJECT_COLUMNS)]],
            ignore_index=True,
        )
        out = out.iloc[0:0]
    return out[list(LEAD_COLUMNS)], rejects[list(REJECT_COLUMNS)]


def normalise_emails(emails: pd.Series) -> pd.Series:
    """Trimmed, NFKC-normalised, lower-cased; `mailto:` and angle brackets removed."""
    return (
        emails.fillna("").astype("str").str.normalize("NFKC").str.strip()
        .str.replace(r"^mailto:", "", regex=True, case=False)
        .str.strip("<> \t\"'")
        .str.lower()
    )


def _domains_from_websites(websites: pd.Series) -> pd.Series:
    return (
        websites.str.strip()
        .str.lower()
        .str.replace(r"^[a-z]+://", "", regex=True)
        .str.replace(r"^www\.", "", regex=True)
        .str.replace(r"[/?#:].*$", "", regex=True)
    )


def normalise_leads(leads: pd.DataFrame) -> pd.DataFrame:
    """Clean every column of a raw lead table, vectorised."""
    out = leads.copy()
    text_columns = [c for c in LEAD_COLUMNS if c not in ("employees", "source_row", "email")]
    for column in text_columns:
        out[column] = out[column].fillna("").astype("str").str.replace(r"\s+", " ", regex=True).str.strip()
    out["email"] = normalise_emails(out["email"])
    email_domain = out["email"].str.extract(r"@([^@]+)$", expand=False).fillna("")
    company_domain = email_domain.where(~email_domain.isin(free_mail_domains()), "")
    given = _domains_from_websites(out["domain"])
    from_site = _domains_from_websites(out["website"])
    out["domain"] = given.where(given != "", from_site.where(from_site != "", company_domain))
    numbers = out["employees"].astype("str").str.replace(",", "", regex=False).str.extract(r"(\d+(?:\.\d+)?)", expand=False)
    out["employees"] = pd.to_numeric(numbers, errors="coerce").astype("float64")
    return out


def harvest(paths: list[Path]) -> HarvestResult:
    """Read, normalise and deduplicate every file landed for one campaign and day."""
    read = [read_lead_file(p) for p in paths]
    raw = pd.concat([empty_leads(), *(r[0] for r in read)], ignore_index=True)
    rejects = [r[1] for r in read]
    rows_read = len(raw) + sum(len(r) for r in rejects)

    leads = normalise_leads(raw)
    missing = leads["email"] == ""
    malformed = ~missing & ~leads["email"].str.match(_EMAIL_SHAPE)
    usable = leads[~missing & ~malformed]
    duplicated = usable["email"].duplicated(keep="first")
    first_seen = usable.drop_duplicates("email").set_index("email")
    dupes = usable[duplicated]
    dup_origin = dupes["email"].map(first_seen["source_file"] + " row " + first_seen["source_row"].astype("str"))

    rejects += [
        raw.loc[missing, ["source_file", "source_row", "email"]].assign(reason="missing_email", duplicate_of=""),
        leads.loc[malformed, ["source_file", "source_row"]].assign(
            email=raw.loc[malformed, "email"], reason="malformed_email", duplicate_of=""
        ),
        dupes[["source_file", "source_row", "email"]].assign(reason="duplicate_email", duplicate_of=dup_origin),
    ]
    all_rejects = pd.concat([pd.DataFrame(columns=list(REJECT_COLUMNS)), *rejects], ignore_index=True)[list(REJECT_COLUMNS)]
    all_rejects["source_row"] = all_rejects["source_row"].astype("int64")
    accepted = usable[~duplicated].reset_index(drop=True)[list(LEAD_COLUMNS)]
    assert len(accepted) + len(all_rejects) == rows_read, "harvest lost rows"
    return HarvestResult(
        leads=accepted,
        rejects=all_rejects.sort_values(["source_file", "source_row"], kind="stable").reset_index(drop=True),
        rows_read=rows_read,
        files=[Path(p).name for p in paths],
    )
