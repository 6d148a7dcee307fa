"""`cam ingest FILE --campaign C`: land a lead file for a campaign and day.

The file passes the inbox's own check first (`cam_core.intake.screening`): a file the
inbox would quarantine (binary, a renamed workbook, a quote left open, no column
saying who each row is) is refused with the same words, and nothing lands.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cam_core.intake import IntakeError
from cam_core.intake.landing import land_file
from cam_core.intake.screening import screen_lead_file
from cam_dagster.cli.common import CliError, dagster_instance, ensure_partition, home, load_campaign, parse_day


def register(commands: argparse._SubParsersAction) -> None:
    ingest = commands.add_parser("ingest", help="land a lead file for a campaign and day")
    ingest.add_argument("file")
    ingest.add_argument("--campaign", required=True)
    ingest.add_argument("--date", help="YYYY-MM-DD (default today)")
    ingest.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    campaign = load_campaign(args.campaign)
    day = parse_day(args.date)
    source = Path(args.file)
    if not source.is_file():
        raise CliError(f"{source}: no such file")
    try:
        rows = screen_lead_file(source, campaign.intake.columns)
    except IntakeError as exc:
        raise CliError(f"{exc} (nothing was landed)") from None
    try:
        landed, new = land_file(home(), source, campaign.name, day)
    except (FileNotFoundError, ValueError) as exc:
        raise CliError(str(exc)) from None
    ensure_partition(dagster_instance(), campaign.name)
    print(f"{'Landed' if new else 'Already landed (same content)'}: {landed} ({rows} row(s))")
    print(f"Materialize it with: cam run --campaign {campaign.name} --date {day}")
