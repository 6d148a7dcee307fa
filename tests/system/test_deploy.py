"""deploy/: the production Dagster instance on a real PostgreSQL, and the whole graph run on it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml

from cam_dagster.run_tags import CAMPAIGN_PARTITION_TAG, SENDING_DOMAIN_TAG
from tests.helpers import ASSET_KEYS, DAY

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
# What the queue must enforce: one run per sending domain and one per campaign at a time.
LIMITS = {SENDING_DOMAIN_TAG: 1, CAMPAIGN_PARTITION_TAG: 1}


@pytest.fixture
def production_home(tmp_path: Path, postgres, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A DAGSTER_HOME holding deploy/dagster.yaml, its storage a fresh database on the test server."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(DEPLOY / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_PG_URL", postgres.new_database())
    return home


def test_the_production_instance_stores_on_postgres_and_queues_runs_under_the_limits(production_home):
    with dg.DagsterInstance.from_config(str(production_home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        queue = instance.get_concurrency_config().run_queue_config
        assert queue is not None
        limits = {limit["key"]: limit for limit in queue.tag_concurrency_limits}
        assert {key: limit["limit"] for key, limit in limits.items()} == LIMITS
        assert all(limit["value"] == {"applyLimitPerUniqueValue": True} for limit in limits.values())


def test_the_helm_values_queue_runs_under_the_same_limits():
    values = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
    coordinator = values["dagsterDaemon"]["runCoordinator"]
    assert coordinator["type"] == "QueuedRunCoordinator"
    limits = coordinator["config"]["queuedRunCoordinator"]["tagConcurrencyLimits"]
    assert {limit["key"]: limit["limit"] for limit in limits} == LIMITS
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    [code] = values["dagster-user-deployments"]["deployments"]
    assert code["dagsterApiGrpcArgs"] == ["--module-name", "cam_dagster.definitions"]
    secrets = {s["name"] for s in values["runLauncher"]["config"]["k8sRunLauncher"]["envSecrets"]}
    assert secrets == {s["name"] for s in code["envSecrets"]} == {"cam-secrets"}


def test_the_helm_values_run_cam_serve_beside_the_webserver_from_the_same_image_and_secrets():
    values = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
    [deployment] = [m for m in values["extraManifests"] if m["kind"] == "Deployment"]
    [service] = [m for m in values["extraManifests"] if m["kind"] == "Service"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    [code] = values["dagster-user-deployments"]["deployments"]
    assert container["args"][:2] == ["cam", "serve"] and "--port" in container["args"]
    assert container["image"] == f"{code['image']['repository']}:{code['image']['tag']}"
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert [e["secretRef"]["name"] for e in container["envFrom"]] == ["cam-secrets"]
    port = int(container["args"][container["args"].index("--port") + 1])
    assert service["spec"]["ports"][0]["targetPort"] == port == container["ports"][0]["containerPort"]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    procfile = (DEPLOY / "Procfile").read_text()
    assert "cam serve" in procfile and "dagster-daemon run" in procfile and "dagster-webserver" in procfile


def test_the_whole_graph_runs_with_dagsters_storage_and_the_cam_database_on_postgres(
    production_home, postgres, cam_env
):
    env = {**os.environ, "DAGSTER_HOME": str(production_home), "CAM_DATABASE_URL": postgres.new_database()}
    cam = str(Path(sys.executable).with_name("cam"))
    done = subprocess.run([cam, "demo", "--date", DAY], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Funnel for demo on " + DAY in done.stdout

    with dg.DagsterInstance.from_config(str(production_home)) as instance:
        [run] = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags[CAMPAIGN_PARTITION_TAG] == "demo"
        for key in ASSET_KEYS:
            event = instance.get_latest_materialization_event(dg.AssetKey(key))
            assert event is not None and event.run_id == run.run_id, key
            assert event.dagster_event is not None and event.dagster_event.partition == f"demo|{DAY}"
        assert instance.get_dynamic_partitions("campaign") == ["demo"]
    # Dagster's own run history is in that PostgreSQL database.
    storage = sa.create_engine(os.environ["DAGSTER_PG_URL"])
    with storage.connect() as conn:
        assert conn.execute(sa.text("select count(*) from runs")).scalar_one() == 1
    storage.dispose()
