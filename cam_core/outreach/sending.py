"""Handing a rendered batch to a sender, exactly once per lead and step (the `sent_emails` stage).

Only messages whose sending window is open now are claimed; the ledger (see
`cam_core.state.ledger`) claims them under every cap, groups them into provider batches and
keeps a batch's rows pending until the provider's answer is recorded, so a
crash or a retry never produces a second copy.

A campaign the reputation guard paused (`reputation`) claims nothing new, and a
pause that trips mid-run (this run's own check before each hand-over, or another
run's) stops the hand-overs still to come and gives their claims back, so a pause
leaves no row pending. Rows a killed run left pending are still handed over, in
their original batches: the provider may already have sent them, and only the
repeat under the same idempotency key tells; releasing them could send a second
copy after the resume, and holding them past the 24 h idempotency window would
lose them. That is at most the claims of one interrupted run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Engine

from cam_core.campaign.models import Campaign
from cam_core.outreach import reputation
from cam_core.outreach.senders import ProviderUnavailable, Sender, SenderRefused
from cam_core.outreach.window import recipient_zones, window_states
from cam_core.state import ledger, suppression
from cam_core.state.history import Stamp
from cam_core.state.leads import mark_contacted
from cam_core.vocabulary import SendStatus, WindowState


@dataclass
class SendReport:
    ledger: pd.DataFrame  # the campaign-day's ledger rows after this run
    counts: dict[str, int]  # window states, claim counts, sent, failed, left_pending
    problem: str = ""  # why sending stopped early, if it did
    paused: str = ""  # the reputation pause in force, if any: its reason


def _refusals(group: pd.DataFrame, refused: dict[str, str]) -> list[ledger.Outcome]:
    rows = group[group["email"].isin(refused)]
    return [
        ledger.Outcome(
            key, SendStatus.FAILED, error=f"suppressed after it was claimed ({refused[email]}): not handed over"
        )
        for key, email in zip(rows["send_key"], rows["email"], strict=True)
    ]


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
    pause = reputation.guard(engine, campaign, now)
    held = 0  # rows the pause kept from being claimed, or gave back
    if pause is not None:  # only a killed run's pending rows go on (see above)
        known = ledger.ledger_rows(engine, campaign.name, keys=due["send_key"].tolist())
        held = int((~due["send_key"].isin(known["send_key"])).sum())
        due = due[due["send_key"].isin(known.loc[known["status"] == SendStatus.PENDING, "send_key"])]
    claim = ledger.claim(engine, campaign, day, due, sender.provider, now)
    sent = failed = 0
    problem = ""
    groups = list(claim.rows.groupby("batch_id", sort=False))
    for position, (batch_id, group) in enumerate(groups):
        fresh = group.loc[~group["send_key"].isin(claim.repaired_keys), "send_key"].tolist()
        if fresh:
            pause = pause or reputation.guard(engine, campaign, now)
            if pause is not None:  # tripped since the claim: these never reached the provider
                ledger.release(engine, fresh)
                held += len(fresh)
                continue
        # An address suppressed since the claim (a complaint, an unsubscribe) is refused at hand-over.
        refused = suppression.suppressed_of(engine, group["email"].tolist(), secret)
        if refused:
            ledger.record_outcomes(engine, _refusals(group, refused), now)
            failed += int(group["email"].isin(refused).sum())
            group = group[~group["email"].isin(refused)]
        messages = [{str(k): v for k, v in m.items()} for m in group.to_dict("records")]
        if not messages:
            continue
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
        mark_contacted(engine, campaign.name, delivered, stamp)
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
        "held_by_pause": held,
        "left_pending": int((rows["status"] == SendStatus.PENDING).sum()) if len(rows) else 0,
    }
    if pause is not None:
        problem = "; ".join(p for p in (reputation.paused_problem(pause), problem) if p)
    return SendReport(ledger=rows, counts=counts, problem=problem, paused=pause.reason if pause else "")
