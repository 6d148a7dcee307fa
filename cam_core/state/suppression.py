"""The global `suppression` list: addresses never to be written to again, in any campaign.

An entry is an address, or for a person erased by `cam forget` the keyed hash of their
address (`cam_core.unsubscribe.keyed_hash`, reason `forgotten`): the list still refuses
them, and nobody can read the address back from it without the key. So every look at the
list is made for given addresses with the key in hand (`suppressed`, `suppressed_in`,
`suppressed_of`); the addresses are hashed only when the list holds a hashed entry.

Written by `cam suppress` (`suppress`), by `cam_core.engagement.receiving` the moment a
bounce, complaint or unsubscribe arrives (`suppress`), and by `cam forget`
(`forgetting.forget`, through `add`); read by `qualified`, by `nurture_batch` and its
blocking check, and by `sent_emails` at hand-over.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cam_core.state import bulk, schema
from cam_core.unsubscribe import keyed_hash

#: How an entry for a forgotten person starts: the rest is the keyed hash of the address.
HASHED = "sha256:"


def _entries(engine: Engine) -> pd.Series:
    t = schema.suppression
    with engine.connect() as conn:
        found = bulk.read_frame(conn, sa.select(t.c.email, t.c.reason), ["email", "reason"])
    return found.set_index("email")["reason"].astype("str")


def _no_key(secret: str | None) -> str:
    if not secret:
        raise ValueError("the suppression list holds forgotten people by keyed hash: pass the key (`secret`)")
    return secret


def _matches(entries: pd.Series, emails: Iterable[str], secret: str | None) -> pd.Series:
    """email -> reason for those of `emails` that `entries` lists, by address or by keyed hash."""
    candidates = pd.Series(emails if isinstance(emails, pd.Series) else list(emails), dtype="str")
    candidates = candidates[candidates != ""].drop_duplicates()
    hashed = entries.index.str.startswith(HASHED)
    by_name = entries[~hashed]
    named = candidates[candidates.isin(by_name.index)]
    found = pd.Series(by_name.reindex(named).to_numpy(), index=named.to_numpy(), dtype="str")
    if hashed.any():
        key = _no_key(secret)
        rest = candidates[~candidates.isin(by_name.index)]
        hashes = pd.Series([keyed_hash(e, key) for e in rest], index=rest.to_numpy(), dtype="str")
        hit = hashes[hashes.isin(entries.index[hashed])]
        found = pd.concat([found, pd.Series(entries.reindex(hit).to_numpy(), index=hit.index, dtype="str")])
    return found.astype("str").rename_axis("email").rename("reason")


def suppressed(engine: Engine, emails: Iterable[str] | None = None, secret: str | None = None) -> pd.Series:
    """email -> reason for those of `emails` on the list, listed by address or (forgotten) by keyed hash.

    `secret` is the key the hashes were made with (`CamResource.signing_secret()`); it is
    required once the list holds a hashed entry. Without `emails`: every entry as stored,
    a forgotten person's under its keyed hash.
    """
    entries = _entries(engine)
    return entries if emails is None else _matches(entries, emails, secret)


def suppressed_in(engine: Engine, campaign: str, secret: str) -> pd.Series:
    """Every address listed by name, and the leads enrolled in `campaign` listed by keyed hash
    (the planner's look at the list): email -> reason."""
    entries = _entries(engine)
    hashed = entries.index.str.startswith(HASHED)
    by_name = entries[~hashed].rename_axis("email").rename("reason")
    if not hashed.any():
        return by_name
    e = schema.enrolments
    with engine.connect() as conn:
        emails = bulk.read_frame(conn, sa.select(e.c.email).where(e.c.campaign == campaign), ["email"])["email"]
    return pd.concat([by_name, _matches(entries[hashed], emails[~emails.isin(by_name.index)], secret)])


def suppressed_of(engine: Engine, emails: list[str], secret: str | None = None) -> dict[str, str]:
    """email -> reason for those of `emails` on the list now (a hand-over's last look), by address or hash.

    Without `secret`, a list that holds any hashed entry is refused (ValueError) rather than half checked.
    """
    t = schema.suppression
    if not emails:
        return {}
    names = {e: e for e in emails}
    with engine.connect() as conn:
        if secret:
            names |= {keyed_hash(e, secret): e for e in emails}
        elif conn.execute(sa.select(t.c.email).where(t.c.email.startswith(HASHED)).limit(1)).first():
            _no_key(secret)
        rows = conn.execute(sa.select(t.c.email, t.c.reason).where(t.c.email.in_(list(names)))).all()
    return {names[str(entry)]: str(reason) for entry, reason in rows}


def add(conn: Connection, emails: list[str], reason: str, source: str, now: dt.datetime) -> None:
    """Suppress addresses in the caller's transaction; an address already listed keeps its first reason."""
    rows = [{"email": e, "reason": reason, "source": source, "suppressed_at": now} for e in emails]
    bulk.insert_ignoring_conflicts(conn, schema.suppression, rows)


def suppress(
    engine: Engine, emails: list[str], reason: str, source: str, now: dt.datetime, secret: str | None = None
) -> int:
    """Add addresses (trimmed, lower-cased) to the list; returns how many were new.

    With `secret`, an address listed by its keyed hash (a forgotten person) is not written again in the clear.
    """
    t = schema.suppression
    normalised = sorted({e.strip().lower() for e in emails if e.strip()})
    count = sa.select(sa.func.count()).select_from(t)
    with engine.begin() as conn:
        if secret and normalised:
            hashes = {e: keyed_hash(e, secret) for e in normalised}
            known = set(conn.execute(sa.select(t.c.email).where(t.c.email.in_(list(hashes.values())))).scalars())
            normalised = [e for e in normalised if hashes[e] not in known]
        before = conn.execute(count).scalar_one()
        add(conn, normalised, reason, source, now)
        return int(conn.execute(count).scalar_one() - before)
