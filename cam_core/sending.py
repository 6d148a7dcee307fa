"""Handing a rendered batch to a sender, exactly once per lead and step (the `sent_emails` stage).

Claim in the ledger first, deliver, then complete the ledger row: see ledger.py
for why a crash between the two never produces a second copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Engine

from cam_core import ledger, store
from cam_core.outbox import Sender


class DeliveryError(RuntimeError):
    """A sender's refusal of one message; the message is marked failed with this text."""


@dataclass
class SendReport:
    ledger: pd.DataFrame      # the campaign-day's ledger rows after this run
    counts: dict[str, int]    # claimed, sent, failed, skipped


def send_batch(engine: Engine, campaign: str, day: str, batch: pd.DataFrame, sender: Sender, cap: int) -> SendReport:
    claimed = ledger.claim(engine, campaign, day, batch, cap=cap, provider=sender.provider)
    sent: list[str] = []
    failed = 0
    for message in claimed.to_dict("records"):
        try:
            delivery = sender.send(message)
        except DeliveryError as exc:
            ledger.fail(engine, message["send_key"], str(exc))
            failed += 1
            continue
        ledger.complete(engine, message["send_key"], delivery.message_id, delivery.location)
        sent.append(message["email"])
    store.mark_contacted(engine, campaign, sent)
    counts = {"in_batch": len(batch), "claimed": len(claimed), "sent": len(sent), "failed": failed,
              "not_claimed": len(batch) - len(claimed)}
    return SendReport(ledger=ledger.ledger_rows(engine, campaign, day=day), counts=counts)
