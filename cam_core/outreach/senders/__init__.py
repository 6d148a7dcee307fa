"""Senders: where a claimed provider batch goes. Interchangeable: `outbox` writes
RFC 5322 files under the CAM home (nothing leaves the machine), `resend` sends
through Resend. `message` builds the RFC 5322 message both carry.

Each answers the `Sender` protocol below and raises only the errors below, so
`cam_core.outreach.sending` never knows which one it holds.
"""

from __future__ import annotations

from typing import Any, Protocol

from cam_core.state.ledger import Outcome
from cam_core.vocabulary import SenderProvider


class Sender(Protocol):
    """Hands one provider batch (at most 100 rendered rows) over; one Outcome per row.

    Raises `SenderRefused` when nothing in the batch can have been sent (a bad
    key), and `ProviderUnavailable` when the outcome is unknown after retries.
    """

    provider: SenderProvider

    def deliver(self, messages: list[dict[str, Any]], batch_id: str) -> list[Outcome]: ...


class SenderRefused(RuntimeError):
    """The provider refused the call outright: nothing in the batch was sent."""


class ProviderUnavailable(RuntimeError):
    """The provider did not answer usefully after retries: the batch's fate is unknown."""
