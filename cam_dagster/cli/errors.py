"""Failures a person can act on, said in one line: `<cause>; <fix>`.

`explain(exc)` words an exception that reached `cam`'s `main`; `explain_step(error)` words a
step failure Dagster recorded inside a run, where only the exception's class name and text
survive (a full disk under a `HandleOutputError`, a missing secret under a `Failure`). Both go
through the one table `RULES`, which matches an operating-system or database error by its
text, so a cause reads the same wherever it surfaced. Anything no rule knows is a bug: `main`
lets it keep its traceback.
"""

from __future__ import annotations

import builtins
import errno
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from dagster._core.errors import DagsterUnknownPartitionError
from dagster_shared.error import SerializableErrorInfo

from cam_core import settings
from cam_core.state import schema
from cam_core.state.schema import DatabaseUrlError, SchemaMismatch
from cam_dagster.partitions import day_range


class CliError(Exception):
    """A problem the user can fix, already worded as `<cause>; <fix>`."""


#: Exit status of a mistake in what was asked (as argparse's usage errors), and of a failure of
#: the machine or its set-up (disk, database, secret).
USAGE, ENVIRONMENT = 2, 1

#: Class names whose text the rules read: operating-system errors and database driver errors.
_READABLE = frozenset(
    {n for n, c in vars(builtins).items() if isinstance(c, type) and issubclass(c, OSError)} | {"OperationalError"}
)

_FIX_SPACE = "free space on that disk (or point CAM_HOME and DAGSTER_HOME at one with room), then rerun"
_FIX_READ_ONLY = "remount it writable, or point CAM_HOME and DAGSTER_HOME at a writable folder, then rerun"
_FIX_ACCESS = "give the account running cam write access to it, or point CAM_HOME and DAGSTER_HOME at folders it owns"
_DISK_FIXES = {
    errno.ENOSPC: _FIX_SPACE,
    errno.EDQUOT: _FIX_SPACE,
    errno.EROFS: _FIX_READ_ONLY,
    errno.EACCES: _FIX_ACCESS,
    errno.EPERM: _FIX_ACCESS,
}


def _disk(found: re.Match[str]) -> str | None:
    code = int(found["errno"])
    if code not in _DISK_FIXES:
        return None
    # os.strerror, not the text: pyarrow's reads "Error writing bytes to file. Detail: [errno 28] ...".
    where = f"cannot write {found['file']}" if found["file"] else "cannot write a file"
    return f"{where}: {os.strerror(code)}; {_DISK_FIXES[code]}"


def _cam_database() -> str:
    url = settings.database_url()
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else "(CAM_DATABASE_URL)"


def _holders(database: str) -> list[str]:
    """The other processes that have `database` (or its WAL files) open: `pid N (command)`."""
    targets = {database, f"{database}-wal", f"{database}-shm", f"{database}-journal"}
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        if proc.name == str(os.getpid()):
            continue
        try:
            if any(os.readlink(fd) in targets for fd in (proc / "fd").iterdir()):
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                found.append(f"pid {proc.name} ({command[:60]})")
        except OSError:  # gone, or another account's: not ours to see
            continue
    return found


def _locked(_: re.Match[str]) -> str:
    database = _cam_database()
    holders = _holders(database)
    held = f"open in {', '.join(holders)}" if holders else "no other process of this account has it open now"
    waited = f"{schema.SQLITE_BUSY_SECONDS:g} s"
    return (
        f"the database {database} is locked: another writer has held it for over {waited} ({held}); "
        "let that run or command finish (or stop it), then rerun"
    )


def _sqlite_file(found: re.Match[str]) -> str:
    what = found[0]
    fix = (
        "free space on its disk, then rerun"
        if "full" in what
        else "make sure its folder exists and this account can write there, or point CAM_HOME and DAGSTER_HOME "
        "(or CAM_DATABASE_URL) at one that does"
    )
    return (
        f"cannot write the SQLite database ({what}; CAM's is {_cam_database()}, Dagster's is under "
        f"{os.environ.get('DAGSTER_HOME') or settings.project_root() / '.dagster'}); {fix}"
    )


def _unreachable(found: re.Match[str]) -> str:
    try:
        where = sa.make_url(settings.database_url()).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        where = "(CAM_DATABASE_URL)"
    return (
        f"cannot reach the database {where}: {found['reason'].strip()}; check CAM_DATABASE_URL (host, port, user, "
        "password, database name) and that PostgreSQL is running and accepts connections from this machine"
    )


#: What each readable error means and what to do, matched against its text.
RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]]] = [
    (re.compile(r"\[errno (?P<errno>\d+)\][^\n]*?(?:: '(?P<file>[^'\n]+)')?$", re.IGNORECASE | re.MULTILINE), _disk),
    (re.compile(r"database is locked"), _locked),
    (
        re.compile(r"unable to open database file|attempt to write a readonly database|database or disk is full"),
        _sqlite_file,
    ),
    (
        re.compile(
            r"psycopg2\.\w*OperationalError\) (?P<reason>[^\n]*(?:connection to server|could not connect|could not "
            r"translate host name|server closed the connection|timeout expired|FATAL)[^\n]*)"
        ),
        _unreachable,
    ),
]


def _by_text(kinds: set[str], text: str) -> str | None:
    if not kinds & _READABLE:
        return None
    for pattern, say in RULES:
        found = pattern.search(text)
        if found and (message := say(found)):
            return message
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and those it was raised from, innermost first (the cause a person can act on)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return reversed(seen)


def explain(exc: BaseException) -> str | None:
    """One line a person can act on, or None for an exception no rule knows (a bug)."""
    if isinstance(exc, CliError | SchemaMismatch):
        return str(exc)
    if isinstance(exc, DatabaseUrlError):
        return f"CAM_DATABASE_URL: {exc}"
    if isinstance(exc, dg.Failure) and exc.description:
        return exc.description
    if isinstance(exc, DagsterUnknownPartitionError):
        first, last = day_range()
        return (
            f"{exc}; partitions run from {first} to {last} (today, UTC): pick a day in that range, or to go "
            "further back set the campaign's start_date (then reload the code location) or CAM_FIRST_DAY=YYYY-MM-DD"
        )
    for link in _chain(exc):
        if isinstance(link, OSError | sa.exc.OperationalError):
            message = _by_text({c.__name__ for c in type(link).__mro__}, str(link))
            if message:
                return message
    return None


def exit_code(exc: BaseException) -> int:
    return USAGE if isinstance(exc, CliError) else ENVIRONMENT


def explain_step(error: SerializableErrorInfo) -> str:
    """What made a step fail, from the innermost error Dagster recorded: worded by `RULES` when one
    knows it, else that error's own first line without its class path."""
    root = error
    while root.cause is not None:
        root = root.cause
    text = root.message.strip()
    message = _by_text({root.cls_name or ""}, text)
    if message:
        return message
    first = text.splitlines()[0] if text else root.cls_name or "failed"
    # "dagster._core.definitions.events.Failure: campaign demo ..." -> "campaign demo ..."
    return re.sub(r"^[\w.]*(?:Error|Failure|Exception)\w*: ", "", first)
