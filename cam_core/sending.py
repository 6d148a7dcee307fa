"""Handing a rendered batch to a sender, exactly once per lead and step (the `sent_emails` stage).

Claim in the ledger first, deliver, then complete the ledger rows: see ledger.py
for why a crash between the two never produces a second copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Engine

from cam_core import ledger, store
from cam_core.ledger import Outcome
from cam_core.outbox import Sender

#: Ledger rows are completed this many at a time: one transaction per chunk, not
#: per message. A crash mid-chunk leaves its rows pending, and the rerun repairs
#: them without a second copy.
COMPLETION_CHUNK = 100


class DeliveryError(RuntimeError):
    """A sender's refusal of one message; the message is marked failed with this text."""


@dataclass
class SendReport:
    ledger: pd.DataFrame      # the campaign-day's ledger rows after this run
    counts: dict[str, int]    # in_batch, claimed, sent, failed, not_claimed


def _deliver(sender: Sender, message: dict) -> Outcome:
    try:
        delivery = sender.send(message)
    except DeliveryError as exc:
        return Outcome(message["send_key"], ledger.FAILED, error=str(exc))
    return Outcome(message["send_key"], ledger.SENT, message_id=delivery.message_id, location=delivery.location)


def send_batch(engine: Engine, campaign: str, day: str, batch: pd.DataFrame, sender: Sender, cap: int) -> SendReport:
    claimed = ledger.claim(engine, campaign, day, batch, cap=cap, provider=sender.provider)
    messages = claimed.to_dict("records")
    sent = failed = 0
    for start in range(0, len(messages), COMPLETION_CHUNK):
        chunk = messages[start:start + COMPLETION_CHUNK]
        outcomes = [_deliver(sender, m) for m in chunk]
        ledger.record_outcomes(engine, outcomes)
        delivered = [m["email"] for m, o in zip(chunk, outcomes) if o.status == ledger.SENT]
        store.mark_contacted(engine, campaign, delivered)
        sent += len(delivered)
        failed += len(chunk) - len(delivered)
    counts = {"in_batch": len(batch), "claimed": len(claimed), "sent": sent, "failed": failed,
              "not_claimed": len(batch) - len(claimed)}
    return SendReport(ledger=ledger.ledger_rows(engine, campaign, day=day), counts=counts)
