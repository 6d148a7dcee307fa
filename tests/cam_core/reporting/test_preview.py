"""`preview`: the next message of a lead, rendered as the batch would render it, or a reason it cannot be."""

from __future__ import annotations

import pytest
import yaml

from cam_core.campaign.demo import demo_campaign_yaml
from cam_core.campaign.models import Campaign
from cam_core.reporting.preview import PreviewError, preview
from cam_core.settings import HomeLayout
from cam_core.state import schema
from tests.helpers import DAY, UNSUBSCRIBE_SECRET

ADA = "ada@acme.example"
ANN = "ann@bücher-idn.de"


def _campaign_yaml() -> str:
    """The demo campaign, its first steps dividing by zero for leads called Zero (and only for them)."""
    raw = yaml.safe_load(demo_campaign_yaml())
    raw["name"] = "demo"
    for sequence in raw["sequences"].values():
        first = sequence["steps"][0]
        for version in first.get("variants") or [first]:
            version["body"] += '\n{{ 100 // ((last_name != "Zero") | int) }} per cent'
    return yaml.safe_dump(raw, sort_keys=False)


def _campaign() -> Campaign:
    return Campaign.model_validate(yaml.safe_load(_campaign_yaml()))


@pytest.fixture
def leads(engine):
    people = [(ADA, "Zero"), (ANN, "Lovelace")]
    with engine.begin() as conn:
        conn.execute(
            schema.leads.insert(),
            [
                {
                    "campaign": "demo",
                    "email": email,
                    "first_name": "Ada",
                    "last_name": last,
                    "company": "Acme",
                    "status": "qualified",
                    "icp_score": 90,
                    "first_seen": DAY,
                    "updated_on": DAY,
                }
                for email, last in people
            ],
        )
    return engine


def test_a_message_that_fails_on_the_leads_data_is_an_error_naming_why(leads) -> None:
    with pytest.raises(PreviewError) as raised:
        preview(leads, _campaign(), ADA, UNSUBSCRIBE_SECRET)

    assert str(raised.value).startswith(f"{ADA}: cannot render its next message: campaign demo, sequence ")
    assert ", step 1, variant " in str(raised.value)
    assert str(raised.value).endswith(": template error: ZeroDivisionError: integer division or modulo by zero")


def test_an_international_address_is_found_in_either_spelling(leads) -> None:
    message = preview(leads, _campaign(), " ANN@xn--bcher-idn-q9a.de ", UNSUBSCRIBE_SECRET)

    assert message["email"] == ANN and message["render_error"] == ""
    assert message["subject"] and "100 per cent" in str(message["body_text"])


def test_cam_preview_says_why_instead_of_showing_an_empty_message(
    leads, cam_env: HomeLayout, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from cam_dagster.cli import main

    (cam_env.campaigns / "demo.yaml").write_text(_campaign_yaml(), encoding="utf-8")
    monkeypatch.setenv("CAM_DATABASE_URL", database_url)
    monkeypatch.setenv("CAM_UNSUBSCRIBE_SECRET", UNSUBSCRIBE_SECRET)

    code = main(["preview", "--campaign", "demo", "--email", ADA])

    out, err = capsys.readouterr()
    assert code != 0 and out == ""
    assert err.startswith(f"cam: error: {ADA}: cannot render its next message: campaign demo, sequence ")
    assert "template error: ZeroDivisionError" in err and "Traceback" not in err
