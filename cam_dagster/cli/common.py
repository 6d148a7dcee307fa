"""What every `cam` command shares: the CAM home, the database, the Dagster instance, what is
checked at the edge (campaign names, dates), and errors a person can fix (`errors`), printed
without a traceback."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from sqlalchemy.engine import Engine

from cam_core import settings
from cam_core.campaign.loading import CampaignError, campaign_by_name, campaign_files
from cam_core.campaign.models import CAMPAIGN_NAME, Campaign
from cam_core.settings import HomeLayout
from cam_dagster.cli.errors import CliError
from cam_dagster.cli.guide import closest
from cam_dagster.partitions import CAMPAIGN_DIMENSION, day_outside_range
from cam_dagster.resources.cam import CamResource
from cam_dagster.resources.env import cam_from_env

__all__ = ["CliError"]  # commands take it from here, with the rest they share

#: The local instance's settings, copied to $DAGSTER_HOME/dagster.yaml (as `make dev` does).
INSTANCE_TEMPLATE = "dagster.local.yaml"


def campaign_name(text: str) -> str:
    """The `type=` of every `--campaign`: a name, never a path (`../x` must not reach outside the
    campaign folders, nor into landed/, outbox/ or data/, which are named after it)."""
    if not CAMPAIGN_NAME.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a campaign name; names use lower-case letters, digits, '-' and '_' "
            "(like acme-2026): the campaign file's name without .yaml"
        )
    return text


def campaign_name_or_none(text: str) -> str:
    """`campaign_name`, where '' also stands for "no campaign" (replies that matched no send)."""
    return text if text == "" else campaign_name(text)


def parse_day(text: str | None) -> str:
    """`--date` as YYYY-MM-DD, a day there is a partition for; today when not given."""
    if text is None:
        return dt.date.today().isoformat()
    try:
        day = dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise CliError(f"--date {text!r}: expected YYYY-MM-DD") from None
    problem = day_outside_range(day)
    if problem:
        raise CliError(f"--date {problem}")
    return day


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
    """The instance in $DAGSTER_HOME (default .dagster/), set up from the project's dagster.local.yaml."""
    folder = settings.dagster_home()
    os.environ["DAGSTER_HOME"] = str(folder)
    template = settings.project_root() / INSTANCE_TEMPLATE
    if not (folder / "dagster.yaml").exists() and template.exists():
        shutil.copyfile(template, folder / "dagster.yaml")
    return dg.DagsterInstance.get()


def ensure_partition(instance: dg.DagsterInstance, campaign: str) -> None:
    if not instance.has_dynamic_partition(CAMPAIGN_DIMENSION, campaign):
        instance.add_dynamic_partitions(CAMPAIGN_DIMENSION, [campaign])


def load_campaign(name: str) -> Campaign:
    """The campaign file `name`, validated; a CliError naming the campaigns there are when there is
    no such file (every command that takes `--campaign` comes through here)."""
    campaign_name_or_error(name)
    folder = home().campaigns
    existing = [path.stem for path in campaign_files(folder)]
    if name not in existing:
        if not existing:
            raise CliError(
                f"no campaign {name!r} in {folder}; there is none yet: write {folder / name}.yaml "
                "(or run `cam demo` for an example)"
            )
        raise CliError(
            f"no campaign {name!r} in {folder}; existing: {', '.join(existing)}"
            + (f"; did you mean {match!r}?" if (match := closest(name, existing)) else "")
        )
    try:
        return campaign_by_name(folder, name)
    except CampaignError as exc:
        raise CliError(str(exc)) from None


def campaign_name_or_error(name: str) -> str:
    """`campaign_name` for a name that did not come through argparse."""
    try:
        return campaign_name(name)
    except argparse.ArgumentTypeError as exc:
        raise CliError(str(exc)) from None
