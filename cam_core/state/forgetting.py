"""Erasing people from every table (`cam forget`), in one transaction.

Every table of `schema.metadata` is searched, every text column, for the address as a
whole in any case (`cam_core.erasure.address_pattern`), so a table added later is
covered without a change here. A row found:
- is deleted when it is about the person: its `email` column holds the address, a
  key column does, or it is an event or an enrichment answer that mentions them
  (a provider's payload, a cached answer);
- otherwise (someone else's row that mentions them, in a note say) keeps its place
  with the address replaced by `[forgotten]`.
The person's name-and-company and LinkedIn cache keys go too (`enrichment_cache`).

What stays: on the suppression list, the keyed hash of the address in place of the
address (reason `forgotten`), so the address is never written to again and cannot
be read back without the key; in `lead_history`, one row per campaign that knew them,
`<status> -> forgotten`, under the same keyed hash.

On SQLite the deleted bytes are overwritten (`secure_delete`) and the file is rebuilt
(VACUUM) with its write-ahead log emptied, so nothing of the rows stays on disk. On
PostgreSQL the old row versions stay in the table files until VACUUM reuses their space.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cam_core.erasure import address_pattern, found_in, normalised, spellings
from cam_core.linkedin import profile_urls
from cam_core.state import schema, suppression
from cam_core.state.history import Stamp
from cam_core.unsubscribe import keyed_hash
from cam_core.vocabulary import LeadStatus

#: What replaces the address in a row that only mentions the person.
REDACTED = "[forgotten]"
#: Tables whose every row that mentions the person is about them.
_ABOUT_WHOEVER_IT_MENTIONS = ("events", "enrichment_cache")
SOURCE = "cam forget"


@dataclass
class Forgotten:
    deleted: dict[str, int] = field(default_factory=dict)  # table -> rows deleted
    redacted: dict[str, int] = field(default_factory=dict)  # table -> rows that only mentioned them, redacted
    found: set[str] = field(default_factory=set)  # the addresses some table held
    suppression: dict[str, str] = field(default_factory=dict)  # address -> its reason on the list before, if any
    audited: int = 0  # lead_history rows added under the keyed hash, one per campaign that knew them
    compacted: bool = False  # SQLite rebuilt, nothing of the rows left on disk


def _text_columns(table: sa.Table) -> list[sa.Column]:
    return [c for c in table.columns if isinstance(c.type, sa.String)]


def _row_filter(row: sa.Row, columns: list[sa.Column]) -> sa.ColumnElement[bool]:
    return sa.and_(*(c.is_(None) if row._mapping[c.name] is None else c == row._mapping[c.name] for c in columns))


def _cache_keys(conn: Connection, emails: list[str], pattern: re.Pattern[str]) -> list[str]:
    """The person's other enrichment cache keys: by name at company domain, by LinkedIn profile."""
    lead, cache = schema.leads, schema.enrichment_cache
    people: list[tuple[object, object, object]] = [
        tuple(row)
        for row in conn.execute(
            sa.select(lead.c.first_name, lead.c.last_name, lead.c.domain).where(sa.func.lower(lead.c.email).in_(emails))
        )
    ]
    answers = conn.execute(
        sa.select(cache.c.data).where(
            sa.or_(*(sa.func.lower(cache.c.data).contains(e, autoescape=True) for e in emails))
        )
    ).scalars()
    linkedin = []
    for data in answers:
        try:
            answer = json.loads(data)
        except ValueError:
            continue
        if isinstance(answer, dict) and found_in(pattern, data):
            people.append((answer.get("first_name"), answer.get("last_name"), answer.get("domain")))
            linkedin.append(str(answer.get("linkedin_url") or ""))
    keys = {
        f"name:{str(first).strip().lower()} {str(last).strip().lower()}@{str(domain).strip().lower()}"
        for first, last, domain in people
        if first and last and domain
    }
    keys |= {f"linkedin:{url}" for url in profile_urls(pd.Series(linkedin, dtype="str")) if url}
    return sorted(keys)


def _erase_table(
    conn: Connection, table: sa.Table, pattern: re.Pattern[str], emails: list[str], out: Forgotten
) -> None:
    texts = _text_columns(table)
    if not texts:
        return
    near = sa.or_(*(sa.func.lower(c).contains(e, autoescape=True) for c in texts for e in emails))
    key = list(table.primary_key.columns) or list(table.columns)
    deleted = redacted = 0
    for row in conn.execute(sa.select(table).where(near)).all():
        held = {c.name: found_in(pattern, v) for c in texts if isinstance(v := row._mapping[c.name], str)}
        if not any(held.values()):
            continue  # `lower(...) LIKE` also finds the address inside a longer one
        out.found |= set().union(*held.values())
        about_them = (
            table.name in _ABOUT_WHOEVER_IT_MENTIONS
            or bool(held.get("email"))
            or any(held.get(c.name) for c in table.primary_key.columns)
        )
        if about_them:
            conn.execute(table.delete().where(_row_filter(row, key)))
            deleted += 1
        else:
            changes = {name: pattern.sub(REDACTED, row._mapping[name]) for name, hits in held.items() if hits}
            conn.execute(table.update().where(_row_filter(row, key)).values(**changes))
            redacted += 1
    if deleted:
        out.deleted[table.name] = deleted
    if redacted:
        out.redacted[table.name] = redacted


def _compact(engine: Engine) -> bool:
    """SQLite: rebuild the file and empty the write-ahead log, so no deleted row stays on disk."""
    if engine.dialect.name != "sqlite":
        return False
    with engine.connect() as conn:
        raw = conn.connection.driver_connection  # autocommit: VACUUM runs outside any transaction
        assert raw is not None
        try:
            raw.execute("VACUUM")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError:  # busy (a run is writing): `cam forget` again compacts it
            return False
    return True


def forget(engine: Engine, emails: list[str], secret: str, stamp: Stamp) -> Forgotten:
    """Erase the people with these addresses from every table; keep only keyed hashes (see above).

    `secret` is the key of the hashes (`CamResource.signing_secret()`): the same key every
    suppression check uses. Forgetting someone twice is harmless.
    """
    emails = sorted({normalised(e) for e in emails if e.strip()})
    pattern = address_pattern(emails)
    # Rows are searched for every spelling (a provider payload holds the punycode one);
    # rows stored before addresses had one spelling are found by either.
    needles = spellings(emails)
    out = Forgotten()
    lead, listed = schema.leads, schema.suppression
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA secure_delete = ON")
        campaigns = conn.execute(
            sa.select(lead.c.campaign, lead.c.email, lead.c.status).where(sa.func.lower(lead.c.email).in_(needles))
        ).all()
        for name in sorted({c for c, _, _ in campaigns}):
            schema.lock_campaign_leads(conn, name)
        out.suppression = {
            str(e).lower(): str(r)
            for e, r in conn.execute(
                sa.select(listed.c.email, listed.c.reason).where(sa.func.lower(listed.c.email).in_(needles))
            ).all()
        }
        cache_keys = _cache_keys(conn, needles, pattern)
        for table in schema.metadata.tables.values():  # as `schema` defines them: leads first
            _erase_table(conn, table, pattern, needles, out)
        if cache_keys:
            cache = schema.enrichment_cache
            gone = conn.execute(cache.delete().where(cache.c.lookup_key.in_(cache_keys))).rowcount
            if gone:
                out.deleted[cache.name] = out.deleted.get(cache.name, 0) + gone
        hashes = {e: keyed_hash(e, secret) for e in emails}
        suppression.add(conn, sorted(hashes.values()), LeadStatus.FORGOTTEN, SOURCE, stamp.at)
        if campaigns:  # the leads rows are gone: the audit of their erasure keeps only the keyed hash
            audit = [
                {
                    "campaign": c,
                    "email": hashes[normalised(e)],
                    "from_status": s,
                    "to_status": LeadStatus.FORGOTTEN,
                    "at": stamp.at,
                    "cause": "forgotten on request",
                    "source": stamp.source,
                }
                for c, e, s in campaigns
                if s != LeadStatus.FORGOTTEN
            ]
            if audit:
                conn.execute(schema.lead_history.insert(), audit)
            out.audited = len(audit)
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA secure_delete = OFF")
    out.compacted = _compact(engine)
    return out
