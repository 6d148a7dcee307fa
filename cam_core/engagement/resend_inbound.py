"""Resend's inbound mail: the `email.received` webhook names a message; its content comes
from Resend's receiving API (the SDK's `Emails.Receiving.get`), rebuilt here as the RFC
5322 message every reply source hands to `cam_core.engagement.replies.ingest`."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import resend
from resend.http_client_requests import RequestsClient


def received_message(api_key: str, api_url: str, email_id: str, timeout: float = 10.0) -> bytes:
    """The received email `email_id` as RFC 5322 bytes: its headers (In-Reply-To and
    References included, for matching), text and HTML."""
    # The SDK reads its key and address from module globals: set them for this call.
    resend.api_key = api_key
    resend.api_url = api_url
    resend.default_http_client = RequestsClient(timeout=timeout)  # type: ignore[arg-type]
    found: Any = resend.Emails.Receiving.get(email_id)
    return as_message(dict(found)).as_bytes()


def as_message(found: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    headers = {str(k).lower(): str(v) for k, v in (found.get("headers") or {}).items()}
    message["From"] = str(found.get("from") or headers.get("from", ""))
    message["To"] = ", ".join(found.get("to") or [])
    message["Subject"] = str(found.get("subject") or "")
    message["Message-ID"] = str(found.get("message_id") or headers.get("message-id") or f"<{found.get('id')}@resend>")
    if found.get("created_at"):
        message["X-Resend-Received-At"] = str(found["created_at"])
    for name in (
        "date",
        "in-reply-to",
        "references",
        "auto-submitted",
        "x-autoreply",
        "precedence",
        "content-language",
    ):
        if headers.get(name):
            message[name.title()] = headers[name]
    message.set_content(str(found.get("text") or ""))
    if found.get("html"):
        message.add_alternative(str(found["html"]), subtype="html")
    return message
