"""`cam ingest FILE --campaign C`: land a lead file for a campaign and day.

The file passes the inbox's own check first (`cam_core.intake.screening`): a file the
inbox would quarantine (binary, a renamed workbook, a quote left open, no column
saying who each row is) is refused with the same words, and nothing lands. A file that
passes with no column recognised as the email lands too (enrichment may find the
addresses), with a warning naming the columns it has and the names looked for.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from cam_core.intake import IntakeError
from cam_core.intake.csv_reading import detect_shape
from cam_core.intake.headers import FORMATS, GENERIC_ALIASES, map_headers, recognised
from cam_core.intake.landing import land_file
from cam_core.intake.screening import screen_lead_file
from cam_dagster.cli.common import CliError, dagster_instance, ensure_partition, home, load_campaign, parse_day
from cam_dagster.cli.guide import add_command
from cam_dagster.cli.progress import EVERY, Progress

#: A file this large takes seconds to check: say so before, and how long it took after.
LARGE_FILE_BYTES = 20 * 1024 * 1024


def register(commands: argparse._SubParsersAction) -> None:
    ingest = add_command(
        commands,
        "ingest",
        help="land a lead file for a campaign and day",
        description="Check a CSV export as the inbox checks it, then land it for the campaign and day; "
        "the next `cam run` (or the UI) materializes it. The same file landed twice lands once.",
        examples=[
            "cam ingest ~/Downloads/apollo-export.csv --campaign acme-2026",
            "cam ingest leads.csv --campaign demo --date 2026-03-02",
        ],
    )
    ingest.add_argument("file", help="the CSV export (.csv, .tsv or .txt)")
    ingest.add_argument("--campaign", required=True, help="the campaign's name (its file in $CAM_HOME/campaigns)")
    ingest.add_argument("--date", help="partition day, YYYY-MM-DD (default today)")
    ingest.set_defaults(func=run)


def missing_email_warning(path: Path, columns: Mapping[str, str]) -> str | None:
    """The warning for a file none of whose columns is taken as the email, else None."""
    shape = detect_shape(path, lambda row: recognised(row, columns))
    mapping = map_headers(shape.header, columns)
    if "email" in mapping.fields:
        return None
    looked = [*FORMATS.get(mapping.export_format, ((), {}))[1].get("email", ()), *GENERIC_ALIASES["email"]]
    mapped = [header for header, field in columns.items() if field == "email"]
    where = f"the campaign's intake.columns maps {', '.join(mapped)} to email, and " if mapped else ""
    return (
        f"{path.name}: no column is recognised as the email (its columns: {', '.join(mapping.header)[:300]}); "
        f"{where}the names looked for are {', '.join(dict.fromkeys(looked))}. It lands anyway: its leads get an "
        "address only if enrichment finds one. To use a column as the email, map it in the campaign's "
        "intake.columns (e.g. `Courriel: email`) and ingest again"
    )


def run(args: argparse.Namespace) -> None:
    campaign = load_campaign(args.campaign)
    day = parse_day(args.date)
    source = Path(args.file)
    if not source.is_file():
        raise CliError(f"{source}: no such file")
    progress = Progress(f"checking {source.name}")
    large = source.stat().st_size >= LARGE_FILE_BYTES
    if large and progress.live:
        print(f"cam: checking {source.name} ({source.stat().st_size / 1e6:,.0f} MB)...", file=sys.stderr, flush=True)
    try:
        rows = screen_lead_file(source, campaign.intake.columns)
        warning = missing_email_warning(source, campaign.intake.columns)
    except IntakeError as exc:
        raise CliError(f"{exc} (nothing was landed)") from None
    progress.add(rows)
    try:
        landed, new = land_file(home(), source, campaign.name, day)
    except (FileNotFoundError, ValueError) as exc:
        raise CliError(str(exc)) from None
    if large or rows >= EVERY:
        progress.done(f"checked and landed {rows:,} rows of {source.name}")
    if warning:
        print(f"cam: warning: {warning}", file=sys.stderr)
    ensure_partition(dagster_instance(), campaign.name)
    print(f"{'Landed' if new else 'Already landed (same content)'}: {landed} ({rows} row(s))")
    print(f"Materialize it with: cam run --campaign {campaign.name} --date {day}")
