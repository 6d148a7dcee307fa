"""The reputation guard: a campaign stops sending when its recent hard-bounce or
complaint rate runs above the limits in its `sender.reputation`, until a person
runs `cam resume --campaign C`.

The window is the campaign's last `window_sends` messages sent (ledger status
`sent`, by `sent_at`) within the last `window_days` days, and after its last
resume. Its rates are the share of those messages that drew a `bounce` event (a
permanent bounce; a `soft_bounce` never counts) and the share that drew a
`complaint`, whenever the event arrived. An event counts for the send it names
(the provider's message id, matched to the ledger when it was received); one
stored with the campaign and an address but no send (from a file) counts for that
address's sends in the window made before it happened. A message counts once
however many events it drew. Rates are judged once the window holds `min_sends`
messages; a rate trips when strictly above its limit.

Counting only sends after the last resume means a resumed campaign is not paused
again by the bounces that paused it: it needs `min_sends` new messages before it
can be judged again.

Both reads are bounded by the window, never the history: the sends through the
(campaign, send_day) index and a LIMIT, the bounce and complaint events through
the (campaign, day) index from the window's start.

`cam_core.outreach.sending` asks `guard` before it claims and before each hand-over
of newly claimed rows, so a pause recorded mid-run (by this run's own check or by
another run) stops further hand-overs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cam_core.campaign.models import Campaign, Reputation
from cam_core.state import bulk, pauses, schema
from cam_core.state.pauses import Pause
from cam_core.vocabulary import EventKind, SendStatus

#: How long after its partition day a message may still be sent: the day's end in the
#: furthest-behind zone (12 h), `grace_hours` (at most 24 h) and a repair (23 h), with room
#: to spare. Bounds the index range read for a window starting at a given moment.
_LATEST_SEND = dt.timedelta(days=4)
#: Provider clocks may run a little behind ours; an event's day is its UTC day.
_CLOCK_SKEW = dt.timedelta(days=1)
_COUNTED = (EventKind.BOUNCE, EventKind.COMPLAINT)


@dataclass(frozen=True)
class Rates:
    """The campaign's window: how many messages it holds, and how many drew each counted event."""

    sends: int
    bounces: int
    complaints: int

    @property
    def bounce_rate(self) -> float:
        return self.bounces / self.sends if self.sends else 0.0

    @property
    def complaint_rate(self) -> float:
        return self.complaints / self.sends if self.sends else 0.0


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True)


def rates(engine: Engine, campaign: Campaign, now: dt.datetime, after: dt.datetime | None = None) -> Rates:
    """The campaign's rates over its window at `now`, counting only sends after `after` (its last resume)."""
    settings = campaign.sender.reputation
    start = now - dt.timedelta(days=settings.window_days)
    if after is not None and after > start:
        start = after
    t, e = schema.sends, schema.events
    sends = (
        sa.select(t.c.send_key, t.c.email, t.c.sent_at)
        .where(
            t.c.campaign == campaign.name,
            t.c.send_day >= (start - _LATEST_SEND).date().isoformat(),
            t.c.status == SendStatus.SENT,
            t.c.sent_at > start,
            t.c.sent_at <= now,
        )
        .order_by(t.c.sent_at.desc(), t.c.send_key)
        .limit(settings.window_sends)
    )
    events = sa.select(e.c.send_key, e.c.email, e.c.kind, e.c.occurred_at).where(
        e.c.campaign == campaign.name,
        e.c.day >= (start - _CLOCK_SKEW).date().isoformat(),
        e.c.kind.in_(_COUNTED),
    )
    with engine.connect() as conn:
        window = bulk.read_frame(conn, sends, ["send_key", "email", "sent_at"])
        if window.empty:
            return Rates(0, 0, 0)
        told = bulk.read_frame(conn, events, ["send_key", "email", "kind", "occurred_at"])
    window = window.assign(sent_at=_utc(window["sent_at"])).reset_index(drop=True)
    told = told.assign(occurred_at=_utc(told["occurred_at"]))
    named = told[told["send_key"].notna()]
    loose = told[told["send_key"].isna()]
    # Events without a send: matched by address to the window's earlier sends.
    pairs = window.reset_index().merge(loose, on="email", suffixes=("", "_event"))
    pairs = pairs[pairs["occurred_at"] >= pairs["sent_at"]]

    def drew(kind: EventKind) -> int:
        by_key = window["send_key"].isin(named.loc[named["kind"] == kind, "send_key"])
        by_address = window.index.isin(pairs.loc[pairs["kind"] == kind, "index"])
        return int((by_key | by_address).sum())

    return Rates(len(window), drew(EventKind.BOUNCE), drew(EventKind.COMPLAINT))


def verdict(rates: Rates, settings: Reputation, campaign: str) -> str:
    """Why the campaign must pause, naming each rate over its limit and how to resume; "" if none is."""
    if rates.sends < settings.min_sends:
        return ""
    over = [
        f"{label} rate {count / rates.sends:.2%} ({count} of its last {rates.sends} sends) is above "
        f"sender.reputation.{field} {limit:.2%}"
        for label, count, limit, field in (
            ("hard-bounce", rates.bounces, settings.max_bounce_rate, "max_bounce_rate"),
            ("complaint", rates.complaints, settings.max_complaint_rate, "max_complaint_rate"),
        )
        if count / rates.sends > limit
    ]
    if not over:
        return ""
    return (
        f"{'; '.join(over)} (window: the last {settings.window_sends} sends within {settings.window_days} days). "
        f"Run `cam resume --campaign {campaign}` once the cause is fixed."
    )


def guard(engine: Engine, campaign: Campaign, now: dt.datetime) -> Pause | None:
    """The campaign's pause in force: one already recorded, or the one its rates call for
    now (recorded here); None while it may send."""
    last = pauses.pause_of(engine, campaign.name)
    if last is not None and last.active:
        return last
    reason = verdict(
        rates(engine, campaign, now, after=last.resumed_at if last else None), campaign.sender.reputation, campaign.name
    )
    return pauses.pause(engine, campaign.name, reason, now) if reason else None


def paused_problem(pause: Pause) -> str:
    """What a run that may not send says: the pause, why, and how to lift it."""
    return (
        f"sending for campaign {pause.campaign} is paused since {pause.paused_at:%Y-%m-%d %H:%M} UTC; "
        f"nothing new is claimed or handed over until it is resumed (intake, scoring and planning go on): "
        f"{pause.reason}"
    )
