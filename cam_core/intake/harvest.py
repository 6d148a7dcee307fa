"""Reading landed lead files into one clean, deduplicated table (the `harvest` stage).

Every row read ends either in `leads` (LEAD_COLUMNS) or in `rejects`
(REJECT_COLUMNS) with a reason, so accepted + rejected = rows read, always.
A row without an email is kept (flagged `needs_email`) when it says who the
person is (a LinkedIn profile, or a name with a company), so enrichment can
look for the address; without even that it is rejected as `missing_email`.
Files are read in batches (see `csv_reading`), so a million-row export fits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cam_core.columns import FULL_NAME, LEAD_COLUMNS, REJECT_COLUMNS, empty_leads
from cam_core.intake import IntakeError, normalise
from cam_core.intake.csv_reading import CellBatch, detect_shape, read_cell_batches
from cam_core.intake.dedup import find_duplicates
from cam_core.intake.headers import GENERIC_ALIASES, HeaderMap, map_headers, recognised
from cam_core.linkedin import linkedin_urls

BATCH_ROWS = 20_000
_IDENTITY_FIELDS = ("email", "linkedin_url", "first_name", "last_name", FULL_NAME)
_TEXT_FIELDS = ("first_name", "last_name", "title", "seniority", "company", "website", "industry", "country")


@dataclass
class HarvestResult:
    leads: pd.DataFrame  # LEAD_COLUMNS, one row per lead (unique email where there is one)
    rejects: pd.DataFrame  # REJECT_COLUMNS
    rows_read: int
    files: list[str]
    formats: dict[str, str] = field(default_factory=dict)  # file -> export format recognised


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


def _leads_from_batch(batch: CellBatch, mapping: HeaderMap, source_file: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One batch of records as (normalised lead rows, rejects)."""
    width = len(mapping.header)
    numbers, too_wide = batch.numbers, batch.too_wide
    cells = batch.cells[~too_wide.to_numpy()].reset_index(drop=True)
    numbers_kept = numbers[~too_wide].reset_index(drop=True)
    rejects = [_rejects(source_file, numbers[too_wide], "", f"too_many_fields (header has {width})")]

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

    if not any(f in mapping.fields for f in _IDENTITY_FIELDS):
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
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """One landed file as (normalised rows with LEAD_COLUMNS, rows rejected while reading, export format).

    `columns` is the campaign's explicit mapping (file header -> lead field), which wins.
    """
    path = Path(path)
    try:
        shape = detect_shape(path, lambda row: recognised(row, columns))
        mapping = map_headers(shape.header, columns)
        parts = [_leads_from_batch(batch, mapping, path.name) for batch in read_cell_batches(path, shape, batch_rows)]
    except OSError as exc:
        raise IntakeError(f"{path.name}: cannot read the file ({exc.strerror})") from None
    leads = pd.concat([empty_leads(), *(p[0] for p in parts)], ignore_index=True)
    rejects = pd.concat([pd.DataFrame(columns=list(REJECT_COLUMNS)), *(p[1] for p in parts)], ignore_index=True)
    return leads, rejects, mapping.export_format


def harvest(
    paths: list[Path], columns: Mapping[str, str] | None = None, existing: pd.DataFrame | None = None
) -> HarvestResult:
    """Read, normalise and deduplicate every file landed for one campaign and day.

    `existing`: the campaign's leads from before this day (dedup.KNOWN_COLUMNS);
    a row naming one of them is rejected as its duplicate.
    """
    read = [read_lead_file(p, columns) for p in paths]
    leads = pd.concat([empty_leads(), *(r[0] for r in read)], ignore_index=True)
    rejects = [r[1] for r in read]
    formats = {Path(p).name: r[2] for p, r in zip(paths, read, strict=True)}
    del read  # the per-file tables are in `leads` now; holding both would double the peak
    rows_read = len(leads) + sum(len(r) for r in rejects)

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
    assert len(accepted) + len(all_rejects) == rows_read, "harvest lost rows"
    return HarvestResult(
        leads=accepted,
        rejects=all_rejects.sort_values(["source_file", "source_row"], kind="stable").reset_index(drop=True),
        rows_read=rows_read,
        files=[Path(p).name for p in paths],
        formats=formats,
    )


def check_lead_file(path: Path, columns: Mapping[str, str] | None = None) -> int:
    """Parse a whole file without keeping it: the number of data rows, or IntakeError naming the fix.

    The inbox uses it to refuse an unreadable file before landing, so one bad
    file cannot fail the partition's run for the good ones.
    """
    path = Path(path)
    try:
        shape = detect_shape(path, lambda row: recognised(row, columns))
        return sum(len(batch.numbers) for batch in read_cell_batches(path, shape, BATCH_ROWS))
    except OSError as exc:
        raise IntakeError(f"{path.name}: cannot read the file ({exc.strerror})") from None
