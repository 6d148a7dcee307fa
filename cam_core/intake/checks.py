"""What must hold of a harvest before its leads flow on: nothing read is lost."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from cam_core.checks import EXAMPLES, CheckOutcome

ROWS_ACCOUNTED_FOR = "rows_accounted_for"

CHECK_DESCRIPTIONS = {
    ROWS_ACCOUNTED_FOR: "Every row read is either a harvested lead or a stored reject with its reason: "
    "accepted + rejected = rows read, for every file (rows read as counted by the CSV reader). "
    "A file that cannot be read whole is quarantined with its reason, not half read."
}


def check_harvest(
    rows_read: int,
    leads: pd.DataFrame,
    stored_rejects: int,
    rejects: pd.DataFrame | None = None,
    rows_by_file: Mapping[str, int] | None = None,
) -> list[CheckOutcome]:
    """`stored_rejects`: the partition's rows in `harvest_rejects`, read back after writing them;
    `rejects` (with `source_file`) and `rows_by_file` (the reader's count per file) add the
    same sum file by file, each file that does not add up named."""
    missing = rows_read - len(leads) - stored_rejects
    numbers = {"rows_read": rows_read, "accepted": len(leads), "rejected": stored_rejects, "unaccounted": missing}
    offenders: list[str] = []
    if rows_by_file is not None:
        files = pd.Series(dict(rows_by_file), dtype="int64")
        accepted = leads["source_file"].value_counts().reindex(files.index, fill_value=0)
        rejected = (
            rejects["source_file"].value_counts().reindex(files.index, fill_value=0)
            if rejects is not None
            else pd.Series(0, index=files.index)
        )
        off = files[files != accepted + rejected]
        offenders = [
            f"{name}: read {files[name]}, accepted {accepted[name]}, rejected {rejected[name]}"
            for name in off.index[:EXAMPLES]
        ]
        numbers["files_unaccounted"] = len(off)
    return [CheckOutcome(ROWS_ACCOUNTED_FOR, missing == 0 and not offenders, offenders, numbers)]
