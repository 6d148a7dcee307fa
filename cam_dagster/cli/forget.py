"""`cam forget EMAIL... [--yes]`: erase people from every table and file; keep only a keyed hash.

The tables go first, in one transaction (`cam_core.state.forgetting`): from then on the
suppression list holds the keyed hash of each address instead of the address, so a later
import of it is rejected as suppressed. Then the files of the CAM home
(`cam_core.erasure`): Parquet partitions (at CAM_DATA_URL too, when they live in
object storage), landed, inbox and sample files, review decisions, outbox messages.
What was removed is printed by place; other people's data never is. Forgetting again
is harmless, so a run interrupted halfway is finished by running the command again.
"""

from __future__ import annotations

import argparse
import sys

from cam_core.erasure import erase_files
from cam_core.state.forgetting import REDACTED, forget
from cam_core.state.history import Stamp
from cam_dagster.cli.common import CliError, cam
from cam_dagster.cli.guide import add_command
from cam_dagster.cli.suppress import addresses

DAGSTER_NOTE = (
    "Dagster's run history still shows the previews past runs recorded (harvest rejects, held and due leads); "
    "delete those runs in the Dagster UI if they must go too."
)


def register(commands: argparse._SubParsersAction) -> None:
    command = add_command(
        commands,
        "forget",
        help="erase people from every table and file, keeping only a keyed hash on the suppression list",
        description="Erase people everywhere CAM keeps them (tables, Parquet partitions, landed files, outbox); "
        "only a keyed hash stays on the suppression list so they are never written to again. Cannot be undone.",
        examples=["cam forget ada@acme.example", "cam forget ada@acme.example grace@hopper.example --yes"],
    )
    command.add_argument("emails", nargs="+", metavar="EMAIL", help="addresses of the people to erase")
    command.add_argument("--yes", action="store_true", help="do not ask before erasing")
    command.set_defaults(func=run)


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def _confirm(emails: list[str], home: str) -> None:
    if not sys.stdin.isatty():
        raise CliError("cam forget cannot be undone: pass --yes to confirm; nothing was erased")
    answer = input(f"Erase {', '.join(emails)} from every table and file of {home}? It cannot be undone. [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise CliError("not confirmed; nothing was erased")


def run(args: argparse.Namespace) -> None:
    emails = addresses(args.emails, strict=False)
    with cam() as resource:
        if not args.yes:
            _confirm(emails, resource.home)
        tables = forget(resource.engine, emails, resource.signing_secret(), Stamp("cli", resource.now()))
        files = erase_files(resource.layout, emails, resource.data)
    print(f"Forgot {_plural(len(emails), 'address')}. Removed:")
    for table, n in tables.deleted.items():
        if table == "suppression":
            continue
        kept = (
            f" (kept: {_plural(tables.audited, 'row')} under the keyed hash, recording the erasure)"
            if table == "lead_history" and tables.audited
            else ""
        )
        print(f"  {table}: {_plural(n, 'row')}{kept}")
    for table, n in tables.redacted.items():
        print(f"  {table}: {_plural(n, 'row')} of someone else mentioning them, the address replaced by {REDACTED}")
    for place, (n, unit) in files.removed.items():
        print(f"  {place}: {_plural(n, unit)}")
    if not (tables.deleted.keys() - {"suppression"}) and not tables.redacted and not files.removed:
        print("  nothing: no table or file held them")
    was = ", ".join(f"{reason}" for reason in sorted(set(tables.suppression.values())))
    print(
        f"  suppression: {'the address replaced by' if was else 'added as'} its keyed hash, reason forgotten"
        + (f" (was: {was})" if was else "")
        + "; it is never written to again"
    )
    unknown = sorted(set(emails) - tables.found - files.found)
    if unknown:
        print(f"Found nowhere (a typo?): {', '.join(unknown)}; only the keyed hash was listed.")
    print(
        "Database compacted: no erased row stays on disk."
        if tables.compacted
        else "The database may keep the erased rows' old versions on disk until it reuses their space "
        "(PostgreSQL: VACUUM FULL those tables; SQLite: run cam forget again when no run is writing)."
    )
    print(DAGSTER_NOTE)
    if files.left:
        raise CliError(
            "these files hold the address but could not be rewritten; edit or delete them by hand: "
            + ", ".join(files.left)
        )
