"""The `cam` console script. Importing the commands loads the partitions, whose first day may come
from `CAM_FIRST_DAY`: a malformed one is a person's mistake, worded as every other `cam` error
rather than as a traceback from the import."""

from __future__ import annotations

import sys

from cam_core.campaign.first_day import FirstDayError


def main() -> int:
    try:
        from cam_dagster.cli import main as cam
    except FirstDayError as exc:
        print(f"cam: error: {exc}", file=sys.stderr)
        return 2
    return cam()
