"""One rendered batch row as the RFC 5322 message every sender delivers: its
recipient, Message-ID and one-click unsubscribe headers (RFC 8058).

An international address is written with its domain in A-labels (punycode), which
every mail system takes; only a local part beyond ASCII needs SMTPUTF8 (RFC 6532),
and then the message's headers are written in UTF-8.
"""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from cam_core.addresses import ascii_address
from cam_core.campaign.models import domain_of

# A List-Unsubscribe URL is one long token: folded at 78 it would be turned into
# encoded-words that mail clients cannot click. RFC 5322 allows 998.
_POLICY = policy.default.clone(max_line_length=998)
_UTF8_POLICY = _POLICY.clone(utf8=True)


def message_id_for(send_key: str, from_email: str) -> str:
    return f"<{send_key}@{domain_of(from_email)}>"


def recipient(message: dict[str, Any]) -> str:
    parts = [message.get("first_name"), message.get("last_name")]
    name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())  # NaN and None are no name
    address = ascii_address(message["email"])
    if not name:
        return address
    # By parts: parsing `addr_spec` refuses a local part beyond ASCII, which SMTPUTF8 allows.
    local, _, domain = address.rpartition("@")
    return str(Address(display_name=name, username=local, domain=domain))


def build_message(message: dict[str, Any], campaign: str, now: datetime) -> EmailMessage:
    """One rendered batch row as an RFC 5322 message with one-click unsubscribe headers."""
    to = recipient(message)
    email = EmailMessage(policy=_POLICY if ascii_address(message["email"]).isascii() else _UTF8_POLICY)
    email["From"] = message["from_email"]
    email["To"] = to
    email["Reply-To"] = message["reply_to"]
    email["Subject"] = message["subject"]
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message_id_for(message["send_key"], message["from_email"])
    email["List-Unsubscribe"] = message["list_unsubscribe"]
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email["X-CAM-Campaign"] = campaign
    email["X-CAM-Sequence"] = f"{message['sequence']} step {message['step']} variant {message.get('variant', 'main')}"
    email.set_content(message["body_text"])
    if message.get("body_html"):
        email.add_alternative(message["body_html"], subtype="html")
    return email
