"""`cam replies ingest|list|reclassify`: replies from saved mail, what they said, and a person's correction."""

from __future__ import annotations

import argparse
from pathlib import Path

from cam_core.engagement.replies import ingest, reclassify
from cam_core.state import replies
from cam_core.state.history import Stamp
from cam_core.vocabulary import ReplyClass
from cam_dagster.cli.common import CliError, cam, campaign_name_or_none
from cam_dagster.cli.guide import add_command


def register(commands: argparse._SubParsersAction) -> None:
    replies_ = add_command(
        commands,
        "replies",
        help="take in, list and correct replies",
        examples=["cam replies ingest ~/Downloads/replies/", "cam replies list --campaign demo --class interested"],
    )
    group = replies_.add_subparsers(dest="replies_command", required=True, metavar="SUBCOMMAND", title="subcommands")
    take = add_command(
        group,
        "ingest",
        help="take in saved replies (.eml files, or a folder of them): matched, classified, acted on",
        examples=["cam replies ingest ~/Downloads/replies/   (each message is taken in once)"],
    )
    take.add_argument("path", help="an .eml file or a folder of .eml files")
    take.set_defaults(func=ingest_path)

    show = add_command(
        group,
        "list",
        help="replies with their class, reason and the lead they answer",
        examples=["cam replies list", "cam replies list --campaign demo --class interested"],
    )
    show.add_argument(
        "--campaign", type=campaign_name_or_none, help="only this campaign ('' for replies that matched no send)"
    )
    classes = [str(c) for c in ReplyClass]
    show.add_argument(
        "--class", dest="reply_class", choices=classes, help=f"only this class of reply: {', '.join(classes)}"
    )
    show.set_defaults(func=list_replies)

    fix = add_command(
        group,
        "reclassify",
        help="correct a reply the rules got wrong; the lead's state follows",
        examples=["cam replies reclassify 'message-id:<abc@mail.example>' interested"],
    )
    fix.add_argument("reply_id", help="the id `cam replies list` shows")
    fix.add_argument("reply_class", choices=classes, help=f"the right class: {', '.join(classes)}")
    fix.set_defaults(func=reclassify_reply)


def ingest_path(args: argparse.Namespace) -> None:
    path = Path(args.path)
    files = sorted(path.glob("*.eml")) if path.is_dir() else [path]
    if not path.exists() or not files:
        raise CliError(f"{path}: no .eml file there; save each reply as a .eml file (RFC 5322)")
    with cam() as resource:
        taken = ingest(
            resource.engine,
            [f.read_bytes() for f in files],
            f"file:{path.name}",
            resource.now(),
            resource.signing_secret(),
            resource.campaigns().campaigns,
        )
    classes = ", ".join(f"{n} {c}" for c, n in sorted(taken.by_class.items())) or "none new"
    print(f"{taken.stored} new repl(ies) ({classes}); {taken.repeats} already taken in; {taken.unmatched} unmatched")


def list_replies(args: argparse.Namespace) -> None:
    with cam() as resource:
        found = replies.listing(resource.engine, args.campaign, args.reply_class)
    if found.empty:
        print("no replies")
        return
    print(found.to_string(index=False, max_colwidth=80))


def reclassify_reply(args: argparse.Namespace) -> None:
    with cam() as resource:
        stamp = Stamp("cli", resource.now())
        try:
            row = reclassify(
                resource.engine,
                args.reply_id,
                args.reply_class,
                stamp,
                resource.signing_secret(),
                resource.campaigns().campaigns,
            )
        except KeyError as exc:
            raise CliError(str(exc.args[0])) from None
    print(f"{args.reply_id}: {row['reply_class']} -> {args.reply_class}")
