"""The send ledger: exactly one row per (campaign, lead, step), ever.

A send is claimed (a `pending` row) before anything is handed to a sender and
completed (`sent`, with its message id, or `failed`, with the provider's
message) after. Claims happen under the locks of the campaign-day and
domain-day `send_quota` rows, so two runs at once can neither claim the same
step twice (the unique key) nor both spend the last room under a cap. A claimed
row counts against the caps from its claim on, whatever it becomes: a row the
provider failed may still have been delivered.

Claimed rows are grouped into provider batches when they are claimed; the batch
id is the provider's idempotency key. Just before its hand-over a batch is
frozen (`freeze`): what must not go any more (an address suppressed since the
claim) is dropped, and the rendered messages are stored under the key. From
then on the batch is only ever handed over as frozen: a run killed after the
freeze is repaired by the next run (`claim` returns its batch) resending exactly
that payload, whatever changed since (a suppression, an edited template, a
lowered cap, a pause), so the provider recognises the repeat and sends nothing
twice. Pending rows whose batch was never frozen never reached the provider:
the next claim releases them, and what is still due is claimed afresh under
today's rules. Past the provider's 24-hour idempotency window a pending row is
not retried but marked failed: a lost message is better than a second copy.

Completing a batch (`complete`) records its outcomes and moves the leads it
delivered to `contacted` in one transaction, so a kill leaves both or neither.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cam_core.campaign.models import Campaign
from cam_core.state import bulk, schema
from cam_core.state.history import Stamp
from cam_core.state.leads import contacted
from cam_core.vocabulary import SendStatus

#: Rows per provider call (Resend's batch limit).
BATCH_SIZE = 100
#: A pending row older than this is past the provider's idempotency window (24 h, with a margin).
REPAIR_WINDOW = dt.timedelta(hours=23)


def send_keys(campaign: str, emails: pd.Series, steps: pd.Series) -> pd.Series:
    """A stable key per campaign, lead and step."""
    material = campaign + "\x1f" + emails.astype("str") + "\x1f" + steps.astype("str")
    return material.map(lambda m: hashlib.sha256(m.encode()).hexdigest()[:32]).astype("str")


def _batch_ids(keys: pd.Series) -> pd.Series:
    """Consecutive groups of BATCH_SIZE keys, each named by a hash of its members."""
    group = pd.Series(range(len(keys)), index=keys.index) // BATCH_SIZE
    names = keys.groupby(group).agg(lambda ks: "cam-" + hashlib.sha256("\n".join(sorted(ks)).encode()).hexdigest()[:40])
    return group.map(names).astype("str")


def send_by_token(engine: Engine, token_id: str) -> dict[str, object] | None:
    """The ledger row (campaign, email, send_key, step) whose unsubscribe link carries `token_id`."""
    t = schema.sends
    query = sa.select(t.c.campaign, t.c.email, t.c.send_key, t.c.step).where(t.c.token_id == token_id)
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return dict(row._mapping) if row is not None else None


def sends_by_message_id(engine: Engine, message_ids: list[str]) -> pd.DataFrame:
    """The ledger rows (message_id, campaign, email, send_key, step) of messages the provider named."""
    t = schema.sends
    columns = ["message_id", "campaign", "email", "send_key", "step"]
    query = sa.select(*(t.c[c] for c in columns)).where(t.c.message_id.in_(message_ids))
    with engine.connect() as conn:
        return bulk.read_frame(conn, query, columns)


def sends_answered(engine: Engine, send_keys: list[str], emails: list[str]) -> pd.DataFrame:
    """Sent ledger rows a reply may answer: those named by key, else the latest to each address.

    Columns send_key, campaign, email, step, sent_at; newest first.
    """
    t = schema.sends
    columns = ["send_key", "campaign", "email", "step", "sent_at"]
    named = t.c.send_key.in_(send_keys) if send_keys else sa.false()
    to = sa.and_(t.c.email.in_(emails), t.c.status == SendStatus.SENT) if emails else sa.false()
    query = sa.select(*(t.c[c] for c in columns)).where(sa.or_(named, to)).order_by(t.c.sent_at.desc(), t.c.step.desc())
    with engine.connect() as conn:
        return bulk.read_frame(conn, query, columns)


def sent_count(engine: Engine, campaign: str, until: str) -> int:
    """Messages the campaign sent on days up to and including `until`."""
    t = schema.sends
    query = sa.select(sa.func.count()).where(
        t.c.campaign == campaign, t.c.status == SendStatus.SENT, t.c.send_day <= until
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def ledger_rows(engine: Engine, campaign: str, keys: list[str] | None = None, day: str | None = None) -> pd.DataFrame:
    t = schema.sends
    query = sa.select(t).where(t.c.campaign == campaign).order_by(t.c.send_key)
    if keys is not None:
        query = query.where(t.c.send_key.in_(keys))
    if day is not None:
        query = query.where(t.c.send_day == day)
    with engine.connect() as conn:
        return bulk.read_frame(conn, query)


def _cap_keys(
    conn: Connection, campaign: Campaign, day: str, now: dt.datetime | None = None
) -> tuple[tuple[int, frozenset[str]], ...]:
    """Each cap on `day` (daily cap and warm-up, domain cap and, given `now`, hourly
    pacing) with the keys of the sends counting against it. Those are few (a cap's
    worth), while the keys a caller excludes may be a whole campaign's due steps: they
    are subtracted in Python rather than sent as a NOT IN list."""
    t = schema.sends
    sender = campaign.sender
    scopes = [
        (sender.daily_allowance(dt.date.fromisoformat(day)), (t.c.campaign == campaign.name, t.c.send_day == day))
    ]
    if sender.domain_daily_cap:
        scopes.append((sender.domain_daily_cap, (t.c.sender_domain == sender.domain, t.c.send_day == day)))
    if sender.hourly_cap and now is not None:
        hour = now.replace(minute=0, second=0, microsecond=0)
        scopes.append((sender.hourly_cap, (t.c.campaign == campaign.name, t.c.claimed_at >= hour)))
    # Every claimed row, whatever became of it; not an unrendered one (no batch), and not this
    # campaign's pending rows in a batch never frozen: its next claim releases them (they never
    # reached the provider). Another campaign's live claims on the same domain do count.
    loose = sa.and_(
        t.c.campaign == campaign.name,
        t.c.status == SendStatus.PENDING,
        t.c.batch_id.not_in(sa.select(schema.send_batches.c.batch_id)),
    )
    counting = sa.and_(t.c.batch_id != "", sa.not_(loose))
    return tuple(
        (cap, frozenset(conn.execute(sa.select(t.c.send_key).where(counting, *where)).scalars()))
        for cap, where in scopes
    )


def _room_left(caps: tuple[tuple[int, frozenset[str]], ...], excluding: frozenset[str]) -> int:
    return max(min(cap - len(keys - excluding) for cap, keys in caps), 0)


def _room(conn: Connection, campaign: Campaign, day: str, excluding: list[str], now: dt.datetime | None = None) -> int:
    """Sends still allowed under the daily cap, warm-up and domain cap (and, given
    `now`, the hourly pacing), not counting the rows in `excluding`."""
    return _room_left(_cap_keys(conn, campaign, day, now), frozenset(excluding))


def room_on(engine: Engine, campaign: Campaign, day: str, excluding: list[str]) -> int:
    """How many more sends the campaign may claim on `day` beyond the rows in `excluding`."""
    with engine.connect() as conn:
        return _room(conn, campaign, day, excluding)


@dataclass(frozen=True)
class Standing:
    """The campaign's ledger as read at one moment: steps done, and what counted against each cap that day."""

    done_keys: frozenset[str]  # sent or failed, on any day
    caps: tuple[tuple[int, frozenset[str]], ...]

    def room(self, excluding: list[str]) -> int:
        """Sends that were still allowed on the day, not counting the rows in `excluding`."""
        return _room_left(self.caps, frozenset(excluding))


def standing(engine: Engine, campaign: Campaign, day: str) -> Standing:
    """The campaign's ledger now, for judging a batch planned after this read: other
    runs' claims in between only shrink what a correct plan holds."""
    t = schema.sends
    with engine.connect() as conn:
        done = conn.execute(
            sa.select(t.c.send_key).where(
                t.c.campaign == campaign.name, t.c.status.in_((SendStatus.SENT, SendStatus.FAILED))
            )
        )
        return Standing(frozenset(done.scalars()), _cap_keys(conn, campaign, day))


@dataclass
class Claim:
    rows: pd.DataFrame  # newly claimed batch rows, with `batch_id`, to freeze and deliver now
    repairs: list[str] = field(default_factory=list)  # frozen batches a killed run left pending: resend as frozen
    counts: dict[str, int] = field(default_factory=dict)  # claimed, repaired, released, over_cap, expired


def _lock(conn: Connection, scope: str, day: str) -> None:
    bulk.insert_ignoring_conflicts(conn, schema.send_quota, [{"scope": scope, "day": day, "claims": 0}])
    q = schema.send_quota
    conn.execute(q.update().where(q.c.scope == scope, q.c.day == day).values(claims=q.c.claims + 1))


def _lock_batches(conn: Connection, campaign: str) -> None:
    """Serialise claiming, freezing, completing and releasing a campaign's batches."""
    schema.lock_until_commit(conn, "sends", campaign)


_EXPIRED = (
    "interrupted before the provider confirmed, and now past its 24 h idempotency "
    "window: not retried, so the lead cannot get a second copy"
)


def _settle_pending(conn: Connection, campaign: str, now: dt.datetime) -> tuple[list[str], dict[str, int]]:
    """Look at the pending rows earlier runs left (any day): expire those past the idempotency
    window, release those whose batch was never frozen (never handed over), and return the
    frozen batches still to repair."""
    t, b = schema.sends, schema.send_batches
    pending = bulk.read_frame(
        conn,
        sa.select(t.c.send_key, t.c.batch_id, t.c.claimed_at).where(
            t.c.campaign == campaign, t.c.status == SendStatus.PENDING
        ),
        ["send_key", "batch_id", "claimed_at"],
    )
    if pending.empty:
        return [], {"repaired": 0, "released": 0, "expired": 0}
    expired = pending[pd.to_datetime(pending["claimed_at"], utc=True) < pd.Timestamp(now - REPAIR_WINDOW)]
    if len(expired):
        conn.execute(
            t.update()
            .where(t.c.send_key.in_(expired["send_key"].tolist()), t.c.status == SendStatus.PENDING)
            .values(status=SendStatus.FAILED, error=_EXPIRED)
        )
    live = pending[~pending["send_key"].isin(expired["send_key"])]
    ids = live["batch_id"].drop_duplicates().tolist()
    frozen = set(conn.execute(sa.select(b.c.batch_id).where(b.c.batch_id.in_(ids))).scalars()) if ids else set()
    loose = live[~live["batch_id"].isin(frozen)]
    if len(loose):
        conn.execute(t.delete().where(t.c.send_key.in_(loose["send_key"].tolist()), t.c.status == SendStatus.PENDING))
    repairs = [i for i in ids if i in frozen]
    counts = {
        "repaired": int(live["batch_id"].isin(frozen).sum()),
        "released": len(loose),
        "expired": len(expired),
    }
    return repairs, counts


#: The columns a claim writes for each row.
_LEDGER_COLUMNS = (
    "send_key",
    "campaign",
    "email",
    "sequence",
    "step",
    "variant",
    "send_day",
    "status",
    "provider",
    "sender_domain",
    "batch_id",
    "claimed_at",
)


def claim(engine: Engine, campaign: Campaign, day: str, batch: pd.DataFrame, provider: str, now: dt.datetime) -> Claim:
    """Claim the batch rows (send_key, email, sequence, step, variant, ...) this run may deliver,
    within every cap, and settle what earlier runs left pending (see `_settle_pending`).

    Returns the newly claimed rows, grouped into batches, and the frozen batches to repair.
    Rows already in the ledger (sent, failed, or pending in a frozen batch) are not claimed again.
    """
    t = schema.sends
    sender = campaign.sender
    with engine.begin() as conn:
        # Taking the quota rows' locks (always campaign, then domain) serialises claims.
        _lock(conn, f"campaign:{campaign.name}", day)
        if sender.domain_daily_cap:
            _lock(conn, f"domain:{sender.domain}", day)
        _lock_batches(conn, campaign.name)
        repairs, counts = _settle_pending(conn, campaign.name, now)
        keys = batch["send_key"].tolist()
        known = set(conn.execute(sa.select(t.c.send_key).where(t.c.send_key.in_(keys))).scalars()) if keys else set()
        unknown = batch[~batch["send_key"].isin(known)]
        fresh = unknown.head(_room(conn, campaign, day, excluding=[], now=now))
        fresh = fresh.assign(batch_id=_batch_ids(fresh["send_key"]))
        if len(fresh):
            bulk.insert_ignoring_conflicts(
                conn,
                t,
                fresh.assign(
                    campaign=campaign.name,
                    send_day=day,
                    status=SendStatus.PENDING,
                    provider=provider,
                    sender_domain=sender.domain,
                    claimed_at=now,
                )[[*_LEDGER_COLUMNS, *(["token_id"] if "token_id" in fresh else [])]],
            )
    counts = {"claimed": len(fresh), **counts, "over_cap": len(unknown) - len(fresh)}
    return Claim(fresh.reset_index(drop=True), repairs, counts)


def record_unrendered(
    engine: Engine, campaign: Campaign, day: str, rows: pd.DataFrame, provider: str, now: dt.datetime
) -> None:
    """Fail the steps whose message could not be rendered (`render_error`), each with its reason.

    They are in no provider batch (`batch_id` empty) and so take no room under the caps; a
    step already in the ledger keeps its row."""
    if rows.empty:
        return
    failed = rows.assign(
        campaign=campaign.name,
        send_day=day,
        status=SendStatus.FAILED,
        provider=provider,
        sender_domain=campaign.sender.domain,
        batch_id="",
        claimed_at=now,
        error=rows["render_error"].str.slice(0, 2000),
    )
    with engine.begin() as conn:
        bulk.insert_ignoring_conflicts(conn, schema.sends, failed[[*_LEDGER_COLUMNS, "error"]])


def _messages(rows: pd.DataFrame) -> str:
    return rows.to_json(orient="records", date_format="iso", force_ascii=False)


def freeze(engine: Engine, campaign: str, day: str, batch_id: str, rows: pd.DataFrame, now: dt.datetime) -> list[dict]:
    """Freeze a claimed batch for its hand-over; the messages to hand over, as stored.

    Only members still pending in this batch are kept (another run may have released
    some). If another run froze the batch first, its payload is the one returned, so both
    hand over the same payload under the same key."""
    t, b = schema.sends, schema.send_batches
    with engine.begin() as conn:
        _lock_batches(conn, campaign)
        stored = conn.execute(sa.select(b.c.messages).where(b.c.batch_id == batch_id)).scalar()
        if stored is None:
            still = set(
                conn.execute(
                    sa.select(t.c.send_key).where(t.c.batch_id == batch_id, t.c.status == SendStatus.PENDING)
                ).scalars()
            )
            members = rows[rows["send_key"].isin(still)]
            if members.empty:
                return []
            stored = _messages(members)
            conn.execute(
                b.insert().values(batch_id=batch_id, campaign=campaign, send_day=day, messages=stored, frozen_at=now)
            )
    return list(json.loads(stored))


def frozen_messages(engine: Engine, batch_id: str) -> list[dict]:
    """The messages a frozen batch holds; empty when it was completed meanwhile."""
    b = schema.send_batches
    with engine.connect() as conn:
        stored = conn.execute(sa.select(b.c.messages).where(b.c.batch_id == batch_id)).scalar()
    return list(json.loads(stored)) if stored is not None else []


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed send."""

    send_key: str
    status: SendStatus  # SENT or FAILED
    message_id: str | None = None
    location: str | None = None
    error: str | None = None


def _record(conn: Connection, outcomes: Iterable[Outcome], now: dt.datetime) -> None:
    frame = pd.DataFrame(
        [
            {
                "send_key": o.send_key,
                "status": o.status,
                "message_id": o.message_id,
                "location": o.location,
                "error": o.error[:2000] if o.error else None,
                "sent_at": now if o.status == SendStatus.SENT else None,
            }
            for o in outcomes
        ]
    )
    if len(frame):
        bulk.update_rows(
            conn,
            schema.sends,
            frame,
            match={"send_key": "send_key"},
            values={c: c for c in ("status", "message_id", "location", "error", "sent_at")},
        )


def record_outcomes(engine: Engine, outcomes: list[Outcome], now: dt.datetime) -> None:
    """Complete claimed rows that no lead move follows (refusals before a hand-over), in one transaction."""
    if outcomes:
        with engine.begin() as conn:
            _record(conn, outcomes, now)


def complete(
    engine: Engine, campaign: str, batch_id: str, messages: list[dict], outcomes: list[Outcome], stamp: Stamp
) -> list[str]:
    """Record a handed-over batch's outcomes, move the leads it delivered to `contacted` and
    drop its frozen payload once nothing of it is pending, all in one transaction.
    The addresses delivered to."""
    sent = {o.send_key for o in outcomes if o.status == SendStatus.SENT}
    delivered = [str(m["email"]) for m in messages if m["send_key"] in sent]
    t, b = schema.sends, schema.send_batches
    with engine.begin() as conn:
        _lock_batches(conn, campaign)
        _record(conn, outcomes, stamp.at)
        contacted(conn, campaign, delivered, stamp)
        still = conn.execute(
            sa.select(sa.func.count()).where(t.c.batch_id == batch_id, t.c.status == SendStatus.PENDING)
        ).scalar_one()
        if not still:
            conn.execute(b.delete().where(b.c.batch_id == batch_id))
    return delivered


def release(engine: Engine, campaign: str, keys: list[str], batch_ids: Iterable[str] = ()) -> None:
    """Drop pending claims that certainly never reached the provider (a pause came first, or
    it refused the call outright), so their room under the caps is given back; `batch_ids`:
    batches this run froze and that never went, unfrozen."""
    t, b = schema.sends, schema.send_batches
    with engine.begin() as conn:
        _lock_batches(conn, campaign)
        if keys:
            conn.execute(t.delete().where(t.c.send_key.in_(keys), t.c.status == SendStatus.PENDING))
        if ids := list(batch_ids):
            conn.execute(b.delete().where(b.c.batch_id.in_(ids)))
