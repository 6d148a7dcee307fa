"""The send ledger: exactly one row per (campaign, lead, step), ever.

A send is claimed (a `pending` row) before anything is handed to a sender and
completed (`sent`, with its message id, or `failed`, with the provider's
message) after. Claims happen under the locks of the campaign-day and
domain-day `send_quota` rows, so two runs at once can neither claim the same
step twice (the unique key) nor both spend the last room under a cap.

Claimed rows are grouped into provider batches when they are claimed; the
batch id is stored with them and is the provider's idempotency key. A
`pending` row left by a killed run is handed out again, in its original batch,
so the provider recognises the repeat and sends nothing twice. Past the
provider's 24-hour idempotency window a pending row is not retried but marked
failed: a lost message is better than a second copy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cam_core.campaign.models import Campaign
from cam_core.state import bulk, schema
from cam_core.vocabulary import SendStatus

_COUNTS_AGAINST_CAP = (SendStatus.PENDING, SendStatus.SENT)
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
    counting = t.c.status.in_(_COUNTS_AGAINST_CAP)
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
    rows: pd.DataFrame  # batch rows to deliver now, with `batch_id`
    counts: dict[str, int] = field(default_factory=dict)  # claimed, repaired, over_cap, expired
    repaired_keys: frozenset[str] = frozenset()  # rows a killed run left pending


def _lock(conn: Connection, scope: str, day: str) -> None:
    bulk.insert_ignoring_conflicts(conn, schema.send_quota, [{"scope": scope, "day": day, "claims": 0}])
    q = schema.send_quota
    conn.execute(q.update().where(q.c.scope == scope, q.c.day == day).values(claims=q.c.claims + 1))


def claim(engine: Engine, campaign: Campaign, day: str, batch: pd.DataFrame, provider: str, now: dt.datetime) -> Claim:
    """Claim the batch rows (send_key, email, sequence, step, variant, ...) this run may deliver.

    Returns newly claimed rows within every cap, plus `pending` rows a killed run
    left (in their original batches). Rows already sent or failed are not returned.
    """
    if batch.empty:
        return Claim(
            batch.assign(batch_id=pd.Series(dtype="str")), {"claimed": 0, "repaired": 0, "over_cap": 0, "expired": 0}
        )
    t = schema.sends
    sender = campaign.sender
    keys = batch["send_key"].tolist()
    with engine.begin() as conn:
        # Taking the quota rows' locks (always campaign, then domain) serialises claims.
        _lock(conn, f"campaign:{campaign.name}", day)
        if sender.domain_daily_cap:
            _lock(conn, f"domain:{sender.domain}", day)
        known = bulk.read_frame(
            conn, sa.select(t.c.send_key, t.c.status, t.c.batch_id, t.c.claimed_at).where(t.c.send_key.in_(keys))
        )
        claimed_at = pd.to_datetime(known["claimed_at"], utc=True)
        pending = known[(known["status"] == SendStatus.PENDING)]
        expired = pending[claimed_at[pending.index] < pd.Timestamp(now - REPAIR_WINDOW)]
        if len(expired):
            conn.execute(
                t.update()
                .where(t.c.send_key.in_(expired["send_key"].tolist()))
                .values(
                    status=SendStatus.FAILED,
                    error="interrupted before the provider confirmed, and now past its 24 h idempotency "
                    "window: not retried, so the lead cannot get a second copy",
                )
            )
        unknown = batch[~batch["send_key"].isin(known["send_key"])]
        fresh = unknown.head(_room(conn, campaign, day, excluding=[], now=now))
        fresh = fresh.assign(batch_id=_batch_ids(fresh["send_key"]))
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
            )[
                [
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
                    *(["token_id"] if "token_id" in fresh else []),
                ]
            ],
        )
    repair = pending[~pending["send_key"].isin(expired["send_key"])]
    repaired = batch.merge(repair[["send_key", "batch_id"]], on="send_key")
    rows = pd.concat([repaired, fresh], ignore_index=True)
    counts = {
        "claimed": len(fresh),
        "repaired": len(repaired),
        "over_cap": len(unknown) - len(fresh),
        "expired": len(expired),
    }
    return Claim(rows, counts, frozenset(repaired["send_key"]))


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed send."""

    send_key: str
    status: SendStatus  # SENT or FAILED
    message_id: str | None = None
    location: str | None = None
    error: str | None = None


def record_outcomes(engine: Engine, outcomes: list[Outcome], now: dt.datetime) -> None:
    """Complete claimed rows, all in one transaction; `now` stamps `sent_at`."""
    if not outcomes:
        return
    with engine.begin() as conn:
        bulk.update_rows(
            conn,
            schema.sends,
            pd.DataFrame(
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
            ),
            match={"send_key": "send_key"},
            values={c: c for c in ("status", "message_id", "location", "error", "sent_at")},
        )


def release(engine: Engine, keys: list[str]) -> None:
    """Drop pending claims that certainly never reached the provider (it refused the
    call outright), so their room under the caps is given back."""
    if keys:
        with engine.begin() as conn:
            conn.execute(
                schema.sends.delete().where(
                    schema.sends.c.send_key.in_(keys), schema.sends.c.status == SendStatus.PENDING
                )
            )
