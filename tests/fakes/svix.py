"""Signing webhook calls the way Resend (through Svix) signs them, for tests that play Resend.

Signature: base64 of HMAC-SHA256 over "<svix-id>.<svix-timestamp>.<body>", keyed with the
base64-decoded part of the `whsec_` secret after its prefix; sent as "v1,<signature>".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

#: A webhook signing secret of Resend's shape, made for tests only.
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"cam-tests-webhook-signing-key-32").decode()


def signed(
    event: dict[str, Any] | str, secret: str = WEBHOOK_SECRET, msg_id: str | None = None, at: float | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one webhook call carrying `event` (a dict as JSON, or a raw body)."""
    body = event if isinstance(event, str) else json.dumps(event)
    msg_id = msg_id or f"msg_{secrets.token_hex(12)}"
    timestamp = str(int(at if at is not None else time.time()))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    headers = {
        "svix-id": msg_id,
        "svix-timestamp": timestamp,
        "svix-signature": "v1," + base64.b64encode(digest).decode(),
        "content-type": "application/json",
    }
    return body.encode(), headers


def resend_event(kind: str, email_id: str, to: str, created_at: str, **data: Any) -> dict[str, Any]:
    """A Resend email event (`email.<kind>`) about the message Resend knows as `email_id`."""
    return {
        "type": f"email.{kind}",
        "created_at": created_at,
        "data": {
            "email_id": email_id,
            "created_at": created_at,
            "from": "Northwind <hello@northwind-data.example>",
            "to": [to],
            "subject": "a subject",
            **data,
        },
    }
