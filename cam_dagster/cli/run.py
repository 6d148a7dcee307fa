"""`cam run --campaign C`: materialize the whole graph for one campaign and day."""

from __future__ import annotations

import argparse

from cam_dagster.cli.common import campaign_name, load_campaign, parse_day, run_and_report


def register(commands: argparse._SubParsersAction) -> None:
    run_ = commands.add_parser("run", help="materialize the whole graph for one campaign and day")
    run_.add_argument("--campaign", required=True, type=campaign_name)
    run_.add_argument("--date", help="YYYY-MM-DD (default today)")
    run_.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    load_campaign(args.campaign)
    run_and_report(args.campaign, parse_day(args.date), args.debug)
