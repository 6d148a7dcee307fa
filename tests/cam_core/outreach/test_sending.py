"""`send_batch` against a sender that answers in its own order, as a provider may."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
import yaml

from cam_core.campaign.demo import demo_campaign_yaml
from cam_core.campaign.models import Campaign
from cam_core.engagement.receiving import receive
from cam_core.outreach.sending import send_batch
from cam_core.reporting.export import export_leads
from cam_core.state.leads import save_qualified, save_routing
from cam_core.state.ledger import Outcome, ledger_rows, send_keys
from cam_core.vocabulary import SenderProvider, SendStatus
from tests.helpers import BY_TEST, DAY, UNSUBSCRIBE_SECRET


class ReorderingSender:
    """Answers each batch last message first and refuses one address, as Resend's sender
    does when it turns reserved example domains away before calling out."""

    provider = SenderProvider.OUTBOX

    def __init__(self, refused: str) -> None:
        self.refused = refused

    def deliver(self, messages: list[dict[str, Any]], batch_id: str) -> list[Outcome]:
        return [
            Outcome(m["send_key"], SendStatus.FAILED, error="refused")
            if m["email"] == self.refused
            else Outcome(m["send_key"], SendStatus.SENT, message_id=f"id-{m['send_key']}")
            for m in reversed(messages)
        ]


def _enrolled_batch(engine: Any, emails: list[str]) -> pd.DataFrame:
    """Enrol these leads in the demo's fast_track; their first step, ready to send."""
    leads = pd.DataFrame({"email": emails, "qualification": "qualified", "icp_score": 80, "reason": "ok"})
    for column in ("first_name", "last_name", "title", "company", "domain", "industry", "country", "score_breakdown"):
        leads[column] = ""
    save_qualified(engine, "demo", DAY, leads, BY_TEST)
    save_routing(engine, "demo", DAY, leads.assign(tier="hot", sequence="fast_track", enrolment="new"), BY_TEST)
    batch = pd.DataFrame({"email": emails, "sequence": "fast_track", "step": 1, "variant": "main", "country": ""})
    batch["send_key"] = send_keys("demo", batch["email"], batch["step"])
    return batch


@pytest.mark.sqlite_only
def test_only_the_leads_a_sender_delivered_to_are_marked_contacted_whatever_its_order(engine: Any) -> None:
    campaign = Campaign.model_validate({**yaml.safe_load(demo_campaign_yaml()), "name": "demo"})
    emails = [f"lead{i}@acme.example" for i in range(4)]
    batch = _enrolled_batch(engine, emails)

    report = send_batch(
        engine, campaign, DAY, batch, ReorderingSender(refused=emails[0]), stamp=BY_TEST, secret=UNSUBSCRIBE_SECRET
    )

    assert report.counts["sent"] == 3 and report.counts["failed"] == 1
    status = export_leads(engine, "demo").set_index("email")["status"]
    assert status[emails[0]] == "enrolled"
    assert (status[emails[1:]] == "contacted").all()


class RecordingSender:
    """Delivers everything, and calls `during_first` while the first provider batch is handed over."""

    provider = SenderProvider.OUTBOX

    def __init__(self, during_first: Any) -> None:
        self.during_first = during_first
        self.delivered: list[str] = []

    def deliver(self, messages: list[dict[str, Any]], batch_id: str) -> list[Outcome]:
        if not self.delivered:
            self.during_first()
        self.delivered += [m["email"] for m in messages]
        return [Outcome(m["send_key"], SendStatus.SENT, message_id=f"id-{m['send_key']}") for m in messages]


def test_a_complaint_between_claim_and_hand_over_stops_that_message(engine: Any) -> None:
    raw = {**yaml.safe_load(demo_campaign_yaml()), "name": "demo"}
    raw["sender"] = {**raw["sender"], "daily_cap": 1000, "warmup": None, "hourly_cap": None}
    campaign = Campaign.model_validate(raw)
    emails = [f"lead{i:03d}@acme.example" for i in range(150)]  # two provider batches: 100, then 50
    batch = _enrolled_batch(engine, emails)
    complainer = emails[120]  # claimed with the second batch

    def complaint_arrives() -> None:
        # Another campaign's message to the same person was marked as spam, while this run sends.
        event = {"event_id": "resend:msg_c1", "campaign": "other", "email": complainer, "kind": "complaint"}
        receive(
            engine,
            pd.DataFrame([{**event, "occurred_at": "", "source": "webhook:msg_c1"}]),
            BY_TEST.at,
            UNSUBSCRIBE_SECRET,
        )

    sender = RecordingSender(during_first=complaint_arrives)
    report = send_batch(engine, campaign, DAY, batch, sender, stamp=BY_TEST, secret=UNSUBSCRIBE_SECRET)

    assert report.counts["claimed"] == 150
    assert complainer not in sender.delivered and len(sender.delivered) == 149
    row = ledger_rows(engine, "demo", day=DAY).set_index("email").loc[complainer]
    assert row["status"] == SendStatus.FAILED and "suppressed after it was claimed (complaint)" in row["error"]
    assert report.counts["left_pending"] == 0
    assert export_leads(engine, "demo").set_index("email")["status"][complainer] == "enrolled"
