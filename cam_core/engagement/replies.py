"""Replies: taken in once from any source, matched to the send they answer, classified, acted on.

Every source (an IMAP mailbox polled by `replies_imap_sensor`, Resend's inbound mail
through `cam serve`, `cam replies ingest FILE|DIR`) hands raw RFC 5322 messages to
`ingest`, which for each message:

1. stores it once in the `replies` table, by its Message-ID (a repeat from any source
   changes nothing);
2. finds the send it answers, in this order: the `In-Reply-To` / `References` ids
   against the Message-ID CAM sets on every message it sends (`<send key@sender
   domain>`, so the id itself names the send); the per-send reply address
   (`local+<token id>@domain`, when the campaign sets `replies.plus_addressing`);
   else the sender's address among CAM's sends, the latest first. A DSN is matched
   through the message it returns, or its failed recipient. A reply that matches
   nothing is stored all the same, under no campaign, and listed;
3. classifies it (`classification`, rules in data) with a reason a person can read;
4. acts through the lead lifecycle, at once: a human reply stops the sequence
   (interested and not interested set the state; anything else is `replied`); an
   out-of-office pauses it until the return date plus one business day (or the
   campaign's `replies.out_of_office_days`), after which `nurture_batch` resumes it at
   the step it was on; an unsubscribe in words and a DSN go through `receiving` as an
   unsubscribe or a hard bounce (suppression, the reputation guard); a referral is
   kept for `engagement` to land the named address as a new lead.
"""

from __future__ import annotations

import datetime as dt
import email as email_lib
import hashlib
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from cam_core.campaign.models import Campaign
from cam_core.engagement.classification import Classification, ReplyRules, classify, load_rules
from cam_core.engagement.receiving import receive
from cam_core.state import ledger
from cam_core.state import replies as store
from cam_core.state.history import Stamp
from cam_core.state.leads import move_leads, pause_lead
from cam_core.vocabulary import EventKind, LeadStatus, ReplyClass

_SEND_KEY_ID = re.compile(r"<?([0-9a-f]{32})@[^>\s]+>?")
_PLUS_TOKEN = re.compile(r"^[^@+]+\+([0-9a-f]{32})@", re.IGNORECASE)

#: The lead status a reply of each class leaves; out of office, unsubscribe and bounce act otherwise.
STATUS_OF: Mapping[ReplyClass, LeadStatus] = {
    ReplyClass.INTERESTED: LeadStatus.INTERESTED,
    ReplyClass.NOT_INTERESTED: LeadStatus.NOT_INTERESTED,
    ReplyClass.REFERRAL: LeadStatus.REPLIED,
    ReplyClass.UNKNOWN: LeadStatus.REPLIED,
}
#: Classes that come from a person, and so count as a reply in the funnel.
HUMAN = (ReplyClass.INTERESTED, ReplyClass.NOT_INTERESTED, ReplyClass.REFERRAL, ReplyClass.UNKNOWN)


@dataclass
class Ingested:
    stored: int = 0  # new replies
    repeats: int = 0  # already stored: nothing done
    unmatched: int = 0  # stored under no campaign
    by_class: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Match:
    campaign: str = ""
    lead_email: str | None = None
    send_key: str | None = None
    step: int | None = None
    matched_by: str = ""


def _addresses(message: EmailMessage, *headers: str) -> list[str]:
    values = [str(v) for h in headers for v in (message.get_all(h) or [])]
    return [a.strip().lower() for _, a in getaddresses(values) if "@" in a]


def _reply_id(message: EmailMessage, raw: bytes) -> str:
    message_id = str(message.get("Message-ID", "")).strip()
    if message_id:
        return f"message-id:{message_id[:180]}"
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


def _received_at(message: EmailMessage, now: dt.datetime) -> dt.datetime:
    try:
        sent = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError):
        return now
    if sent.tzinfo is None:
        return now
    return min(sent.astimezone(dt.UTC), now)


def _matched(send: Mapping[Any, Any], by: str) -> Match:
    return Match(str(send["campaign"]), str(send["email"]), str(send["send_key"]), int(str(send["step"])), by)


def match_reply(engine: Engine, message: EmailMessage, classification: Classification) -> Match:
    """The send the message answers (see the module docstring for the order)."""
    ids = " ".join(str(message.get(h, "")) for h in ("In-Reply-To", "References"))
    if classification.original_message_id:
        ids += " " + classification.original_message_id
    keys = list(dict.fromkeys(_SEND_KEY_ID.findall(ids.lower())))
    found = ledger.sends_answered(engine, keys, []) if keys else pd.DataFrame()
    if len(found):
        return _matched(found.iloc[0].to_dict(), "in_reply_to")
    for address in _addresses(message, "To", "Cc", "Delivered-To", "X-Original-To"):
        plus = _PLUS_TOKEN.match(address)
        send = ledger.send_by_token(engine, plus.group(1).lower()) if plus else None
        if send is not None:
            return Match(
                str(send["campaign"]),
                str(send["email"]),
                str(send["send_key"]),
                int(str(send["step"])),
                "reply_address",
            )
    who = [classification.failed_recipient] if classification.failed_recipient else _addresses(message, "From")
    found = ledger.sends_answered(engine, [], who)
    if len(found):
        return _matched(found.iloc[0].to_dict(), "sender")
    return Match()


def _pause_until(classification: Classification, received: dt.date, campaign: Campaign | None) -> str:
    """The return date plus one business day, or the campaign's default pause in business days."""
    if classification.return_date is not None:
        start, days = classification.return_date, 1
    else:
        start, days = received, campaign.replies.out_of_office_days if campaign else 5
    return str(np.busday_offset(np.datetime64(start, "D"), days, roll="forward"))


def act(
    engine: Engine,
    row: Mapping[str, Any],
    classification: Classification,
    campaign: Campaign | None,
    stamp: Stamp,
    secret: str,
) -> None:
    """What the reply does to its lead (and, for a DSN or an unsubscribe, to the address)."""
    kind = classification.kind
    lead, name = row["lead_email"], row["campaign"]
    event = {
        "event_id": f"reply:{row['reply_id']}",
        "campaign": name,
        "email": classification.failed_recipient or lead or row["email"],
        "send_key": row["send_key"],
        "step": row["step"],
        "occurred_at": stamp.at.isoformat(),
        "detail": classification.reason[:500],
        "source": stamp.source,
    }
    if kind in (ReplyClass.BOUNCE, ReplyClass.UNSUBSCRIBE):
        event_kind = EventKind.BOUNCE if kind == ReplyClass.BOUNCE else EventKind.UNSUBSCRIBE
        receive(engine, pd.DataFrame([{**event, "kind": event_kind}]), stamp.at, secret)
        return
    if not name or not lead:
        return
    if kind == ReplyClass.OUT_OF_OFFICE:
        until = _pause_until(classification, row["received_at"].date(), campaign)
        pause_lead(engine, name, lead, until, stamp, f"reply: out of office until {until}")
        return
    moves = pd.DataFrame({"email": [lead], "status": [STATUS_OF[kind].value], "cause": [f"reply: {kind}"]})
    move_leads(engine, name, moves, stamp)
    # Counted as a reply in the funnel; the lead has already moved past `replied`.
    receive(engine, pd.DataFrame([{**event, "kind": EventKind.REPLY}]), stamp.at, secret)


def ingest(
    engine: Engine,
    raw_messages: list[bytes],
    source: str,
    now: dt.datetime,
    secret: str,
    campaigns: Mapping[str, Campaign],
    rules: ReplyRules | None = None,
) -> Ingested:
    """Take in raw messages from `source` (an IMAP mailbox's label, `resend`, `file:<name>`)."""
    rules = rules or load_rules()
    out = Ingested()
    for raw in raw_messages:  # one message at a time: each is stored, then acted on
        message = email_lib.message_from_bytes(raw, policy=policy.default)
        received_at = _received_at(message, now)
        reply_id = _reply_id(message, raw)
        classification = classify(message, received_at.date(), rules)
        found = match_reply(engine, message, classification)
        sender = _addresses(message, "From")
        row = {
            "reply_id": reply_id,
            "source": source,
            "received_at": received_at,
            "day": received_at.date().isoformat(),
            "email": sender[0] if sender else "",
            "subject": str(message.get("Subject", ""))[:500],
            "campaign": found.campaign,
            "lead_email": found.lead_email,
            "send_key": found.send_key,
            "step": found.step,
            "matched_by": found.matched_by,
            "reply_class": classification.kind.value,
            "reason": classification.reason,
            "return_date": classification.return_date.isoformat() if classification.return_date else None,
            "referral": classification.referral,
            "classified_by": "rules",
            "raw": raw,
        }
        if not store.store(engine, row):
            out.repeats += 1
            continue
        out.stored += 1
        out.unmatched += not found.campaign
        out.by_class[classification.kind.value] += 1
        stamp = Stamp(f"reply:{reply_id}", now)
        act(engine, row, classification, campaigns.get(found.campaign), stamp, secret)
    return out


def reclassify(
    engine: Engine,
    reply_id: str,
    reply_class: str,
    stamp: Stamp,
    secret: str,
    campaigns: Mapping[str, Campaign],
) -> dict[str, Any]:
    """A person's verdict on a reply the rules got wrong; the lead's state follows it, audited."""
    row = store.reply(engine, reply_id)
    if row is None:
        raise KeyError(f"no reply {reply_id}; `cam replies list` shows their ids")
    kind = ReplyClass(reply_class)
    reason = f"reclassified by hand (was {row['reply_class']}: {row['reason']})"
    store.reclassify(engine, reply_id, kind.value, reason)
    if row["received_at"].tzinfo is None:
        row["received_at"] = row["received_at"].replace(tzinfo=dt.UTC)
    return_date = dt.date.fromisoformat(row["return_date"]) if row["return_date"] else None
    classification = Classification(kind, reason, return_date=return_date, referral=row["referral"])
    act(engine, row, classification, campaigns.get(row["campaign"]), stamp, secret)
    return row
