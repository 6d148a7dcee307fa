"""The `harvest_rejects` table: the rows `harvest` could not use, with their reasons, per partition."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cam_core.state import bulk, schema


def save_rejects(engine: Engine, campaign: str, day: str, rejects: pd.DataFrame) -> None:
    """Replace the partition's rejects (REJECT_COLUMNS) with these, in one transaction."""
    with engine.begin() as conn:
        bulk.replace_partition(conn, schema.harvest_rejects, campaign, day, rejects.assign(campaign=campaign, day=day))


def rejects_count(engine: Engine, campaign: str, day: str) -> int:
    t = schema.harvest_rejects
    query = sa.select(sa.func.count()).select_from(t).where(t.c.campaign == campaign, t.c.day == day)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())
