"""The one check a lead file passes before it lands, wherever it comes from.

The inbox sensor (which quarantines a file that fails it, with a report) and `cam
ingest` (which refuses it, landing nothing) both call `screen_lead_file`, so a file
is judged one way: a CSV export by its name, text and not a workbook, zip, PDF or
other binary, parsed whole (no quote left open), and with a column that says who
each row is (an email, a LinkedIn URL or a name). What it refuses, harvest could
not have used; what it passes, harvest reads row by row.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cam_core.intake import IntakeError
from cam_core.intake.csv_reading import detect_shape, read_cell_batches
from cam_core.intake.harvest import BATCH_ROWS, IDENTITY_FIELDS
from cam_core.intake.headers import GENERIC_ALIASES, map_headers, recognised
from cam_core.intake.landing import LEAD_FILE_SUFFIXES


def screen_lead_file(path: Path, columns: Mapping[str, str] | None = None) -> int:
    """The number of data rows of a file fit to land, or IntakeError naming the file, the problem and the fix.

    `columns`: the campaign's explicit mapping (file header -> lead field), as harvest uses it.
    """
    path = Path(path)
    if path.suffix.lower() not in LEAD_FILE_SUFFIXES:
        raise IntakeError(
            f"{path.name}: not a CSV export ({path.suffix or 'no extension'}); "
            f"save it as CSV ({', '.join(LEAD_FILE_SUFFIXES)}) and land it again"
        )
    try:
        shape = detect_shape(path, lambda row: recognised(row, columns))
        mapping = map_headers(shape.header, columns)
        if shape.header and not any(f in mapping.fields for f in IDENTITY_FIELDS):
            known = ", ".join(GENERIC_ALIASES["email"][:4])
            raise IntakeError(
                f"{path.name}: no column says who each row is (its header is {', '.join(shape.header)[:200]}); "
                f"name the email column {known} (or give a LinkedIn URL or name column), "
                "or map it in the campaign's intake.columns, and land it again"
            )
        return sum(len(batch.numbers) for batch in read_cell_batches(path, shape, BATCH_ROWS))
    except OSError as exc:
        raise IntakeError(f"{path.name}: cannot read the file ({exc.strerror})") from None
