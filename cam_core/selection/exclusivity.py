"""Campaign exclusivity: a person active in one campaign is not enrolled in another too soon.

A lead counts as active in another campaign when that campaign enrolled it within
the last `days` days up to the partition's day. Two sequences at once from the same
sender read as spam and burn both; the later campaign holds the lead back instead.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cam_core.state import schema


def active_elsewhere(engine: Engine, campaign: str, day: str, days: int, emails: list[str]) -> pd.Series:
    """email -> "campaign X since D" for `emails` enrolled elsewhere in (day - days, day]."""
    if days <= 0 or not emails:
        return pd.Series(dtype="str")
    since = (dt.date.fromisoformat(day) - dt.timedelta(days=days)).isoformat()
    e = schema.enrolments
    found: list[tuple[str, str, str]] = []
    with engine.connect() as conn:
        for start in range(0, len(emails), 5000):  # bounded IN lists; a loop for I/O only
            chunk = emails[start : start + 5000]
            found += conn.execute(
                sa.select(e.c.email, e.c.campaign, e.c.enrolled_on)
                .where(e.c.campaign != campaign, e.c.enrolled_on > since, e.c.enrolled_on <= day, e.c.email.in_(chunk))
                .order_by(e.c.enrolled_on)
            ).all()
    frame = pd.DataFrame(found, columns=["email", "campaign", "enrolled_on"]).drop_duplicates("email")
    return pd.Series(
        ("campaign " + frame["campaign"] + " since " + frame["enrolled_on"]).to_numpy(),
        index=frame["email"].to_numpy(),
        dtype="str",
    )
