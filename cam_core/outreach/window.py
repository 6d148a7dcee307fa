"""When a planned message may go out: the sending window, in the recipient's time zone.

A message planned for day D goes out only while `now` is inside D's window in
the recipient's local time (or, without a window, inside D in the campaign's
zone), plus the campaign's grace period. A run for a past day (a backfill, a
restored server, a run that waited in a queue) therefore plans and reports but
never fires a step hours late: the step stays due and goes out in a later
day's window.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from cam_core.campaign.models import Campaign
from cam_core.vocabulary import WindowState

# Country (as exports write it, lower-case) -> a representative zone. A lead's own
# `timezone` column wins; a country that spans zones gets its most populous one.
COUNTRY_ZONES = {
    "united states": "America/New_York",
    "us": "America/New_York",
    "usa": "America/New_York",
    "canada": "America/Toronto",
    "ca": "America/Toronto",
    "united kingdom": "Europe/London",
    "uk": "Europe/London",
    "gb": "Europe/London",
    "ireland": "Europe/Dublin",
    "germany": "Europe/Berlin",
    "de": "Europe/Berlin",
    "france": "Europe/Paris",
    "fr": "Europe/Paris",
    "netherlands": "Europe/Amsterdam",
    "nl": "Europe/Amsterdam",
    "belgium": "Europe/Brussels",
    "spain": "Europe/Madrid",
    "es": "Europe/Madrid",
    "italy": "Europe/Rome",
    "it": "Europe/Rome",
    "switzerland": "Europe/Zurich",
    "austria": "Europe/Vienna",
    "sweden": "Europe/Stockholm",
    "denmark": "Europe/Copenhagen",
    "norway": "Europe/Oslo",
    "finland": "Europe/Helsinki",
    "poland": "Europe/Warsaw",
    "portugal": "Europe/Lisbon",
    "brazil": "America/Sao_Paulo",
    "br": "America/Sao_Paulo",
    "mexico": "America/Mexico_City",
    "india": "Asia/Kolkata",
    "in": "Asia/Kolkata",
    "singapore": "Asia/Singapore",
    "japan": "Asia/Tokyo",
    "jp": "Asia/Tokyo",
    "china": "Asia/Shanghai",
    "australia": "Australia/Sydney",
    "au": "Australia/Sydney",
    "new zealand": "Pacific/Auckland",
    "israel": "Asia/Jerusalem",
    "united arab emirates": "Asia/Dubai",
    "south africa": "Africa/Johannesburg",
}
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def recipient_zones(leads: pd.DataFrame, default_zone: str) -> pd.Series:
    """Each lead's zone: its `timezone` column, else its country's zone, else `default_zone`."""
    by_country = (
        leads.get("country", pd.Series("", index=leads.index))
        .fillna("")
        .astype("str")
        .str.strip()
        .str.lower()
        .map(COUNTRY_ZONES)
    )
    own = leads.get("timezone", pd.Series("", index=leads.index)).fillna("").astype("str").str.strip()
    return own.where(own != "", by_country.fillna(default_zone)).astype("str")


def window_states(zones: pd.Series, day: dt.date, now: dt.datetime, campaign: Campaign) -> pd.Series:
    """The WindowState of each zone, at `now` (aware), for `day`."""
    sender = campaign.sender
    window = sender.window
    grace = dt.timedelta(hours=sender.grace_hours)
    states = pd.Series(WindowState.OPEN.value, index=zones.index, dtype="str")
    if window is not None and _WEEKDAYS[day.weekday()] not in window.weekdays:
        return pd.Series(WindowState.CLOSED_DAY.value, index=zones.index, dtype="str")
    # One computation per distinct zone, not per lead.
    for zone in zones.unique():
        tz = ZoneInfo(zone if window is not None else campaign.timezone)
        if window is not None:
            start = dt.datetime.combine(day, window.start, tz)
            end = dt.datetime.combine(day, window.end, tz)
        else:
            start = dt.datetime.combine(day, dt.time(0), tz)
            end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tz)
        state = WindowState.NOT_YET if now < start else WindowState.PASSED if now >= end + grace else WindowState.OPEN
        states[(zones == zone).to_numpy()] = state
    return states


def business_days_after(start: pd.Series, days: pd.Series) -> pd.Series:
    """`start` plus `days` business days (Mon-Fri); a start on a weekend rolls to Monday."""
    starts = pd.to_datetime(start).to_numpy(dtype="datetime64[D]")
    due = np.busday_offset(starts, days.to_numpy(dtype="int64"), roll="forward")
    return pd.Series(pd.to_datetime(due), index=start.index)
