"""Paid enrichment against fake Apollo and Dropcontact servers on 127.0.0.1.

What a user would notice: nobody is paid for twice (the cache), the campaign's
waterfall order and credit budget hold, an outage leaves leads pending instead of
failing the run (or approving everyone), and the next run fills them in.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from cam_core.apollo import apollo_client
from cam_core.campaign.models import Enrichment
from cam_core.enrich.providers.apollo import ApolloMatch
from cam_core.enrich.providers.dropcontact import DropcontactBatch, dropcontact_client
from cam_core.enrich.waterfall import enrich
from cam_core.http import ApiError, AuthError, CircuitBreaker, RetryPolicy
from tests.fakes import apollo_match as apollo_fake
from tests.fakes import dropcontact as dropcontact_fake
from tests.fakes.apollo_match import FakeApollo, person
from tests.fakes.server import Reply
from tests.helpers import NOW

ADA = person(
    "ada@acme-data.example",
    "Ada",
    "Lovelace",
    "Chief Technology Officer",
    linkedin="https://www.linkedin.com/in/ada-lovelace",
    seniority="c_suite",
    departments=["engineering"],
    country="United Kingdom",
    company="Acme Data",
    domain="acme-data.example",
    industry="Computer Software",
    employees=250,
    technologies=["Snowflake", "dbt"],
    keywords=["data platform"],
    description="Acme Data builds a data platform for retailers.",
    funded="2026-06-01",
)
GRACE = person(
    "grace@hopper.example",
    "Grace",
    "Hopper",
    "VP Engineering",
    linkedin="https://linkedin.com/in/grace-h",
    seniority="vp",
    country="United States",
    company="Hopper Labs",
    domain="hopper.example",
    industry="SaaS",
    employees=120,
)


def _apollo(
    server,
    waits: list[float] | None = None,
    key: str = apollo_fake.KEY,
    attempts: int = 3,
    timeout: float = 2.0,
    breaker: CircuitBreaker | None = None,
) -> ApolloMatch:
    sink = waits if waits is not None else []
    return ApolloMatch(
        apollo_client(
            key,
            server.url,
            timeout=timeout,
            sleep=sink.append,
            breaker=breaker,
            retry=RetryPolicy(attempts=attempts, base_delay=0.01),
        )
    )


def _dropcontact(
    server,
    waits: list[float] | None = None,
    key: str = dropcontact_fake.KEY,
    attempts: int = 3,
    timeout: float = 2.0,
    max_wait: float = 60.0,
) -> DropcontactBatch:
    sink = waits if waits is not None else []
    return DropcontactBatch(
        dropcontact_client(
            key, server.url, timeout=timeout, sleep=sink.append, retry=RetryPolicy(attempts=attempts, base_delay=0.01)
        ),
        poll_every=10.0,
        max_wait=max_wait,
        sleep=sink.append,
    )


def _leads(*rows: dict) -> pd.DataFrame:
    columns = [
        "email",
        "first_name",
        "last_name",
        "title",
        "seniority",
        "company",
        "domain",
        "industry",
        "employees",
        "country",
        "linkedin_url",
    ]
    frame = pd.DataFrame([{c: r.get(c, "") for c in columns} for r in rows], columns=columns)
    frame["employees"] = pd.to_numeric(frame["employees"].replace("", None), errors="coerce").astype("float64")
    return frame


def _people(n: int, domain: str = "bulk.example") -> pd.DataFrame:
    return _leads(*[{"email": f"p{i}@{domain}"} for i in range(n)])


SETTINGS = Enrichment(waterfall=["apollo", "dropcontact"], credit_budget=100, cache_ttl_days=90)


# --- Apollo bulk match ----------------------------------------------------------------------------


def test_apollo_matches_people_in_order_and_maps_their_fields():
    with FakeApollo([ADA, GRACE]) as server:
        found = _apollo(server).lookup(
            [
                {"email": "ada@acme-data.example"},
                {"email": "nobody@x.example"},
                {"linkedin_url": "https://linkedin.com/in/grace-h"},
            ]
        )
        [call] = server.match_calls
    assert call.headers["x-api-key"] == apollo_fake.KEY
    assert call.json["details"] == [
        {"email": "ada@acme-data.example"},
        {"email": "nobody@x.example"},
        {"linkedin_url": "https://linkedin.com/in/grace-h"},
    ]
    assert call.json["reveal_personal_emails"] is False
    ada, nobody, grace = found
    assert ada is not None and grace is not None
    assert nobody is None and grace["email"] == "grace@hopper.example"
    assert (ada["title"], ada["seniority"], ada["department"], ada["employees"]) == (
        "Chief Technology Officer",
        "c_suite",
        "engineering",
        250,
    )
    assert ada["technologies"] == "Snowflake, dbt" and ada["latest_funding_date"] == "2026-06-01"
    assert ada["domain"] == "acme-data.example" and ada["industry"] == "Computer Software"


def test_apollo_refuses_more_than_ten_people_a_call_and_enrichment_splits_them(engine):
    with FakeApollo() as server:
        raw = apollo_client(apollo_fake.KEY, server.url, retry=RetryPolicy(attempts=1))
        with pytest.raises(ApiError) as caught:  # the fake is as strict as Apollo
            raw.request("POST", "/api/v1/people/bulk_match", json={"details": [{"email": "a@b.example"}] * 11})
        assert caught.value.status == 422
        with pytest.raises(ValueError, match="at most 10"):
            _apollo(server).lookup([{"email": "a@b.example"}] * 11)

        refused = len(server.match_calls)
        run = enrich(_people(23), [_apollo(server)], engine, SETTINGS, now=NOW)
        sizes = [len(r.json["details"]) for r in server.match_calls[refused:]]
    assert sizes == [10, 10, 3]
    assert run.counts["not_found"] == 23 and run.counts["api_calls"] == 3


def test_apollo_429_waits_as_told_then_succeeds():
    waits: list[float] = []
    with FakeApollo([ADA]) as server:
        server.script = [Reply(429, {"error": "rate limited"}, {"Retry-After": "5"})]
        [ada] = _apollo(server, waits).lookup([{"email": "ada@acme-data.example"}])
    assert ada is not None and ada["first_name"] == "Ada" and waits == [5.0]


def test_apollo_500_is_retried_then_reported():
    with FakeApollo([ADA]) as server:
        server.script = [Reply(500, {"error": "Internal Server Error"})] * 3
        with pytest.raises(ApiError, match="Internal Server Error") as caught:
            _apollo(server, attempts=3).lookup([{"email": "ada@acme-data.example"}])
        assert caught.value.status == 500 and len(server.requests) == 3


def test_apollo_timeout_is_reported_as_such():
    with FakeApollo([ADA]) as server:
        server.script = [Reply(200, {}, delay=1.0)] * 2
        with pytest.raises(ApiError, match="timed out"):
            _apollo(server, attempts=2, timeout=0.2).lookup([{"email": "ada@acme-data.example"}])


def test_apollo_bad_key_is_an_auth_error_asked_once():
    with FakeApollo([ADA]) as server:
        with pytest.raises(AuthError, match="Invalid access credentials"):
            _apollo(server, key="wrong").lookup([{"email": "ada@acme-data.example"}])
        assert len(server.requests) == 1


# --- Dropcontact batch ----------------------------------------------------------------------------

DC_KNOWN = {
    "https://www.linkedin.com/in/linus": {
        "email": [{"email": "linus@kernel.example", "qualification": "nominative@pro"}],
        "job": "Head of Engineering",
        "job_level": "head",
        "company": "Kernel Org",
        "website": "www.kernel.example",
        "nb_employees": "51-200",
        "naf5_des": "Software publishing",
        "country": "Finland",
        "linkedin": "www.linkedin.com/in/linus",
    }
}


def test_dropcontact_submits_then_polls_until_done():
    waits: list[float] = []
    with dropcontact_fake.FakeDropcontact(DC_KNOWN, not_ready_polls=2) as server:
        found = _dropcontact(server, waits).lookup(
            [
                {"linkedin_url": "https://www.linkedin.com/in/linus", "first_name": "Linus", "last_name": "Torvalds"},
                {"email": "ghost@nowhere.example"},
            ]
        )
        submit, *polls = server.requests
    assert submit.method == "POST" and submit.headers["x-access-token"] == dropcontact_fake.KEY
    assert submit.json["data"][0] == {
        "linkedin": "https://www.linkedin.com/in/linus",
        "first_name": "Linus",
        "last_name": "Torvalds",
    }
    assert [p.path for p in polls] == ["/v1/enrich/all/req1"] * 3 and waits == [10.0, 10.0]
    linus, ghost = found
    assert ghost is None and linus is not None
    assert (linus["email"], linus["title"], linus["domain"], linus["employees"]) == (
        "linus@kernel.example",
        "Head of Engineering",
        "kernel.example",
        51.0,
    )


def test_dropcontact_gives_up_on_a_batch_that_never_finishes():
    waits: list[float] = []
    with (
        dropcontact_fake.FakeDropcontact(DC_KNOWN, not_ready_polls=1000) as server,
        pytest.raises(ApiError, match="not ready after 30s"),
    ):
        _dropcontact(server, waits, max_wait=30).lookup([{"email": "a@b.example"}])
    assert waits == [10.0, 10.0, 10.0]


@pytest.mark.parametrize(
    ("reply", "error", "match"),
    [
        (Reply(500, {"detail": "Internal Server Error"}), ApiError, "Internal Server Error"),
        (Reply(200, {}, delay=1.0), ApiError, "timed out"),
    ],
    ids=["500", "timeout"],
)
def test_dropcontact_failures_are_retried_then_reported(reply, error, match):
    with dropcontact_fake.FakeDropcontact(DC_KNOWN) as server:
        server.script = [reply] * 2
        with pytest.raises(error, match=match):
            _dropcontact(server, attempts=2, timeout=0.2).lookup([{"email": "a@b.example"}])
        assert len(server.requests) == 2


def test_dropcontact_429_waits_then_bad_key_is_not_retried():
    waits: list[float] = []
    with dropcontact_fake.FakeDropcontact(DC_KNOWN, not_ready_polls=0) as server:
        server.script = [Reply(429, {"reason": "slow down"}, {"Retry-After": "2"})]
        [linus] = _dropcontact(server, waits).lookup([{"linkedin_url": "https://www.linkedin.com/in/linus"}])
        assert linus is not None and linus["email"] == "linus@kernel.example" and waits == [2.0]
        before = len(server.requests)
        with pytest.raises(AuthError, match="Invalid API key"):
            _dropcontact(server, key="wrong").lookup([{"email": "a@b.example"}])
        assert len(server.requests) == before + 1


def test_dropcontact_refuses_more_than_250_records():
    with dropcontact_fake.FakeDropcontact() as server:
        raw = dropcontact_client(dropcontact_fake.KEY, server.url, retry=RetryPolicy(attempts=1))
        with pytest.raises(ApiError, match="up to 250 records") as caught:
            raw.request("POST", "/v1/enrich/all", json={"data": [{"email": "a@b.example"}] * 251})
    assert caught.value.status == 400


# --- the waterfall, the cache, the budget ---------------------------------------------------------


def test_enrichment_fills_only_what_is_missing_and_finds_addresses_for_rows_without_one(engine):
    leads = _leads(
        {"email": "ada@acme-data.example", "title": "CTO"},  # keeps its own title
        {"email": "", "linkedin_url": "https://linkedin.com/in/grace-h/"},  # found by LinkedIn
        {"email": "", "first_name": "Ada", "last_name": "Lovelace", "domain": "acme-data.example"},  # by name
        {"email": "", "company": "Nameless"},  # nothing to look up by
    )
    with FakeApollo([ADA, GRACE]) as server:
        run = enrich(leads, [_apollo(server)], engine, SETTINGS, now=NOW)
    out = run.leads
    assert out["title"].tolist() == ["CTO", "VP Engineering", "Chief Technology Officer", ""]
    assert out["email"].tolist() == ["ada@acme-data.example", "grace@hopper.example", "ada@acme-data.example", ""]
    assert out["enrichment_status"].tolist() == ["enriched", "enriched", "enriched", "no_identifier"]
    assert out.loc[0, "employees"] == 250 and out.loc[0, "technologies"] == "Snowflake, dbt"
    assert out.loc[0, "linkedin_url"] == "https://www.linkedin.com/in/ada-lovelace"


# People found by Apollo's People Search: a first name, a hidden surname, and Apollo's id of the person.
ADA_LOWE = person(
    "ada.lowe@acme-data.example", "Ada", "Lowe", "Data Engineer", domain="acme-data.example", person_id="64a0c0ffee0002"
)
ADA_FOUND = {**ADA, "id": "64a0c0ffee0001"}


def _searched(first: str, hidden: str, domain: str) -> dict:
    return {"first_name": first, "last_name": hidden, "domain": domain}


def test_searched_leads_are_matched_by_their_apollo_id_and_get_their_real_last_name(engine):
    leads = _leads(
        # Two people Search shows alike ("Ada Lo***e" at one company): their ids keep them apart.
        _searched("Ada", "Lo***e", "acme-data.example"),
        _searched("Ada", "Lo***e", "acme-data.example"),
        _searched("Grace", "Ho***r", "hopper.example"),  # no id: nothing Apollo could match her by
        {"first_name": "Grace", "last_name": "Hopper", "domain": "hopper.example"},  # a real name, as before
    )
    # As harvest keeps a search result: Apollo's id travels in `extra`, JSON as pandas writes it.
    leads["extra"] = [
        '{"apollo_person_id":"64a0c0ffee0001"}',
        '{"Headline":"data \\/ ml","apollo_person_id":"64a0c0ffee0002"}',
        "",
        "",
    ]
    with FakeApollo([ADA_FOUND, ADA_LOWE, GRACE]) as server:
        # The fake is as blind as Apollo to a half-hidden surname: this is what CAM used to send.
        raw = apollo_client(apollo_fake.KEY, server.url, retry=RetryPolicy(attempts=1))
        blind = raw.request(
            "POST",
            "/api/v1/people/bulk_match",
            json={"details": [{"first_name": "Ada", "last_name": "Lo***e", "domain": "acme-data.example"}]},
        ).json()
        assert blind["matches"] == [None]
        run = enrich(leads, [_apollo(server)], engine, SETTINGS, now=NOW)
        [call] = server.match_calls[1:]
    details = call.json["details"]
    assert [d.get("id") for d in details] == ["64a0c0ffee0001", "64a0c0ffee0002", None]
    assert not any("*" in str(d.get("last_name", "")) for d in details)  # a hidden surname is never sent
    assert details[2] == {"first_name": "Grace", "last_name": "Hopper", "domain": "hopper.example"}
    out = run.leads
    assert out["email"].tolist() == ["ada@acme-data.example", "ada.lowe@acme-data.example", "", "grace@hopper.example"]
    assert out["last_name"].tolist() == ["Lovelace", "Lowe", "Ho***r", "Hopper"]
    assert out["enrichment_status"].tolist() == ["enriched", "enriched", "no_identifier", "enriched"]

    again = enrich(leads, [_apollo(server)], engine, SETTINGS, now=NOW)  # the answers are cached by id
    assert again.leads["email"].tolist() == out["email"].tolist() and again.counts["api_calls"] == 0


def test_a_second_run_and_another_campaign_reuse_the_cache_without_any_api_call(engine):
    leads = _leads(
        {"email": "ada@acme-data.example"}, {"email": "grace@hopper.example"}, {"email": "x@nowhere.example"}
    )
    with FakeApollo([ADA, GRACE]) as server:
        first = enrich(leads, [_apollo(server)], engine, SETTINGS, now=NOW)
        calls = len(server.requests)
        second = enrich(leads, [_apollo(server)], engine, SETTINGS, now=NOW)
        # Another campaign knows Ada only by her LinkedIn URL (written differently).
        other = enrich(
            _leads({"email": "", "linkedin_url": "http://uk.linkedin.com/in/ada-lovelace?trk=x"}),
            [_apollo(server)],
            engine,
            SETTINGS,
            now=NOW,
        )
        assert len(server.requests) == calls == 1
    assert first.counts["credits_spent"] == 3 and second.counts["credits_spent"] == 0
    assert second.leads["enrichment_status"].tolist() == ["cached", "cached", "not_found"]
    pd.testing.assert_frame_equal(
        first.leads.drop(columns="enrichment_status"), second.leads.drop(columns="enrichment_status")
    )
    assert other.leads.loc[0, "email"] == "ada@acme-data.example" and other.counts["api_calls"] == 0


def test_answers_older_than_the_ttl_are_asked_again(engine):
    leads = _leads({"email": "ada@acme-data.example"})
    with FakeApollo([ADA]) as server:
        enrich(leads, [_apollo(server)], engine, SETTINGS, now=NOW - timedelta(days=91))
        enrich(leads, [_apollo(server)], engine, SETTINGS, now=NOW)
        assert len(server.match_calls) == 2


def test_the_waterfall_asks_providers_in_the_campaigns_order(engine):
    leads = _leads(
        {"email": "ada@acme-data.example"}, {"email": "", "linkedin_url": "https://www.linkedin.com/in/linus"}
    )
    with FakeApollo([ADA]) as apollo, dropcontact_fake.FakeDropcontact(DC_KNOWN, not_ready_polls=0) as dc:
        run = enrich(leads, [_apollo(apollo), _dropcontact(dc)], engine, SETTINGS, now=NOW)
        # Apollo first: it knows Ada; only Linus, unknown to Apollo, goes on to Dropcontact.
        assert [len(r.json["details"]) for r in apollo.match_calls] == [2]
        assert [len(r.json["data"]) for r in dc.submits] == [1]
    assert run.leads["enrichment_source"].tolist() == ["apollo", "dropcontact"]
    assert run.leads.loc[1, "email"] == "linus@kernel.example"


def test_dropcontact_first_when_the_campaign_says_so(engine):
    leads = _leads({"email": "", "linkedin_url": "https://www.linkedin.com/in/linus"})
    with FakeApollo([ADA]) as apollo, dropcontact_fake.FakeDropcontact(DC_KNOWN, not_ready_polls=0) as dc:
        run = enrich(
            leads,
            [_dropcontact(dc), _apollo(apollo)],
            engine,
            SETTINGS.model_copy(update={"waterfall": ["dropcontact", "apollo"]}),
            now=NOW,
        )
        assert len(dc.submits) == 1 and apollo.match_calls == []  # found first time: Apollo is never paid
    assert run.leads.loc[0, "enrichment_source"] == "dropcontact"


def test_a_run_spends_at_most_its_credit_budget_and_the_next_run_continues(engine):
    leads = _people(12)
    budget = SETTINGS.model_copy(update={"credit_budget": 5})
    with FakeApollo() as server:
        first = enrich(leads, [_apollo(server)], engine, budget, now=NOW)
        second = enrich(leads, [_apollo(server)], engine, budget, now=NOW)
        asked = [d["email"] for r in server.match_calls for d in r.json["details"]]
    assert first.counts["credits_spent"] == 5 and first.counts["over_budget"] == 7
    assert second.counts["credits_spent"] == 5 and second.counts["over_budget"] == 2
    assert len(asked) == len(set(asked)) == 10  # nobody asked twice


def test_an_outage_leaves_leads_pending_and_the_next_run_fills_them_in(engine):
    leads = _leads({"email": "ada@acme-data.example"}, {"email": "grace@hopper.example"})
    with FakeApollo([ADA, GRACE]) as server:
        server.script = [Reply(503, {"error": "maintenance"})] * 3
        down = enrich(leads, [_apollo(server, attempts=3)], engine, SETTINGS, now=NOW)
        up = enrich(leads, [_apollo(server)], engine, SETTINGS, now=NOW)
    assert down.leads["enrichment_status"].tolist() == ["pending", "pending"]
    assert down.leads["enrichment_error"].str.contains("apollo: maintenance (HTTP 503)", regex=False).all()
    assert down.errors == ["apollo: maintenance (HTTP 503)"] and down.counts["credits_spent"] == 0
    assert down.leads["title"].tolist() == ["", ""]  # nothing approved or invented while the provider was down
    assert up.leads["enrichment_status"].tolist() == ["enriched", "enriched"]
    assert up.leads["title"].tolist() == ["Chief Technology Officer", "VP Engineering"]


def test_the_breaker_stops_calling_a_failing_provider_within_the_run(engine):
    breaker = CircuitBreaker(failure_threshold=2, reset_after=3600)
    with FakeApollo() as server:
        server.script = [Reply(500, {"error": "down"})] * 100
        run = enrich(_people(50), [_apollo(server, attempts=1, breaker=breaker)], engine, SETTINGS, now=NOW)
        assert len(server.requests) == 2  # 5 batches due; the breaker opened after 2 failures
    assert run.counts["pending"] == 50
    assert any("too many consecutive failures" in e for e in run.errors)


def test_a_bad_key_degrades_to_the_next_provider(engine):
    leads = _leads({"email": "", "linkedin_url": "https://www.linkedin.com/in/linus"})
    with FakeApollo() as apollo, dropcontact_fake.FakeDropcontact(DC_KNOWN, not_ready_polls=0) as dc:
        run = enrich(leads, [_apollo(apollo, key="wrong"), _dropcontact(dc)], engine, SETTINGS, now=NOW)
    assert (
        run.leads.loc[0, "enrichment_status"] == "enriched" and run.leads.loc[0, "enrichment_source"] == "dropcontact"
    )
    assert run.errors == ["apollo: Invalid access credentials. (HTTP 401)"]


def test_without_keys_enrichment_is_off_and_adds_empty_columns(engine):
    run = enrich(_leads({"email": "ada@acme-data.example"}), [], engine, SETTINGS, now=NOW)
    assert run.leads.loc[0, "enrichment_status"] == "off" and run.errors == []
    assert {"technologies", "company_description", "open_jobs", "latest_funding_date"} <= set(run.leads.columns)


def test_rows_without_an_address_flow_through_the_whole_selection_chain(engine):
    """Rows kept without email (LinkedIn or name + domain only) are found, verified, scored,
    qualified and routed; the ones nobody finds are rejected with the reason, not lost."""
    import yaml

    from cam_core.campaign.demo import demo_campaign_yaml
    from cam_core.campaign.models import Campaign
    from cam_core.enrich.verification import verify
    from cam_core.selection.qualification import qualify
    from cam_core.selection.routing import route
    from cam_core.selection.scoring import score_campaign

    raw = yaml.safe_load(demo_campaign_yaml())
    campaign = Campaign.model_validate({**raw, "name": "demo"})
    leads = _leads(
        {"email": "", "linkedin_url": "https://www.linkedin.com/in/ada-lovelace/"},
        {"email": "", "first_name": "No", "last_name": "Body", "domain": "nowhere.example"},
    )
    with FakeApollo([ADA]) as server:
        enriched = enrich(leads, [_apollo(server)], engine, SETTINGS, now=NOW).leads
    scored, _ = score_campaign(verify(enriched), campaign, as_of="2026-11-24")
    qualified = qualify(scored, campaign.qualification, pd.Series(dtype="str"))
    routed = route(qualified, campaign, pd.Series(dtype="str"))
    assert qualified["qualification"].tolist() == ["qualified", "needs_email"]
    assert qualified.loc[1, "reason"] == "no email address (enrichment found none)"
    assert routed[["email", "tier", "sequence"]].values.tolist() == [["ada@acme-data.example", "hot", "fast_track"]]
