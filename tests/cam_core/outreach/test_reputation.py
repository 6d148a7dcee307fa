"""The reputation guard: which sends and events its rates count, when it pauses a
campaign, that a pause claims nothing new and leaves nothing pending, and that a
resume starts a fresh window."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml

from cam_core.campaign.demo import demo_campaign_yaml
from cam_core.campaign.models import Campaign, Reputation
from cam_core.outreach.reputation import Rates, guard, rates, verdict
from cam_core.outreach.sending import send_batch
from cam_core.state import pauses, schema
from cam_core.state.events import record_events
from cam_core.state.history import Stamp
from cam_core.state.ledger import Outcome, send_keys
from cam_core.vocabulary import EventKind, SenderProvider, SendStatus
from tests.helpers import BY_TEST, DAY, NOW, UNSUBSCRIBE_SECRET


def _campaign(**reputation: Any) -> Campaign:
    raw = yaml.safe_load(demo_campaign_yaml())
    raw["sender"]["reputation"] = reputation
    return Campaign.model_validate({**raw, "name": "demo"})


def _sent(engine: Any, count: int, at: dt.datetime, prefix: str = "s") -> list[str]:
    """`count` sends of the demo campaign completed at `at`; their send keys."""
    keys = [f"{prefix}{i}" for i in range(count)]
    rows = [
        {
            "send_key": key,
            "campaign": "demo",
            "email": f"{key}@acme.example",
            "sequence": "standard",
            "step": 1,
            "send_day": at.date().isoformat(),
            "status": SendStatus.SENT,
            "provider": SenderProvider.RESEND,
            "sender_domain": "northwind-data.example",
            "variant": "main",
            "batch_id": f"batch-{prefix}",
            "message_id": f"msg-{key}",
            "claimed_at": at,
            "sent_at": at,
        }
        for key in keys
    ]
    with engine.begin() as conn:
        conn.execute(schema.sends.insert(), rows)
    return keys


def _told(engine: Any, kind: EventKind, keys: list[str], at: dt.datetime, named: bool = True) -> None:
    """One `kind` event per send key, naming its send (or, not `named`, only its address)."""
    record_events(
        engine,
        pd.DataFrame(
            {
                "event_id": [f"{kind}:{key}:{at.isoformat()}" for key in keys],
                "campaign": "demo",
                "email": [f"{key}@acme.example" for key in keys],
                "kind": kind,
                "occurred_at": at.isoformat(),
                "send_key": keys if named else None,
            }
        ),
    )


def _ledger(engine: Any) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(sa.select(schema.sends))
        return pd.DataFrame(result.all(), columns=list(result.keys()))


def test_the_defaults_keep_older_campaign_files_valid_and_are_documented_ones() -> None:
    assert _campaign().sender.reputation == Reputation(
        max_bounce_rate=0.03, max_complaint_rate=0.001, window_sends=1000, window_days=7, min_sends=100
    )
    with pytest.raises(ValueError, match="min_sends must be <= window_sends"):
        Reputation(window_sends=50, min_sends=100)


def test_rates_count_each_send_once_hard_bounces_and_complaints_only_within_the_window(engine: Any) -> None:
    campaign = _campaign(window_sends=150, window_days=7)
    old = _sent(engine, 50, NOW - dt.timedelta(days=8), prefix="old")  # before the window's days
    oldest = _sent(engine, 50, NOW - dt.timedelta(days=3), prefix="oldest")  # before the last 150 sends
    early = _sent(engine, 50, NOW - dt.timedelta(days=2), prefix="early")
    late = _sent(engine, 100, NOW - dt.timedelta(days=1), prefix="late")
    after = NOW - dt.timedelta(hours=1)
    _told(engine, EventKind.BOUNCE, old[:10] + oldest[:10], after)  # sends outside the window: not counted
    _told(engine, EventKind.BOUNCE, early[:3] + late[:3], after)
    _told(engine, EventKind.BOUNCE, late[:3], after + dt.timedelta(minutes=1))  # a repeat: each send once
    _told(engine, EventKind.BOUNCE, late[3:5], after, named=False)  # from a file: matched by address
    _told(engine, EventKind.SOFT_BOUNCE, late[10:40], after)  # transient: never a hard bounce
    _told(engine, EventKind.COMPLAINT, late[50:52], after)
    _told(engine, EventKind.DELIVERED, late, after)

    found = rates(engine, campaign, NOW)

    assert found == Rates(sends=150, bounces=8, complaints=2)
    assert rates(engine, campaign, NOW, after=NOW - dt.timedelta(days=1, hours=1)) == Rates(100, 5, 2)


def test_a_rate_trips_only_above_its_limit_and_once_the_window_holds_min_sends() -> None:
    settings = Reputation(min_sends=100)
    assert verdict(Rates(99, 50, 0), settings, "demo") == "", "too few sends to judge"
    assert verdict(Rates(100, 3, 0), settings, "demo") == "", "at the limit is not above it"
    assert verdict(Rates(1000, 1, 1), settings, "demo") == ""
    reason = verdict(Rates(200, 7, 0), settings, "demo")
    assert "hard-bounce rate 3.50% (7 of its last 200 sends) is above sender.reputation.max_bounce_rate 3.00%" in reason
    assert "the last 1000 sends within 7 days" in reason
    assert reason.endswith("Run `cam resume --campaign demo` once the cause is fixed.")
    both = verdict(Rates(1000, 40, 2), settings, "demo")
    assert "hard-bounce rate 4.00%" in both and "complaint rate 0.20% (2 of its last 1000 sends)" in both


def test_the_guard_pauses_once_and_a_resume_counts_only_later_sends(engine: Any) -> None:
    campaign = _campaign()
    keys = _sent(engine, 200, NOW - dt.timedelta(days=1))
    _told(engine, EventKind.BOUNCE, keys[:7], NOW - dt.timedelta(hours=2))
    assert pauses.pause_of(engine, "demo") is None

    pause = guard(engine, campaign, NOW)
    assert pause is not None and pause.active and pause.paused_at == NOW
    assert "hard-bounce rate 3.50%" in pause.reason
    later = guard(engine, campaign, NOW + dt.timedelta(hours=1))
    assert later == pause, "a campaign already paused keeps its first pause"
    assert set(pauses.paused(engine)) == {"demo"}

    resumed_at = NOW + dt.timedelta(hours=2)
    assert pauses.resume(engine, "demo", resumed_at) == pause
    assert pauses.resume(engine, "demo", resumed_at) is None, "nothing left to lift"
    assert pauses.paused(engine) == {}
    _told(engine, EventKind.BOUNCE, keys[7:20], resumed_at + dt.timedelta(minutes=5))  # late news of old sends
    assert guard(engine, campaign, resumed_at + dt.timedelta(hours=1)) is None, "old sends no longer count"

    fresh = _sent(engine, 100, resumed_at + dt.timedelta(hours=1), prefix="new")
    _told(engine, EventKind.COMPLAINT, fresh[:1], resumed_at + dt.timedelta(hours=2))
    again = guard(engine, campaign, resumed_at + dt.timedelta(hours=3))
    assert again is not None and "complaint rate 1.00% (1 of its last 100 sends)" in again.reason
    assert again.paused_at == resumed_at + dt.timedelta(hours=3)


class Sender:
    """Delivers everything; `during_first` runs while the first batch is with the provider."""

    provider = SenderProvider.RESEND

    def __init__(self, during_first: Any = None) -> None:
        self.during_first = during_first
        self.batches: list[str] = []

    def deliver(self, messages: list[dict[str, Any]], batch_id: str) -> list[Outcome]:
        if not self.batches and self.during_first:
            self.during_first()
        self.batches.append(batch_id)
        return [Outcome(m["send_key"], SendStatus.SENT, message_id=f"id-{m['send_key']}") for m in messages]


def _batch(count: int) -> pd.DataFrame:
    batch = pd.DataFrame(
        {
            "email": [f"lead{i}@acme.example" for i in range(count)],
            "sequence": "standard",
            "step": 1,
            "variant": "main",
            "country": "",
        }
    )
    return batch.assign(send_key=send_keys("demo", batch["email"], batch["step"]))


@pytest.mark.sqlite_only
def test_a_pause_tripped_mid_run_stops_later_hand_overs_and_leaves_nothing_pending(engine: Any) -> None:
    campaign = _campaign()
    batch = _batch(250)  # three provider batches
    sender = Sender(during_first=lambda: pauses.pause(engine, "demo", "another run's pause", NOW))

    report = send_batch(engine, campaign, DAY, batch, sender, stamp=BY_TEST, secret=UNSUBSCRIBE_SECRET)

    assert len(sender.batches) == 1
    ledger = _ledger(engine)
    assert len(ledger) == 100 and (ledger["status"] == SendStatus.SENT).all(), "the rest was given back"
    assert report.counts["held_by_pause"] == 150 and report.counts["left_pending"] == 0
    assert report.paused == "another run's pause"
    assert report.problem.startswith("sending for campaign demo is paused since 2026-11-17 09:00 UTC")

    pauses.resume(engine, "demo", NOW)
    rest = send_batch(
        engine,
        campaign,
        DAY,
        batch,
        Sender(),
        stamp=Stamp("test", NOW + dt.timedelta(minutes=5)),
        secret=UNSUBSCRIBE_SECRET,
    )
    assert rest.counts["sent"] == 150 and rest.problem == ""
    assert len(_ledger(engine)) == 250


@pytest.mark.sqlite_only
def test_a_paused_campaign_claims_nothing_new_but_completes_a_killed_runs_claims(engine: Any) -> None:
    campaign = _campaign()
    batch = _batch(150)

    class Killed(Sender):
        def deliver(self, messages: list[dict[str, Any]], batch_id: str) -> list[Outcome]:
            if self.batches:
                raise KeyboardInterrupt  # the run dies with its second batch in flight
            return super().deliver(messages, batch_id)

    with pytest.raises(KeyboardInterrupt):
        send_batch(engine, campaign, DAY, batch.head(120), Killed(), stamp=BY_TEST, secret=UNSUBSCRIBE_SECRET)
    assert (_ledger(engine)["status"] == SendStatus.PENDING).sum() == 20
    pauses.pause(engine, "demo", "paused by a test", NOW)

    sender = Sender()
    report = send_batch(
        engine,
        campaign,
        DAY,
        batch,
        sender,
        stamp=Stamp("test", NOW + dt.timedelta(minutes=5)),
        secret=UNSUBSCRIBE_SECRET,
    )

    ledger = _ledger(engine)
    assert len(sender.batches) == 1, "the killed batch went again, under its own idempotency key"
    assert len(ledger) == 120 and (ledger["status"] == SendStatus.SENT).all(), "nothing new, nothing pending"
    assert report.counts["repaired"] == 20 and report.counts["claimed"] == 0
    assert report.counts["held_by_pause"] == 30, "the rows never claimed"
    assert "paused by a test" in report.problem
