"""`cam demo`: a demo home, the whole graph for today, the funnel."""

from __future__ import annotations

import argparse
import os

from cam_core.campaign.demo import DEMO_CAMPAIGN, write_demo_home
from cam_core.intake.landing import land_file
from cam_dagster.cli.common import CliError, home, parse_day
from cam_dagster.cli.guide import add_command
from cam_dagster.cli.launch import run_and_report

#: What to try once the demo ran: its state at a glance, its leads, the same run in the UI.
NEXT = (
    ("cam status", "every campaign: the day's funnel, reviews, last run"),
    ("cam leads export --campaign {campaign} --status review", "the leads waiting for a person"),
    ("cam review list --campaign {campaign}", "decide them with cam review approve|reject EMAIL..."),
    ("make dev", "the Dagster UI; then open the funnel against its targets:"),
    ("", "http://127.0.0.1:3000/assets/campaign_metrics"),
)


def next_steps(campaign: str) -> str:
    """The commands to try after the demo, each with why."""
    commands = [(command.format(campaign=campaign), why) for command, why in NEXT]
    width = max(len(command) for command, _ in commands)
    return "Next:\n" + "\n".join(f"  {command:<{width}}  {why}" for command, why in commands)


def register(commands: argparse._SubParsersAction) -> None:
    demo = add_command(
        commands,
        "demo",
        help="create a demo home and run the whole graph for today",
        description="Write the demo campaign and a sample CSV into the CAM home, land the sample, run the whole "
        "graph for the day in this process, then print the funnel and how its numbers add up. Nothing leaves "
        "the machine unless --sender resend.",
        examples=[
            "cam demo",
            "cam demo --leads 2000",
            # The date partitions start where the campaigns start: a fresh home's start today.
            "CAM_FIRST_DAY=2026-03-02 cam demo --date 2026-03-02",
        ],
    )
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
    print(next_steps(DEMO_CAMPAIGN))
