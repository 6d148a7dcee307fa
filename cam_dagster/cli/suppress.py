"""`cam suppress EMAIL...`: never write to these addresses again, in any campaign."""

from __future__ import annotations

import argparse

from cam_core.state.suppression import suppress
from cam_dagster.cli.common import cam


def register(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser("suppress", help="never write to these addresses again, in any campaign")
    command.add_argument("emails", nargs="+")
    command.add_argument("--reason", default="manual", help="why (default: manual)")
    command.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    with cam() as resource:
        added = suppress(resource.engine, args.emails, reason=args.reason, source="cam suppress", now=resource.now())
    print(f"{added} address(es) added to the suppression list ({len(args.emails) - added} already there)")
