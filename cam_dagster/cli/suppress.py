"""`cam suppress EMAIL...`: never write to these addresses again, in any campaign.

Each address is normalised as intake normalises leads (trimmed, NFKC, lower-case, `mailto:`
and angle brackets dropped) and checked by email-validator's syntax rules; one bad address
and none is added, each bad one named. `addresses` is shared with `cam forget`.
"""

from __future__ import annotations

import argparse

import pandas as pd

from cam_core.enrich.verification import syntax_problems
from cam_core.intake.normalise import EMAIL_SHAPE
from cam_core.intake.normalise import emails as normalised_emails
from cam_core.state.suppression import suppress
from cam_dagster.cli.common import CliError, cam
from cam_dagster.cli.guide import add_command


def addresses(given: list[str], strict: bool = True) -> list[str]:
    """The addresses normalised, in order, once each; a CliError naming every bad one.

    `strict`: the full syntax check; otherwise only the shape `x@y.z` (an address a
    harvest rejected as malformed may still have to be forgotten).
    """
    raw = pd.Series(given, dtype="str")
    clean = normalised_emails(raw)
    if strict:
        problems = syntax_problems(clean)
    else:
        problems = pd.Series("", index=clean.index, dtype="str").where(
            clean.str.match(EMAIL_SHAPE), "expected an address like name@example.com"
        )
    bad = [f"{r!r} ({p})" for r, p in zip(raw, problems, strict=True) if p]
    if bad:
        raise CliError(f"not an email address, so nothing was done: {'; '.join(bad)}")
    return list(dict.fromkeys(clean))


def register(commands: argparse._SubParsersAction) -> None:
    command = add_command(
        commands,
        "suppress",
        help="never write to these addresses again, in any campaign",
        description="Add addresses to the suppression list: no campaign writes to them again. One bad address "
        "and none is added.",
        examples=["cam suppress ada@acme.example", "cam suppress a@x.example b@y.example --reason 'asked by phone'"],
    )
    command.add_argument("emails", nargs="+", metavar="EMAIL", help="addresses to suppress")
    command.add_argument("--reason", default="manual", help="why (default: manual)")
    command.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    emails = addresses(args.emails)
    with cam() as resource:
        added = suppress(
            resource.engine,
            emails,
            reason=args.reason,
            source="cam suppress",
            now=resource.now(),
            secret=resource.signing_secret(),
        )
    print(f"{added} address(es) added to the suppression list ({len(emails) - added} already there)")
