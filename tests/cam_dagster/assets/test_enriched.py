"""`enriched` through dg.materialize with provider keys pointing at fakes on 127.0.0.1."""

from __future__ import annotations

import json

import dagster as dg
import pytest
import yaml

from cam_core.campaign.demo import DEMO_CAMPAIGN, write_demo_home
from cam_core.settings import HomeLayout
from cam_dagster.definitions import ASSETS
from cam_dagster.partitions import partition_key
from cam_dagster.resources.apollo import ApolloResource
from cam_dagster.resources.enrichment import EnrichmentResource
from cam_dagster.resources.env import resources_from_env
from tests.fakes import apollo as search_fake
from tests.fakes import apollo_match as apollo_fake
from tests.fakes.apollo_match import FakeApollo, person
from tests.fakes.server import Reply
from tests.helpers import DAY, metadata_of, stored


def _materialize(instance, resources, enrichment: EnrichmentResource, selection=("harvest", "enriched")):
    return dg.materialize(
        ASSETS,
        instance=instance,
        resources={**resources, "enrichment": enrichment},
        partition_key=partition_key(DEMO_CAMPAIGN, DAY),
        selection=list(selection),
    )


def _enrichment(server) -> EnrichmentResource:
    apollo = ApolloResource(api_key=apollo_fake.KEY, base_url=server.url, retry_attempts=1, timeout_seconds=2.0)
    return EnrichmentResource(apollo=apollo, mx_lookup=False)


@pytest.fixture
def budgeted(demo_home):
    """The demo campaign with a small credit budget, so a run stays quick."""
    path = demo_home.campaigns / "demo.yaml"
    path.write_text(path.read_text() + "\nenrichment:\n  waterfall: [apollo]\n  credit_budget: 25\n")
    return demo_home


def test_an_outage_degrades_the_run_and_the_next_materialization_fills_in(budgeted, instance, resources):
    with FakeApollo() as server:
        server.script = [Reply(500, {"error": "Apollo is down"})] * 3
        down = _materialize(instance, resources, _enrichment(server))
        numbers = metadata_of(down, "enriched")
        assert down.success and numbers["enrichment_degraded"] is True
        assert numbers["enrichment_pending"] == 25 and numbers["enrichment_credits_spent"] == 0
        assert "apollo: Apollo is down (HTTP 500)" in numbers["enrichment_errors"]
        pending = stored(budgeted, "enriched").query("enrichment_status == 'pending'")
        assert len(pending) == 25

        up = _materialize(instance, resources, _enrichment(server))
        numbers = metadata_of(up, "enriched")
        assert numbers["enrichment_degraded"] is False and numbers["enrichment_credits_spent"] == 25
        # By row, not by email: people without an address all share the empty email.
        again = stored(budgeted, "enriched").loc[pending.index, "enrichment_status"]
        assert set(again) == {"not_found"}
        # Secrets never reach metadata.
        assert apollo_fake.KEY not in json.dumps({k: str(v) for k, v in numbers.items()})


@pytest.fixture
def searching(cam_env: HomeLayout) -> HomeLayout:
    """The demo campaign with no file landed: its leads come from an Apollo People Search only."""
    path, _ = write_demo_home(cam_env.campaigns, cam_env.samples)
    raw = yaml.safe_load(path.read_text())
    raw["intake"] = {"apollo_search": {"titles": ["CTO"], "per_page": 10, "max_pages": 1, "credit_cap": 10}}
    raw["enrichment"] = {"waterfall": ["apollo"], "credit_budget": 25}
    path.write_text(yaml.safe_dump(raw))
    return cam_env


def test_people_found_by_apollo_search_are_enriched_by_their_apollo_id(searching, instance, resources):
    """Search shows a hidden surname ("L***3") and Apollo's id; bulk_match finds the person by that id."""
    with search_fake.FakeApollo(key=apollo_fake.KEY, people=8) as search:
        revealed = [
            person(
                f"p{i}@{found['organization']['primary_domain']}",
                found["first_name"],
                f"Lamarr{i}",
                found["title"],
                domain=found["organization"]["primary_domain"],
                person_id=found["id"],
            )
            for i, found in enumerate(search.people)
        ]
        with FakeApollo(revealed) as match:
            resources["apollo"] = ApolloResource(api_key=apollo_fake.KEY, base_url=search.url)
            result = _materialize(instance, resources, _enrichment(match))
            details = [d for call in match.match_calls for d in call.json["details"]]
    assert result.success
    assert len(details) == 8 and {d.get("id") for d in details} == {p["id"] for p in search.people}
    assert not any("*" in d.get("last_name", "") for d in details)  # a hidden surname is never sent
    leads = stored(searching, "enriched").sort_values("source_row")
    assert leads["email"].tolist() == [p["email"] for p in revealed]
    assert leads["last_name"].tolist() == [f"Lamarr{i}" for i in range(8)]  # the real name replaces the hint
    assert set(leads["enrichment_status"]) == {"enriched"}
    assert metadata_of(result, "enriched")["enrichment_enriched"] == 8


def test_without_keys_enriched_is_offline_and_says_so(demo_home, run_assets):
    result = run_assets(["harvest", "enriched"])
    numbers = metadata_of(result, "enriched")
    assert numbers["providers"] == [] and numbers["enrichment_off"] == len(stored(demo_home, "enriched"))
    assert numbers["enrichment_degraded"] is False


def test_keys_come_from_the_environment_as_env_vars_and_one_apollo_serves_search_and_match(monkeypatch):
    monkeypatch.setenv("APOLLO_API_KEY", "secret-apollo")
    monkeypatch.setenv("APOLLO_BASE_URL", "http://127.0.0.1:9")
    resources = resources_from_env()
    enrichment = resources["enrichment"]
    assert enrichment.apollo is resources["apollo"]
    assert isinstance(enrichment.apollo.api_key, dg.EnvVar) and enrichment.dropcontact_api_key == ""
    assert enrichment.apollo.base_url == "http://127.0.0.1:9"
