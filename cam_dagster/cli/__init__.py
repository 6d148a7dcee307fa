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

`common` holds what they share; errors a user can fix are printed without a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from cam_dagster.cli import (
    campaigns,
    demo,
    forget,
    ingest,
    leads,
    preview,
    replies,
    resume,
    review,
    run,
    serve,
    suppress,
)
from cam_dagster.cli.common import CliError

COMMANDS = (demo, ingest, run, campaigns, leads, review, preview, suppress, forget, resume, serve, replies)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="cam", description="CAM: lead harvesting and compliant outreach on Dagster.")
    commands = top.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(commands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except CliError as exc:
        print(f"cam: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `cam leads export | head`: the reader left; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
