"""`cam preview --campaign C --email X`: the lead's next message, rendered exactly as it would go out."""

from __future__ import annotations

import argparse

import dagster as dg

from cam_core.reporting.preview import PreviewError, preview
from cam_dagster.cli.common import CliError, cam, campaign_name, load_campaign
from cam_dagster.cli.guide import add_command


def register(commands: argparse._SubParsersAction) -> None:
    show = add_command(
        commands,
        "preview",
        help="show the next message a lead would get, rendered",
        description="Render the next step of a lead's sequence exactly as it would go out (headers, text and "
        "HTML parts); nothing is sent or recorded.",
        examples=["cam preview --campaign demo --email ada@acme.example"],
    )
    show.add_argument("--campaign", required=True, type=campaign_name, help="the campaign's name")
    show.add_argument("--email", required=True, help="the lead's email address")
    show.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    campaign = load_campaign(args.campaign)
    with cam() as resource:
        try:
            message = preview(resource.engine, campaign, args.email, resource.signing_secret())
        except dg.Failure as exc:
            raise CliError(exc.description or str(exc)) from None
        except PreviewError as exc:
            raise CliError(str(exc)) from None
    print(f"From:     {message['from_email']}")
    print(f"To:       {message['email']}")
    print(f"Reply-To: {message['reply_to']}")
    print(f"Subject:  {message['subject']}")
    print(f"List-Unsubscribe: {message['list_unsubscribe']}")
    print("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    print(
        f"Sequence: {message['sequence']} step {message['step']} variant {message['variant']} (tier {message['tier']})"
    )
    print()
    print(message["body_text"])
    if message["body_html"]:
        print("--- HTML part ---")
        print(message["body_html"])
