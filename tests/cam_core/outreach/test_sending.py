"""`send_batch` against a sender that answers in its own order, as a provider may."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
import yaml

from cam_core.campaign.demo import demo_campaign_yaml
from cam_core.campaign.models import Campaign
from cam_core.outreach.sending import send_batch
from cam_core.reporting.export import export_leads
from cam_core.state.leads import save_qualified, save_routing
from cam_core.state.ledger import Outcome, send_keys
from cam_core.vocabulary import SenderProvider, SendStatus
from tests.helpers import DAY, NOW


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


@pytest.mark.sqlite_only
def test_only_the_leads_a_sender_delivered_to_are_marked_contacted_whatever_its_order(engine: Any) -> None:
    campaign = Campaign.model_validate({**yaml.safe_load(demo_campaign_yaml()), "name": "demo"})
    emails = [f"lead{i}@acme.example" for i in range(4)]
    leads = pd.DataFrame({"email": emails, "qualification": "qualified", "icp_score": 80, "reason": "ok"})
    for column in ("first_name", "last_name", "title", "company", "domain", "industry", "country", "score_breakdown"):
        leads[column] = ""
    save_qualified(engine, "demo", DAY, leads)
    save_routing(engine, "demo", DAY, leads.assign(tier="hot", sequence="fast_track", enrolment="new"))
    batch = pd.DataFrame({"email": emails, "sequence": "fast_track", "step": 1, "variant": "main", "country": ""})
    batch["send_key"] = send_keys("demo", batch["email"], batch["step"])

    report = send_batch(engine, campaign, DAY, batch, ReorderingSender(refused=emails[0]), now=NOW)

    assert report.counts["sent"] == 3 and report.counts["failed"] == 1
    status = export_leads(engine, "demo").set_index("email")["status"]
    assert status[emails[0]] == "enrolled"
    assert (status[emails[1:]] == "contacted").all()
