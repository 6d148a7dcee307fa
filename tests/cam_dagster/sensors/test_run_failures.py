"""The run-failure sensor against real failed runs: what it records, and the alert a chat
webhook on 127.0.0.1 receives (or not, or refuses)."""

from __future__ import annotations

import logging

import dagster as dg
import pytest

from cam_core.settings import default_database_url
from cam_dagster.definitions import ASSETS
from cam_dagster.partitions import CAMPAIGN_DIMENSION, partition_key
from cam_dagster.resources.alerts import AlertsResource
from cam_dagster.sensors.run_failures import run_failure_alerts
from tests.fakes.server import FakeServer, Reply, Request
from tests.helpers import DAY, resources_for

pytestmark = pytest.mark.sqlite_only
UI = "http://ui.example:3000"


class Webhook(FakeServer):
    """A chat webhook that records what it is sent and answers `status`."""

    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        super().__init__()
        self.status = status
        self.delay = delay

    def handle(self, request: Request) -> Reply:
        return Reply(self.status, {"ok": self.status < 300}, delay=self.delay)


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        test_instance.add_dynamic_partitions(CAMPAIGN_DIMENSION, ["ghost"])
        yield test_instance


def _fail(instance: dg.DagsterInstance, cam_env) -> dg.ExecuteInProcessResult:
    """A real failed run: harvest of a campaign whose file does not exist."""
    result = dg.materialize(
        ASSETS,
        selection=["harvest"],
        instance=instance,
        resources=resources_for(cam_env, default_database_url(cam_env.root), f"{DAY}T10:00:00+00:00"),
        partition_key=partition_key("ghost", DAY),
        raise_on_error=False,
    )
    assert not result.success
    return result


def _evaluate(instance, result, alerts: AlertsResource) -> None:
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alerts",
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources={"alerts": alerts},
    )
    assert run_failure_alerts(context) is None  # None: Dagster goes on to the next failed run


def test_a_failed_run_is_recorded_and_announced_with_its_link(instance, cam_env, caplog, capfd):
    result = _fail(instance, cam_env)
    capfd.readouterr()
    with Webhook() as hook, caplog.at_level(logging.DEBUG):
        _evaluate(instance, result, AlertsResource(webhook_url=f"{hook.url}/services/T0/B0/secret", ui_url=UI))
    [post] = hook.requests
    assert post.method == "POST" and post.path == "/services/T0/B0/secret"
    text = post.json["text"]
    run_id = result.dagster_run.run_id
    assert f"{UI}/runs/{run_id}" in text
    assert f"ghost|{DAY}" in text and result.dagster_run.job_name in text
    assert "harvest: " in text and "no campaign file for 'ghost'" in text
    # The sensor's log (the tick's log in the UI; its console copy here) records the failure.
    logged = capfd.readouterr().err
    [recorded] = [line for line in logged.splitlines() if "Failed: " in line]
    assert "ERROR" in recorded and run_id in recorded and f"ghost|{DAY}" in recorded and "no campaign file" in recorded
    # The webhook's URL is a secret, whoever logs: not the sensor, not httpx.
    assert "secret" not in logged and "secret" not in caplog.text


def test_without_a_webhook_the_failure_is_only_recorded(instance, cam_env, capfd):
    result = _fail(instance, cam_env)
    capfd.readouterr()
    with Webhook() as hook:
        _evaluate(instance, result, AlertsResource(webhook_url="", ui_url=UI))
    assert hook.requests == []
    assert f"run {result.dagster_run.run_id} of" in capfd.readouterr().err


@pytest.mark.parametrize(("status", "delay", "why"), [(500, 0.0, "HTTP 500"), (200, 2.0, "did not answer")])
def test_a_webhook_that_fails_is_logged_not_raised(instance, cam_env, caplog, capfd, status, delay, why):
    result = _fail(instance, cam_env)
    capfd.readouterr()
    with Webhook(status, delay) as hook, caplog.at_level(logging.DEBUG):
        alerts = AlertsResource(webhook_url=f"{hook.url}/hook-secret", ui_url=UI, timeout_seconds=0.5)
        _evaluate(instance, result, alerts)
    assert len(hook.requests) == 1
    logged = capfd.readouterr().err
    [warning] = [line for line in logged.splitlines() if "not delivered" in line]
    assert "WARNING" in warning and why in warning
    assert "hook-secret" not in logged and "hook-secret" not in caplog.text


def test_every_failure_of_a_tick_is_announced_even_when_the_webhook_refuses(instance, cam_env):
    """Through Dagster's own evaluation: the first tick sets the cursor, the next takes every
    failure since, and a webhook answering 500 for the first does not cost the second its alert."""
    with Webhook(500) as hook:
        resources = {"alerts": AlertsResource(webhook_url=f"{hook.url}/hook", ui_url=UI)}
        with dg.build_sensor_context(instance=instance, resources=resources) as context:
            run_failure_alerts.evaluate_tick(context)
        first, second = _fail(instance, cam_env), _fail(instance, cam_env)
        with dg.build_sensor_context(instance=instance, resources=resources, cursor=context.cursor) as context:
            run_failure_alerts.evaluate_tick(context)
    links = sorted(next(w for w in r.json["text"].splitlines() if "/runs/" in w) for r in hook.requests)
    assert links == sorted(f"{UI}/runs/{r.dagster_run.run_id}" for r in (first, second))


def test_an_alert_carries_no_email_address_nor_credentials(capfd):
    @dg.asset
    def leaky() -> None:
        raise dg.Failure(description="could not save lead bob@acme.example: postgresql://cam:hunter2@db.example/cam")

    with dg.instance_for_test() as instance:
        result = dg.materialize([leaky], instance=instance, raise_on_error=False)
        capfd.readouterr()  # the run's own log, which is the run's business
        with Webhook() as hook:
            _evaluate(instance, result, AlertsResource(webhook_url=f"{hook.url}/hook", ui_url=UI))
    [post] = hook.requests
    sent_and_logged = post.json["text"] + capfd.readouterr().err
    assert "leaky: could not save lead <email>: postgresql://<credentials>@db.example/cam" in post.json["text"]
    assert "bob@" not in sent_and_logged and "hunter2" not in sent_and_logged
