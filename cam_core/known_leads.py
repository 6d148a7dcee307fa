"""The leads a campaign already had before a day, for `harvest` to recognise repeats.

Only leads first seen before the partition's day count: a rerun of a day must
not reject that day's own leads as duplicates of themselves.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cam_core import db
from cam_core.dedup import KNOWN_COLUMNS


def known_before(engine: Engine, campaign: str, day: str) -> pd.DataFrame:
    t = db.leads
    query = sa.select(*(t.c[c] for c in KNOWN_COLUMNS)).where(t.c.campaign == campaign, t.c.first_seen < day)
    with engine.connect() as conn:
        found = db.read_frame(conn, query, list(KNOWN_COLUMNS))
    return found.fillna("").astype("str")
