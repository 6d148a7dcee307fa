"""`harvest` against the campaign's earlier days, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from cam_core.intake.landing import land_file
from cam_core.state import schema
from tests.helpers import DAY, metadata_of, stored

NEXT_DAY = (dt.date.fromisoformat(DAY) + dt.timedelta(days=1)).isoformat()


def test_a_later_days_file_repeating_known_leads_is_recognised_and_a_rerun_keeps_its_own(demo_home, run_assets, engine):
    run_assets(["harvest", "enriched", "scored", "qualified"])
    first = stored(demo_home, "harvest")
    run_assets(["harvest"])  # a rerun of the same day keeps its own leads
    assert len(stored(demo_home, "harvest")) == len(first)

    land_file(demo_home, demo_home.samples / "demo_leads.csv", "demo", NEXT_DAY)
    result = run_assets(["harvest"], day=NEXT_DAY)
    later = stored(demo_home, "harvest", day=NEXT_DAY)
    with engine.connect() as conn:
        rejects = conn.execute(
            sa.select(schema.harvest_rejects.c.reason, schema.harvest_rejects.c.duplicate_of).where(
                schema.harvest_rejects.c.day == NEXT_DAY
            )
        ).all()
    known = [d for r, d in rejects if r == "duplicate_email" and d.startswith("existing lead ")]
    # Every address qualified on the first day is now a known lead; only people without an
    # email (not in the leads table until enrichment finds one) come through again.
    assert {d.split(" ")[2] for d in known} == set(first.loc[first["email"] != "", "email"])
    assert later["needs_email"].all() and len(later) == first["needs_email"].sum()
    assert f"first seen {DAY}" in known[0]
    assert metadata_of(result, "harvest")["rejected_duplicate_email"] >= len(known)
