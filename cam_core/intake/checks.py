"""What must hold of a harvest before its leads flow on: nothing read is lost."""

from __future__ import annotations

import pandas as pd

from cam_core.checks import CheckOutcome

ROWS_ACCOUNTED_FOR = "rows_accounted_for"

CHECK_DESCRIPTIONS = {
    ROWS_ACCOUNTED_FOR: "Every row read is either a harvested lead or a stored reject with its reason: "
    "accepted + rejected = rows read."
}


def check_harvest(rows_read: int, leads: pd.DataFrame, stored_rejects: int) -> list[CheckOutcome]:
    """`stored_rejects`: the partition's rows in `harvest_rejects`, read back after writing them."""
    missing = rows_read - len(leads) - stored_rejects
    numbers = {"rows_read": rows_read, "accepted": len(leads), "rejected": stored_rejects, "unaccounted": missing}
    return [CheckOutcome(ROWS_ACCOUNTED_FOR, missing == 0, [], numbers)]
