"""Apollo People Search as a lead source, against a fake Apollo on 127.0.0.1."""

from __future__ import annotations

import pytest
import yaml

from cam_core.apollo import apollo_client
from cam_core.campaign.demo import DEMO_CAMPAIGN
from cam_core.campaign.models import ApolloSearch
from cam_core.http import ApiError, AuthError, RetryPolicy
from cam_core.intake.apollo_search import landed_results, search_people
from cam_dagster.resources.apollo import ApolloResource
from tests.fakes.apollo import FakeApollo
from tests.fakes.server import Reply
from tests.helpers import DAY, metadata_of, stored

SEARCH = ApolloSearch(
    titles=["CTO", "VP Engineering"],
    seniorities=["c_suite", "vp"],
    locations=["Germany"],
    employee_ranges=["51,200"],
    keywords=["data platform"],
    per_page=100,
    max_pages=5,
    credit_cap=1000,
)


def _client(fake: FakeApollo, waits: list[float], key: str = "test-key"):
    return apollo_client(key, fake.url, retry=RetryPolicy(attempts=3, base_delay=0.1, max_wait=30), sleep=waits.append)


def test_search_pages_through_every_result_with_the_campaigns_filters():
    waits: list[float] = []
    with FakeApollo(people=250) as fake, _client(fake, waits) as client:
        outcome = search_people(client, SEARCH)
    assert len(outcome.people) == 250 and outcome.pages == 3 and outcome.total == 250
    assert outcome.people["apollo_person_id"].is_unique
    assert [r.json["page"] for r in fake.searches] == [1, 2, 3]
    body = fake.searches[0].json
    assert body["person_titles"] == ["CTO", "VP Engineering"] and body["person_seniorities"] == ["c_suite", "vp"]
    assert body["organization_num_employees_ranges"] == ["51,200"] and body["person_locations"] == ["Germany"]
    assert body["q_keywords"] == "data platform" and body["per_page"] == 100
    first = outcome.people.iloc[0]
    assert (first["first_name"], first["company"], first["domain"]) == ("Ada", "Company 0", "company0.example")


@pytest.mark.parametrize(("caps", "calls", "people"), [({"max_pages": 2}, 2, 200), ({"credit_cap": 150}, 2, 150)])
def test_the_page_and_credit_caps_stop_the_search(caps, calls, people):
    with FakeApollo(people=250) as fake, _client(fake, []) as client:
        outcome = search_people(client, SEARCH.model_copy(update=caps))
    assert len(fake.searches) == calls and len(outcome.people) == people


def test_a_rate_limit_is_waited_out_as_retry_after_says():
    waits: list[float] = []
    with (
        FakeApollo(people=150, script=[Reply(429, {"error": "rate limited"}, {"Retry-After": "7"})]) as fake,
        _client(fake, waits) as client,
    ):
        outcome = search_people(client, SEARCH)
    assert waits == [7.0] and len(outcome.people) == 150 and len(fake.searches) == 3


def test_a_server_error_is_retried_then_reported():
    waits: list[float] = []
    with FakeApollo(script=[Reply(500, {"error": "oops"})]) as fake, _client(fake, waits) as client:
        assert len(search_people(client, SEARCH).people) == 250
    with FakeApollo(script=[Reply(500, {"error": "down"})] * 3) as fake, _client(fake, waits) as client:
        with pytest.raises(ApiError, match="down"):
            search_people(client, SEARCH)
        assert len(fake.searches) == 3


def test_a_bad_key_fails_at_once():
    with FakeApollo() as fake, _client(fake, [], key="wrong") as client:
        with pytest.raises(AuthError, match="Invalid access credentials"):
            search_people(client, SEARCH)
        assert len(fake.searches) == 1


# --- through the harvest asset --------------------------------------------------------------------


@pytest.fixture
def searching_demo(demo_home):
    path = demo_home.campaigns / "demo.yaml"
    raw = yaml.safe_load(path.read_text())
    raw["intake"] = {"apollo_search": {"titles": ["CTO"], "per_page": 50, "max_pages": 2, "credit_cap": 80}}
    path.write_text(yaml.safe_dump(raw))
    return demo_home


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_found_people_join_the_harvest_once_without_email_and_without_leaking_the_key(
    searching_demo, run_assets, resources
):
    with FakeApollo(key="s3cret-apollo-key", people=60) as fake:
        resources["apollo"] = ApolloResource(api_key="s3cret-apollo-key", base_url=fake.url)
        first = run_assets(["harvest", "enriched", "scored", "qualified"])
        leads = stored(searching_demo, "harvest")
        found = leads[leads["source_file"].str.startswith("apollo_search.")]
        assert len(found) == 60 and found["needs_email"].all()
        assert '"apollo_person_id":"apollo00000"' in found.iloc[0]["extra"]
        qualified = stored(searching_demo, "qualified")
        assert (qualified.loc[qualified["email"] == "", "qualification"] == "needs_email").all()
        assert metadata_of(first, "harvest")["apollo_search"] == "found 60 in 2 page(s)"
        calls = len(fake.searches)

        again = run_assets("harvest")  # a rerun reads the stored results: no second search, no cost
        assert len(fake.searches) == calls
        assert metadata_of(again, "harvest")["apollo_search"] == "already searched"
        landed = landed_results(searching_demo, DEMO_CAMPAIGN, DAY)
        assert landed is not None and len(landed.read_text().splitlines()) == 61
    for event in [*first.all_events, *again.all_events]:
        assert "s3cret-apollo-key" not in str(event)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_without_a_key_the_search_is_skipped_and_a_bad_key_does_not_stop_the_files(
    searching_demo, run_assets, resources
):
    result = run_assets("harvest")
    assert metadata_of(result, "harvest")["apollo_search"] == "skipped: no APOLLO_API_KEY"
    assert landed_results(searching_demo, DEMO_CAMPAIGN, DAY) is None
    with FakeApollo(key="right") as fake:
        resources["apollo"] = ApolloResource(api_key="wrong", base_url=fake.url)
        result = run_assets("harvest")
    status = metadata_of(result, "harvest")["apollo_search"]
    assert status.startswith("failed: apollo: Invalid access credentials") and "wrong" not in status
    assert len(stored(searching_demo, "harvest")) > 500  # the landed export was harvested all the same
    assert landed_results(searching_demo, DEMO_CAMPAIGN, DAY) is None  # the next run searches again
