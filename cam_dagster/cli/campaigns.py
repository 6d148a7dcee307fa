"""`cam campaigns`: validate the campaign files and sync their partitions; say which are paused.

One line per campaign: `ok     <name>`, or `paused <name>: <reason>` while the reputation
guard holds its sending (lifted by `cam resume --campaign <name>`)."""

from __future__ import annotations

import argparse
import sys

from cam_core.state.pauses import paused
from cam_dagster.cli.common import cam, dagster_instance
from cam_dagster.cli.guide import add_command
from cam_dagster.partitions import CAMPAIGN_DIMENSION
from cam_dagster.sensors.campaign_partitions import campaign_sync


def register(commands: argparse._SubParsersAction) -> None:
    campaigns = add_command(
        commands,
        "campaigns",
        help="validate campaign files and sync their partitions",
        description="Validate every file in $CAM_HOME/campaigns, add or remove the campaign partitions to match, "
        "and print one line per campaign: ok, or paused with the reason. Exit status 2 when a file is invalid.",
        examples=["cam campaigns"],
    )
    campaigns.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    instance = dagster_instance()
    with cam() as resource:
        sync = campaign_sync(resource, instance.get_dynamic_partitions(CAMPAIGN_DIMENSION))
        pauses = paused(resource.engine)
    if sync.added:
        instance.add_dynamic_partitions(CAMPAIGN_DIMENSION, sync.added)
    for name in sync.removed:
        instance.delete_dynamic_partition(CAMPAIGN_DIMENSION, name)
    for name in instance.get_dynamic_partitions(CAMPAIGN_DIMENSION):
        print(f"paused {name}: {pauses[name].reason}" if name in pauses else f"ok     {name}")
    for problem in sync.problems:
        print(f"error  {problem}", file=sys.stderr)
    if sync.problems:
        raise SystemExit(2)
