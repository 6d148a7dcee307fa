"""The first day there is anything to do: where the date partitions begin.

A daily partitioning that starts years before the first campaign fills the Dagster UI with
hundreds of empty days per campaign, so the range starts where the project's campaigns start:

1. `CAM_FIRST_DAY` (YYYY-MM-DD), when set: an explicit choice, for a backfill further back;
2. else the earliest day among the campaign files that load, each campaign counting its
   `start_date`, or, without one, the day its file was last written (UTC), the closest a
   file system comes to "the day the campaign was added";
3. else (no campaign yet) today, UTC.

With 2 and 3, a day some file was landed for (`landed/<campaign>/<date>/`) is never left out,
so editing a campaign file without a `start_date` cannot hide the days it already has data for.
Never later than today: a campaign that starts next week still leaves today a partition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path

from cam_core.campaign.loading import campaign_files, load_campaign
from cam_core.campaign.models import Campaign
from cam_core.settings import HomeLayout

FIRST_DAY_VARIABLE = "CAM_FIRST_DAY"


class FirstDayError(ValueError):
    """`CAM_FIRST_DAY` is set to something that is not a day."""


def override_from(environ: Mapping[str, str]) -> dt.date | None:
    """The day `CAM_FIRST_DAY` names, None when it is unset or empty."""
    text = (environ.get(FIRST_DAY_VARIABLE) or "").strip()
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or len(text) != len("YYYY-MM-DD"):  # fromisoformat also takes 20260105 and week dates
        raise FirstDayError(
            f"{FIRST_DAY_VARIABLE}={text!r} is not a day; write it as YYYY-MM-DD (like 2026-01-05), "
            "or unset it to start where the campaigns start"
        )
    return day


def campaign_first_day(campaign: Campaign, path: Path) -> dt.date:
    """The campaign's `start_date`, else the UTC day its file was last written."""
    if campaign.start_date is not None:
        return campaign.start_date
    return dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC).date()


def landed_days(landed: Path) -> list[dt.date]:
    """The days files were landed for, any campaign: the `<date>` folders under `landed/<campaign>/`."""
    days = []
    for folder in landed.glob("*/*"):
        try:
            days.append(dt.date.fromisoformat(folder.name))
        except ValueError:  # not a day's folder
            continue
    return days


def first_day(environ: Mapping[str, str], today: dt.date, home: Callable[[], HomeLayout]) -> dt.date:
    """The first day with a partition, by the rules in this module's docstring. `home` is asked
    for only when `CAM_FIRST_DAY` is not set, so an explicit day reads (and creates) nothing.

    A campaign file that does not load counts for nothing: it cannot run until it is fixed,
    and by then it is read again (a reload of the code location, a new `cam`)."""
    chosen = override_from(environ)
    if chosen is not None:
        return min(chosen, today)
    layout = home()
    days = landed_days(layout.landed)
    for path in campaign_files(layout.campaigns):
        try:
            days.append(campaign_first_day(load_campaign(path), path))
        except (ValueError, OSError):  # CampaignError, or a file removed while we looked
            continue
    return min([*days, today])
