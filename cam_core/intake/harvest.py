"""Reading landed lead files into one clean, deduplicated table (the `harvest` stage).

Every row read ends either in `leads` (LEAD_COLUMNS) or in `rejects`
(REJECT_COLUMNS) with a reason, so accepted + rejected = rows read, file by file
(rows read are counted by the reader, apart from what becomes of them). A file that
cannot be read at all (binary, a quote left open: see `csv_reading`, `quoting`) is
refused whole, with its reason in `refused`; none of its rows is taken, and the
other files go on. A value longer than its column can mean (`MAX_CHARS`) is a paste
gone wrong, not a name: its row is rejected as `field_too_long`, naming the column.
A row without an email is kept (flagged `needs_email`) when it says who the
person is (a LinkedIn profile, or a name with a company), so enrichment can
look for the address; without even that it is rejected as `missing_email`.
Files are read in batches (see `csv_reading`), so a million-row export fits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cam_core.columns import FULL_NAME, LEAD_COLUMNS, REJECT_COLUMNS, empty_leads
from cam_core.intake import IntakeError, normalise
from cam_core.intake.csv_reading import CellBatch, detect_shape, read_cell_batches
from cam_core.intake.dedup import find_duplicates, lookup_keys
from cam_core.intake.headers import GENERIC_ALIASES, HeaderMap, map_headers, recognised
from cam_core.linkedin import linkedin_urls

BATCH_ROWS = 20_000
#: The longest value (in characters, as read) each lead field may hold; a row with a longer one
#: is rejected as `field_too_long`. Generous for real data (RFC 5321 caps an address at 254).
MAX_CHARS: dict[str, int] = {
    "email": 320,
    "first_name": 200,
    "last_name": 200,
    FULL_NAME: 400,
    "title": 500,
    "seniority": 100,
    "company": 500,
    "website": 2000,
    "domain": 255,
    "industry": 300,
    "employees": 100,
    "country": 100,
    "linkedin_url": 2000,
}
#: Any other column (kept in `extra`): notes and keyword lists run long, but not this long.
MAX_OTHER_CHARS = 10_000
IDENTITY_FIELDS = ("email", "linkedin_url", "first_name", "last_name", FULL_NAME)
_TEXT_FIELDS = ("first_name", "last_name", "title", "seniority", "company", "website", "industry", "country")


@dataclass
class HarvestResult:
    leads: pd.DataFrame  # LEAD_COLUMNS, one row per lead (unique email where there is one)
    rejects: pd.DataFrame  # REJECT_COLUMNS
    rows_read: int
    files: list[str]
    formats: dict[str, str] = field(default_factory=dict)  # file -> export format recognised
    rows_by_file: dict[str, int] = field(default_factory=dict)  # file read -> non-blank rows read from it
    refused: dict[str, str] = field(default_factory=dict)  # file refused whole -> why, and the fix


def _rejects(
    source_file: str,
    rows: pd.Series,
    email: pd.Series | str,
    reason: pd.Series | str,
    duplicate_of: pd.Series | str = "",
) -> pd.DataFrame:
    frame = pd.DataFrame({"source_row": rows.astype("int64")})
    frame.insert(0, "source_file", source_file)
    frame["email"], frame["reason"], frame["duplicate_of"] = email, reason, duplicate_of
    return frame[list(REJECT_COLUMNS)]


def _coalesce(cells: pd.DataFrame, positions: list[int]) -> pd.Series:
    """The first non-blank value across columns mapped to one field, best spelling first."""
    value = cells[positions[0]]
    for p in positions[1:]:
        value = value.where(value.str.strip() != "", cells[p])
    return value


def _extra(cells: pd.DataFrame, mapping: HeaderMap) -> pd.Series:
    if not mapping.extra:
        return pd.Series("", index=cells.index, dtype="str")
    kept = cells[mapping.extra].set_axis([mapping.header[p] for p in mapping.extra], axis=1)
    # JSON escapes "\n" inside values, so "\n" separates records; splitlines() would also cut
    # at U+2028, U+0085 and the like, which JSON leaves as they are.
    lines = kept.to_json(orient="records", lines=True, force_ascii=False).removesuffix("\n").split("\n")
    as_json = pd.Series(lines if len(kept) else [], index=cells.index, dtype="str")
    return as_json.where(kept.apply(lambda c: c.str.strip() != "").any(axis=1), "").astype("str")


def _too_long(cells: pd.DataFrame, mapping: HeaderMap) -> pd.Series:
    """Per row, "" or the reason naming its first value longer than its column may hold."""
    reason = pd.Series("", index=cells.index, dtype="str")
    limits = {p: MAX_CHARS[f] for f, positions in mapping.fields.items() if f in MAX_CHARS for p in positions}
    for position in range(len(mapping.header)):
        limit = limits.get(position, MAX_OTHER_CHARS)
        length = cells[position].str.len()
        over = (length > limit) & (reason == "")
        if over.any():
            header = mapping.header[position].strip()[:60] or f"column {position + 1}"
            reason[over] = f"field_too_long ({header}: " + length[over].astype("str") + f" characters, at most {limit})"
    return reason


def _leads_from_batch(batch: CellBatch, mapping: HeaderMap, source_file: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One batch of records as (normalised lead rows, rejects)."""
    width = len(mapping.header)
    numbers, too_wide = batch.numbers, batch.too_wide
    rejects = [_rejects(source_file, numbers[too_wide], "", f"too_many_fields (header has {width})")]
    cells = batch.cells[~too_wide.to_numpy()].reset_index(drop=True)
    numbers = numbers[~too_wide].reset_index(drop=True)
    too_long = _too_long(cells, mapping)
    if too_long.any():
        long_rows = too_long != ""
        emails = _coalesce(cells[long_rows], mapping.fields["email"]) if "email" in mapping.fields else ""
        if isinstance(emails, pd.Series):
            emails = emails.where(emails.str.len() <= MAX_CHARS["email"], "")
        rejects.append(_rejects(source_file, numbers[long_rows], emails, too_long[long_rows]))
        cells = cells[~long_rows].reset_index(drop=True)
        numbers = numbers[~long_rows].reset_index(drop=True)
    numbers_kept = numbers

    raw = pd.DataFrame(index=cells.index)
    for column in LEAD_COLUMNS:
        raw[column] = _coalesce(cells, mapping.fields[column]) if column in mapping.fields else ""
    if FULL_NAME in mapping.fields:
        first, last = normalise.split_full_names(_coalesce(cells, mapping.fields[FULL_NAME]))
        nameless = (raw["first_name"].str.strip() == "") & (raw["last_name"].str.strip() == "")
        raw["first_name"] = raw["first_name"].where(~nameless, first)
        raw["last_name"] = raw["last_name"].where(~nameless, last)

    leads = pd.DataFrame(index=cells.index)
    leads["email"] = normalise.emails(raw["email"])
    for column in _TEXT_FIELDS:
        leads[column] = normalise.text(raw[column])
    leads["linkedin_url"] = linkedin_urls(raw["linkedin_url"])
    leads["domain"] = normalise.company_domains(raw["domain"], leads["website"], leads["email"])
    leads["employees"] = normalise.employees(raw["employees"])
    leads["source_file"] = source_file
    leads["source_row"] = numbers_kept
    leads["extra"] = _extra(cells, mapping)
    leads["needs_email"] = leads["email"] == ""

    if not any(f in mapping.fields for f in IDENTITY_FIELDS):
        known = ", ".join(GENERIC_ALIASES["email"])
        rejects.append(_rejects(source_file, leads["source_row"], "", f"no_email_column (name one column: {known})"))
        return empty_leads(), pd.concat(rejects, ignore_index=True)
    missing = leads["needs_email"]
    malformed = ~missing & ~leads["email"].str.match(normalise.EMAIL_SHAPE)
    has_name = (leads["first_name"] != "") | (leads["last_name"] != "")
    identified = (leads["linkedin_url"] != "") | (has_name & ((leads["domain"] != "") | (leads["company"] != "")))
    unusable = missing & ~identified
    rejects += [
        _rejects(source_file, leads.loc[malformed, "source_row"], raw.loc[malformed, "email"], "malformed_email"),
        _rejects(
            source_file,
            leads.loc[unusable, "source_row"],
            "",
            "missing_email (and no LinkedIn URL or name with company to find one by)",
        ),
    ]
    return leads[~malformed & ~unusable][list(LEAD_COLUMNS)], pd.concat(rejects, ignore_index=True)


def read_lead_file(
    path: Path, columns: Mapping[str, str] | None = None, batch_rows: int = BATCH_ROWS
) -> tuple[pd.DataFrame, pd.DataFrame, str, int]:
    """One landed file as (normalised rows with LEAD_COLUMNS, rows rejected while reading, export format,
    non-blank rows read); IntakeError, naming the file and the fix, when it cannot be read whole.

    `columns` is the campaign's explicit mapping (file header -> lead field), which wins.
    """
    path = Path(path)
    try:
        shape = detect_shape(path, lambda row: recognised(row, columns))
        mapping = map_headers(shape.header, columns)
        parts, read = [], 0
        for batch in read_cell_batches(path, shape, batch_rows):
            read += len(batch.numbers)
            parts.append(_leads_from_batch(batch, mapping, path.name))
    except OSError as exc:
        raise IntakeError(f"{path.name}: cannot read the file ({exc.strerror})") from None
    leads = pd.concat([empty_leads(), *(p[0] for p in parts)], ignore_index=True)
    rejects = pd.concat([pd.DataFrame(columns=list(REJECT_COLUMNS)), *(p[1] for p in parts)], ignore_index=True)
    return leads, rejects, mapping.export_format, read


#: The campaign's leads from before the day that could be among the day's rows (dedup.KNOWN_COLUMNS),
#: given the rows' addresses and folded surnames (`dedup.lookup_keys`): `state.leads.known_leads`.
KnownLeads = Callable[[list[str], list[str]], pd.DataFrame]


def harvest(
    paths: list[Path], columns: Mapping[str, str] | None = None, existing: pd.DataFrame | KnownLeads | None = None
) -> HarvestResult:
    """Read, normalise and deduplicate every file landed for one campaign and day.

    `existing`: the campaign's leads from before this day (dedup.KNOWN_COLUMNS), or a function
    that finds those the day's rows could be (so a day reads what it needs, not every lead ever);
    a row naming one of them is rejected as its duplicate. A file that cannot be read
    whole is left out, its reason in `refused` (for the caller to set aside).
    """
    read: list[tuple[pd.DataFrame, pd.DataFrame, str, int]] = []
    names: list[str] = []
    refused: dict[str, str] = {}
    for p in paths:
        try:
            read.append(read_lead_file(p, columns))
            names.append(Path(p).name)
        except IntakeError as exc:
            refused[Path(p).name] = str(exc)
    leads = pd.concat([empty_leads(), *(r[0] for r in read)], ignore_index=True)
    rejects = [r[1] for r in read]
    formats = {name: r[2] for name, r in zip(names, read, strict=True)}
    rows_by_file = {name: r[3] for name, r in zip(names, read, strict=True)}
    del read  # the per-file tables are in `leads` now; holding both would double the peak

    if callable(existing):
        existing = existing(*lookup_keys(leads))
    reason, origin = find_duplicates(leads, existing)
    dupes = reason != ""
    rejects.append(
        leads.loc[dupes, ["source_file", "source_row", "email"]].assign(
            reason=reason[dupes], duplicate_of=origin[dupes]
        )
    )
    all_rejects = pd.concat([pd.DataFrame(columns=list(REJECT_COLUMNS)), *rejects], ignore_index=True)[
        list(REJECT_COLUMNS)
    ]
    all_rejects["source_row"] = all_rejects["source_row"].astype("int64")
    all_rejects = all_rejects.astype(dict.fromkeys(("source_file", "email", "reason", "duplicate_of"), "str"))
    accepted = leads.loc[~dupes.to_numpy(), list(LEAD_COLUMNS)].reset_index(drop=True)
    del leads
    return HarvestResult(
        leads=accepted,
        rejects=all_rejects.sort_values(["source_file", "source_row"], kind="stable").reset_index(drop=True),
        rows_read=sum(rows_by_file.values()),
        files=[Path(p).name for p in paths],
        formats=formats,
        rows_by_file=rows_by_file,
        refused=refused,
    )
