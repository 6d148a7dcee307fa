"""The global `suppression` list: addresses never to be written to again, in any campaign.

An entry is an address, or for a person erased by `cam forget` the keyed hash of their
address (`cam_core.unsubscribe.keyed_hash`, reason `forgotten`): the list still refuses
them, and nobody can read the address back from it without the key. So every look at the
list is made for given addresses with the key in hand (`suppressed`, `suppressed_in`,
`suppressed_of`); the addresses are hashed only when the list holds a hashed entry.
An address is written in its one spelling (`cam_core.addresses`) and looked up under every
spelling it may have been written in (as given, that one, its domain in A-labels), so
`ann@xn--bcher-idn-q9a.de` suppressed keeps `ann@bücher-idn.de` from being written to.

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

from cam_core import addresses
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


def _spellings(emails: Iterable[str]) -> pd.DataFrame:
    """Every spelling (`form`) an entry for each of `emails` (`email`) may have: as given, in
    its one spelling (`cam_core.addresses`), and with its domain in A-labels (an entry written
    from a provider's event, or before domains were spelled one way)."""
    given = pd.Series(emails if isinstance(emails, pd.Series) else list(emails), dtype="str")
    given = given[given != ""].drop_duplicates().reset_index(drop=True)
    spelled = addresses.emails(given)
    wide = ~spelled.str.isascii()  # only international domains have an A-label spelling
    pairs = pd.concat(
        [
            pd.DataFrame({"form": given, "email": given}),
            pd.DataFrame({"form": spelled, "email": given}),
            pd.DataFrame({"form": spelled[wide].map(addresses.ascii_address), "email": given[wide]}),
        ],
        ignore_index=True,
    ).astype("str")
    return pairs[pairs["form"] != ""].drop_duplicates()


def _matches(entries: pd.Series, emails: Iterable[str], secret: str | None) -> pd.Series:
    """email -> reason for those of `emails` that `entries` lists, by any spelling or by keyed hash."""
    pairs = _spellings(emails)
    hashed = entries.index.str.startswith(HASHED)
    by_name = entries[~hashed]
    named = pairs[pairs["form"].isin(by_name.index)]
    found = pd.Series(by_name.reindex(named["form"]).to_numpy(), index=named["email"].to_numpy(), dtype="str")
    if hashed.any():
        key = _no_key(secret)
        rest = pairs[~pairs["email"].isin(named["email"])]
        hashes = pd.Series([keyed_hash(f, key) for f in rest["form"]], index=rest["email"].to_numpy(), dtype="str")
        hit = hashes[hashes.isin(entries.index[hashed])]
        found = pd.concat([found, pd.Series(entries.reindex(hit).to_numpy(), index=hit.index, dtype="str")])
    found = found[~found.index.duplicated(keep="first")]
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
    """Every address listed by name (under each of its spellings, see `_spellings`), and the leads
    enrolled in `campaign` listed by keyed hash (the planner's look at the list): email -> reason."""
    entries = _entries(engine)
    hashed = entries.index.str.startswith(HASHED)
    listed = entries[~hashed]
    pairs = _spellings(listed.index.to_series())
    by_name = pd.Series(listed.reindex(pairs["email"]).to_numpy(), index=pairs["form"].to_numpy(), dtype="str")
    by_name = by_name[~by_name.index.duplicated(keep="first")].rename_axis("email").rename("reason")
    if not hashed.any():
        return by_name
    e = schema.enrolments
    with engine.connect() as conn:
        emails = bulk.read_frame(conn, sa.select(e.c.email).where(e.c.campaign == campaign), ["email"])["email"]
    return pd.concat([by_name, _matches(entries[hashed], emails[~emails.isin(by_name.index)], secret)])


def suppressed_of(engine: Engine, emails: list[str], secret: str | None = None) -> dict[str, str]:
    """email -> reason for those of `emails` on the list now (a hand-over's last look), by any spelling or hash.

    Without `secret`, a list that holds any hashed entry is refused (ValueError) rather than half checked.
    """
    t = schema.suppression
    if not emails:
        return {}
    pairs = _spellings(emails)
    if secret:
        hashes = [keyed_hash(f, secret) for f in pairs["form"]]
        pairs = pd.concat([pairs, pd.DataFrame({"form": hashes, "email": pairs["email"]})], ignore_index=True)
    with engine.connect() as conn:
        if not secret and conn.execute(sa.select(t.c.email).where(t.c.email.startswith(HASHED)).limit(1)).first():
            _no_key(secret)
        forms = pairs["form"].drop_duplicates().tolist()
        rows = conn.execute(sa.select(t.c.email, t.c.reason).where(t.c.email.in_(forms))).all()
    listed = pd.Series({str(entry): str(reason) for entry, reason in rows}, dtype="str")
    hit = pairs[pairs["form"].isin(listed.index)].drop_duplicates("email")
    return dict(zip(hit["email"], listed.reindex(hit["form"]), strict=True))


def add(conn: Connection, emails: list[str], reason: str, source: str, now: dt.datetime) -> None:
    """Suppress addresses in the caller's transaction; an address already listed keeps its first reason."""
    rows = [{"email": e, "reason": reason, "source": source, "suppressed_at": now} for e in emails]
    bulk.insert_ignoring_conflicts(conn, schema.suppression, rows)


def suppress(
    engine: Engine, emails: list[str], reason: str, source: str, now: dt.datetime, secret: str | None = None
) -> int:
    """Add addresses, in their one spelling (`cam_core.addresses`), to the list; returns how many were new.

    With `secret`, an address listed by its keyed hash (a forgotten person) is not written again in the clear.
    """
    t = schema.suppression
    normalised = sorted(set(addresses.emails(pd.Series(emails, dtype="str"))) - {""})
    count = sa.select(sa.func.count()).select_from(t)
    with engine.begin() as conn:
        if normalised:
            # Listed already under another spelling (or, with `secret`, by keyed hash): not written again.
            pairs = _spellings(normalised)
            names = dict(zip(pairs["form"], pairs["email"], strict=True))
            if secret:
                names |= {keyed_hash(f, secret): e for f, e in zip(pairs["form"], pairs["email"], strict=True)}
            known = set(conn.execute(sa.select(t.c.email).where(t.c.email.in_(list(names)))).scalars())
            listed = {names[str(k)] for k in known}
            normalised = [e for e in normalised if e not in listed]
        before = conn.execute(count).scalar_one()
        add(conn, normalised, reason, source, now)
        return int(conn.execute(count).scalar_one() - before)
