"""What every `cam` command shares: the CAM home, the database, the Dagster instance, and errors
a person can fix, printed without a traceback."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import pandas as pd
from sqlalchemy.engine import Engine

from cam_core import settings
from cam_core.campaign.loading import CampaignError, campaign_by_name
from cam_core.campaign.models import Campaign
from cam_core.reporting.metrics import funnel_text
from cam_core.settings import HomeLayout
from cam_core.state.ledger import ledger_rows
from cam_core.vocabulary import SendStatus
from cam_dagster.partitions import CAMPAIGN_DIMENSION, partition_key
from cam_dagster.resources.cam import CamResource
from cam_dagster.resources.env import cam_from_env


class CliError(Exception):
    """A problem the user can fix; printed without a traceback."""


def parse_day(text: str | None) -> str:
    """`--date` as YYYY-MM-DD; today when not given."""
    if text is None:
        return dt.date.today().isoformat()
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise CliError(f"--date {text!r}: expected YYYY-MM-DD") from None


def home() -> HomeLayout:
    return HomeLayout(settings.cam_home()).ensure()


@contextmanager
def cam() -> Iterator[CamResource]:
    """The `cam` resource exactly as the definitions wire it (same home, database, secrets and
    clock), its `dg.EnvVar`s resolved as a run would resolve them."""
    with cam_from_env().process_config_and_initialize_cm() as resource:
        yield resource


def engine() -> Engine:
    with cam() as resource:
        return resource.engine


def now() -> dt.datetime:
    """The clock every writer stamps, as the `cam` resource keeps it."""
    with cam() as resource:
        return resource.now()


def dagster_instance() -> dg.DagsterInstance:
    """The instance in $DAGSTER_HOME (default .dagster/), set up from the project's dagster.yaml."""
    folder = settings.dagster_home()
    os.environ["DAGSTER_HOME"] = str(folder)
    template = settings.project_root() / "dagster.yaml"
    if not (folder / "dagster.yaml").exists() and template.exists():
        shutil.copyfile(template, folder / "dagster.yaml")
    return dg.DagsterInstance.get()


def ensure_partition(instance: dg.DagsterInstance, campaign: str) -> None:
    if not instance.has_dynamic_partition(CAMPAIGN_DIMENSION, campaign):
        instance.add_dynamic_partitions(CAMPAIGN_DIMENSION, [campaign])


def load_campaign(name: str) -> Campaign:
    try:
        return campaign_by_name(home().campaigns, name)
    except CampaignError as exc:
        raise CliError(str(exc)) from None


def materialize(campaign: str, day: str) -> pd.DataFrame:
    """Run the whole graph for one partition in this process; the funnel it produced."""
    from cam_dagster.definitions import build_definitions
    from cam_dagster.jobs import CAM_PIPELINE

    instance = dagster_instance()
    ensure_partition(instance, campaign)
    job = build_definitions().resolve_job_def(CAM_PIPELINE)
    result = job.execute_in_process(
        partition_key=partition_key(campaign, day),
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    if not result.success:
        failures = [e for e in result.all_events if e.is_step_failure]
        detail = "; ".join(
            f"{e.step_key}: {e.step_failure_data.error.message.strip() if e.step_failure_data.error else 'failed'}"
            for e in failures
        )
        raise CliError(f"run {result.run_id} for {campaign}|{day} failed: {detail or 'see the Dagster UI'}")
    failed_checks = [e.check_name for e in result.get_asset_check_evaluations() if not e.passed]
    if failed_checks:
        raise CliError(f"blocking checks failed, nothing was sent: {', '.join(failed_checks)}")
    return result.output_for_node("campaign_metrics")


def sent_count(campaign: str, day: str) -> int:
    rows = ledger_rows(engine(), campaign, day=day)
    return int((rows["status"] == SendStatus.SENT).sum()) if len(rows) else 0


def run_and_report(campaign: str, day: str) -> None:
    """Materialize the partition, then print its funnel and how many emails this run sent."""
    before = sent_count(campaign, day)
    frame = materialize(campaign, day)
    print(f"Funnel for {campaign} on {day}:")
    print(funnel_text(frame))
    print(f"New emails this run: {sent_count(campaign, day) - before} (outbox: {home().outbox_dir(campaign, day)})")
