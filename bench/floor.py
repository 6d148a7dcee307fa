"""The durable floor: the least any pipeline must do to make a lead file's rows durable.

Parse the CSV with pyarrow (all columns as text), load every row once into a table keyed
by email by the database's fastest bulk path, and write the table as one Parquet file:
- rows whose email is empty, and repeats of an email (compared trimmed and lower-cased,
  as CAM compares them; the first row is kept), are dropped with pyarrow compute before
  the load, so the primary key holds;
- SQLite: a file `floor.db` next to CAM's database (same disk, same journal mode, WAL,
  and the same synchronous setting), one transaction of executemany of plain tuples into
  `floor_leads (email TEXT PRIMARY KEY, ...)`;
- PostgreSQL: `floor_leads` in the CAM database itself, `COPY ... FROM STDIN` of the rows
  as CSV in one transaction.
No scoring, no statuses, no second index, no read back: anything CAM does beyond this is
the work the ratio to this floor measures.
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import sqlalchemy as sa

from bench.loading import load
from cam_core.state.schema import supported_url

TABLE = "floor_leads"


def _column_name(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.lower()).strip("_") or "column"


def keyed_rows(csv_path: Path) -> pa.Table:
    """The file's rows as text columns named for SQL, one per non-empty normalised email, first kept."""
    table = pacsv.read_csv(csv_path)
    table = table.rename_columns([_column_name(n) for n in table.column_names])
    table = table.cast(pa.schema([(n, pa.string()) for n in table.column_names]))
    email = pc.utf8_lower(pc.utf8_trim_whitespace(pc.fill_null(table["email"], "")))
    table = table.set_column(table.column_names.index("email"), "email", email)
    table = table.filter(pc.not_equal(email, ""))
    numbered = table.select(["email"]).append_column("row", pa.array(range(table.num_rows), pa.int64()))
    first = numbered.group_by("email", use_threads=False).aggregate([("row", "min")])["row_min"]
    return table.take(pc.take(first, pc.sort_indices(first)))  # in file order


def durable_floor(csv_path: Path, database_url: str, folder: Path) -> dict[str, float]:
    """Seconds to parse, load and write `csv_path` durably (see the module docstring), by part and in total."""
    parts: dict[str, float] = {}
    start = time.perf_counter()
    table = keyed_rows(csv_path)
    parts["parse_s"] = time.perf_counter() - start
    columns = ", ".join(f"{n} TEXT PRIMARY KEY" if n == "email" else f"{n} TEXT" for n in table.column_names)
    mark = time.perf_counter()
    if sa.make_url(database_url).get_backend_name() == "sqlite":
        path = folder / "floor.db"
        path.unlink(missing_ok=True)
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")  # as CAM opens its SQLite database
            conn.execute(f"CREATE TABLE {TABLE} ({columns})")
            conn.execute("BEGIN IMMEDIATE")
            load(conn, "sqlite", TABLE, table)
            conn.execute("COMMIT")
        finally:
            conn.close()
    else:
        engine = sa.create_engine(supported_url(database_url))
        try:
            dbapi = engine.raw_connection()
            try:
                cursor = dbapi.cursor()
                cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
                cursor.execute(f"CREATE TABLE {TABLE} ({columns})")
                cursor.close()
                load(dbapi, "postgresql", TABLE, table)
                dbapi.commit()
            finally:
                dbapi.close()
        finally:
            engine.dispose()
    parts["load_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    pq.write_table(table, folder / "floor.parquet")
    parts["parquet_s"] = time.perf_counter() - mark
    parts["total_s"] = time.perf_counter() - start
    parts["rows"] = table.num_rows
    return parts
