"""Checks that the bench measures what it says (run by hand: `.venv/bin/pytest bench/test_bench.py`).

Outside `make test`, as the rest of bench/ is: no timings are asserted, only that the
durable floor keeps one row per address and that the seeded history looks like CAM's own.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
import sqlalchemy as sa

from bench import history, pipeline
from bench.__main__ import DAY, _campaign
from bench.floor import durable_floor
from bench.synthetic import HEADER, rows, write_export
from cam_core.state import schema


def _csv(path: Path, emails: list[str]) -> Path:
    lines = [",".join(HEADER)]
    for i, email in enumerate(emails):
        lines.append(",".join(email if h == "Email" else f"{h[:3]}{i}".replace("#", "n") for h in HEADER))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_durable_floor_keeps_one_row_per_address_first_kept(tmp_path: Path) -> None:
    csv_path = _csv(tmp_path / "leads.csv", ["a@x.example", "", "  A@X.EXAMPLE ", "b@x.example"])
    parts = durable_floor(csv_path, f"sqlite:///{tmp_path / 'cam.db'}", tmp_path)
    with sqlite3.connect(tmp_path / "floor.db") as conn:
        stored = conn.execute("SELECT email, first_name FROM floor_leads ORDER BY email").fetchall()
    assert stored == [("a@x.example", "Fir0"), ("b@x.example", "Fir3")]
    assert pq.read_table(tmp_path / "floor.parquet").column("email").to_pylist() == ["a@x.example", "b@x.example"]
    assert parts["rows"] == 2


def test_a_later_day_shares_no_address_with_the_earlier_rows(tmp_path: Path) -> None:
    earlier = set(rows(0, 700)["Email"].str.strip().str.lower())
    day = write_export(tmp_path / "day.csv", 300, start=700).read_text(encoding="utf-8")
    later = {line.split(",")[9].strip().lower() for line in day.splitlines()[1:]}
    assert not (earlier - {""}) & (later - {""})


def test_seeded_history_is_what_the_planner_and_a_day_read(tmp_path: Path) -> None:
    campaign = _campaign(tmp_path, "outbox", daily_cap=250)
    url = f"sqlite:///{tmp_path / 'cam.db'}"
    engine = schema.engine_for(url)
    written = history.seed(engine, campaign, DAY, 3000, pipeline.SECRET, str(tmp_path / "outbox"))
    with engine.connect() as conn:
        unsent = conn.execute(
            sa.text(
                "SELECT count(*) FROM leads l WHERE status IN ('contacted', 'replied', 'bounced', 'unsubscribed')"
                " AND NOT EXISTS (SELECT 1 FROM sends s WHERE s.email = l.email)"
            )
        ).scalar_one()
        late = conn.execute(sa.text("SELECT count(*) FROM sends WHERE send_day >= :d"), {"d": DAY}).scalar_one()
    assert written["sends"] > 0 and unsent == 0 and late == 0
    csv_path = write_export(tmp_path / "day.csv", 1000, start=3000)
    (tmp_path / "out").mkdir()
    _, counts = pipeline.run([csv_path], campaign, DAY, url, tmp_path / "out")
    assert counts["nurture_batch"] == 250  # the cap: history's due follow-ups and the day's new leads compete
    with engine.connect() as conn:
        today = conn.execute(sa.text("SELECT count(*) FROM leads WHERE first_seen = :d"), {"d": DAY}).scalar_one()
    qualified = pq.read_table(tmp_path / "out" / "qualified.parquet", columns=["email"]).column("email")
    # Every lead of the day is new (first seen today): none of them was in the history.
    assert today == sum(1 for e in qualified.to_pylist() if e)
