"""The `cam` command: what the Dagster UI does not do.

  cam demo                      a demo home, the whole graph for today, the funnel
  cam ingest FILE --campaign C  land a lead file for a campaign and day
  cam run --campaign C          materialize the whole graph for one campaign and day
  cam campaigns                 validate the campaign files and sync their partitions
  cam leads export --campaign C one row per lead: email, status, score, tier, sequence, reason
  cam preview --campaign C --email X   the lead's next message, rendered
  cam suppress EMAIL...         never write to these addresses again, in any campaign
  cam leads add --campaign C --email E   one lead by hand, landed for the campaign's today
  cam leads explain EMAIL --campaign C   why a lead scored, qualified and routed as it did
  cam review list|approve|reject         decide the leads in a campaign's review band
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from cam_core import settings, store
from cam_core.campaigns import CampaignError, campaign_by_name
from cam_core.db import engine_for
from cam_core.demo import DEMO_CAMPAIGN, write_demo_home
from cam_core.landing import land_file
from cam_core.inbox import campaign_day
from cam_core.ledger import ledger_rows
from cam_core.manual_lead import land_manual_lead
from cam_core.metrics import funnel_text
from cam_core.settings import HomeLayout
from cam_core.spreadsheet import neutralise_formulas

EXPORT_COLUMNS = ["email", "status", "score", "tier", "sequence", "reason", "score_breakdown",
                  "first_name", "last_name", "title", "company", "domain", "first_seen", "updated_on"]


class CliError(Exception):
    """A problem the user can fix; printed without a traceback."""


def _day(text: str | None) -> str:
    if text is None:
        return dt.date.today().isoformat()
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise CliError(f"--date {text!r}: expected YYYY-MM-DD") from None


def _home() -> HomeLayout:
    return HomeLayout(settings.cam_home()).ensure()


def _engine():
    return engine_for(settings.database_url())


def _dagster_instance():
    """The instance in $DAGSTER_HOME (default .dagster/), set up from the project's dagster.yaml."""
    import dagster as dg

    home = settings.dagster_home()
    os.environ["DAGSTER_HOME"] = str(home)
    template = settings.project_root() / "dagster.yaml"
    if not (home / "dagster.yaml").exists() and template.exists():
        shutil.copyfile(template, home / "dagster.yaml")
    return dg.DagsterInstance.get()


def _ensure_partition(instance, campaign: str) -> None:
    from cam_dagster.partitions import CAMPAIGN_DIMENSION

    if not instance.has_dynamic_partition(CAMPAIGN_DIMENSION, campaign):
        instance.add_dynamic_partitions(CAMPAIGN_DIMENSION, [campaign])


def _campaign(home: HomeLayout, name: str):
    try:
        return campaign_by_name(home.campaigns, name)
    except CampaignError as exc:
        raise CliError(str(exc)) from None


def materialize(campaign: str, day: str) -> pd.DataFrame:
    """Run the whole graph for one partition in this process; the funnel it produced."""
    from cam_dagster.definitions import build_definitions
    from cam_dagster.jobs import CAM_PIPELINE
    from cam_dagster.partitions import partition_key

    instance = _dagster_instance()
    _ensure_partition(instance, campaign)
    job = build_definitions().resolve_job_def(CAM_PIPELINE)
    result = job.execute_in_process(
        partition_key=partition_key(campaign, day),
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    if not result.success:
        failures = [e for e in result.all_events if e.is_step_failure]
        detail = "; ".join(
            f"{e.step_key}: {e.step_failure_data.error.message.strip() if e.step_failure_data.error else 'failed'}"
            for e in failures
        )
        raise CliError(f"run {result.run_id} for {campaign}|{day} failed: {detail or 'see the Dagster UI'}")
    failed_checks = [e.check_name for e in result.get_asset_check_evaluations() if not e.passed]
    if failed_checks:
        raise CliError(f"blocking checks failed, nothing was sent: {', '.join(failed_checks)}")
    return result.output_for_node("campaign_metrics")


def _report(campaign: str, day: str, sent_before: int, frame: pd.DataFrame) -> None:
    home = _home()
    sent_now = len(ledger_rows(_engine(), campaign, day=day).query("status == 'sent'"))
    print(f"Funnel for {campaign} on {day}:")
    print(funnel_text(frame))
    print(f"New emails this run: {sent_now - sent_before} (outbox: {home.outbox_dir(campaign, day)})")


def _sent_count(campaign: str, day: str) -> int:
    return len(ledger_rows(_engine(), campaign, day=day).query("status == 'sent'"))


def cmd_demo(args: argparse.Namespace) -> None:
    home = _home()
    day = _day(args.date)
    if args.sender == "resend" and not os.environ.get("RESEND_API_KEY"):
        raise CliError("--sender resend needs RESEND_API_KEY (and RESEND_API_URL to use a test server)")
    if args.sender == "resend" and not os.environ.get("CAM_UNSUBSCRIBE_SECRET"):
        raise CliError("--sender resend needs CAM_UNSUBSCRIBE_SECRET (a long random string) to sign unsubscribe links")
    campaign_file, sample = write_demo_home(home.campaigns, home.samples, leads=args.leads, sender=args.sender)
    landed, new = land_file(home, sample, DEMO_CAMPAIGN, day)
    print(f"CAM home: {home.root}")
    print(f"Campaign: {campaign_file} (sender: {args.sender})")
    print(f"Sample:   {sample} -> {'landed' if new else 'already landed'} as {landed.name}")
    before = _sent_count(DEMO_CAMPAIGN, day)
    _report(DEMO_CAMPAIGN, day, before, materialize(DEMO_CAMPAIGN, day))


def cmd_ingest(args: argparse.Namespace) -> None:
    home = _home()
    _campaign(home, args.campaign)
    day = _day(args.date)
    try:
        landed, new = land_file(home, Path(args.file), args.campaign, day)
    except (FileNotFoundError, ValueError) as exc:
        raise CliError(str(exc)) from None
    _ensure_partition(_dagster_instance(), args.campaign)
    state = "Landed" if new else "Already landed (same content)"
    print(f"{state}: {landed}")
    print(f"Materialize it with: cam run --campaign {args.campaign} --date {day}")


def cmd_run(args: argparse.Namespace) -> None:
    _campaign(_home(), args.campaign)
    day = _day(args.date)
    before = _sent_count(args.campaign, day)
    _report(args.campaign, day, before, materialize(args.campaign, day))


def cmd_campaigns(args: argparse.Namespace) -> None:
    from cam_dagster.partitions import CAMPAIGN_DIMENSION
    from cam_dagster.resources import cam_resource_from_env
    from cam_dagster.sensors import campaign_sync

    instance = _dagster_instance()
    sync = campaign_sync(cam_resource_from_env(), instance.get_dynamic_partitions(CAMPAIGN_DIMENSION))
    if sync.added:
        instance.add_dynamic_partitions(CAMPAIGN_DIMENSION, sync.added)
    for name in sync.removed:
        instance.delete_dynamic_partition(CAMPAIGN_DIMENSION, name)
    for name in instance.get_dynamic_partitions(CAMPAIGN_DIMENSION):
        print(f"ok     {name}")
    for problem in sync.problems:
        print(f"error  {problem}", file=sys.stderr)
    if sync.problems:
        raise SystemExit(2)


def cmd_leads_export(args: argparse.Namespace) -> None:
    _campaign(_home(), args.campaign)
    frame = store.export_leads(_engine(), args.campaign, args.status)[EXPORT_COLUMNS]
    frame["score"] = frame["score"].astype("Int64")
    out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout
    try:
        if args.format == "json":
            out.write(frame.to_json(orient="records", force_ascii=False, indent=None, lines=False))
            out.write("\n")
        else:
            neutralise_formulas(frame).to_csv(out, index=False)
    finally:
        if args.output:
            out.close()
    if args.output:
        print(f"{len(frame)} lead(s) written to {args.output}", file=sys.stderr)


def cmd_preview(args: argparse.Namespace) -> None:
    from cam_core.preview import PreviewError, preview
    from cam_dagster.resources import cam_resource_from_env

    campaign = _campaign(_home(), args.campaign)
    try:
        import dagster as dg

        secret = cam_resource_from_env().signing_secret(campaign)
    except dg.Failure as exc:
        raise CliError(exc.description or str(exc)) from None
    try:
        message = preview(_engine(), campaign, args.email, secret)
    except PreviewError as exc:
        raise CliError(str(exc)) from None
    print(f"From:     {message['from_email']}")
    print(f"To:       {message['email']}")
    print(f"Reply-To: {message['reply_to']}")
    print(f"Subject:  {message['subject']}")
    print(f"List-Unsubscribe: {message['list_unsubscribe']}")
    print("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    print(f"Sequence: {message['sequence']} step {message['step']} variant {message['variant']} (tier {message['tier']})")
    print()
    print(message["body_text"])
    if message["body_html"]:
        print("--- HTML part ---")
        print(message["body_html"])


def cmd_suppress(args: argparse.Namespace) -> None:
    added = store.suppress(_engine(), args.emails, reason=args.reason, source="cam suppress")
    print(f"{added} address(es) added to the suppression list ({len(args.emails) - added} already there)")


def cmd_leads_add(args: argparse.Namespace) -> None:
    home = _home()
    campaign = _campaign(home, args.campaign)
    day = _day(args.date) if args.date else campaign_day(campaign, dt.datetime.now(dt.timezone.utc))
    fields = {"email": args.email, "first_name": args.first_name, "last_name": args.last_name,
              "company": args.company, "title": args.title, "website": args.website, "linkedin_url": args.linkedin_url}
    try:
        landed, new = land_manual_lead(home, args.campaign, day, fields)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    _ensure_partition(_dagster_instance(), args.campaign)
    print(f"{'Added' if new else 'Already added'}: {args.email.strip()} for {args.campaign} on {day} ({landed.name})")
    print(f"It flows through the pipeline with the partition's next run: cam run --campaign {args.campaign} --date {day}")


def cmd_leads_explain(args: argparse.Namespace) -> None:
    from cam_core.explain import explain

    _campaign(_home(), args.campaign)
    text = explain(_engine(), args.campaign, args.email)
    if text is None:
        raise CliError(f"{args.email}: no such lead in campaign {args.campaign}; list them with "
                       f"`cam leads export --campaign {args.campaign}`")
    print(text)


def cmd_review_list(args: argparse.Namespace) -> None:
    from cam_core import review

    if args.campaign:
        _campaign(_home(), args.campaign)
    status = None if args.status == "all" else args.status
    frame = review.listing(_engine(), args.campaign, status)
    if frame.empty:
        print(f"No {args.status if status else ''} review items".replace("  ", " ")
              + (f" for {args.campaign}" if args.campaign else "") + ".")
        return
    print(frame.to_markdown(index=False) if args.format == "table" else frame.to_csv(index=False), end="\n")


def _decide(args: argparse.Namespace, decision: str) -> None:
    from cam_core import review

    _campaign(_home(), args.campaign)
    reviewer = args.by or os.environ.get("USER") or "cam review"
    decided = review.decide(_engine(), [(args.campaign, e, decision, reviewer, args.note or "") for e in args.emails])
    if decided.applied or not decided.unknown:
        print(f"{len(decided.applied)} lead(s) {decision} by {reviewer}.")
    for campaign, day in decided.partitions:
        print(f"They flow on at the next materialization of {campaign}|{day}: "
              f"cam run --campaign {campaign} --date {day}")
    if decided.unknown:
        raise CliError(f"not in the review queue of {args.campaign}: {', '.join(e for _, e in decided.unknown)}; "
                       f"see `cam review list --campaign {args.campaign}`")


def cmd_review_approve(args: argparse.Namespace) -> None:
    _decide(args, "approved")


def cmd_review_reject(args: argparse.Namespace) -> None:
    _decide(args, "rejected")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="cam", description="CAM: lead harvesting and compliant outreach on Dagster.")
    sub = top.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="create a demo home and run the whole graph for today")
    demo.add_argument("--leads", type=int, default=600, help="rows in the sample CSV (default 600)")
    demo.add_argument("--date", help="partition day, YYYY-MM-DD (default today)")
    demo.add_argument("--sender", choices=("outbox", "resend"), default="outbox",
                      help="outbox (default: files, nothing leaves the machine) or resend (writes it into the demo "
                           "campaign, sends to Resend's test addresses; needs RESEND_API_KEY)")
    demo.set_defaults(func=cmd_demo)

    ingest = sub.add_parser("ingest", help="land a lead file for a campaign and day")
    ingest.add_argument("file")
    ingest.add_argument("--campaign", required=True)
    ingest.add_argument("--date", help="YYYY-MM-DD (default today)")
    ingest.set_defaults(func=cmd_ingest)

    run = sub.add_parser("run", help="materialize the whole graph for one campaign and day")
    run.add_argument("--campaign", required=True)
    run.add_argument("--date", help="YYYY-MM-DD (default today)")
    run.set_defaults(func=cmd_run)

    campaigns = sub.add_parser("campaigns", help="validate campaign files and sync their partitions")
    campaigns.set_defaults(func=cmd_campaigns)

    leads = sub.add_parser("leads", help="work with leads").add_subparsers(dest="leads_command", required=True)
    add = leads.add_parser("add", help="add one lead by hand to today's partition (the campaign's time zone)")
    add.add_argument("--campaign", required=True)
    add.add_argument("--email", required=True)
    for option in ("--first-name", "--last-name", "--company", "--title", "--website", "--linkedin-url"):
        add.add_argument(option, default="")
    add.add_argument("--date", help="YYYY-MM-DD (default: today in the campaign's time zone)")
    add.set_defaults(func=cmd_leads_add)

    export = leads.add_parser("export", help="one row per lead with status, score, tier, sequence and reason")
    export.add_argument("--campaign", required=True)
    export.add_argument("--status", help="only leads with this status (qualified, review, rejected, enrolled, contacted, ...)")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--output", help="write to this file instead of standard output")
    export.set_defaults(func=cmd_leads_export)

    explain = leads.add_parser("explain", help="why a lead scored, qualified and routed as it did")
    explain.add_argument("email")
    explain.add_argument("--campaign", required=True)
    explain.set_defaults(func=cmd_leads_explain)

    reviews = sub.add_parser("review", help="decide the leads in a campaign's review band").add_subparsers(
        dest="review_command", required=True)
    listing = reviews.add_parser("list", help="review items (pending unless --status says otherwise)")
    listing.add_argument("--campaign")
    listing.add_argument("--status", choices=("pending", "approved", "rejected", "all"), default="pending")
    listing.add_argument("--format", choices=("table", "csv"), default="table")
    listing.set_defaults(func=cmd_review_list)
    for verb, func in (("approve", cmd_review_approve), ("reject", cmd_review_reject)):
        decide = reviews.add_parser(verb, help=f"{verb} leads in review; they flow on at the partition's next run")
        decide.add_argument("emails", nargs="+")
        decide.add_argument("--campaign", required=True)
        decide.add_argument("--by", help="who decides (default: $USER)")
        decide.add_argument("--note", help="why, kept with the decision")
        decide.set_defaults(func=func)

    show = sub.add_parser("preview", help="show the next message a lead would get, rendered")
    show.add_argument("--campaign", required=True)
    show.add_argument("--email", required=True)
    show.set_defaults(func=cmd_preview)

    suppress = sub.add_parser("suppress", help="never write to these addresses again, in any campaign")
    suppress.add_argument("emails", nargs="+")
    suppress.add_argument("--reason", default="manual", help="why (default: manual)")
    suppress.set_defaults(func=cmd_suppress)
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
