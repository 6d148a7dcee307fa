"""The one partitioning every CAM asset shares: a campaign on a day.

Dagster orders multi-partition dimensions by name, so a key reads
`<campaign>|<date>` (for example `demo|2026-11-25`); build keys with
`partition_key()`, never by formatting strings.

The days begin where the campaigns begin (`cam_core.campaign.first_day`: `CAM_FIRST_DAY`,
else the earliest campaign `start_date`, file day or day a file was landed for, else today),
read once when this module is imported, which is when the definitions load. A campaign file with an earlier
start takes effect at the next load: reload the code location in the UI (or restart
`make dev`); each `cam` command is a new process and reads it itself.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import dagster as dg

from cam_core.campaign.first_day import FIRST_DAY_VARIABLE, first_day
from cam_core.settings import HomeLayout, cam_home

CAMPAIGN_DIMENSION = "campaign"
DATE_DIMENSION = "date"

campaign_partitions = dg.DynamicPartitionsDefinition(name=CAMPAIGN_DIMENSION)
#: The first day with a partition, as this process read it.
FIRST_DAY = first_day(os.environ, dt.datetime.now(dt.UTC).date(), home=lambda: HomeLayout(cam_home()))
# end_offset=1 makes today a partition too: outreach runs during the day it is for.
date_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY.isoformat(), end_offset=1)
cam_partitions = dg.MultiPartitionsDefinition(
    {CAMPAIGN_DIMENSION: campaign_partitions, DATE_DIMENSION: date_partitions}
)


def day_range() -> tuple[str, str]:
    """The first and the last day there is a partition for: `FIRST_DAY`, and today in UTC."""
    first = date_partitions.get_first_partition_key()
    last = date_partitions.get_last_partition_key()
    assert first is not None and last is not None  # a daily range from a past start always has days
    return first, last


def day_outside_range(day: str) -> str | None:
    """Why `day` (YYYY-MM-DD) has no partition, in one line with what to do; None when it has one."""
    first, last = day_range()
    if first <= day <= last:
        return None
    if day > last:
        return f"{day} is outside the partition range {first} to {last} (today, UTC); pick a day in that range"
    return (
        f"{day} is before the partition range {first} to {last} (today, UTC); to go further back, set the "
        f"campaign's start_date (then reload the code location) or {FIRST_DAY_VARIABLE}=YYYY-MM-DD"
    )


def partition_key(campaign: str, day: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({CAMPAIGN_DIMENSION: campaign, DATE_DIMENSION: day})


@dataclass(frozen=True)
class CampaignDay:
    """The campaign and day a partition stands for."""

    campaign: str
    day: str  # YYYY-MM-DD

    @classmethod
    def of(cls, key: str | dg.MultiPartitionKey) -> CampaignDay:
        """The campaign and day of a partition key, whichever form Dagster hands over."""
        if not isinstance(key, dg.MultiPartitionKey):
            key = cam_partitions.get_partition_key_from_str(key)
        dims = key.keys_by_dimension
        return cls(campaign=dims[CAMPAIGN_DIMENSION], day=dims[DATE_DIMENSION])
