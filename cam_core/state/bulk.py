"""Set-based SQL for DataFrames: read a query into a frame, and insert, upsert, update or
replace many rows in one statement through a temporary staging table.

A stage's rows are loaded into a staging table (`COPY ... FROM STDIN` on PostgreSQL,
one executemany of plain tuples per STAGE_CHUNK rows on SQLite) and applied by one
`INSERT ... SELECT` (in key order, so concurrent writers lock rows in the same order)
or one `UPDATE ... FROM`: never a statement compiled per row, never a commit per lead.
Every function runs in the caller's transaction.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from cam_core.state import schema


def read_frame(conn: Connection, query: sa.Executable, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A query's rows as a DataFrame (named by `columns`, else by the query's own names)."""
    result = conn.execute(query)
    # Plain tuples: pandas probes each SQLAlchemy Row for namedtuple fields, which costs ~10 µs a row.
    return pd.DataFrame([tuple(row) for row in result.all()], columns=list(columns or result.keys()))


def insert_for(conn: Connection, table: sa.Table) -> Any:
    dialect = conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"CAM supports SQLite and PostgreSQL, not {dialect}: point CAM_DATABASE_URL at one of them")


Rows = Sequence[Mapping[str, Any]] | pd.DataFrame


def insert_ignoring_conflicts(conn: Connection, table: sa.Table, rows: Rows) -> None:
    """Insert rows; a row whose key is taken is skipped. A DataFrame goes through a staging table."""
    if len(rows) == 0:
        return
    if isinstance(rows, pd.DataFrame):
        with staged(conn, table, rows) as stage:
            conn.execute(_insert_from(conn, table, stage).on_conflict_do_nothing())
    else:
        conn.execute(insert_for(conn, table).on_conflict_do_nothing(), list(rows))


def upsert(conn: Connection, table: sa.Table, rows: Rows, keys: Iterable[str], updates: Mapping[str, Any]) -> None:
    """Insert rows; on a key conflict, apply `updates` (expressions may use `excluded`).

    A DataFrame is loaded into a staging table and upserted by one INSERT ... SELECT;
    a short list of dicts is sent as it is.
    """
    if len(rows) == 0:
        return
    if isinstance(rows, pd.DataFrame):
        with staged(conn, table, rows) as stage:
            upsert_staged(conn, table, stage, keys, updates)
    else:
        conn.execute(_on_conflict_update(insert_for(conn, table), keys, updates), list(rows))


def upsert_staged(
    conn: Connection, table: sa.Table, stage: sa.Table, keys: Iterable[str], updates: Mapping[str, Any]
) -> None:
    """`upsert` of rows already `staged` (for a caller that also reads the stage, say to audit)."""
    conn.execute(_on_conflict_update(_insert_from(conn, table, stage, order_by=keys), keys, updates))


def incoming(column: str) -> Callable[[Any], Any]:
    """An `upsert` update that takes the incoming row's value of `column`."""
    return lambda excluded: excluded[column]


def _on_conflict_update(stmt: Any, keys: Iterable[str], updates: Mapping[str, Any]) -> Any:
    resolved = {k: (v(stmt.excluded) if callable(v) else v) for k, v in updates.items()}
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=resolved)


def _insert_from(conn: Connection, table: sa.Table, stage: sa.Table, order_by: Iterable[str] = ()) -> Any:
    # Rows go in key order so concurrent writers lock them in the same order; the
    # WHERE is SQLite's rule for INSERT ... SELECT with an upsert clause.
    query = sa.select(*stage.c).where(sa.true()).order_by(*(stage.c[k] for k in order_by))
    return insert_for(conn, table).from_select([c.name for c in stage.c], query)


def update_rows(
    conn: Connection,
    table: sa.Table,
    rows: pd.DataFrame,
    match: Mapping[str, str],
    values: Mapping[str, Any],
    where: Sequence[sa.ColumnElement] = (),
) -> None:
    """Update many rows, each by its own key, in the caller's transaction: one UPDATE ... FROM.

    `match` maps a table column to the frame column that must equal it; `values` maps
    a column to a frame column name (a str) or to a callable taking the staged
    frame's columns (`c.name`) and returning an expression.
    """
    if rows.empty:
        return
    with staged(
        conn,
        table,
        rows,
        types={
            f: table.c[c].type for c, f in (*match.items(), *((c, v) for c, v in values.items() if isinstance(v, str)))
        },
    ) as stage:
        resolved = {c: (v(stage.c) if callable(v) else stage.c[v]) for c, v in values.items()}
        conn.execute(
            table.update()
            .where(*where, *(table.c[col] == stage.c[field] for col, field in match.items()))
            .values(resolved)
        )


@contextmanager
def staged(
    conn: Connection, like: sa.Table, frame: pd.DataFrame, types: Mapping[str, sa.types.TypeEngine] | None = None
) -> Iterator[sa.Table]:
    """`frame` loaded into a temporary table on this connection, dropped afterwards.

    Each column takes the type of `like`'s column of that name (or `types[name]`,
    else text). PostgreSQL loads it with COPY; SQLite, which has no network round
    trip, with executemany of plain tuples; STAGE_CHUNK rows at a time. Either way
    no SQLAlchemy statement is compiled per row, which is what made large writes slow.
    """
    types = {**{c.name: c.type for c in like.c}, **(types or {})}
    stage = sa.Table(
        f"cam_stage_{uuid.uuid4().hex[:12]}",
        sa.MetaData(),
        *(sa.Column(name, types.get(name, sa.Text())) for name in frame.columns),
        prefixes=["TEMPORARY"],
    )
    stage.create(conn)
    try:
        for start in range(0, len(frame), STAGE_CHUNK):
            _load(conn, stage, _arrow_columns(frame.iloc[start : start + STAGE_CHUNK], stage))
        yield stage
    finally:
        stage.drop(conn)


#: Rows converted and loaded at a time: a million rows never exist as Python values at once.
STAGE_CHUNK = 100_000


def _load(conn: Connection, stage: sa.Table, columns: list[pa.Array]) -> None:
    names = [c.name for c in stage.c]
    if conn.dialect.name == "postgresql":
        buffer = io.BytesIO()
        pacsv.write_csv(
            pa.table(columns, names=names), buffer, pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
        )
        buffer.seek(0)
        quoted = ", ".join(conn.dialect.identifier_preparer.quote(n) for n in names)
        # CSV: an unquoted empty field is NULL, a quoted one ("") the empty string.
        # psycopg2's own connection: SQLAlchemy's DBAPI protocol knows nothing of COPY.
        psycopg: Any = conn.connection.driver_connection
        cursor = psycopg.cursor()
        try:
            cursor.copy_expert(f"COPY {stage.name} ({quoted}) FROM STDIN WITH (FORMAT csv)", buffer)
        finally:
            cursor.close()
        return
    values = []
    for column, array in zip(stage.c, columns, strict=True):
        python = array.to_pylist()
        process = column.type.bind_processor(conn.dialect)
        values.append([None if v is None else process(v) for v in python] if process else python)
    marks = ", ".join("?" * len(columns))
    conn.exec_driver_sql(f"INSERT INTO {stage.name} VALUES ({marks})", list(zip(*values, strict=True)))


def _arrow_columns(frame: pd.DataFrame, stage: sa.Table) -> list[pa.Array]:
    """Each frame column as an Arrow array of its SQL column's kind, missing values as nulls."""
    arrays = []
    for column in stage.c:
        series = frame[column.name]
        kind = column.type._type_affinity
        if kind is sa.Integer:
            arrays.append(pa.array(series.astype("Int64").array))
        elif kind is sa.Boolean:
            arrays.append(pa.array(series.astype("boolean").array))
        elif kind is sa.DateTime:
            arrays.append(pa.array(pd.to_datetime(series, utc=True).astype("datetime64[us, UTC]")))
        else:
            arrays.append(pa.array(series.astype("str"), type=pa.string()))
    return arrays


def replace_partition(conn: Connection, table: sa.Table, campaign: str, day: str, rows: Rows) -> None:
    """Delete one campaign-day slice and insert its new rows, in the caller's transaction.

    Two runs of one partition replace it one after the other: under PostgreSQL's READ
    COMMITTED, a delete that waited on the other's rows would miss the rows it inserted,
    and the slice would hold both runs' rows.
    """
    schema.lock_until_commit(conn, table.name, campaign, day)
    conn.execute(table.delete().where(table.c.campaign == campaign, table.c.day == day))
    if len(rows) == 0:
        return
    if isinstance(rows, pd.DataFrame):
        with staged(conn, table, rows) as stage:
            conn.execute(_insert_from(conn, table, stage))
    else:
        conn.execute(table.insert(), list(rows))
