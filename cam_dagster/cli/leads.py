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


def register(commands: argparse._SubParsersAction) -> None:
    leads = commands.add_parser("leads", help="work with leads").add_subparsers(dest="leads_command", required=True)
    add = leads.add_parser("add", help="add one lead by hand to today's partition (the campaign's time zone)")
    add.add_argument("--campaign", required=True, type=campaign_name)
    add.add_argument("--email", required=True)
    for option in ("--first-name", "--last-name", "--company", "--title", "--website", "--linkedin-url"):
        add.add_argument(option, default="")
    add.add_argument("--date", help="YYYY-MM-DD (default: today in the campaign's time zone)")
    add.set_defaults(func=add_lead)

    export = leads.add_parser("export", help="one row per lead with status, score, tier, sequence and reason")
    export.add_argument("--campaign", required=True, type=campaign_name)
    export.add_argument(
        "--status", help="only leads with this status (qualified, review, rejected, enrolled, contacted, ...)"
    )
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--output", help="write to this file instead of standard output")
    export.set_defaults(func=export_to_file)

    why = leads.add_parser("explain", help="why a lead scored, qualified and routed as it did")
    why.add_argument("email")
    why.add_argument("--campaign", required=True, type=campaign_name)
    why.set_defaults(func=explain_lead)

    history = leads.add_parser(
        "history",
        help="every change of a person's status: from, to, when, why, on whose word",
        description="Example: cam leads history ada@acme.example --campaign demo",
    )
    history.add_argument("email")
    history.add_argument("--campaign", type=campaign_name, help="only this campaign (default: every campaign)")
    history.set_defaults(func=show_history)

    mark = leads.add_parser(
        "mark",
        help="record a change of status by hand (converted, interested, not_interested, ...)",
        description="Example: cam leads mark ada@acme.example converted --campaign demo --note 'signed in March'",
    )
    mark.add_argument("email")
    mark.add_argument("status", help="the lead's new status, e.g. converted")
    mark.add_argument("--campaign", required=True, type=campaign_name)
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
    with open(args.output, "w", encoding="utf-8", newline="") if args.output else nullcontext(sys.stdout) as out:
        if args.format == "json":
            out.write(frame.to_json(orient="records", force_ascii=False, indent=None, lines=False))
            out.write("\n")
        else:
            neutralise_formulas(frame).to_csv(out, index=False)
    if args.output:
        print(f"{len(frame)} lead(s) written to {args.output}", file=sys.stderr)


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
