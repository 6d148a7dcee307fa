"""Who gets written to: verification, ICP scoring, qualification and routing.

The system this replaces matched titles by substring ("Director" was a CTO), let
the scorer and the router disagree on tiers, and ended with every lead rejected.
These tests pin what a person would check by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cam_core.campaign.demo import demo_campaign_yaml, demo_csv
from cam_core.campaign.models import Campaign, Icp, Qualification
from cam_core.enrich.verification import _syntax_problem, syntax_problems, verification_counts, verify
from cam_core.intake.harvest import harvest
from cam_core.selection.qualification import qualify
from cam_core.selection.routing import route, tiers_for
from cam_core.selection.scoring import score
from cam_core.vocabulary import LeadStatus

NOBODY_SUPPRESSED = pd.Series(dtype="str")


def _campaign(**changes: object) -> Campaign:
    raw = yaml.safe_load(demo_campaign_yaml())
    raw["name"] = "demo"
    for key, value in changes.items():
        raw[key] = value
    return Campaign.model_validate(raw)


def _emails(*emails: str) -> pd.DataFrame:
    return pd.DataFrame({"email": list(emails)})


# --- verification -------------------------------------------------------------------------------


def _verified(*emails: str) -> pd.DataFrame:
    return verify(_emails(*emails)).set_index("email")


@pytest.mark.parametrize(
    ("email", "is_role"),
    [
        ("info@acme.example", True),
        ("sales@acme.example", True),
        ("sales+emea@acme.example", True),  # a sub-address does not make it a person
        ("no-reply@acme.example", True),
        ("dev@acme.example", True),
        ("dev.kumar@acme.example", False),  # a person whose name starts like a role
        ("info.desk.person@acme.example", False),  # the whole local part is not a role word
        ("devon@acme.example", False),
        ("hellen@acme.example", False),
        ("salesforce.admin.jo@acme.example", False),
        ("robot.alert@acme.example", False),  # "bot"/"alert" inside a name are not spam signals
    ],
)
def test_role_accounts_are_matched_on_the_whole_local_part(email: str, is_role: bool) -> None:
    assert bool(_verified(email).loc[email, "role_account"]) is is_role


@pytest.mark.parametrize(
    ("email", "free", "disposable"),
    [
        ("ann@gmail.com", True, False),
        ("ann@proton.me", True, False),
        ("ann@acme.example", False, False),
        ("ann@gmail.com.acme.example", False, False),  # a company domain that merely contains gmail.com
        ("ann@mailinator.com", False, True),
        ("ann@eu.mailinator.com", False, True),  # subdomains of a disposable service count
        ("ann@a.b.yopmail.fr", False, True),
        ("ann@notmailinator.com", False, False),  # whole labels only
        ("ann@mailinator.com.acme.example", False, False),
    ],
)
def test_free_mail_and_disposable_domains(email: str, free: bool, disposable: bool) -> None:
    row = _verified(email).loc[email]
    assert (bool(row["free_mail"]), bool(row["disposable"])) == (free, disposable)


@pytest.mark.parametrize(
    ("email", "problem"),
    [
        ("a..b@acme.example", "two periods in a row"),
        (".ann@acme.example", "period"),
        ("ann@acme", "not valid"),
        ("ann@-acme.example", "hyphen"),
        ("", "no email address"),  # a row kept for enrichment to find its address
    ],
)
def test_invalid_syntax_says_what_is_wrong(email: str, problem: str) -> None:
    row = _verified(email).loc[email]
    assert not row["email_valid"]
    assert problem in row["email_problem"]


def test_valid_addresses_have_no_problem_and_unknown_mx() -> None:
    verified = _verified("ann@acme.example", "zoë@müller.example", "o'brien@acme.example")
    assert verified["email_valid"].all()
    assert (verified["email_problem"] == "").all()
    assert (verified["mx"] == "unknown").all()


_LOCAL = st.one_of(
    st.from_regex(r"[a-zA-Z0-9'+_-]{1,8}(\.[a-z0-9!#]{1,5})?", fullmatch=True),
    st.text(alphabet="ab.+_'-Z", min_size=1, max_size=12),
    st.text(alphabet="ab.+-_!'Zë \"@", max_size=70),
)
_DOMAIN = st.lists(
    st.one_of(
        st.from_regex(r"[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True),
        st.text(alphabet="ab9-", min_size=1, max_size=8),
        st.text(alphabet="ab9-xnZ.ë_", max_size=70),
    ),
    min_size=1,
    max_size=3,
).map(".".join)
_ADDRESSES = st.one_of(
    st.tuples(
        _LOCAL,
        _DOMAIN,
        st.sampled_from(
            ["", ".com", ".io", ".c1", ".test", ".local", ".localhost", ".onion", ".arpa", ".invalid", "-", ".xn--p1ai"]
        ),
    ).map(lambda parts: f"{parts[0]}@{parts[1]}{parts[2]}"),
    st.text(alphabet="a@.-", max_size=12),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_ADDRESSES, min_size=1, max_size=20))
def test_the_vectorised_verdict_is_email_validators_own(addresses: list[str]) -> None:
    # Plain addresses skip email-validator for speed; the verdict must not change.
    assert syntax_problems(pd.Series(addresses)).tolist() == [_syntax_problem(a) for a in addresses]


def test_plain_addresses_are_settled_without_calling_email_validator(monkeypatch) -> None:
    import cam_core.enrich.verification as verification

    monkeypatch.setattr(verification, "_syntax_problem", lambda email: pytest.fail(f"{email} took the slow path"))
    plain = ["ann@acme.example", "o'brien+crm@eu.acme-data.io", "x@a.b.c.xyz", "j.doe@123.example"]
    assert syntax_problems(pd.Series(plain)).tolist() == ["", "", "", ""]


def test_verification_counts_add_up() -> None:
    verified = verify(
        _emails("info@acme.example", "a..b@acme.example", "ann@gmail.com", "ann@mailinator.com", "ann@acme.example")
    )
    assert verification_counts(verified) == {"invalid_syntax": 1, "role_account": 1, "free_mail": 1, "disposable": 1}


# --- scoring ------------------------------------------------------------------------------------

ICP = Icp.model_validate(
    {
        "rules": [
            {
                "name": "decision_maker",
                "field": "title",
                "any_of": ["cto", "chief technology officer", "coo", "vp engineering"],
                "points": 40,
            },
            {"name": "company_size", "field": "employees", "between": [50, 500], "points": 30},
            {"name": "target_industry", "field": "industry", "any_of": ["software", "saas"], "points": 30},
            {"name": "bad_fit", "field": "industry", "any_of": ["gambling"], "points": -50},
        ]
    }
)  # the positive points add up to 100, so a score is the plain sum of points, floored at 0


def _scored(rows: list[tuple[str, float, str]]) -> pd.DataFrame:
    leads = pd.DataFrame(rows, columns=["title", "employees", "industry"])
    scored, _ = score(leads, ICP)
    return scored


@pytest.mark.parametrize(
    ("title", "fires"),
    [
        ("CTO", True),
        ("cto", True),
        ("CTO & Co-founder", True),
        ("Co-founder/CTO", True),
        ("Chief Technology Officer (interim)", True),
        ("Chief  Technology   Officer", True),  # any run of spaces inside a phrase
        ("VP Engineering", True),
        ("COO", True),
        ("Director", False),  # contains "cto"
        ("Director of Engineering", False),
        ("Sales Coordinator", False),  # contains "coo"
        ("Cooperative Lead", False),
        ("Doctor", False),
        ("Chief Technology", False),  # half a phrase is not the phrase
        ("VP Engineering Ops", True),
        ("", False),
    ],
)
def test_titles_match_whole_words_only(title: str, fires: bool) -> None:
    scored = _scored([(title, np.nan, "")])
    assert bool(scored.loc[0, "icp_score"] == 40) is fires, scored.loc[0, "score_breakdown"]


@pytest.mark.parametrize(
    ("employees", "fires"), [(50, True), (500, True), (49.9, False), (501, False), (200, True), (np.nan, False)]
)
def test_between_is_inclusive_and_ignores_unknown(employees: float, fires: bool) -> None:
    assert bool(_scored([("", employees, "")]).loc[0, "icp_score"] == 30) is fires


def test_scores_and_breakdowns_of_representative_leads() -> None:
    scored = _scored(
        [
            ("CTO", 200, "Computer Software"),  # everything fires
            ("Director of Sales", 200, "Retail"),
            ("Sales Coordinator", 100, "SaaS"),
            ("CTO", 200, "Online Gambling"),  # good fit, bad industry
            ("Office Manager", 10, "Gambling"),  # negative total, floored at 0
            ("", np.nan, ""),  # nothing known
        ]
    )

    assert scored["icp_score"].tolist() == [100, 30, 60, 20, 0, 0]
    assert scored["score_breakdown"].tolist() == [
        "decision_maker +40 (title: CTO); company_size +30 (employees: 200); target_industry +30 (industry: Software)",
        "company_size +30 (employees: 200)",
        "company_size +30 (employees: 100); target_industry +30 (industry: SaaS)",
        "decision_maker +40 (title: CTO); company_size +30 (employees: 200); bad_fit -50 (industry: Gambling)",
        "bad_fit -50 (industry: Gambling)",
        "",
    ]


def test_scores_are_a_share_of_the_best_possible_and_stay_in_0_100() -> None:
    icp = Icp.model_validate(
        {
            "rules": [
                {"name": "cto", "field": "title", "any_of": ["cto"], "points": 30},
                {"name": "big", "field": "employees", "between": [100, 1000], "points": 15},
                {"name": "spam", "field": "title", "any_of": ["intern"], "points": -100},
            ]
        }
    )
    leads = pd.DataFrame(
        {"title": ["CTO", "CTO", "Intern", "Intern CTO", "Architect"], "employees": [100, 5, 100, 100, 150]}
    )

    scored, fired = score(leads, icp)

    # 45 possible: 45/45 = 100, 30/45 = 66.7 -> 67, 15/45 = 33.3 -> 33, negative -> 0.
    assert scored["icp_score"].tolist() == [100, 67, 0, 0, 33]
    assert scored["icp_score"].between(0, 100).all()
    assert fired == {"cto": 3, "big": 4, "spam": 2}
    # The input is not modified; scoring adds columns.
    assert list(leads.columns) == ["title", "employees"]


def test_score_keeps_every_lead_and_its_index() -> None:
    leads = pd.DataFrame(
        {"title": ["CTO", "Director"], "employees": [60, 60], "industry": ["saas", "saas"]}, index=[10, 20]
    )
    scored, _ = score(leads, ICP)
    assert scored.index.tolist() == [10, 20]
    assert scored["icp_score"].to_dict() == {10: 100, 20: 60}


# --- qualification ------------------------------------------------------------------------------

RULES = Qualification(qualify_at=60, review_at=40, reject_role_accounts=True, reject_free_mail=False)


def _leads_with_scores(rows: list[tuple[str, int]]) -> pd.DataFrame:
    """Verified leads with a given score, as `score` would leave them."""
    frame = verify(_emails(*[email for email, _ in rows]))
    frame["icp_score"] = [s for _, s in rows]
    return frame


def _outcomes(frame: pd.DataFrame, rules: Qualification = RULES, suppressed: pd.Series = NOBODY_SUPPRESSED) -> dict:
    out = qualify(frame, rules, suppressed)
    return {e: (q, r) for e, q, r in zip(out["email"], out["qualification"], out["reason"], strict=True)}


def test_each_qualification_reason() -> None:
    frame = _leads_with_scores(
        [
            ("gone@acme.example", 100),  # suppressed wins over a perfect score
            ("a..b@acme.example", 100),
            ("ann@mailinator.com", 100),
            ("info@acme.example", 100),
            ("ann@gmail.com", 100),  # free mail allowed by these rules
            ("top@acme.example", 100),
            ("edge@acme.example", 60),  # exactly qualify_at
            ("almost@acme.example", 59),
            ("floor@acme.example", 40),  # exactly review_at
            ("low@acme.example", 39),
        ]
    )

    outcomes = _outcomes(frame, suppressed=pd.Series({"gone@acme.example": "unsubscribed"}))

    assert outcomes == {
        "gone@acme.example": (LeadStatus.REJECTED, "suppressed (unsubscribed)"),
        "a..b@acme.example": (LeadStatus.REJECTED, "invalid email: An email address cannot have two periods in a row."),
        "ann@mailinator.com": (LeadStatus.REJECTED, "disposable email domain"),
        "info@acme.example": (LeadStatus.REJECTED, "role account, not a person"),
        "ann@gmail.com": (LeadStatus.QUALIFIED, "score 100 >= qualify_at 60"),
        "top@acme.example": (LeadStatus.QUALIFIED, "score 100 >= qualify_at 60"),
        "edge@acme.example": (LeadStatus.QUALIFIED, "score 60 >= qualify_at 60"),
        "almost@acme.example": (LeadStatus.REVIEW, "score 59 in review band [40, 60)"),
        "floor@acme.example": (LeadStatus.REVIEW, "score 40 in review band [40, 60)"),
        "low@acme.example": (LeadStatus.REJECTED, "score 39 below review_at 40"),
    }


def test_role_accounts_go_to_review_when_the_campaign_keeps_them() -> None:
    frame = _leads_with_scores([("info@acme.example", 100), ("sales@acme.example", 0)])
    keep_roles = RULES.model_copy(update={"reject_role_accounts": False})

    assert _outcomes(frame, keep_roles) == {
        "info@acme.example": (LeadStatus.REVIEW, "role account, not a person"),
        "sales@acme.example": (LeadStatus.REVIEW, "role account, not a person"),
    }


def test_free_mail_is_rejected_only_when_the_campaign_says_so() -> None:
    frame = _leads_with_scores([("ann@gmail.com", 100), ("bob@acme.example", 100)])
    strict = RULES.model_copy(update={"reject_free_mail": True})

    assert _outcomes(frame, strict) == {
        "ann@gmail.com": (LeadStatus.REJECTED, "free-mail address (campaign rejects free mail)"),
        "bob@acme.example": (LeadStatus.QUALIFIED, "score 100 >= qualify_at 60"),
    }
    assert _outcomes(frame)["ann@gmail.com"] == (LeadStatus.QUALIFIED, "score 100 >= qualify_at 60")


def test_suppression_from_any_campaign_is_named() -> None:
    frame = _leads_with_scores([("ann@acme.example", 100), ("bob@acme.example", 100)])
    suppressed = pd.Series({"bob@acme.example": "bounced", "someone@else.example": "complained"})

    outcomes = _outcomes(frame, suppressed=suppressed)

    assert outcomes["bob@acme.example"] == (LeadStatus.REJECTED, "suppressed (bounced)")
    assert outcomes["ann@acme.example"][0] == LeadStatus.QUALIFIED


def test_qualification_keeps_every_row() -> None:
    frame = _leads_with_scores([("a@acme.example", 0), ("b@acme.example", 50), ("c@acme.example", 90)])
    out = qualify(frame, RULES, NOBODY_SUPPRESSED)
    assert len(out) == 3
    assert set(out["qualification"]) <= {LeadStatus.QUALIFIED, LeadStatus.REVIEW, LeadStatus.REJECTED}
    assert (out["reason"] != "").all()


# --- routing ------------------------------------------------------------------------------------


def test_tier_cut_offs_at_exactly_the_boundaries() -> None:
    campaign = _campaign()  # hot 85, warm 70, cool 55
    scores = pd.Series([100, 85, 84, 70, 69, 55, 54, 0])
    assert tiers_for(scores, campaign).tolist() == ["hot", "hot", "warm", "warm", "cool", "cool", "cold", "cold"]


def test_the_campaign_is_the_one_source_of_tier_cut_offs() -> None:
    stricter = _campaign(tiers={"hot": 95, "warm": 90, "cool": 80})
    assert tiers_for(pd.Series([95, 94, 85, 79]), stricter).tolist() == ["hot", "warm", "cool", "cold"]


def _qualified(rows: list[tuple[str, int, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["email", "icp_score", "qualification"])


def test_route_enrols_qualified_leads_in_their_tiers_sequence() -> None:
    campaign = _campaign()
    qualified = _qualified(
        [
            ("hot@acme.example", 90, LeadStatus.QUALIFIED),
            ("warm@acme.example", 70, LeadStatus.QUALIFIED),
            ("cool@acme.example", 55, LeadStatus.QUALIFIED),
            ("maybe@acme.example", 50, LeadStatus.REVIEW),
            ("no@acme.example", 95, LeadStatus.REJECTED),
        ]
    )

    routed = route(qualified, campaign, pd.Series(dtype="str"))

    assert routed[["email", "tier", "sequence", "enrolment"]].values.tolist() == [
        ["hot@acme.example", "hot", "fast_track", "new"],
        ["warm@acme.example", "warm", "fast_track", "new"],
        ["cool@acme.example", "cool", "standard", "new"],
    ]


def test_a_qualified_lead_below_cool_is_cold_and_gets_the_cold_sequence() -> None:
    campaign = _campaign(
        qualification={"qualify_at": 20, "review_at": 10},
        routing={"hot": "fast_track", "warm": "fast_track", "cool": "standard", "cold": "fast_track"},
    )
    routed = route(_qualified([("low@acme.example", 20, LeadStatus.QUALIFIED)]), campaign, pd.Series(dtype="str"))
    assert routed[["tier", "sequence"]].values.tolist() == [["cold", "fast_track"]]


def test_an_already_enrolled_lead_keeps_its_previous_sequence() -> None:
    campaign = _campaign()
    qualified = _qualified(
        [("back@acme.example", 99, LeadStatus.QUALIFIED), ("new@acme.example", 99, LeadStatus.QUALIFIED)]
    )
    before = pd.Series({"back@acme.example": "standard", "other@acme.example": "fast_track"})

    routed = route(qualified, campaign, before).set_index("email")

    back = routed.loc["back@acme.example", ["tier", "sequence", "enrolment"]]
    new = routed.loc["new@acme.example", ["tier", "sequence", "enrolment"]]
    assert isinstance(back, pd.Series) and isinstance(new, pd.Series)  # one email, one row
    assert back.tolist() == ["hot", "standard", "already_enrolled"]
    assert new.tolist() == ["hot", "fast_track", "new"]


def test_route_with_nothing_qualified_is_empty_not_an_error() -> None:
    routed = route(_qualified([("a@acme.example", 10, LeadStatus.REJECTED)]), _campaign(), pd.Series(dtype="str"))
    assert routed.empty
    assert {"tier", "sequence", "enrolment"} <= set(routed.columns)


# --- the whole chain ----------------------------------------------------------------------------


def test_the_demo_export_flows_through_every_stage(tmp_path: Path) -> None:
    """Not every lead ends rejected: the chain, not only each stage, is tested."""
    campaign = _campaign()
    path = tmp_path / "demo_leads.csv"
    path.write_text(demo_csv(200), encoding="utf-8")

    harvested = harvest([path])
    scored, fired = score(verify(harvested.leads), campaign.icp)
    qualified = qualify(scored, campaign.qualification, pd.Series({harvested.leads["email"][0]: "unsubscribed"}))
    routed = route(qualified, campaign, pd.Series(dtype="str"))

    assert len(qualified) == len(harvested.leads)
    counts = qualified["qualification"].value_counts()
    assert counts[LeadStatus.QUALIFIED] > 0.3 * len(qualified)
    assert counts[LeadStatus.REVIEW] > 0 and counts[LeadStatus.REJECTED] > 0
    assert all(n > 0 for n in fired.values()), fired
    # Nobody suppressed, role, disposable or invalid is routed; every routed lead's tier fits its score.
    assert harvested.leads["email"][0] not in set(routed["email"])
    assert len(routed) == counts[LeadStatus.QUALIFIED]
    assert (routed["icp_score"] >= campaign.qualification.qualify_at).all()
    assert routed["email_valid"].all() and not routed["role_account"].any() and not routed["disposable"].any()
    assert (routed["tier"] == tiers_for(routed["icp_score"], campaign)).all()
    assert (routed["sequence"] == routed["tier"].map(campaign.routing)).all()
