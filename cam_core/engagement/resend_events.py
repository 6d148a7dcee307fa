"""Resend's webhook events as CAM event rows.

Resend posts one JSON event per call (`type`, `created_at`, `data`), signed the
Svix way; `cam serve` verifies the signature and hands the verified body here.
The `data.email_id` names the message: it is the id Resend answered when CAM
sent it, kept in the ledger's `message_id`, which is how an event finds its
lead, campaign and step (`cam_core.engagement.receiving`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cam_core.vocabulary import EventKind

#: Resend's event types CAM reads, and what each means to it. `email.bounced` is split by `bounce.type`.
KINDS: Mapping[str, EventKind] = {
    "email.sent": EventKind.SENT,
    "email.delivered": EventKind.DELIVERED,
    "email.delivery_delayed": EventKind.DELAYED,
    "email.bounced": EventKind.BOUNCE,
    "email.complained": EventKind.COMPLAINT,
    "email.opened": EventKind.OPENED,
    "email.clicked": EventKind.CLICKED,
    "email.failed": EventKind.FAILED,
    "email.suppressed": EventKind.SUPPRESSED,
    "email.received": EventKind.RECEIVED,
}
#: Bounce types that say the address itself is no good; anything else (Transient, Undetermined) may pass.
PERMANENT_BOUNCES = frozenset({"permanent"})


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _kind(event_type: str, data: Mapping[str, Any]) -> EventKind:
    kind = KINDS.get(event_type, EventKind.UNKNOWN)
    bounce_type = str(_mapping(data.get("bounce")).get("type", "")).strip().lower()
    if kind == EventKind.BOUNCE and bounce_type not in PERMANENT_BOUNCES:
        return EventKind.SOFT_BOUNCE
    return kind


def _detail(kind: EventKind, data: Mapping[str, Any]) -> str:
    for field, keys in (("bounce", ("type", "subType", "message")), ("failed", ("reason",)), ("suppressed", ("type",))):
        part = data.get(field)
        if isinstance(part, Mapping):
            return "; ".join(f"{k}={part[k]}" for k in keys if part.get(k))
    if kind == EventKind.CLICKED and isinstance(data.get("click"), Mapping):
        return str(data["click"].get("link", ""))
    return ""


def event_row(svix_id: str, body: str, payload: Any) -> dict[str, Any]:
    """One event row (see `cam_core.engagement.receiving.EVENT_COLUMNS`) for a verified webhook call.

    A body that is not an event Resend documents becomes an `unknown` row that keeps
    the body, so nothing a provider says is dropped.
    """
    event = _mapping(payload)
    data = _mapping(event.get("data"))
    kind = _kind(str(event.get("type", "")), data)
    to = data.get("to")
    recipient = to[0] if isinstance(to, list) and to else (to if isinstance(to, str) else "")
    if kind == EventKind.RECEIVED:
        recipient = str(data.get("from", ""))  # who wrote to us
    return {
        "event_id": f"resend:{svix_id}",
        "kind": kind,
        "email": str(recipient),
        "provider_id": str(data.get("email_id", "")),
        "occurred_at": str(event.get("created_at") or data.get("created_at") or ""),
        "detail": _detail(kind, data),
        "source": f"webhook:{svix_id}",
        # Kept whole only where CAM does not read it all yet; the rest is in the columns above.
        "payload": body if kind in (EventKind.UNKNOWN, EventKind.RECEIVED) else None,
    }
