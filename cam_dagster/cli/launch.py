"""Running a partition of the main job from `cam`, as the UI and the daemon run it."""

from __future__ import annotations

import logging
import re
import sys

import pandas as pd

from cam_dagster.cli.common import CliError, dagster_instance, ensure_partition
from cam_dagster.cli.errors import explain_step
from cam_dagster.partitions import partition_key

#: Dagster's log line for a step it did not run because one upstream failed.
_NOT_RUN = re.compile(r"Dependencies for step \S+ (failed|were not executed)")


def materialize(campaign: str, day: str, debug: bool = False) -> pd.DataFrame:
    """Run the whole graph for one partition in this process; the funnel it produced.

    Dagster's console log prints each failed step's traceback: only with `debug`. Otherwise what
    the assets warned about is printed, and a failure is one line with its cause.
    """
    from cam_dagster.definitions import build_definitions
    from cam_dagster.jobs import CAM_PIPELINE

    instance = dagster_instance()
    ensure_partition(instance, campaign)
    job = build_definitions().resolve_job_def(CAM_PIPELINE)
    result = job.execute_in_process(
        partition_key=partition_key(campaign, day),
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING" if debug else "CRITICAL"}}}},
    )
    if not debug:
        for entry in instance.all_logs(result.run_id):
            # The steps a failure left unrun are Dagster's own lines; the failure itself is worded below.
            level = entry.level if isinstance(entry.level, int) else logging.getLevelName(entry.level)
            if entry.is_dagster_event or level < logging.WARNING or _NOT_RUN.match(entry.user_message):
                continue
            print(f"cam: warning: {entry.step_key or 'run'}: {entry.user_message}", file=sys.stderr)
    if not result.success:
        failed = [
            (event.step_key, event.step_failure_data.error)
            for event in result.all_events
            if event.is_step_failure and event.step_failure_data.error is not None
        ]
        causes = [f"{step}: {explain_step(error)}" for step, error in failed]
        # A cause a rule worded carries its fix after "; "; any other gets where to look further.
        look = f"see the run in the Dagster UI, or rerun with `cam --debug run --campaign {campaign} --date {day}`"
        if not causes or any("; " not in cause for cause in causes):
            causes.append(look)
        raise CliError(f"run {result.run_id} for {campaign}|{day} failed at {'; '.join(causes)}")
    failed_checks = [e.check_name for e in result.get_asset_check_evaluations() if not e.passed]
    if failed_checks:
        raise CliError(f"blocking checks failed, nothing was sent: {', '.join(failed_checks)}")
    return result.output_for_node("campaign_metrics")
