"""`python -m bench.table_sizes [--history N]`: bytes a lead costs in CAM's tables on PostgreSQL.

Seeds N earlier leads (`bench.history`, as `python -m bench --history` does) into a throw-away
PostgreSQL server, ANALYZEs, and prints one JSON line: each table's rows, total and index size
(MiB). The README's sizing of a 10M-lead database scales these.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import sqlalchemy as sa

from bench import history, pipeline
from bench.__main__ import DAY, _campaign, throwaway_database
from cam_core.state import schema

TABLES = ("leads", "enrolments", "sends", "lead_history", "suppression")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.table_sizes")
    parser.add_argument("--history", type=int, default=300_000, help="earlier leads to seed (default 300000)")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="cam-bench-sizes-") as scratch,
        throwaway_database(Path(scratch), postgres=True) as url,
    ):
        campaign = _campaign(Path(scratch), "outbox", daily_cap=250)
        engine = schema.engine_for(url)
        history.seed(engine, campaign, DAY, args.history, pipeline.SECRET, str(Path(scratch) / "outbox"))
        result: dict[str, object] = {"history_leads": args.history}
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
            for table in TABLES:
                rows = conn.execute(sa.select(sa.func.count()).select_from(schema.metadata.tables[table])).scalar_one()
                total, indexes = conn.execute(
                    sa.text("SELECT pg_total_relation_size(:t), pg_indexes_size(:t)"), {"t": table}
                ).one()
                result[table] = {
                    "rows": rows,
                    "total_mib": round(total / 2**20, 1),
                    "index_mib": round(indexes / 2**20, 1),
                }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
