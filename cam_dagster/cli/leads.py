"""`cam leads add|export|explain|history|mark`: one lead by hand, the lead export, why a lead stands
where it does, every change of its status, and a change recorded by hand (a conversion)."""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext

from cam_core import lifecycle
from cam_core.intake.inbox import campaign_today
from cam_core.intake.manual_lead import land_manual_lead
from cam_core.reporting.explain import explain
from cam_core.reporting.export import export_leads, neutralise_formulas
from cam_core.state.history import Stamp, history_of
from cam_core.state.leads import mark
from cam_core.vocabulary import LeadStatus
from cam_dagster.cli.common import (
    CliError,
    campaign_name,
    dagster_instance,
    engine,
    ensure_partition,
    home,
    load_campaign,
    now,
    parse_day,
)
from cam_dagster.cli.guide import add_command
from cam_dagster.cli.progress import EVERY, Progress

#: Every lifecycle state, as `--status` and `cam leads mark` accept them.
STATUSES = [str(status) for status in LeadStatus]


def register(commands: argparse._SubParsersAction) -> None:
    group = add_command(
        commands,
        "leads",
        help="add a lead by hand, export leads, explain a lead, its history, mark it",
        examples=[
            "cam leads export --campaign demo --status qualified",
            "cam leads explain ada@acme.example --campaign demo",
        ],
    )
    leads = group.add_subparsers(dest="leads_command", required=True, metavar="SUBCOMMAND", title="subcommands")
    add = add_command(
        leads,
        "add",
        help="add one lead by hand to today's partition (the campaign's time zone)",
        examples=["cam leads add --campaign demo --email ada@acme.example --first-name Ada --company 'Acme Data'"],
    )
    add.add_argument("--campaign", required=True, type=campaign_name, help="the campaign's name")
    add.add_argument("--email", required=True, help="the lead's email address")
    for option in ("--first-name", "--last-name", "--company", "--title", "--website", "--linkedin-url"):
        add.add_argument(option, default="", help=f"the lead's {option[2:].replace('-', ' ')} (default empty)")
    add.add_argument("--date", help="partition day, YYYY-MM-DD (default: today in the campaign's time zone)")
    add.set_defaults(func=add_lead)

    export = add_command(
        leads,
        "export",
        help="one row per lead with status, score, tier, sequence and reason",
        description="Write a campaign's leads as CSV (formulas neutralised) or JSON, to standard output or a "
        "file; a count goes to standard error.",
        examples=[
            "cam leads export --campaign demo --status qualified > qualified.csv",
            "cam leads export --campaign demo --format json --output leads.json",
        ],
    )
    export.add_argument("--campaign", required=True, type=campaign_name, help="the campaign's name")
    export.add_argument(
        "--status",
        choices=STATUSES,
        metavar="STATUS",
        help=f"only leads with this lifecycle status: {', '.join(STATUSES)}",
    )
    export.add_argument("--format", choices=("csv", "json"), default="csv", help="csv (default) or json")
    export.add_argument("--output", help="write to this file instead of standard output")
    export.set_defaults(func=export_to_file)

    why = add_command(
        leads,
        "explain",
        help="why a lead scored, qualified and routed as it did",
        examples=["cam leads explain ada@acme.example --campaign demo"],
    )
    why.add_argument("email", help="the lead's email address")
    why.add_argument("--campaign", required=True, type=campaign_name, help="the campaign's name")
    why.set_defaults(func=explain_lead)

    history = add_command(
        leads,
        "history",
        help="every change of a person's status: from, to, when, why, on whose word",
        examples=["cam leads history ada@acme.example --campaign demo"],
    )
    history.add_argument("email", help="the person's email address")
    history.add_argument("--campaign", type=campaign_name, help="only this campaign (default: every campaign)")
    history.set_defaults(func=show_history)

    mark = add_command(
        leads,
        "mark",
        help="record a change of status by hand (converted, interested, not_interested, ...)",
        description="Record a change of a lead's status by hand; the lifecycle refuses a change it does not "
        "allow and names the ones it does.",
        examples=["cam leads mark ada@acme.example converted --campaign demo --note 'signed in March'"],
    )
    mark.add_argument("email", help="the lead's email address")
    mark.add_argument("status", choices=STATUSES, metavar="STATUS", help="the lead's new status, e.g. converted")
    mark.add_argument("--campaign", required=True, type=campaign_name, help="the campaign's name")
    mark.add_argument("--note", default="", help="why, kept in the lead's history")
    mark.set_defaults(func=mark_lead)


def add_lead(args: argparse.Namespace) -> None:
    campaign = load_campaign(args.campaign)
    day = parse_day(args.date) if args.date else campaign_today(campaign, now())
    fields = {
        "email": args.email,
        "first_name": args.first_name,
        "last_name": args.last_name,
        "company": args.company,
        "title": args.title,
        "website": args.website,
        "linkedin_url": args.linkedin_url,
    }
    try:
        landed, new = land_manual_lead(home(), args.campaign, day, fields)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    ensure_partition(dagster_instance(), args.campaign)
    print(f"{'Added' if new else 'Already added'}: {args.email.strip()} for {args.campaign} on {day} ({landed.name})")
    print(
        f"It flows through the pipeline with the partition's next run: cam run --campaign {args.campaign} --date {day}"
    )


def export_to_file(args: argparse.Namespace) -> None:
    load_campaign(args.campaign)
    frame = export_leads(engine(), args.campaign, args.status)
    progress = Progress("exporting leads")
    with open(args.output, "w", encoding="utf-8", newline="") if args.output else nullcontext(sys.stdout) as out:
        if args.format == "json":
            out.write(frame.to_json(orient="records", force_ascii=False, indent=None, lines=False))
            out.write("\n")
            progress.add(len(frame))
        else:
            # In slices, so a large export shows it is moving; one header, as from one call.
            for start in range(0, max(len(frame), 1), EVERY):
                piece = neutralise_formulas(frame.iloc[start : start + EVERY])
                piece.to_csv(out, index=False, header=start == 0)
                progress.add(len(piece))
    where = args.output or "standard output"
    status = f" {args.status}" if args.status else ""
    progress.done(f"{len(frame)}{status} lead(s) of {args.campaign} written to {where}")
    if frame.empty and args.status:
        print(f"cam: warning: {_none_with(args.campaign, args.status)}", file=sys.stderr)


def _none_with(campaign: str, status: str) -> str:
    """Why an export by status is empty: the statuses the campaign's leads are in instead."""
    counts = export_leads(engine(), campaign, None)["status"].value_counts()
    held = ", ".join(f"{n} {s}" for s, n in counts.items()) or "none yet"
    moved = (
        "; a qualified lead becomes enrolled once routed, then contacted once sent"
        if status == LeadStatus.QUALIFIED
        else ""
    )
    return f"no lead of {campaign} is {status} now (its leads: {held}){moved}"


def explain_lead(args: argparse.Namespace) -> None:
    load_campaign(args.campaign)
    text = explain(engine(), args.campaign, args.email)
    if text is None:
        raise CliError(
            f"{args.email}: no such lead in campaign {args.campaign}; list them with "
            f"`cam leads export --campaign {args.campaign}`"
        )
    print(text)


def show_history(args: argparse.Namespace) -> None:
    found = history_of(engine(), args.email, args.campaign)
    if found.empty:
        where = f" in campaign {args.campaign}" if args.campaign else ""
        raise CliError(f"no recorded change for {args.email}{where}")
    found["at"] = found["at"].astype("str")
    print(neutralise_formulas(found).to_string(index=False))


def mark_lead(args: argparse.Namespace) -> None:
    load_campaign(args.campaign)
    cause = f"marked by hand: {args.note}" if args.note else "marked by hand"
    try:
        before = mark(engine(), args.campaign, args.email, args.status, Stamp("cli", now()), cause)
    except lifecycle.IllegalTransition as exc:
        raise CliError(str(exc)) from None
    print(f"{args.email.strip().lower()} in {args.campaign}: {before} -> {args.status}")
