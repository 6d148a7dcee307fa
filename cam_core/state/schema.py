"""The CAM database: its tables, the engine for a URL, and the locks writers take.

SQLite file in the CAM home by default, PostgreSQL through `CAM_DATABASE_URL`.
Each table's writers are listed in `cam_core.state`'s docstring. Tables:
- `leads`: one row per (campaign, email) with its lifecycle status and why.
- `enrolments`: which sequence a lead is in, and since which day.
- `sends`: the send ledger, one row per (campaign, email, step), ever.
- `send_batches`: each provider batch in flight, frozen as handed over, until its rows are final.
- `send_quota`: one row per (campaign or sending domain, day), locked while sends
  are claimed so concurrent runs cannot both spend the same room under a cap.
- `suppression`: addresses never to be written to again, in any campaign.
- `events`: what providers and recipients told CAM (deliveries, bounces, complaints,
  unsubscribes, opens, clicks, inbound mail), each once, as it arrived.
- `replies`: every reply taken in (IMAP, Resend inbound, a file), once, with the send it
  answers, what it says and why.
- `lead_history`: one row per change of a lead's status: from, to, when, why, on whose word.
- `sending_pauses`: campaigns whose sending the reputation guard stopped, and when `cam resume` lifted it.
- `harvest_rejects`: the rows `harvest` could not use, replaced per partition.
- `review_queue`: leads in a campaign's review band, and what a person decided.
- `enrichment_cache`: what each provider answered for a person (found or not), by
  normalised email, LinkedIn URL or name at domain, so nobody is paid for twice.
"""

from __future__ import annotations

import zlib
from functools import cache
from typing import Any

import sqlalchemy as sa
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
    sa.Column("paused_until", sa.String(10)),  # an out-of-office: no step before this day
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
    # The day planning found the enrolment can never be due again (its sequence done, or a step
    # failed for good): a day's planning reads the open ones only, however long the history.
    sa.Column("closed_on", sa.String(10)),
    sa.Index("ix_enrolments_campaign_open", "campaign", "closed_on"),
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
    # Empty for a row that never went into a batch (its message could not be rendered).
    sa.Column("batch_id", sa.String(64), nullable=False),
    sa.Column("message_id", sa.Text),
    sa.Column("token_id", sa.String(32), index=True),  # the opaque id its unsubscribe link carries
    sa.Column("location", sa.Text),  # outbox file, or the provider's id
    sa.Column("error", sa.Text),
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("campaign", "email", "step", name="uq_sends_campaign_email_step"),
    sa.Index("ix_sends_campaign_day", "campaign", "send_day"),
    sa.Index("ix_sends_domain_day", "sender_domain", "send_day"),
    sa.Index("ix_sends_campaign_status", "campaign", "status"),  # a run's look for pending rows to repair
    sa.Index("ix_sends_campaign_email", "campaign", "email"),  # planning's look at its open leads' steps
)

# A provider batch frozen just before its hand-over: its members' rendered messages under its
# idempotency key, so a repair resends exactly this payload, whatever changed since. Deleted
# when no member is pending any more; only batches in flight (or left by a killed run) are here.
send_batches = sa.Table(
    "send_batches",
    metadata,
    sa.Column("batch_id", sa.String(64), primary_key=True),
    sa.Column("campaign", sa.String(64), nullable=False),
    sa.Column("send_day", sa.String(10), nullable=False),
    sa.Column("messages", sa.Text, nullable=False),  # JSON list of the rendered batch rows, in order
    sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=False),
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
    sa.Column("kind", sa.String(16), nullable=False),  # an EventKind
    sa.Column("day", sa.String(10), nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, default=""),
    # The ledger row the event is about (matched by the provider's email id), when known.
    sa.Column("send_key", sa.String(64)),
    sa.Column("step", sa.Integer),
    sa.Column("source", sa.Text),  # webhook:<svix-id>, unsubscribe:<send_key>, file:<name>, ...
    sa.Column("payload", sa.Text),  # the provider's JSON as received, for what CAM does not read yet
    sa.Index("ix_events_campaign_day", "campaign", "day"),
)

replies = sa.Table(
    "replies",
    metadata,
    sa.Column("reply_id", sa.String(200), primary_key=True),  # message-id:<Message-ID>, else source:<its id>
    sa.Column("source", sa.Text, nullable=False),  # imaps://user@host/INBOX, resend, file:<name>
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("day", sa.String(10), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),  # who wrote it
    sa.Column("subject", sa.Text, nullable=False, default=""),
    sa.Column("campaign", sa.String(64), nullable=False, default=""),  # "" when it matched no send
    sa.Column("lead_email", sa.String(320)),  # the lead it answers (a colleague may answer for them)
    sa.Column("send_key", sa.String(64)),
    sa.Column("step", sa.Integer),
    sa.Column("matched_by", sa.String(16), nullable=False, default=""),  # in_reply_to, reply_address, sender
    sa.Column("reply_class", sa.String(16), nullable=False),  # a ReplyClass
    sa.Column("reason", sa.Text, nullable=False, default=""),
    sa.Column("return_date", sa.String(10)),
    sa.Column("referral", sa.String(320)),
    sa.Column("classified_by", sa.String(16), nullable=False, default="rules"),  # rules, or cli (a person)
    sa.Column("raw", sa.LargeBinary, nullable=False),  # the message as received, for reading and reclassifying
    sa.Index("ix_replies_campaign_day", "campaign", "day"),
    sa.Index("ix_replies_email", "email"),
)

lead_history = sa.Table(
    "lead_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("campaign", sa.String(64), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("from_status", sa.String(16), nullable=False),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("cause", sa.Text, nullable=False),  # qualification, routing, sent, event:bounce, marked by hand, ...
    sa.Column("source", sa.Text, nullable=False),  # asset:<run id>, webhook:<svix-id>, cli, ...
    sa.Index("ix_lead_history_email", "email"),
)

sending_pauses = sa.Table(
    "sending_pauses",
    metadata,
    sa.Column("campaign", sa.String(64), primary_key=True),
    sa.Column("paused_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    # Set by `cam resume`: the pause is lifted, and the guard counts only sends after it.
    sa.Column("resumed_at", sa.DateTime(timezone=True)),
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
    sa.Column("day", sa.String(10), nullable=False),  # the partition that queued it (rerun after a decision)
    sa.Column("score", sa.Integer),
    sa.Column("reason", sa.Text, nullable=False, default=""),
    sa.Column("score_breakdown", sa.Text, nullable=False, default=""),
    sa.Column("status", sa.String(16), nullable=False),  # pending, approved, rejected
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
    sa.Column("data", sa.Text, nullable=False, default="{}"),  # JSON of the lead fields the provider filled
    sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
)


#: How long a SQLite writer waits for another's write transaction before "database is locked".
#: Runs hold the lock for seconds at most, so a wait this long means something is stuck.
SQLITE_BUSY_SECONDS: float = 30.0


def _sqlite_serialised_writes(engine: Engine) -> None:
    # pysqlite's default deferred BEGIN lets two writers read the same count and
    # both act on it; BEGIN IMMEDIATE takes the write lock up front, so caps and
    # claims are checked and spent under one lock, as on PostgreSQL.
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
        # A million-lead upsert walks far more B-tree pages than the default 2 MB cache
        # holds. Staging tables stay in SQLite's temporary file: in memory (temp_store)
        # they cost ~550 MB of RSS at a million leads and saved no time.
        cursor.execute("PRAGMA cache_size=-65536")  # KiB: 64 MB a connection, allocated only as used
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class SchemaMismatch(RuntimeError):
    """The database was made by an older CAM whose tables lack columns this one needs."""


def _check_schema(engine: Engine) -> None:
    """Add the nullable columns a newer CAM brought; refuse a database that lacks any other."""
    inspector = sa.inspect(engine)
    for table in metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        have = {c["name"] for c in inspector.get_columns(table.name)}
        addable = [c for c in table.columns if c.name not in have and c.nullable and not c.primary_key]
        if addable:
            with engine.begin() as conn:
                for column in addable:
                    kind = column.type.compile(dialect=conn.dialect)
                    conn.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}')
        missing = [c.name for c in table.columns if c.name not in have and c not in addable]
        if missing:
            raise SchemaMismatch(
                f"table {table.name} in {engine.url.render_as_string(hide_password=True)} lacks "
                f"{', '.join(missing)}: it was made by an older CAM. Move the old database aside "
                "(for the default, delete $CAM_HOME/cam.db) and rerun."
            )


@cache
def engine_for(url: str) -> Engine:
    """One engine per URL per process, with the schema created.

    `postgresql://` and `postgres://` mean psycopg2, the driver CAM installs; a URL naming a
    driver CAM cannot use is a `DatabaseUrlError` that says which forms it takes.
    """
    parsed = supported_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_SECONDS})
        _sqlite_serialised_writes(engine)
    else:
        engine = sa.create_engine(parsed, pool_pre_ping=True)
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
        # create_all makes missing tables only; an index a newer CAM added to an old table is made here.
        for table in metadata.sorted_tables:
            for index in table.indexes:
                index.create(conn, checkfirst=True)


def lock_until_commit(conn: Connection, *name: str) -> None:
    """Serialise the transactions that take the lock of the same `name` until each ends.

    SQLite's BEGIN IMMEDIATE (above) already serialises every writer; PostgreSQL takes a
    transaction-level advisory lock, so the next holder's statements see what the last committed.
    """
    if conn.dialect.name == "postgresql":
        key = zlib.crc32(":".join(("cam", *name)).encode())
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


def lock_campaign_leads(conn: Connection, campaign: str) -> None:
    """Serialise writes to one campaign's lead rows until the transaction ends.

    Two runs of a campaign write the same rows in bulk (one upserting every lead, another
    marking some contacted); PostgreSQL locks rows in whatever order each plan visits them,
    so without this they can deadlock.
    """
    lock_until_commit(conn, "leads", campaign)


#: The forms of URL CAM takes: its backends, each with the one driver it installs.
DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg2"}
URL_FORMS = "sqlite:///path/to/cam.db or postgresql://user:password@host:5432/database"


class DatabaseUrlError(ValueError):
    """A database URL CAM cannot use: unparseable, or a backend or driver it does not install."""


def supported_url(url: str) -> sa.URL:
    """The URL with the driver CAM installs made explicit; a `DatabaseUrlError` for any other.

    SQLAlchemy 2.1 reads a bare `postgresql://` as psycopg 3 and no longer knows `postgres://`;
    the form most people write means psycopg2 here, so both are rewritten to it.
    """
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        # The text may hold a password: it is not repeated.
        raise DatabaseUrlError(f"the database URL is not in a form CAM reads; write it as {URL_FORMS}") from None
    backend = "postgresql" if parsed.get_backend_name() == "postgres" else parsed.get_backend_name()
    driver = parsed.get_driver_name() if "+" in parsed.drivername else DRIVERS.get(backend, "")
    if DRIVERS.get(backend) != driver:
        raise DatabaseUrlError(
            f"the database URL names {parsed.drivername}://, which CAM cannot use "
            f"(it installs {', '.join(f'{b}+{d}' for b, d in DRIVERS.items())}); write it as {URL_FORMS}"
        )
    return parsed.set(drivername=f"{backend}+{driver}")
