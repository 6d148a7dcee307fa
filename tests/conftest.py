"""Fixtures: a CAM home and a Dagster instance per test, never the user's; a real PostgreSQL
server for the session. Everything else tests share is in helpers.py."""

from __future__ import annotations

import os

# The suite materializes fixed past days (tests.helpers.DAY); the date partitions are read
# once, when cam_dagster.partitions is first imported, so this comes before any cam import.
os.environ.setdefault("CAM_FIRST_DAY", "2025-01-01")

from collections.abc import Iterator, Sequence
from pathlib import Path

import dagster as dg
import pytest

from cam_core.campaign.demo import DEMO_CAMPAIGN, write_demo_home
from cam_core.intake.landing import land_file
from cam_core.settings import HomeLayout, default_database_url
from cam_core.state.schema import engine_for
from cam_dagster.definitions import ASSETS
from cam_dagster.partitions import CAMPAIGN_DIMENSION, partition_key
from tests.fakes.resend import FakeResend
from tests.helpers import DAY, RESEND_KEY, edit_campaign, resources_for
from tests.imap_server import ImapServer
from tests.postgres_server import PostgresServer
from tests.s3_server import S3Server


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: behaviour that does not depend on the database; run on SQLite only"
    )


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
            reporter.write_line(
                f"\n[postgres] PostgreSQL {server.version} started on 127.0.0.1:{server.port} ({server.root})"
            )
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
    monkeypatch.delenv("CAM_DATA_URL", raising=False)
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
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        test_instance.add_dynamic_partitions(CAMPAIGN_DIMENSION, [DEMO_CAMPAIGN])
        yield test_instance


@pytest.fixture
def resources(cam_env: HomeLayout, database_url: str) -> dict[str, object]:
    return resources_for(cam_env, database_url, now=f"{DAY}T10:00:00+00:00")


@pytest.fixture
def run_assets(instance: dg.DagsterInstance, cam_env: HomeLayout, database_url: str, resources: dict[str, object]):
    """Materialize a selection of CAM's assets for one partition, at 10:00 UTC on its
    day unless `now` says otherwise, with the `resources` fixture (a test may swap
    entries) and, given `resend` settings, a Resend resource; returns the result."""

    def run(
        selection: Sequence[str] | str = "*",
        campaign: str = DEMO_CAMPAIGN,
        day: str = DAY,
        raise_on_error: bool = True,
        now: str | None = None,
        **resend: str,
    ) -> dg.ExecuteInProcessResult:
        # Apollo comes from `resources`; of this run's own resources only cam and io_manager are used.
        per_run = resources_for(cam_env, database_url, now or f"{day}T10:00:00+00:00", apollo=None, **resend)
        current = {**resources, "cam": per_run["cam"], "io_manager": per_run["io_manager"]}
        return dg.materialize(
            ASSETS,
            instance=instance,
            resources=current,
            partition_key=partition_key(campaign, day),
            selection=selection,
            raise_on_error=raise_on_error,
        )

    return run


@pytest.fixture
def fake() -> Iterator[FakeResend]:
    """A fake Resend server on 127.0.0.1 that takes RESEND_KEY."""
    with FakeResend(api_key=RESEND_KEY) as server:
        yield server


@pytest.fixture
def resend_home(cam_env: HomeLayout) -> HomeLayout:
    """The demo campaign sending through Resend (a daily cap of 250), its sample landed for DAY."""
    _, sample = write_demo_home(cam_env.campaigns, cam_env.samples, sender="resend")
    land_file(cam_env, sample, DEMO_CAMPAIGN, DAY)
    edit_campaign(cam_env, daily_cap=250)
    return cam_env


@pytest.fixture(scope="session")
def imap_server(pytestconfig: pytest.Config):
    """One real Dovecot IMAP server for the session (plain IMAP on loopback); each test that
    wants a mailbox of its own takes `imap_server.new_folder()`."""
    server = ImapServer().start()
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\n[imap] Dovecot {server.version} started on 127.0.0.1:{server.port} ({server.root})")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """One S3-compatible server (moto) on 127.0.0.1 for the session; each test takes its own bucket."""
    server = S3Server().start()
    yield server
    server.stop()


@pytest.fixture
def s3_data_url(cam_env: HomeLayout, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """CAM_DATA_URL (after `cam_env`, which clears it) set to a prefix of a fresh bucket of
    `s3_server`, the AWS settings pointing at it."""
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    url = f"s3://{s3_server.new_bucket()}/cam-data"
    monkeypatch.setenv("CAM_DATA_URL", url)
    return url
