"""Signed unsubscribe links: a token only CAM can mint, so nobody unsubscribes others.

Token: base64url("<campaign>\\n<email>") + "." + HMAC-SHA256 of that part, hex.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote

#: Used only while every campaign writes to the outbox and no secret is set:
#: nothing leaves the machine then, so a published key protects nothing real.
OUTBOX_SECRET = "cam-outbox-only-not-a-secret"


def _sign(payload: str, secret: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def make_token(campaign: str, email: str, secret: str) -> str:
    payload = base64.urlsafe_b64encode(f"{campaign}\n{email}".encode()).decode().rstrip("=")
    return f"{payload}.{_sign(payload, secret)}"


def read_token(token: str, secret: str) -> tuple[str, str] | None:
    """(campaign, email) for a genuine token, None for a forged or damaged one."""
    payload, _, signature = token.partition(".")
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (TypeError).
    if not payload or not hmac.compare_digest(signature.encode(), _sign(payload, secret).encode()):
        return None
    try:
        campaign, email = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode().split("\n", 1)
    except (ValueError, UnicodeDecodeError):
        return None
    return campaign, email


def unsubscribe_url(base_url: str, token: str) -> str:
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}token={quote(token)}"
