"""`cam demo`: a demo home, the whole graph for today, the funnel."""

from __future__ import annotations

import argparse
import os

from cam_core.campaign.demo import DEMO_CAMPAIGN, write_demo_home
from cam_core.intake.landing import land_file
from cam_dagster.cli.common import CliError, home, parse_day, run_and_report


def register(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser("demo", help="create a demo home and run the whole graph for today")
    demo.add_argument("--leads", type=int, default=600, help="rows in the sample CSV (default 600)")
    demo.add_argument("--date", help="partition day, YYYY-MM-DD (default today)")
    demo.add_argument(
        "--sender",
        choices=("outbox", "resend"),
        default="outbox",
        help="outbox (default: files, nothing leaves the machine) or resend (writes it into the demo "
        "campaign, sends to Resend's test addresses; needs RESEND_API_KEY)",
    )
    demo.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    layout = home()
    day = parse_day(args.date)
    if args.sender == "resend" and not os.environ.get("RESEND_API_KEY"):
        raise CliError("--sender resend needs RESEND_API_KEY (and RESEND_API_URL to use a test server)")
    if args.sender == "resend" and not os.environ.get("CAM_UNSUBSCRIBE_SECRET"):
        raise CliError("--sender resend needs CAM_UNSUBSCRIBE_SECRET (a long random string) to sign unsubscribe links")
    campaign_file, sample = write_demo_home(layout.campaigns, layout.samples, leads=args.leads, sender=args.sender)
    landed, new = land_file(layout, sample, DEMO_CAMPAIGN, day)
    print(f"CAM home: {layout.root}")
    print(f"Campaign: {campaign_file} (sender: {args.sender})")
    print(f"Sample:   {sample} -> {'landed' if new else 'already landed'} as {landed.name}")
    run_and_report(DEMO_CAMPAIGN, day, args.debug)
