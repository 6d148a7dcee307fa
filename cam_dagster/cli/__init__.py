"""The `cam` command: what the Dagster UI does not do. One module per command:

  cam demo                      a demo home, the whole graph for today, the funnel      (demo)
  cam ingest FILE --campaign C  land a lead file for a campaign and day                 (ingest)
  cam run --campaign C          materialize the whole graph for one campaign and day    (run)
  cam campaigns                 validate the campaign files and sync their partitions   (campaigns)
  cam leads add|export|explain  one lead by hand, the lead export, why a lead stands    (leads)
  cam review list|approve|reject  decide the leads in a campaign's review band         (review)
  cam preview --campaign C --email X   the lead's next message, rendered                (preview)
  cam suppress EMAIL...         never write to these addresses again, in any campaign   (suppress)
  cam forget EMAIL... [--yes]   erase people everywhere; only a keyed hash stays listed  (forget)
  cam resume --campaign C       lift the reputation guard's pause on its sending        (resume)
  cam serve [--host H --port P] one-click unsubscribes, Resend webhooks, /healthz       (serve)
  cam replies ingest|list|reclassify  saved replies in, what they said, a correction   (replies)
  cam status [--date D]         each campaign: paused?, the day's funnel, reviews, last run (status)

`common` holds what they share; `guide` gives every command's help examples and answers a
mistyped command, choice or campaign with the closest one ("did you mean"). Every failure a
person can cause or fix (a bad name or date, a locked, unreachable or misnamed database, a
read-only or full disk, a missing secret) ends in one line `cam: error: <cause>; <fix>` and a
non-zero exit, worded in one place (`errors`); `cam --debug ...` adds the traceback. Files `cam`
writes are readable by their owner only.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from cam_core.settings import keep_files_private
from cam_dagster.cli import (
    campaigns,
    demo,
    errors,
    forget,
    ingest,
    leads,
    preview,
    replies,
    resume,
    review,
    run,
    serve,
    status,
    suppress,
)
from cam_dagster.cli.common import campaign_name
from cam_dagster.cli.guide import CamParser, version_text

COMMANDS = (demo, ingest, run, status, campaigns, leads, review, preview, suppress, forget, resume, serve, replies)


_EXAMPLES = """Examples:
  cam demo                      the whole graph on a sample, then the funnel
  cam status                    every campaign at a glance
  cam leads export --campaign demo --status qualified
  cam COMMAND --help            a command's arguments and examples"""


def parser() -> argparse.ArgumentParser:
    top = CamParser(
        prog="cam",
        description="CAM: lead harvesting and compliant outreach on Dagster.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--debug", action="store_true", help="print the traceback behind an error")
    top.add_argument("--version", action="version", version=version_text(), help="print cam's and Dagster's versions")
    # Sub-commands are CamParsers too (argparse makes them of the parent's class).
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")
    for command in COMMANDS:
        command.register(commands)
    _check_campaign_names(top)
    return top


def _check_campaign_names(parser: argparse.ArgumentParser) -> None:
    """Every `--campaign` of every command is a campaign name, never a path (`../x`), even where
    a command's module forgot to say so: it names folders in the CAM home."""
    for action in parser._actions:
        if action.dest == "campaign" and action.type is None:
            action.type = campaign_name
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                _check_campaign_names(command)


def main(argv: Sequence[str] | None = None) -> int:
    # Leads, messages and runs are personal data: nothing this process writes is for other accounts.
    keep_files_private()
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except BrokenPipeError:
        # `cam leads export | head`: the reader left; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except Exception as exc:
        message = errors.explain(exc)
        if message is None:
            raise  # no rule knows it: a bug, whose traceback is what a report needs
        if args.debug:
            traceback.print_exc()  # after a run, below the failed steps' own, which Dagster's log printed
        print(f"cam: error: {' '.join(message.split())}", file=sys.stderr)  # one line, whatever it quotes
        return errors.exit_code(exc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
