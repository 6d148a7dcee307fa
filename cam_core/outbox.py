"""The default sender: RFC 5322 `.eml` files in `$CAM_HOME/outbox/`, nothing leaves the machine.

Each file is named by its send key and written atomically, so a repeated
delivery of the same step (the repair of a killed run) replaces the file instead
of adding a second message.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from cam_core.rendering import sender_domain


@dataclass(frozen=True)
class Delivery:
    message_id: str   # the Message-ID header, kept for reply matching
    location: str     # where the message went: a file path, or a provider's id


class Sender(Protocol):
    provider: str

    def send(self, message: dict[str, Any]) -> Delivery: ...


def message_id_for(send_key: str, from_email: str) -> str:
    return f"<{send_key}@{sender_domain(from_email)}>"


# A List-Unsubscribe URL is one long token: folded at 78 it would be turned into
# encoded-words that mail clients cannot click. RFC 5322 allows 998.
_POLICY = policy.default.clone(max_line_length=998)


def build_message(message: dict[str, Any], campaign: str) -> EmailMessage:
    """One rendered batch row as an RFC 5322 message with one-click unsubscribe headers."""
    email = EmailMessage(policy=_POLICY)
    parts = [message.get("first_name"), message.get("last_name")]
    name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())  # NaN and None are no name
    email["From"] = message["from_email"]
    email["To"] = formataddr((name, message["email"])) if name else message["email"]
    email["Reply-To"] = message["reply_to"]
    email["Subject"] = message["subject"]
    email["Date"] = format_datetime(datetime.now(timezone.utc))
    email["Message-ID"] = message_id_for(message["send_key"], message["from_email"])
    email["List-Unsubscribe"] = message["list_unsubscribe"]
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email["X-CAM-Campaign"] = campaign
    email["X-CAM-Sequence"] = f"{message['sequence']} step {message['step']}"
    email.set_content(message["body_text"])
    return email


class OutboxSender:
    provider = "outbox"

    def __init__(self, folder: Path, campaign: str) -> None:
        self.folder = Path(folder)
        self.campaign = campaign

    def send(self, message: dict[str, Any]) -> Delivery:
        email = build_message(message, self.campaign)
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{message['send_key']}.eml"
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".sending-", suffix=".eml")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(email.as_bytes())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Delivery(message_id=email["Message-ID"], location=str(target))
