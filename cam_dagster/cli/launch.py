"""Running a partition of a job from `cam`: the run is created as the UI creates the runs it
launches (`cam_dagster.runs`), and executed in this process, where the run launcher would start
one; its steps' progress goes to stderr as they finish."""

from __future__ import annotations

import logging
import re
import sys
import time
from dataclasses import dataclass, field

import dagster as dg
import pandas as pd
from dagster._core.execution.api import execute_run_iterator
from dagster._utils.hosted_user_process import recon_job_from_origin

from cam_core import settings
from cam_core.reporting.funnel_sums import frame_counts, funnel_sums
from cam_core.reporting.metrics import funnel_text
from cam_core.state.ledger import ledger_rows
from cam_core.vocabulary import SendStatus
from cam_dagster.cli.common import CliError, dagster_instance, engine, ensure_partition, home
from cam_dagster.cli.errors import explain_step
from cam_dagster.jobs import CAM_PIPELINE
from cam_dagster.partitions import partition_key
from cam_dagster.runs import code_location, create_run

#: Dagster's log line for a step it did not run because one upstream failed.
_NOT_RUN = re.compile(r"Dependencies for step \S+ (failed|were not executed)")


@dataclass
class RunOutcome:
    """What `cam` reports of a finished run: its id, the steps that failed and the checks that did not pass."""

    run_id: str
    failures: list[tuple[str, object]] = field(default_factory=list)  # (step key, SerializableErrorInfo)
    failed_checks: list[str] = field(default_factory=list)

    @property
    def link(self) -> str:
        return f"{settings.ui_url()}/runs/{self.run_id}"


def execute(campaign: str, day: str, debug: bool = False, job_name: str = CAM_PIPELINE) -> RunOutcome:
    """Create the partition's run from the code location and execute it here, printing each step's
    progress to stderr; what the run found (failed steps, failed checks), not yet judged."""
    instance = dagster_instance()
    ensure_partition(instance, campaign)
    key = partition_key(campaign, day)
    # Dagster's console log prints each failed step's traceback: only with `debug`.
    run_config = {"loggers": {"console": {"config": {"log_level": "WARNING" if debug else "CRITICAL"}}}}
    with code_location(instance) as location:
        run = create_run(instance, location, job_name, str(key), run_config)
        outcome = RunOutcome(run.run_id)
        progress(f"run {run.run_id} of {job_name} for {key}: {outcome.link}")
        job = recon_job_from_origin(run.job_code_origin)  # type: ignore[arg-type]
        started = time.monotonic()
        for event in execute_run_iterator(job, run, instance):
            if event.is_step_success:
                progress(f"  {event.step_key} done ({time.monotonic() - started:.1f} s)")
            elif event.is_step_failure and event.step_failure_data.error is not None:
                progress(f"  {event.step_key} FAILED")
                outcome.failures.append((event.step_key or "run", event.step_failure_data.error))
            elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
                evaluation = event.asset_check_evaluation_data
                if not evaluation.passed:
                    outcome.failed_checks.append(evaluation.check_name)
            elif event.event_type == dg.DagsterEventType.RUN_FAILURE and not outcome.failures:
                failure = event.job_failure_data
                if failure is not None and failure.error is not None:
                    outcome.failures.append(("run", failure.error))
    if not debug:
        _print_warnings(instance, run.run_id)
    return outcome


def _print_warnings(instance: dg.DagsterInstance, run_id: str) -> None:
    """What the assets warned about; Dagster's own lines (and the steps a failure left unrun) are not news."""
    for entry in instance.all_logs(run_id):
        level = entry.level if isinstance(entry.level, int) else logging.getLevelName(entry.level)
        if entry.is_dagster_event or level < logging.WARNING or _NOT_RUN.match(entry.user_message):
            continue
        print(f"cam: warning: {entry.step_key or 'run'}: {entry.user_message}", file=sys.stderr)


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def materialize(campaign: str, day: str, debug: bool = False) -> tuple[RunOutcome, pd.DataFrame]:
    """Run the whole graph for one partition; the run and the funnel it produced. A failure is one line
    with its cause."""
    outcome = execute(campaign, day, debug)
    if outcome.failures:
        causes = [f"{step}: {explain_step(error)}" for step, error in outcome.failures]  # type: ignore[arg-type]
        # A cause a rule worded carries its fix after "; "; any other gets where to look further.
        look = f"see {outcome.link}, or rerun with `cam --debug run --campaign {campaign} --date {day}`"
        if any("; " not in cause for cause in causes):
            causes.append(look)
        raise CliError(f"run {outcome.run_id} for {campaign}|{day} failed at {'; '.join(causes)}")
    if outcome.failed_checks:
        raise CliError(f"blocking checks failed, nothing was sent: {', '.join(outcome.failed_checks)}")
    from cam_dagster.definitions import build_definitions

    key = str(partition_key(campaign, day))
    funnel = build_definitions().load_asset_value("campaign_metrics", partition_key=key, instance=dagster_instance())
    assert isinstance(funnel, pd.DataFrame)  # the IO manager stores DataFrames
    return outcome, funnel


def sent_count(campaign: str, day: str) -> int:
    rows = ledger_rows(engine(), campaign, day=day)
    return int((rows["status"] == SendStatus.SENT).sum()) if len(rows) else 0


def run_and_report(campaign: str, day: str, debug: bool = False) -> None:
    """Materialize the partition, then print its funnel and how many emails this run sent."""
    before = sent_count(campaign, day)
    run, frame = materialize(campaign, day, debug)
    print(f"Funnel for {campaign} on {day}:")
    print(funnel_text(frame))
    sums = funnel_sums(frame_counts(frame))
    if sums:
        print("How it adds up:")
        print("\n".join(f"  {line}" for line in sums))
    print(f"New emails this run: {sent_count(campaign, day) - before} (outbox: {home().outbox_dir(campaign, day)})")
    print(f"The run in the Dagster UI (make dev): {run.link}")
