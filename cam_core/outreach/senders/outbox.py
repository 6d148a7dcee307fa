"""The default sender: RFC 5322 `.eml` files in `$CAM_HOME/outbox/`, nothing leaves the machine.

Each file is named by its send key and written atomically, so a repeated
delivery of the same step (the repair of a killed run) replaces the file instead
of adding a second message.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from cam_core.outreach.senders.message import build_message
from cam_core.state.ledger import Outcome
from cam_core.vocabulary import SenderProvider, SendStatus


class OutboxSender:
    provider = SenderProvider.OUTBOX

    def __init__(self, folder: Path, campaign: str, now: datetime) -> None:
        self.folder = Path(folder)
        self.campaign = campaign
        self.now = now  # the run's clock: the Date header of every message it writes

    def _write(self, message: dict[str, Any]) -> Outcome:
        email = build_message(message, self.campaign, self.now)
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
        return Outcome(message["send_key"], SendStatus.SENT, message_id=email["Message-ID"], location=str(target))

    def deliver(self, messages: list[dict[str, Any]], batch_id: str) -> list[Outcome]:
        return [self._write(m) for m in messages]
