"""The default sender: RFC 5322 `.eml` files in `$CAM_HOME/outbox/`, nothing leaves the machine.

Each file is named by its send key and written atomically, so a repeated
delivery of the same step (the repair of a killed run) replaces the file instead
of adding a second message.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any, Protocol

from cam_core.ledger import SENT, Outcome
from cam_core.rendering import sender_domain

# A List-Unsubscribe URL is one long token: folded at 78 it would be turned into
# encoded-words that mail clients cannot click. RFC 5322 allows 998.
_POLICY = policy.default.clone(max_line_length=998)


class Sender(Protocol):
    """Hands one provider batch (at most 100 rendered rows) over; one Outcome per row.

    Raises `SenderRefused` when nothing in the batch can have been sent (a bad
    key), and `ProviderUnavailable` when the outcome is unknown after retries.
    """

    provider: str

    def deliver(self, messages: list[dict[str, Any]], batch_id: str) -> list[Outcome]: ...


class SenderRefused(RuntimeError):
    """The provider refused the call outright: nothing in the batch was sent."""


class ProviderUnavailable(RuntimeError):
    """The provider did not answer usefully after retries: the batch's fate is unknown."""


def message_id_for(send_key: str, from_email: str) -> str:
    return f"<{send_key}@{sender_domain(from_email)}>"


def recipient(message: dict[str, Any]) -> str:
    parts = [message.get("first_name"), message.get("last_name")]
    name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())  # NaN and None are no name
    return formataddr((name, message["email"])) if name else message["email"]


def build_message(message: dict[str, Any], campaign: str) -> EmailMessage:
    """One rendered batch row as an RFC 5322 message with one-click unsubscribe headers."""
    email = EmailMessage(policy=_POLICY)
    email["From"] = message["from_email"]
    email["To"] = recipient(message)
    email["Reply-To"] = message["reply_to"]
    email["Subject"] = message["subject"]
    email["Date"] = format_datetime(datetime.now(timezone.utc))
    email["Message-ID"] = message_id_for(message["send_key"], message["from_email"])
    email["List-Unsubscribe"] = message["list_unsubscribe"]
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email["X-CAM-Campaign"] = campaign
    email["X-CAM-Sequence"] = f"{message['sequence']} step {message['step']} variant {message.get('variant', 'main')}"
    email.set_content(message["body_text"])
    if message.get("body_html"):
        email.add_alternative(message["body_html"], subtype="html")
    return email


class OutboxSender:
    provider = "outbox"

    def __init__(self, folder: Path, campaign: str) -> None:
        self.folder = Path(folder)
        self.campaign = campaign

    def _write(self, message: dict[str, Any]) -> Outcome:
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
        return Outcome(message["send_key"], SENT, message_id=email["Message-ID"], location=str(target))

    def deliver(self, messages: list[dict[str, Any]], batch_id: str) -> list[Outcome]:
        return [self._write(m) for m in messages]
