"""`cam review list|approve|reject`: decide the leads in a campaign's review band."""

from __future__ import annotations

import argparse
import os

from cam_core.selection import review
from cam_core.vocabulary import ReviewStatus
from cam_dagster.cli.common import CliError, cam, campaign_name, engine, load_campaign
from cam_dagster.cli.guide import add_command


def register(commands: argparse._SubParsersAction) -> None:
    group = add_command(
        commands,
        "review",
        help="decide the leads in a campaign's review band",
        examples=["cam review list --campaign demo", "cam review approve ada@acme.example --campaign demo"],
    )
    reviews = group.add_subparsers(dest="review_command", required=True, metavar="SUBCOMMAND", title="subcommands")
    listing = add_command(
        reviews,
        "list",
        help="review items (pending unless --status says otherwise)",
        examples=["cam review list --campaign demo", "cam review list --status all --format csv > reviews.csv"],
    )
    listing.add_argument("--campaign", type=campaign_name, help="only this campaign (default: every campaign)")
    listing.add_argument(
        "--status",
        choices=(*ReviewStatus, "all"),
        default=ReviewStatus.PENDING.value,
        help=f"{', '.join(ReviewStatus)} or all (default {ReviewStatus.PENDING})",
    )
    listing.add_argument("--format", choices=("table", "csv"), default="table", help="table (default) or csv")
    listing.set_defaults(func=list_items)
    for verb, decision in (("approve", ReviewStatus.APPROVED), ("reject", ReviewStatus.REJECTED)):
        decide = add_command(
            reviews,
            verb,
            help=f"{verb} leads in review; they flow on at the partition's next run",
            examples=[f"cam review {verb} ada@acme.example grace@hopper.example --campaign demo --note 'fits'"],
        )
        decide.add_argument("emails", nargs="+", metavar="EMAIL", help=f"the leads to {verb}")
        decide.add_argument("--campaign", required=True, type=campaign_name, help="the campaign's name")
        decide.add_argument("--by", help="who decides (default: $USER)")
        decide.add_argument("--note", help="why, kept with the decision")
        decide.set_defaults(func=decide_items, decision=decision)


def list_items(args: argparse.Namespace) -> None:
    if args.campaign:
        load_campaign(args.campaign)
    status = None if args.status == "all" else args.status
    frame = review.listing(engine(), args.campaign, status)
    if frame.empty:
        print(
            f"No {args.status if status else ''} review items".replace("  ", " ")
            + (f" for {args.campaign}" if args.campaign else "")
            + "."
        )
        return
    print(frame.to_markdown(index=False) if args.format == "table" else frame.to_csv(index=False), end="\n")


def decide_items(args: argparse.Namespace) -> None:
    load_campaign(args.campaign)
    reviewer = args.by or os.environ.get("USER") or "cam review"
    rows = [(args.campaign, e, args.decision, reviewer, args.note or "") for e in args.emails]
    with cam() as resource:
        decided = review.decide(resource.engine, rows, now=resource.now())
    if decided.applied or not decided.unknown:
        print(f"{len(decided.applied)} lead(s) {args.decision} by {reviewer}.")
    for campaign, day in decided.partitions:
        print(
            f"They flow on at the next materialization of {campaign}|{day}: cam run --campaign {campaign} --date {day}"
        )
    if decided.unknown:
        raise CliError(
            f"not in the review queue of {args.campaign}: {', '.join(e for _, e in decided.unknown)}; "
            f"see `cam review list --campaign {args.campaign}`"
        )
