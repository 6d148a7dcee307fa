"""Shared test set-up: a CAM home and a Dagster instance per test, never the user's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from cam_core.db import engine_for
from cam_core.demo import DEMO_CAMPAIGN, write_demo_home
from cam_core.landing import land_file
from cam_core.settings import HomeLayout, default_database_url
from cam_dagster.definitions import ASSETS
from cam_dagster.apollo import ApolloSearchResource
from cam_dagster.enrichment_resource import EnrichmentResource
from cam_dagster.io_manager import PartitionedParquetIOManager
from cam_dagster.partitions import CAMPAIGN_DIMENSION, partition_key
from cam_dagster.resources import CamResource, ResendResource
from postgres_server import PostgresServer

DAY = "2026-11-17"  # a Tuesday, with the following week also in the past (partitions end today)
UNSUBSCRIBE_SECRET = "test-unsubscribe-secret"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: behaviour that does not depend on the database; run on SQLite only")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the suite quick: `sqlite_only` tests are not repeated on PostgreSQL."""
    dropped = [i for i in items if i.get_closest_marker("sqlite_only") and "[postgresql" in i.nodeid]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]


_POSTGRES_TESTS: list[str] = []


@pytest.fixture(scope="session")
def postgres(pytestconfig: pytest.Config):
    """One PostgreSQL server for the session; each test that asks gets its own database."""
    server = PostgresServer().start()
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:  # in the log as it happens, not only in a failure's output
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\n[postgres] PostgreSQL {server.version} started on 127.0.0.1:{server.port} ({server.root})")
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _note_postgres_use(request: pytest.FixtureRequest):
    yield
    if "postgres" in request.fixturenames or "[postgresql" in request.node.nodeid:
        _POSTGRES_TESTS.append(request.node.nodeid)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if _POSTGRES_TESTS:
        terminalreporter.write_line(f"[postgres] {len(_POSTGRES_TESTS)} test(s) ran against the real PostgreSQL server")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Tests that take this run twice: on the SQLite default and on a real PostgreSQL."""
    if request.param == "sqlite":
        return default_database_url(tmp_path / "cam")
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def cam_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HomeLayout:
    """CAM_HOME and DAGSTER_HOME in a temporary folder; no database URL from outside."""
    monkeypatch.setenv("CAM_HOME", str(tmp_path / "cam"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    monkeypatch.delenv("CAM_DATABASE_URL", raising=False)
    monkeypatch.delenv("CAM_UNSUBSCRIBE_SECRET", raising=False)
    for name in ("APOLLO_API_KEY", "DROPCONTACT_API_KEY", "APOLLO_BASE_URL", "DROPCONTACT_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CAM_MX_LOOKUP", "0")  # nothing leaves 127.0.0.1, not even a DNS query
    (tmp_path / "dagster").mkdir()
    return HomeLayout(tmp_path / "cam").ensure()


@pytest.fixture
def demo_home(cam_env: HomeLayout) -> HomeLayout:
    """The demo campaign with its sample CSV landed for DAY."""
    _, sample = write_demo_home(cam_env.campaigns, cam_env.samples)
    land_file(cam_env, sample, DEMO_CAMPAIGN, DAY)
    return cam_env


@pytest.fixture
def engine(cam_env: HomeLayout, database_url: str):
    return engine_for(database_url)


@pytest.fixture
def instance() -> dg.DagsterInstance:
    with dg.instance_for_test() as test_instance:
        test_instance.add_dynamic_partitions(CAMPAIGN_DIMENSION, [DEMO_CAMPAIGN])
        yield test_instance


def resources_for(cam_env: HomeLayout, database_url: str, now: str, **resend: str) -> dict[str, object]:
    """The resources a run gets; `now` is the clock the sending window is judged by."""
    return {
        "cam": CamResource(home=str(cam_env.root), database_url=database_url, frozen_now=now,
                           unsubscribe_secret=UNSUBSCRIBE_SECRET),
        "resend": ResendResource(**resend),
        "io_manager": PartitionedParquetIOManager(base_dir=str(cam_env.data)),
        "apollo_search_api": ApolloSearchResource(),  # no key: campaigns' Apollo searches are skipped
        "enrichment": EnrichmentResource(mx_lookup=False),
    }


@pytest.fixture
def resources(cam_env: HomeLayout, database_url: str) -> dict[str, object]:
    return resources_for(cam_env, database_url, now=f"{DAY}T10:00:00+00:00")


@pytest.fixture
def run_assets(instance: dg.DagsterInstance, cam_env: HomeLayout, database_url: str, resources: dict[str, object]):
    """Materialize a selection of CAM's assets for one partition, at 10:00 UTC on its
    day unless `now` says otherwise, with the `resources` fixture (a test may swap
    entries) and, given `resend` settings, a Resend resource; returns the result."""

    def run(selection: Sequence[str] | str = "*", campaign: str = DEMO_CAMPAIGN, day: str = DAY,
            raise_on_error: bool = True, now: str | None = None, **resend: str) -> dg.ExecuteInProcessResult:
        per_run = resources_for(cam_env, database_url, now or f"{day}T10:00:00+00:00", **resend)
        current = {**resources, "cam": per_run["cam"], **({"resend": per_run["resend"]} if resend else {})}
        return dg.materialize(
            ASSETS, instance=instance, resources=current,
            partition_key=partition_key(campaign, day), selection=selection, raise_on_error=raise_on_error,
        )

    return run


def stored(home: HomeLayout, asset: str, campaign: str = DEMO_CAMPAIGN, day: str = DAY) -> pd.DataFrame:
    """What the IO manager stored for one asset and partition."""
    return pd.read_parquet(home.data / asset / campaign / f"{day}.parquet")


def metadata_of(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, object]:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(asset)]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def today() -> str:
    return dt.date.today().isoformat()
