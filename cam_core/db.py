"""The CAM database: state that spans partitions, through SQLAlchemy Core.

SQLite file in the CAM home by default, PostgreSQL through `CAM_DATABASE_URL`.
Tables:
- `leads`: one row per (campaign, email) with its lifecycle status and why.
- `enrolments`: which sequence a lead is in, and since which day.
- `sends`: the send ledger, one row per (campaign, email, step), ever.
- `send_quota`: one row per (campaign or sending domain, day), locked while sends
  are claimed so concurrent runs cannot both spend the same room under a cap.
- `suppression`: addresses never to be written to again, in any campaign.
- `events`: replies, bounces, complaints, unsubscribes as they arrive.
- `harvest_rejects`: the rows `harvest` could not use, replaced per partition.
- `review_queue`: leads in a campaign's review band, and what a person decided.
- `enrichment_cache`: what each provider answered for a person (found or not), by
  normalised email, LinkedIn URL or name at domain, so nobody is paid for twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

metadata = sa.MetaData()

leads = sa.Table(
    "leads",
    metadata,
    sa.Column("campaign", sa.String(64), primary_key=True),
    sa.Column("email", sa.String(320), primary_key=True),
    sa.Column("first_name", sa.Text, nullable=False, default=""),
    sa.Column("last_name", sa.Text, nullable=False, default=""),
    sa.Column("title", sa.Text, nullable=False, default=""),
    sa.Column("company", sa.Text, nullable=False, default=""),
    sa.Column("domain", sa.Text, nullable=False, default=""),
    sa.Column("industry", sa.Text, nullable=False, default=""),
    sa.Column("country", sa.Text, nullable=False, default=""),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("icp_score", sa.Integer),
    sa.Column("score_breakdown", sa.Text, nullable=False, default=""),
    sa.Column("tier", sa.String(8)),
    sa.Column("sequence", sa.String(64)),
    sa.Column("reason", sa.Text, nullable=False, default=""),
    sa.Column("first_seen", sa.String(10), nullable=False),
    sa.Column("updated_on", sa.String(10), nullable=False),
    sa.Index("ix_leads_campaign_status", "campaign", "status"),
)

enrolments = sa.Table(
    "enrolments",
    metadata,
    sa.Column("campaign", sa.String(64), primary_key=True),
    sa.Column("email", sa.String(320), primary_key=True),
    sa.Column("sequence", sa.String(64), nullable=False),
    sa.Column("tier", sa.String(8), nullable=False),
    sa.Column("enrolled_on", sa.String(10), nullable=False),
)

sends = sa.Table(
    "sends",
    metadata,
    sa.Column("send_key", sa.String(64), primary_key=True),
    sa.Column("campaign", sa.String(64), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("sequence", sa.String(64), nullable=False),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("send_day", sa.String(10), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending, sent, failed
    sa.Column("provider", sa.String(16), nullable=False),
    sa.Column("sender_domain", sa.String(255), nullable=False),
    sa.Column("variant", sa.String(64), nullable=False, default="main"),
    # The provider call this row travels in; its idempotency key, so a repair resends the same batch.
    sa.Column("batch_id", sa.String(64), nullable=False),
    sa.Column("message_id", sa.Text),
    sa.Column("location", sa.Text),  # outbox file, or the provider's id
    sa.Column("error", sa.Text),
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("campaign", "email", "step", name="uq_sends_campaign_email_step"),
    sa.Index("ix_sends_campaign_day", "campaign", "send_day"),
    sa.Index("ix_sends_domain_day", "sender_domain", "send_day"),
)

send_quota = sa.Table(
    "send_quota",
    metadata,
    sa.Column("scope", sa.String(300), primary_key=True),  # "campaign:<name>" or "domain:<domain>"
    sa.Column("day", sa.String(10), primary_key=True),
    sa.Column("claims", sa.Integer, nullable=False, default=0),
)

suppression = sa.Table(
    "suppression",
    metadata,
    sa.Column("email", sa.String(320), primary_key=True),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("source", sa.Text, nullable=False, default=""),
    sa.Column("suppressed_at", sa.DateTime(timezone=True), nullable=False),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("event_id", sa.String(128), primary_key=True),
    sa.Column("campaign", sa.String(64), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # reply, bounce, complaint, unsubscribe
    sa.Column("day", sa.String(10), nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, default=""),
    sa.Index("ix_events_campaign_day", "campaign", "day"),
)

harvest_rejects = sa.Table(
    "harvest_rejects",
    metadata,
    sa.Column("campaign", sa.String(64), nullable=False),
    sa.Column("day", sa.String(10), nullable=False),
    sa.Column("source_file", sa.Text, nullable=False),
    sa.Column("source_row", sa.Integer, nullable=False),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("duplicate_of", sa.Text, nullable=False),
    sa.Index("ix_harvest_rejects_partition", "campaign", "day"),
)

review_queue = sa.Table(
    "review_queue",
    metadata,
    sa.Column("campaign", sa.String(64), primary_key=True),
    sa.Column("email", sa.String(320), primary_key=True),
    sa.Column("day", sa.String(10), nullable=False),          # the partition that queued it (rerun after a decision)
    sa.Column("score", sa.Integer),
    sa.Column("reason", sa.Text, nullable=False, default=""),
    sa.Column("score_breakdown", sa.Text, nullable=False, default=""),
    sa.Column("status", sa.String(16), nullable=False),       # pending, approved, rejected
    sa.Column("decided_by", sa.Text, nullable=False, default=""),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Index("ix_review_queue_campaign_status", "campaign", "status"),
)

enrichment_cache = sa.Table(
    "enrichment_cache",
    metadata,
    sa.Column("lookup_key", sa.String(400), primary_key=True),  # email:..., linkedin:..., name:first last@domain
    sa.Column("provider", sa.String(32), primary_key=True),
    sa.Column("found", sa.Boolean, nullable=False),
    sa.Column("data", sa.Text, nullable=False, default="{}"),   # JSON of the lead fields the provider filled
    sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
)


def _sqlite_serialised_writes(engine: Engine) -> None:
    # pysqlite's default deferred BEGIN lets two writers read the same count and
    # both act on it; BEGIN IMMEDIATE takes the write lock up front, so caps and
    # claims are checked and spent under one lock, as on PostgreSQL.
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class SchemaMismatch(RuntimeError):
    """The database was made by an older CAM whose tables lack columns this one needs."""


def _check_schema(engine: Engine) -> None:
    inspector = sa.inspect(engine)
    for table in metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        have = {c["name"] for c in inspector.get_columns(table.name)}
        missing = [c.name for c in table.columns if c.name not in have]
        if missing:
            raise SchemaMismatch(
                f"table {table.name} in {engine.url.render_as_string(hide_password=True)} lacks "
                f"{', '.join(missing)}: it was made by an older CAM. Move the old database aside "
                "(for the default, delete $CAM_HOME/cam.db) and rerun."
            )


@cache
def engine_for(url: str) -> Engine:
    """One engine per URL per process, with the schema created."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        _sqlite_serialised_writes(engine)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True)
    _check_schema(engine)
    _create_schema(engine)
    return engine


#: pg_advisory_xact_lock key that serialises CAM's schema creation (any constant; "CAM" in ASCII).
_SCHEMA_LOCK = 0x43414D


def _create_schema(engine: Engine) -> None:
    # Several processes may open a fresh PostgreSQL database at once (runs started
    # together by a schedule, or several `cam run`s). `create_all` checks, then
    # creates, so they race: the losers fail with a UniqueViolation on
    # pg_type_typname_nsp_index ("Key (typname, typnamespace)=(leads, 2200) already
    # exists"). PostgreSQL DDL is transactional, so taking a transaction-level lock
    # first makes the others wait, then see the committed tables and create nothing.
    # SQLite needs no lock: BEGIN IMMEDIATE (above) already serialises the transaction.
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_SCHEMA_LOCK)))
        metadata.create_all(conn)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as plain Python values (DB drivers reject numpy scalars and NaN)."""
    plain = frame.astype(object)
    return plain.where(frame.notna(), None).to_dict("records")


#: Rows turned into Python dicts at a time when writing a large frame (bounds memory, not transactions).
WRITE_CHUNK = 50_000


def record_chunks(frame: pd.DataFrame, size: int = WRITE_CHUNK) -> Iterable[list[dict[str, Any]]]:
    """`records(frame)` a slice at a time, so a million rows never exist as dicts at once."""
    for start in range(0, len(frame), size):
        yield records(frame.iloc[start:start + size])


def insert_for(conn: Connection, table: sa.Table) -> Any:
    dialect = conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"CAM supports SQLite and PostgreSQL, not {dialect}: point CAM_DATABASE_URL at one of them")


def insert_ignoring_conflicts(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        conn.execute(insert_for(conn, table).on_conflict_do_nothing(), list(rows))


def upsert(
    conn: Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    keys: Iterable[str],
    updates: Mapping[str, Any],
) -> None:
    """Insert rows; on a key conflict, apply `updates` (expressions may use `excluded`)."""
    if rows:
        stmt = insert_for(conn, table)
        resolved = {k: (v(stmt.excluded) if callable(v) else v) for k, v in updates.items()}
        conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=resolved), list(rows))


#: Rows per statement for set-based updates on PostgreSQL.
UPDATE_CHUNK = 10_000


def update_rows(
    conn: Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    match: Mapping[str, Any],
    values: Mapping[str, Any],
    where: Sequence[sa.ColumnElement] = (),
) -> None:
    """Update many rows, each by its own key, in the caller's transaction.

    `rows` are dicts of plain values; `match` maps a table column name to the row
    field that must equal it; `values` maps a column name to a row field name (a str)
    or to a callable taking the row fields' column-like accessor and returning an
    expression. On PostgreSQL this is set-based: one `UPDATE ... FROM (VALUES ...)`
    per UPDATE_CHUNK rows instead of a round trip per row. SQLite has no network
    round trip and no column aliases for VALUES, so there it is one executemany.
    """
    if not rows:
        return
    fields = list(rows[0])
    if conn.dialect.name == "postgresql":
        for start in range(0, len(rows), UPDATE_CHUNK):
            chunk = rows[start:start + UPDATE_CHUNK]
            source = sa.values(*(sa.column(f, _value_type(table, f, match, values)) for f in fields),
                               name="v").data([tuple(r[f] for f in fields) for r in chunk])
            # Cast: a VALUES column that is NULL in every row would otherwise be text.
            resolved = {c: (v(source.c) if callable(v) else sa.cast(source.c[v], table.c[c].type))
                        for c, v in values.items()}
            conn.execute(
                table.update()
                .where(*where, *(table.c[col] == source.c[field] for col, field in match.items()))
                .values(resolved)
            )
        return
    binds = {f: sa.bindparam(f"b_{f}") for f in fields}
    accessor = _Binds(binds)
    resolved = {c: (v(accessor) if callable(v) else binds[v]) for c, v in values.items()}
    conn.execute(
        table.update().where(*where, *(table.c[col] == binds[field] for col, field in match.items())).values(resolved),
        [{f"b_{f}": r[f] for f in fields} for r in rows],
    )


class _Binds:
    """Row fields as bind parameters, spelled like a VALUES clause's `.c` (`c.name`, `c["name"]`)."""

    def __init__(self, binds: Mapping[str, sa.BindParameter]) -> None:
        self._binds = binds

    def __getitem__(self, name: str) -> sa.BindParameter:
        return self._binds[name]

    def __getattr__(self, name: str) -> sa.BindParameter:
        try:
            return self._binds[name]
        except KeyError:
            raise AttributeError(name) from None


def _value_type(table: sa.Table, field: str, match: Mapping[str, Any], values: Mapping[str, Any]) -> Any:
    """The SQL type of a row field: that of the column it matches or sets, else text."""
    for column, source in (*match.items(), *values.items()):
        if source == field:
            return table.c[column].type
    return sa.Text()


def replace_partition(conn: Connection, table: sa.Table, campaign: str, day: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Delete one campaign-day slice and insert its new rows, in the caller's transaction."""
    conn.execute(table.delete().where(table.c.campaign == campaign, table.c.day == day))
    if rows:
        conn.execute(table.insert(), list(rows))
