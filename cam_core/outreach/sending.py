"""Handing a rendered batch to a sender, exactly once per lead and step (the `sent_emails` stage).

Only messages whose sending window is open now are claimed; the ledger (see
`cam_core.state.ledger`) claims them under every cap, groups them into provider batches and
keeps a batch's rows pending until the provider's answer is recorded, so a
crash or a retry never produces a second copy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Engine

from cam_core.campaign.models import Campaign
from cam_core.outreach.senders import ProviderUnavailable, Sender, SenderRefused
from cam_core.outreach.window import recipient_zones, window_states
from cam_core.state import ledger
from cam_core.state.leads import mark_contacted
from cam_core.vocabulary import SendStatus, WindowState


@dataclass
class SendReport:
    ledger: pd.DataFrame  # the campaign-day's ledger rows after this run
    counts: dict[str, int]  # window states, claim counts, sent, failed, left_pending
    problem: str = ""  # why sending stopped early, if it did


def send_batch(
    engine: Engine, campaign: Campaign, day: str, batch: pd.DataFrame, sender: Sender, now: dt.datetime
) -> SendReport:
    states = window_states(recipient_zones(batch, campaign.timezone), dt.date.fromisoformat(day), now, campaign)
    claim = ledger.claim(engine, campaign, day, batch[(states == WindowState.OPEN).to_numpy()], sender.provider, now)
    sent = failed = 0
    problem = ""
    groups = list(claim.rows.groupby("batch_id", sort=False))
    for position, (batch_id, group) in enumerate(groups):
        messages = [{str(k): v for k, v in m.items()} for m in group.to_dict("records")]
        try:
            outcomes = sender.deliver(messages, str(batch_id))
        except SenderRefused as exc:
            # Nothing from here on reached the provider; give the room back. Repaired
            # rows keep their claim: an earlier run may have delivered them.
            untouched = pd.concat([g for _, g in groups[position:]])
            ledger.release(engine, untouched.loc[~untouched["send_key"].isin(claim.repaired_keys), "send_key"].tolist())
            problem = str(exc)
            break
        except ProviderUnavailable as exc:
            problem = f"{exc}; the batch stays pending and the next run retries it with the same idempotency key"
            break
        ledger.record_outcomes(engine, outcomes, now)
        # By send key, not by position: a sender may answer in its own order (Resend's refuses
        # reserved example domains before it calls out).
        sent_keys = {o.send_key for o in outcomes if o.status == SendStatus.SENT}
        delivered = [m["email"] for m in messages if m["send_key"] in sent_keys]
        mark_contacted(engine, campaign.name, delivered)
        sent += len(delivered)
        failed += len(outcomes) - len(delivered)
    rows = ledger.ledger_rows(engine, campaign.name, day=day)
    counts = {
        "in_batch": len(batch),
        **{f"window_{s}": int((states == s).sum()) for s in states.unique() if s != WindowState.OPEN},
        "window_open": int((states == WindowState.OPEN).sum()),
        **claim.counts,
        "sent": sent,
        "failed": failed,
        "left_pending": int((rows["status"] == SendStatus.PENDING).sum()) if len(rows) else 0,
    }
    return SendReport(ledger=rows, counts=counts, problem=problem)
