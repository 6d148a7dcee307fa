"""Failed runs, recorded and, when a chat webhook is set, announced with a link to the run."""

from __future__ import annotations

import dagster as dg

from cam_core.reporting.alerts import FailedRun
from cam_dagster.resources.alerts import AlertsResource

DESCRIPTION = (
    "On every failed run of a job of this code location, whoever launched it: records it in this "
    "sensor's log (job, partition, run id, the first error) and, when CAM_ALERT_WEBHOOK_URL is set, "
    "posts a short Slack-compatible alert with a link to the run (CAM_UI_URL). Email addresses and "
    "credentials are left out; a webhook that fails is logged and the next failure is still announced."
)


def failed_run(context: dg.RunFailureSensorContext) -> FailedRun:
    """The failed run as an alert tells it: its first failed step's error, in the words `cam` uses,
    or the run's own error when no step failed (a run that could not start)."""
    # Here, not at the top: the `cli` package imports the definitions, which import this module.
    from cam_dagster.cli.errors import explain_step

    run = context.dagster_run
    steps = context.get_step_failure_events()
    first = next((e for e in steps if e.step_failure_data.error is not None), None)
    if first is not None:
        error = f"{first.step_key}: {explain_step(first.step_failure_data.error)}"  # type: ignore[arg-type]
    else:
        failure = context.failure_event.job_failure_data
        error = explain_step(failure.error) if failure and failure.error else (context.failure_event.message or "")
    return FailedRun(
        job=run.job_name,
        partition=run.tags.get("dagster/partition") or context.partition_key,
        run_id=run.run_id,
        error=error,
    )


@dg.run_failure_sensor(default_status=dg.DefaultSensorStatus.RUNNING, description=DESCRIPTION)
def run_failure_alerts(context: dg.RunFailureSensorContext, alerts: AlertsResource) -> None:
    """Records each failed run in the sensor's log and, with a webhook set, posts an alert.

    Returns nothing, so Dagster goes on to the next failed run in the same tick; a webhook
    that times out or refuses is logged as a warning and never raised, since raising would
    mark this failure's alert as an error of the sensor and say nothing more useful."""
    run = failed_run(context)
    context.log.error("Failed: %s", run.record())
    if not alerts.configured:
        return
    problem = alerts.post(run.message(alerts.ui_url))
    if problem:
        context.log.warning("Alert for run %s not delivered: %s", run.run_id, problem)
    else:
        context.log.info("Alert for run %s posted", run.run_id)
