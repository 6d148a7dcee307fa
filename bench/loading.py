"""Loading Arrow tables into a database by its fastest bulk path, for the bench's own tables.

SQLite: executemany of plain tuples, 100 000 rows at a time, in the caller's transaction.
PostgreSQL: `COPY ... FROM STDIN` of the rows written as CSV by pyarrow (as
`cam_core.state.bulk` stages rows), an unquoted empty field being NULL.
Both work on the DB-API connection, so no SQLAlchemy statement is built per row.
"""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

#: Rows turned into Python values (SQLite) or CSV bytes (PostgreSQL) at a time.
BATCH = 100_000


def load(dbapi: Any, dialect: str, table: str, rows: pa.Table) -> None:
    """Append `rows` (columns named as the table's) to `table`, in the connection's open transaction."""
    names = rows.column_names
    if dialect == "postgresql":
        quoted = ", ".join(f'"{n}"' for n in names)
        cursor = dbapi.cursor()
        try:
            for batch in rows.to_batches(max_chunksize=BATCH):
                buffer = io.BytesIO()
                options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
                pacsv.write_csv(pa.Table.from_batches([batch]), buffer, options)
                buffer.seek(0)
                cursor.copy_expert(f"COPY {table} ({quoted}) FROM STDIN WITH (FORMAT csv)", buffer)
        finally:
            cursor.close()
        return
    marks = ", ".join("?" * len(names))
    statement = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})"
    cursor = dbapi.cursor()
    try:
        for batch in rows.to_batches(max_chunksize=BATCH):
            cursor.executemany(statement, list(zip(*(c.to_pylist() for c in batch.columns), strict=True)))
    finally:
        cursor.close()
