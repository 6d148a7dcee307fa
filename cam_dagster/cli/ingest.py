"""`cam ingest FILE --campaign C`: land a lead file for a campaign and day."""

from __future__ import annotations

import argparse
from pathlib import Path

from cam_core.intake.landing import land_file
from cam_dagster.cli.common import CliError, dagster_instance, ensure_partition, home, load_campaign, parse_day


def register(commands: argparse._SubParsersAction) -> None:
    ingest = commands.add_parser("ingest", help="land a lead file for a campaign and day")
    ingest.add_argument("file")
    ingest.add_argument("--campaign", required=True)
    ingest.add_argument("--date", help="YYYY-MM-DD (default today)")
    ingest.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    load_campaign(args.campaign)
    day = parse_day(args.date)
    try:
        landed, new = land_file(home(), Path(args.file), args.campaign, day)
    except (FileNotFoundError, ValueError) as exc:
        raise CliError(str(exc)) from None
    ensure_partition(dagster_instance(), args.campaign)
    print(f"{'Landed' if new else 'Already landed (same content)'}: {landed}")
    print(f"Materialize it with: cam run --campaign {args.campaign} --date {day}")
