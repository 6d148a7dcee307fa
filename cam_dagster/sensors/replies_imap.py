"""Replies from an IMAP mailbox (CAM_IMAP_URL), taken in as they arrive, read without a trace."""

from __future__ import annotations

import json

import dagster as dg

from cam_core.engagement.imap import Cursor, ImapError, fetch_new
from cam_core.engagement.replies import ingest
from cam_dagster.resources.cam import CamResource
from cam_dagster.resources.imap import ImapResource

DESCRIPTION = (
    "Every 60 s: reads the messages new since its cursor (UIDVALIDITY and last UID) in the IMAP mailbox of "
    "CAM_IMAP_URL (password in CAM_IMAP_PASSWORD; TLS unless the URL says imap://), read-only: nothing is "
    "marked seen, moved or deleted. Each reply is stored once by its Message-ID and acted on at once "
    "(matched to its send, classified, the lead's sequence paused or stopped). Starts no run; skips when "
    "CAM_IMAP_URL is not set."
)
NOT_CONFIGURED = (
    "no IMAP mailbox: set CAM_IMAP_URL (imaps://user@host:993/INBOX) and CAM_IMAP_PASSWORD to take in "
    "replies from the inbox the campaigns' reply_to goes to"
)


def _cursor(text: str | None) -> Cursor | None:
    """The cursor of the last tick; None (read the folder from the start) if there is none or it is unreadable."""
    if not text:
        return None
    try:
        value = json.loads(text)
        return Cursor(uidvalidity=int(value["uidvalidity"]), last_uid=int(value["last_uid"]))
    except (ValueError, TypeError, KeyError):
        return None


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=DESCRIPTION,
)
def replies_imap_sensor(
    context: dg.SensorEvaluationContext, cam: CamResource, imap: ImapResource
) -> dg.SensorResult | dg.SkipReason:
    """Takes in the replies that arrived in the IMAP mailbox since the last tick: the
    messages whose UID is above the cursor's (all of them the first time, or when the
    folder's UIDVALIDITY changed), at most `imap.limit` a tick, oldest first. The folder is
    opened read-only and bodies fetched with BODY.PEEK, so the team's mail client sees the
    mailbox as it was. The replies store takes each message once by its Message-ID (a
    re-read stores nothing twice) and acts at once, so no run is requested. The cursor
    moves only once the messages are stored: a failed tick reads them again."""
    if not imap.configured:
        return dg.SkipReason(NOT_CONFIGURED)
    try:
        mailbox = imap.mailbox()
        messages, cursor = fetch_new(mailbox, imap.password, _cursor(context.cursor), limit=imap.limit)
    except (ValueError, ImapError) as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    label = mailbox.label()
    summary = f"{len(messages)} new message(s) taken in from {label}"
    if messages:
        taken = ingest(
            cam.engine,
            messages,
            source=label,
            now=cam.now(),
            secret=cam.signing_secret(),
            campaigns=cam.campaigns().campaigns,
        )
        summary += f": {taken.stored} reply(ies) stored, {taken.repeats} already known"
        if taken.unmatched:
            summary += f", {taken.unmatched} matching no send"
        if taken.by_class:
            context.log.info("Replies from %s by class: %s", label, dict(sorted(taken.by_class.items())))
    context.log.info(summary)
    return dg.SensorResult(
        cursor=json.dumps({"uidvalidity": cursor.uidvalidity, "last_uid": cursor.last_uid}),
        skip_reason=dg.SkipReason(summary),
    )
