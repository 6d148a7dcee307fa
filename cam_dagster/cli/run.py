"""`cam run --campaign C`: materialize the whole graph for one campaign and day."""

from __future__ import annotations

import argparse

from cam_dagster.cli.common import campaign_name, load_campaign, parse_day
from cam_dagster.cli.guide import add_command
from cam_dagster.cli.launch import run_and_report


def register(commands: argparse._SubParsersAction) -> None:
    run_ = add_command(
        commands,
        "run",
        help="materialize the whole graph for one campaign and day",
        description="Materialize every asset of one campaign's partition for a day, as the UI would, then "
        "print its funnel and how many emails this run sent.",
        examples=["cam run --campaign demo", "cam run --campaign acme-2026 --date 2026-03-02"],
    )
    run_.add_argument("--campaign", required=True, type=campaign_name, help="the campaign's name")
    run_.add_argument("--date", help="partition day, YYYY-MM-DD (default today)")
    run_.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    load_campaign(args.campaign)
    run_and_report(args.campaign, parse_day(args.date), args.debug)
