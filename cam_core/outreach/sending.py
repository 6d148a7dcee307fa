"""Handing a rendered batch to a sender, exactly once per lead and step (the `sent_emails` stage).

Only messages whose sending window is open now are claimed; the ledger (see
`cam_core.state.ledger`) claims them under every cap and groups them into
provider batches. Each batch is decided and frozen just before its hand-over
(an address suppressed since the claim is dropped then, never later) and from
then on only ever handed over as frozen, under its idempotency key: a crash, a
retry or a concurrent run never produces a second copy or a different payload.

Frozen batches a killed run left pending are handed over first, exactly as
frozen, whatever changed since: the provider may already have sent them, and
only the repeat under the same key tells. A campaign the reputation guard
paused (`reputation`) claims nothing new, and a pause that trips mid-run (this
run's own check before each hand-over, or another run's) gives back the claims
not yet frozen, so a pause leaves no row pending but the repairs of at most one
interrupted run.

A row whose message could not be rendered (`render_error`, see
`cam_core.outreach.rendering`) is never handed over: its step is failed with the
reason, and the others go.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from cam_core.campaign.models import Campaign
from cam_core.outreach import reputation
from cam_core.outreach.senders import ProviderUnavailable, Sender, SenderRefused
from cam_core.outreach.window import recipient_zones, window_states
from cam_core.state import ledger, suppression
from cam_core.state.history import Stamp
from cam_core.vocabulary import SendStatus, WindowState


@dataclass
class SendReport:
    ledger: pd.DataFrame  # the campaign-day's ledger rows after this run
    counts: dict[str, int]  # window states, claim counts, sent, failed, left_pending
    problem: str = ""  # why sending stopped early, if it did
    paused: str = ""  # the reputation pause in force, if any: its reason


def _refusals(rows: pd.DataFrame, refused: dict[str, str]) -> list[ledger.Outcome]:
    rows = rows[rows["email"].isin(refused)]
    return [
        ledger.Outcome(
            key, SendStatus.FAILED, error=f"suppressed after it was claimed ({refused[email]}): not handed over"
        )
        for key, email in zip(rows["send_key"], rows["email"], strict=True)
    ]


@dataclass
class _Tally:
    sent: int = 0
    failed: int = 0
    held: int = 0  # rows the pause kept from being claimed, or gave back

    def add(self, outcomes: list[ledger.Outcome]) -> None:
        sent = sum(o.status == SendStatus.SENT for o in outcomes)
        self.sent += sent
        self.failed += len(outcomes) - sent


def send_batch(
    engine: Engine,
    campaign: Campaign,
    day: str,
    batch: pd.DataFrame,
    sender: Sender,
    stamp: Stamp,
    secret: str,
) -> SendReport:
    """`secret`: the key of the suppression list's hashed entries (`CamResource.signing_secret()`)."""
    now = stamp.at
    states = window_states(recipient_zones(batch, campaign.timezone), dt.date.fromisoformat(day), now, campaign)
    due = batch[(states == WindowState.OPEN).to_numpy()]
    if "render_error" in due:
        unrendered = due["render_error"].fillna("") != ""
        ledger.record_unrendered(engine, campaign, day, due[unrendered], sender.provider, now)
        due = due[~unrendered]
    tally = _Tally()
    pause = reputation.guard(engine, campaign, now)
    if pause is not None:  # only a killed run's frozen batches go on (see above)
        known = ledger.ledger_rows(engine, campaign.name, keys=due["send_key"].tolist())
        tally.held, due = int((~due["send_key"].isin(known["send_key"])).sum()), due.iloc[0:0]
    claim = ledger.claim(engine, campaign, day, due, sender.provider, now)
    problem = ""
    try:
        for batch_id in claim.repairs:
            messages = ledger.frozen_messages(engine, batch_id)
            if messages:
                tally.add(_hand_over(engine, campaign.name, batch_id, messages, sender, stamp))
        groups = [g for _, g in claim.rows.groupby("batch_id", sort=False)]
        for position, group in enumerate(groups):
            batch_id = str(group["batch_id"].iloc[0])
            pause = pause or reputation.guard(engine, campaign, now)
            if pause is not None:  # tripped since the claim: these never reached the provider
                ledger.release(engine, campaign.name, group["send_key"].tolist())
                tally.held += len(group)
                continue
            # An address suppressed since the claim (a complaint, an unsubscribe) is refused now,
            # before the batch is frozen: a frozen batch never changes.
            refused = suppression.suppressed_of(engine, group["email"].tolist(), secret)
            if refused:
                refusals = _refusals(group, refused)
                ledger.record_outcomes(engine, refusals, now)
                tally.add(refusals)
            messages = ledger.freeze(engine, campaign.name, day, batch_id, group[~group["email"].isin(refused)], now)
            if not messages:
                continue
            try:
                tally.add(_hand_over(engine, campaign.name, batch_id, messages, sender, stamp))
            except SenderRefused:
                # Nothing from here on reached the provider: give the room back and unfreeze.
                rest = pd.concat(groups[position:])
                ledger.release(engine, campaign.name, rest["send_key"].tolist(), rest["batch_id"].unique())
                raise
    except SenderRefused as exc:
        problem = str(exc)
    except ProviderUnavailable as exc:
        problem = f"{exc}; the batch stays pending and the next run retries it as frozen, with the same idempotency key"
    rows = ledger.ledger_rows(engine, campaign.name, day=day)
    counts = {
        "in_batch": len(batch),
        **{f"window_{s}": int((states == s).sum()) for s in states.unique() if s != WindowState.OPEN},
        "window_open": int((states == WindowState.OPEN).sum()),
        **claim.counts,
        "sent": tally.sent,
        "failed": tally.failed,
        "held_by_pause": tally.held,
        "left_pending": int((rows["status"] == SendStatus.PENDING).sum()) if len(rows) else 0,
    }
    if pause is not None:
        problem = "; ".join(p for p in (reputation.paused_problem(pause), problem) if p)
    return SendReport(ledger=rows, counts=counts, problem=problem, paused=pause.reason if pause else "")


def _hand_over(
    engine: Engine, campaign: str, batch_id: str, messages: list[dict[str, Any]], sender: Sender, stamp: Stamp
) -> list[ledger.Outcome]:
    """Deliver one frozen batch and complete it: outcomes and lead moves in one transaction."""
    outcomes = sender.deliver(messages, batch_id)
    # Completed by send key, not by position: a sender may answer in its own order.
    ledger.complete(engine, campaign, batch_id, messages, outcomes, stamp)
    return outcomes
