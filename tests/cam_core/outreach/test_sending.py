"""`send_batch` against a sender that answers in its own order, as a provider may."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from cam_core.campaign.demo import demo_campaign_yaml
from cam_core.campaign.models import Campaign
from cam_core.engagement.receiving import receive
from cam_core.outreach.planning import variants_for
from cam_core.outreach.rendering import TEMPLATE_FIELDS, render_batch
from cam_core.outreach.senders.outbox import OutboxSender
from cam_core.outreach.senders.resend import ResendSender
from cam_core.outreach.sending import send_batch
from cam_core.reporting.export import export_leads
from cam_core.state.leads import save_qualified, save_routing
from cam_core.state.ledger import Outcome, ledger_rows, send_keys
from cam_core.vocabulary import SenderProvider, SendStatus
from tests.fakes.resend import FakeResend
from tests.helpers import BY_TEST, DAY, RESEND_KEY, UNSUBSCRIBE_SECRET


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


def _rendered(batch: pd.DataFrame, campaign: Campaign) -> pd.DataFrame:
    batch = batch.assign(**{f: "" for f in TEMPLATE_FIELDS if f not in batch})
    return render_batch(batch.assign(variant=variants_for(batch, campaign)), campaign, UNSUBSCRIBE_SECRET)


IDN_LEADS = ["ann@bücher-idn.de", "jörg@example-utf8.io", "bob@plain.io"]


def test_international_addresses_are_written_by_the_book_by_the_outbox(engine: Any, tmp_path: Path) -> None:
    campaign = Campaign.model_validate({**yaml.safe_load(demo_campaign_yaml()), "name": "demo"})
    batch = _enrolled_batch(engine, IDN_LEADS).assign(first_name=["Ann", "Jörg", "Bob"])
    rendered = _rendered(batch, campaign)
    sender = OutboxSender(tmp_path / "outbox", "demo", BY_TEST.at)

    report = send_batch(engine, campaign, DAY, rendered, sender, stamp=BY_TEST, secret=UNSUBSCRIBE_SECRET)

    assert report.counts["sent"] == 3, report.problem  # on main: UnicodeEncodeError, and every rerun again
    # The domain in A-labels, which every mail system takes; a UTF-8 local part as RFC 6532 writes it
    # (on main a domain became an encoded-word, which no mail system reads as an address).
    written = [path.read_text(encoding="utf-8") for path in (tmp_path / "outbox").glob("*.eml")]
    to = {email.message_from_string(text, policy=policy.default)["To"].addresses[0].addr_spec for text in written}
    assert to == {"ann@xn--bcher-idn-q9a.de", "jörg@example-utf8.io", "bob@plain.io"}
    assert not any("=?utf-8?" in line for text in written for line in text.splitlines() if line.startswith("To:"))


def test_an_address_resend_cannot_take_fails_on_its_own_row_and_the_batch_goes(engine: Any) -> None:
    campaign = Campaign.model_validate({**yaml.safe_load(demo_campaign_yaml()), "name": "demo"})
    batch = _enrolled_batch(engine, IDN_LEADS)
    rendered = _rendered(batch, campaign)
    with FakeResend(api_key=RESEND_KEY) as fake:
        sender = ResendSender(RESEND_KEY, api_url=fake.url, campaign="demo", sleep=lambda _: None)
        report = send_batch(engine, campaign, DAY, rendered, sender, stamp=BY_TEST, secret=UNSUBSCRIBE_SECRET)
        delivered = sorted(fake.recipients())

    assert delivered == ["ann@xn--bcher-idn-q9a.de", "bob@plain.io"]
    rows = ledger_rows(engine, "demo", day=DAY).set_index("email")
    assert rows.loc["jörg@example-utf8.io", "status"] == SendStatus.FAILED
    assert "Invalid `to` field" in str(rows.loc["jörg@example-utf8.io", "error"])
    assert report.counts["sent"] == 2 and report.counts["left_pending"] == 0
