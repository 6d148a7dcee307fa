"""`harvest` against the campaign's earlier days, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from cam_core.intake.inbox import QUARANTINE
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


def test_a_landed_file_harvest_cannot_read_is_quarantined_and_the_others_flow(demo_home, run_assets):
    # Landed by hand, past every check the inbox and `cam ingest` make.
    folder = demo_home.landed_dir("demo", DAY)
    (folder / "contacts.abc123abc123.csv").write_bytes(b"PK\x03\x04 an Excel workbook renamed .csv")
    rows = [f"p{i}@acme.example,Ann{i},Acme" for i in range(500)]
    rows[9] = 'p9@acme.example,"Ann9,Acme'  # row 11 opens a quote and never closes it
    (folder / "open.def456def456.csv").write_text("Email,First Name,Company\n" + "\n".join(rows) + "\n")
    demo_rows = len(pd.read_csv(demo_home.samples / "demo_leads.csv", dtype="str").dropna(how="all"))

    result = run_assets(["harvest"])

    assert result.success
    meta = metadata_of(result, "harvest")
    assert meta["rows_in"] == demo_rows and meta["quarantined_files"] == 2
    aside = {q["file"]: q["reason"] for q in meta["quarantined"]}
    assert "Excel workbook" in aside["contacts.abc123abc123.csv"]
    assert "line 11 has an unclosed quote" in aside["open.def456def456.csv"]
    harvested = stored(demo_home, "harvest")
    assert len(harvested) and harvested["source_file"].str.startswith("demo_leads.").all()
    quarantine = demo_home.inbox / "demo" / QUARANTINE
    assert sorted(p.name for p in quarantine.iterdir()) == [
        "contacts.abc123abc123.csv",
        "contacts.abc123abc123.csv.error.txt",
        "open.def456def456.csv",
        "open.def456def456.csv.error.txt",
    ]
    report = (quarantine / "open.def456def456.csv.error.txt").read_text()
    assert f"landed for: {DAY}" in report and f"--campaign demo --date {DAY}" in report
    assert [p.name.split(".")[0] for p in folder.iterdir()] == ["demo_leads"]

    again = run_assets(["harvest"])  # the rerun meets only the good file
    assert again.success and metadata_of(again, "harvest")["quarantined_files"] == 0
    assert len(stored(demo_home, "harvest")) == len(harvested)
    assert all(e.passed for e in again.get_asset_check_evaluations())
