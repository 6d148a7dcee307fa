"""Fit and opportunity scoring, the new qualification reasons, review decisions,
routing rules and campaign exclusivity, pinned on representative leads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from cam_core.campaign.demo import demo_campaign_yaml
from cam_core.campaign.loading import CampaignError, load_campaign
from cam_core.campaign.models import Campaign
from cam_core.enrich.verification import verify
from cam_core.reporting.explain import breakdown_rows
from cam_core.selection.exclusivity import active_elsewhere
from cam_core.selection.qualification import qualify
from cam_core.selection.routing import route
from cam_core.selection.scoring import score_campaign
from cam_core.state import schema
from cam_core.vocabulary import LeadStatus

NOBODY = pd.Series(dtype="str")
OPPORTUNITY = {
    "rules": [
        {"name": "hiring", "field": "open_jobs", "between": [1, 10000], "points": 30},
        {"name": "recent_funding", "field": "months_since_funding", "between": [0, 12], "points": 40},
        {"name": "modern_stack", "field": "technologies", "any_of": ["snowflake", "dbt", "databricks"], "points": 20},
        {"name": "data_story", "field": "company_description", "any_of": ["data platform", "analytics"], "points": 10},
    ]
}


def _campaign(**changes: object) -> Campaign:
    raw = yaml.safe_load(demo_campaign_yaml())
    raw["name"] = "demo"
    raw.update(changes)
    return Campaign.model_validate(raw)


LEADS = pd.DataFrame(
    [
        # title, seniority, industry, employees, country, open_jobs, funded, technologies, description
        (
            "CTO",
            "c_suite",
            "Computer Software",
            250,
            "United Kingdom",
            4,
            "2026-06-01",
            "Snowflake, dbt",
            "Acme builds a data platform for retailers",
        ),
        ("Marketing Director", "director", "Retail", 12, "Brazil", np.nan, "", "", ""),
        ("VP Engineering", "vp", "SaaS", 80, "Germany", 0, "2024-01-01", "Oracle", "Analytics for banks"),
        ("Director of Engineering", "director", "Fintech", np.nan, "France", 2, "", "", ""),
        ("Director", "", "Software", 5000, "Japan", np.nan, "", "Snowflakes", "robot alert systems"),
    ],
    columns=[
        "title",
        "seniority",
        "industry",
        "employees",
        "country",
        "open_jobs",
        "latest_funding_date",
        "technologies",
        "company_description",
    ],
)


def test_fit_and_opportunity_scores_of_representative_leads():
    campaign = _campaign(opportunity=OPPORTUNITY, weights={"fit": 0.7, "opportunity": 0.3})
    scored, fired = score_campaign(LEADS, campaign, as_of="2026-11-24")

    assert scored["fit_score"].tolist() == [100, 10, 100, 80, 25]
    assert scored["opportunity_score"].tolist() == [100, 0, 10, 30, 0]
    assert scored["icp_score"].tolist() == [100, 7, 73, 65, 18]
    assert fired["opportunity_recent_funding"] == 1 and fired["decision_maker"] == 3
    assert scored.loc[0, "score_breakdown"] == (
        "fit 100: decision_maker +35 (title: CTO); target_industry +25 (industry: Computer Software); "
        "company_size +20 (employees: 250); target_country +10 (country: United Kingdom); "
        "senior +10 (seniority: c_suite) | opportunity 100: hiring +30 (open_jobs: 4); "
        "recent_funding +40 (months_since_funding: 5.8); "
        "modern_stack +20 (technologies: Snowflake); data_story +10 (company_description: data platform)"
        " | score = 0.7 x fit 100 + 0.3 x opportunity 100 = 100"
    )
    # "Snowflakes" is not "snowflake", "Director" is not a CTO, "robot alert" is just words.
    assert scored.loc[4, "score_breakdown"] == (
        "fit 25: target_industry +25 (industry: Software) | opportunity 0: - "
        "| score = 0.7 x fit 25 + 0.3 x opportunity 0 = 18"
    )


def test_without_opportunity_rules_the_score_is_the_fit_score_as_before():
    scored, _ = score_campaign(LEADS, _campaign(), as_of="2026-11-24")
    assert (scored["icp_score"] == scored["fit_score"]).all()
    assert (scored["opportunity_score"] == 0).all()
    assert scored.loc[1, "score_breakdown"] == "senior +10 (seniority: director)"


def test_the_breakdown_reads_back_as_rule_and_points():
    campaign = _campaign(opportunity=OPPORTUNITY)
    scored, _ = score_campaign(LEADS, campaign, as_of="2026-11-24")
    breakdown = scored.loc[3, "score_breakdown"]
    assert isinstance(breakdown, str)
    rows = breakdown_rows(breakdown)
    assert rows[["part", "rule", "points"]].values.tolist() == [
        ["fit", "decision_maker", 35],
        ["fit", "target_industry", 25],
        ["fit", "target_country", 10],
        ["fit", "senior", 10],
        ["opportunity", "hiring", 30],
    ]
    assert sum(rows.loc[rows["part"] == "fit", "points"]) == scored.loc[3, "fit_score"]


def test_campaign_file_mistakes_in_the_new_settings_are_named(tmp_path):
    def bad(change: dict) -> str:
        raw = yaml.safe_load(demo_campaign_yaml())
        raw.update(change)
        path = tmp_path / "acme.yaml"
        path.write_text(yaml.safe_dump(raw))
        with pytest.raises(CampaignError) as caught:
            load_campaign(path)
        return str(caught.value)

    assert "routing_rules: names sequences that are not defined: de -> 'nosuch'" in bad(
        {"routing_rules": [{"name": "de", "field": "country", "any_of": ["germany"], "sequence": "nosuch"}]}
    )
    assert "competitors" in bad({"competitors": ["not a domain"]})
    assert "weights.opportunity is above 0 but there are no opportunity.rules" in bad(
        {"weights": {"fit": 1, "opportunity": 1}}
    )
    assert "enrichment.waterfall" in bad({"enrichment": {"waterfall": ["apollo", "clearbit"]}})


# --- qualification -----------------------------------------------------------------------------

RULES = _campaign().qualification.model_copy(update={"qualify_at": 60, "review_at": 40})


def _verified(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["domain"] = frame.get("domain", "")
    out = verify(frame, competitors=["rival.com"])
    for column in ("mx", "enrichment_status", "enrichment_error"):
        if column in frame:
            out[column] = frame[column]
    return out


def test_new_rejection_reasons_are_named():
    frame = _verified(
        [
            {
                "email": "",
                "icp_score": 90,
                "enrichment_status": "pending",
                "enrichment_error": "apollo: timed out",
                "mx": "unknown",
            },
            {"email": "", "icp_score": 90, "enrichment_status": "not_found", "enrichment_error": "", "mx": "unknown"},
            {"email": "", "icp_score": 90, "enrichment_status": "off", "enrichment_error": "", "mx": "unknown"},
            {
                "email": "ann@gone.example.com",
                "icp_score": 90,
                "enrichment_status": "off",
                "enrichment_error": "",
                "mx": "none",
            },
            {
                "email": "bob@offline.example.com",
                "icp_score": 90,
                "enrichment_status": "off",
                "enrichment_error": "",
                "mx": "unknown",
            },
            {
                "email": "cy@eu.rival.com",
                "icp_score": 90,
                "enrichment_status": "off",
                "enrichment_error": "",
                "mx": "ok",
            },
        ]
    )
    out = qualify(frame, RULES, NOBODY)
    assert list(zip(out["qualification"], out["reason"], strict=True)) == [
        (LeadStatus.NEEDS_EMAIL, "no email address yet: enrichment pending (apollo: timed out)"),
        (LeadStatus.NEEDS_EMAIL, "no email address (enrichment found none)"),
        (
            LeadStatus.NEEDS_EMAIL,
            "no email address (enrichment is off: set APOLLO_API_KEY or DROPCONTACT_API_KEY to look addresses up)",
        ),
        (LeadStatus.REJECTED, "no mail server for the domain (MX lookup)"),
        (LeadStatus.QUALIFIED, "score 90 >= qualify_at 60"),  # unknown MX is never a rejection
        (LeadStatus.REJECTED, "competitor (eu.rival.com)"),
    ]


def test_review_decisions_apply_to_the_review_band_only():
    frame = _verified(
        [
            {"email": e, "icp_score": s}
            for e, s in [
                ("yes@acme.example", 50),
                ("no@acme.example", 45),
                ("wait@acme.example", 41),
                ("gone@acme.example", 50),
                ("top@acme.example", 90),
            ]
        ]
    )
    decisions = pd.DataFrame(
        {"decision": ["approved", "rejected", "approved", "rejected"], "decided_by": ["ana", "ana", "ben", "ben"]},
        index=["yes@acme.example", "no@acme.example", "gone@acme.example", "top@acme.example"],
    )
    out = qualify(frame, RULES, pd.Series({"gone@acme.example": "bounced"}), decisions).set_index("email")
    assert out[["qualification", "reason"]].values.tolist() == [
        [LeadStatus.QUALIFIED, "approved in review by ana (score 50 in review band [40, 60))"],
        [LeadStatus.REJECTED, "rejected in review by ana (score 45 in review band [40, 60))"],
        [LeadStatus.REVIEW, "score 41 in review band [40, 60)"],
        [LeadStatus.REJECTED, "suppressed (bounced)"],  # a decision never overrides a hard rejection
        [LeadStatus.QUALIFIED, "score 90 >= qualify_at 60"],  # nor a verdict that was never in review
    ]


# --- routing -----------------------------------------------------------------------------------

RULED = _campaign(
    routing_rules=[
        {"name": "dach", "field": "country", "any_of": ["germany", "austria", "switzerland"], "sequence": "standard"},
        {"name": "hot_founders", "field": "seniority", "any_of": ["founder"], "tiers": ["hot"], "sequence": "standard"},
    ]
)


def _qualified(rows: list[tuple[str, int, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["email", "icp_score", "country", "seniority"])
    frame["qualification"] = LeadStatus.QUALIFIED
    return frame


def test_routing_rules_in_order_with_the_tier_as_fallback():
    routed = route(
        _qualified(
            [
                ("de@x.example", 90, "Germany", "founder"),  # first rule wins
                ("founder@x.example", 90, "United Kingdom", "founder"),
                ("warm.founder@x.example", 75, "United Kingdom", "founder"),  # rule limited to hot: falls back
                ("plain@x.example", 90, "France", "vp"),
            ]
        ),
        RULED,
        NOBODY,
    )
    assert routed[["tier", "sequence", "route_rule"]].values.tolist() == [
        ["hot", "standard", "dach"],
        ["hot", "standard", "hot_founders"],
        ["warm", "fast_track", "tier"],
        ["hot", "fast_track", "tier"],
    ]


def test_a_lead_active_in_another_campaign_is_held_with_the_reason():
    campaign = RULED.model_copy(update={"exclusivity_days": 30})
    routed = route(
        _qualified(
            [
                ("taken@x.example", 90, "France", ""),
                ("free@x.example", 90, "France", ""),
                ("mine@x.example", 90, "France", ""),
            ]
        ),
        campaign,
        pd.Series({"mine@x.example": "standard"}),
        pd.Series(
            {"taken@x.example": "campaign acme since 2026-11-20", "mine@x.example": "campaign acme since 2026-11-20"}
        ),
    ).set_index("email")
    assert routed["enrolment"].to_dict() == {
        "taken@x.example": "held",
        "free@x.example": "new",
        "mine@x.example": "already_enrolled",
    }
    assert routed.loc["taken@x.example", "hold_reason"] == (
        "held: active in another campaign within 30 days (campaign acme since 2026-11-20)"
    )


def test_active_elsewhere_looks_only_inside_the_window(engine):
    with engine.begin() as conn:
        conn.execute(
            schema.enrolments.insert(),
            [
                {
                    "campaign": "acme",
                    "email": "recent@x.example",
                    "sequence": "s",
                    "tier": "hot",
                    "enrolled_on": "2026-11-10",
                },
                {
                    "campaign": "acme",
                    "email": "old@x.example",
                    "sequence": "s",
                    "tier": "hot",
                    "enrolled_on": "2026-10-01",
                },
                {
                    "campaign": "demo",
                    "email": "here@x.example",
                    "sequence": "s",
                    "tier": "hot",
                    "enrolled_on": "2026-11-20",
                },
                {
                    "campaign": "acme",
                    "email": "later@x.example",
                    "sequence": "s",
                    "tier": "hot",
                    "enrolled_on": "2026-11-30",
                },
            ],
        )
    found = active_elsewhere(
        engine, "demo", "2026-11-24", 30, ["recent@x.example", "old@x.example", "here@x.example", "later@x.example"]
    )
    assert found.to_dict() == {"recent@x.example": "campaign acme since 2026-11-10"}
    assert active_elsewhere(engine, "demo", "2026-11-24", 0, ["recent@x.example"]).empty
