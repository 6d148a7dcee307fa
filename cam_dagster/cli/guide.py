"""What makes `cam` explain itself: every command's help with a description and examples, and
"did you mean" for a mistyped command, choice or campaign.

Every command module registers its parsers through `add_command`, so the help of every
command and sub-command reads the same way: what it does, each argument's meaning, then
`Examples:` to copy. `cam`'s parser class (`CamParser`) words a choice it does not know as
`<what was wrong>; did you mean <the closest>?`; a mistyped command with none close lists the
commands, a choice lists the choices.
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import sys
import textwrap
from collections.abc import Iterable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any, NoReturn

import dagster as dg

from cam_dagster.cli.errors import USAGE


def closest(word: str, known: Iterable[str]) -> str | None:
    """The one of `known` that `word` is most likely a typo of, if any is close."""
    close = difflib.get_close_matches(word, [str(k) for k in known], n=1, cutoff=0.6)
    return close[0] if close else None


#: Help text width, as argparse's own formatter picks it.
_WIDTH = min(shutil.get_terminal_size().columns - 2, 100)


def add_command(
    commands: argparse._SubParsersAction,
    name: str,
    *,
    help: str,
    examples: Sequence[str],
    description: str | None = None,
) -> argparse.ArgumentParser:
    """A (sub-)command with its one-line `help` (in the parent's list), a `description` (the one
    line, as a sentence, when not given) and `examples`, shown under `Examples:` as typed."""
    # Raw help text keeps the examples' line breaks; the description is wrapped here instead.
    about = textwrap.fill(description or f"{help[0].upper()}{help[1:]}.", width=_WIDTH)
    epilog = "Examples:\n" + "\n".join(f"  {example}" for example in examples)
    return commands.add_parser(
        name, help=help, description=about, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def version_text() -> str:
    """`cam --version`: this distribution's version and the Dagster it runs on."""
    try:
        cam = version("cam")
    except PackageNotFoundError:  # a source tree never installed: nothing to read the version from
        cam = "unknown (not installed)"
    return f"cam {cam} (dagster {dg.__version__})"


class CamParser(argparse.ArgumentParser):
    """argparse, its usage errors ending in the same `cam: error:` line as every other error, and a
    choice it does not know (a command, `--status`, `--format`) answered with the closest one."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"cam: error: {message}\n")

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if action.choices is None or value in action.choices:
            return
        if isinstance(action, argparse._SubParsersAction):
            # `cam leads exprot`: the command as typed, so the suggestion can be typed back.
            path = self.prog.removeprefix("cam").strip()

            def command(word: str) -> str:
                return f"{path} {word}".strip()

            match = closest(value, action.choices)
            hint = (
                f"did you mean {command(match)!r}?"
                if match
                else f"the commands are {', '.join(command(c) for c in action.choices)}"
            )
            # No argument name in front: the line reads as a sentence.
            raise argparse.ArgumentError(None, f"unknown command {command(value)!r}; {hint}")
        listed = ", ".join(str(c) for c in action.choices)
        match = closest(str(value), action.choices)
        hint = f"; did you mean {match!r}?" if match else ""
        raise argparse.ArgumentError(action, f"{str(value)!r} is not one of {listed}{hint}")
