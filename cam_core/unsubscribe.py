"""Unsubscribe links that carry no address, and the key that signs them.

A token is `<id>.<mac>`: `id` is an opaque name for one send (a keyed hash of its
ledger key, stored with the ledger row as `token_id`), `mac` an HMAC of the id.
Nothing in the link can be read back to an address, not even by someone who
guesses addresses and hashes them, and only the holder of the key can mint one.
Minted by `cam_core.outreach.rendering`, read by `cam serve`.

The key is `CAM_UNSUBSCRIBE_SECRET` when set; otherwise one random key is made the
first time a CAM home needs it and kept in `unsubscribe.key`, readable only by its
owner. No constant in the code signs anything.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path
from urllib.parse import quote

KEY_FILE = "unsubscribe.key"
_TOKEN = re.compile(r"([0-9a-f]{32})\.([0-9a-f]{32})")


def _mac(secret: str, purpose: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def token_id(send_key: str, secret: str) -> str:
    """The opaque id of one send: stable, so a rerun renders the same link."""
    return _mac(secret, "send", send_key)


def make_token(send_key: str, secret: str) -> str:
    tid = token_id(send_key, secret)
    return f"{tid}.{_mac(secret, 'unsubscribe', tid)}"


def read_token(token: str, secret: str) -> str | None:
    """The token id of a genuine token; None for a forged, truncated or damaged one."""
    match = _TOKEN.fullmatch(token.strip())
    if match is None:
        return None
    tid, mac = match.groups()
    return tid if hmac.compare_digest(mac, _mac(secret, "unsubscribe", tid)) else None


def unsubscribe_url(base_url: str, token: str) -> str:
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}token={quote(token)}"


def secret_for(home: Path, configured: str = "") -> str:
    """`configured` (CAM_UNSUBSCRIBE_SECRET) if set, else the home's own key, made once."""
    if configured:
        return configured
    path = Path(home) / KEY_FILE
    if not path.exists():
        # Written aside, then linked into place: two processes starting at once agree on one key.
        draft = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii").strip()


def keyed_hash(email: str, secret: str) -> str:
    """A name for an address that cannot be reversed with a list of addresses without the key."""
    return "sha256:" + hmac.new(secret.encode(), f"forget:{email.strip().lower()}".encode(), hashlib.sha256).hexdigest()
