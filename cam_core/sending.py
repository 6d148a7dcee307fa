"""Handing a rendered batch to a sender, exactly once per lead and step (the `sent_emails` stage).

Only messages whose sending window is open now are claimed; the ledger (see
ledger.py) claims them under every cap, groups them into provider batches and
keeps a batch's rows pending until the provider's answer is recorded, so a
crash or a retry never produces a second copy.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Engine

from cam_core import ledger, store
from cam_core.campaigns import Campaign
from cam_core.outbox import ProviderUnavailable, Sender, SenderRefused
from cam_core.sending_window import OPEN, recipient_zones, window_states


@dataclass
class SendReport:
    ledger: pd.DataFrame      # the campaign-day's ledger rows after this run
    counts: dict[str, int]    # window states, claim counts, sent, failed, left_pending
    problem: str = ""         # why sending stopped early, if it did


def _complete(engine: Engine, campaign: str, outcomes: list[ledger.Outcome], delivered: list[str]) -> None:
    """Record a batch's outcomes in the ledger and mark its delivered leads contacted."""
    ledger.record_outcomes(engine, outcomes)
    store.mark_contacted(engine, campaign, delivered)


def _settle(recording: Future[None] | None) -> None:
    """Wait for a batch's completion; its error, if any, is raised here."""
    if recording is not None:
        recording.result()


def send_batch(engine: Engine, campaign: Campaign, day: str, batch: pd.DataFrame, sender: Sender,
               now: dt.datetime) -> SendReport:
    states = window_states(recipient_zones(batch, campaign.timezone), dt.date.fromisoformat(day), now, campaign)
    claim = ledger.claim(engine, campaign, day, batch[(states == OPEN).to_numpy()], sender.provider, now)
    sent = failed = 0
    problem = ""
    groups = list(claim.rows.groupby("batch_id", sort=False))
    # Batch k is completed in the ledger by a writer thread while batch k+1 waits for its
    # start slot and goes out, so the ledger's transactions are not added to the time
    # between calls. One completion at most is in flight: a failing write stops the run
    # after one more batch, which then stays pending and is repaired like a killed run's.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cam-ledger") as writer:
        recording: Future[None] | None = None
        for position, (batch_id, group) in enumerate(groups):
            messages = group.to_dict("records")
            try:
                outcomes = sender.deliver(messages, batch_id)
            except SenderRefused as exc:
                _settle(recording)
                # Nothing from here on reached the provider; give the room back. Repaired
                # rows keep their claim: an earlier run may have delivered them.
                untouched = pd.concat([g for _, g in groups[position:]])
                ledger.release(engine, untouched.loc[~untouched["send_key"].isin(claim.repaired_keys), "send_key"].tolist())
                problem = str(exc)
                break
            except ProviderUnavailable as exc:
                problem = f"{exc}; the batch stays pending and the next run retries it with the same idempotency key"
                break
            _settle(recording)
            delivered = [m["email"] for m, o in zip(messages, outcomes) if o.status == ledger.SENT]
            recording = writer.submit(_complete, engine, campaign.name, outcomes, delivered)
            sent += len(delivered)
            failed += len(outcomes) - len(delivered)
        _settle(recording)
    rows = ledger.ledger_rows(engine, campaign.name, day=day)
    counts = {
        "in_batch": len(batch),
        **{f"window_{s}": int((states == s).sum()) for s in states.unique() if s != OPEN},
        "window_open": int((states == OPEN).sum()),
        **claim.counts,
        "sent": sent,
        "failed": failed,
        "left_pending": int((rows["status"] == ledger.PENDING).sum()) if len(rows) else 0,
    }
    return SendReport(ledger=rows, counts=counts, problem=problem)
