"""Replies from an IMAP mailbox: the new messages since a UID cursor, read without a trace.

A team points CAM at the mailbox its campaigns' `reply_to` goes to (CAM_IMAP_URL, e.g.
`imaps://replies%40acme.example@imap.acme.example:993/INBOX`; the password comes from
CAM_IMAP_PASSWORD, never from the URL). Each call takes the messages whose UID is above
the cursor's, in UID order: the folder is SELECTed read-only and bodies are fetched with
BODY.PEEK, so nothing is marked \\Seen, moved or deleted, and the team's own mail client
sees the mailbox as it was. When the folder's UIDVALIDITY changes (the server renumbered
it), everything is read again: the replies store takes each message once by its
Message-ID, so a re-read stores nothing twice.

TLS (`imaps://`, port 993) is the default; plain `imap://` (port 143) is for a server on
the same machine, such as the tests' Dovecot.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

DEFAULT_PORTS = {"imaps": 993, "imap": 143}
EXPECTED = "imaps://user@host:993/INBOX (TLS) or imap://user@host:143/INBOX (plain, loopback test servers only)"
TIMEOUT_SECONDS = 30.0


class ImapError(RuntimeError):
    """The mailbox could not be read; the message names the mailbox, never the password."""


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    user: str
    folder: str = "INBOX"
    tls: bool = True

    @classmethod
    def from_url(cls, url: str) -> Mailbox:
        """`imaps://user@host[:port][/folder]` or `imap://...`; the user may be percent-encoded
        (`replies%40acme.example`). A password in the URL is refused: it belongs in CAM_IMAP_PASSWORD."""
        problem = ""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as exc:
            parts, port, problem = None, None, str(exc)
        if parts is not None and not problem:
            if parts.scheme not in DEFAULT_PORTS:
                problem = f"the scheme must be imaps or imap, not {parts.scheme or 'missing'!r}"
            elif not parts.hostname:
                problem = "there is no host"
            elif not parts.username:
                problem = "there is no user (user@host)"
            elif parts.password is not None:
                problem = "a password does not belong in the URL: put it in CAM_IMAP_PASSWORD"
            elif parts.query or parts.fragment:
                problem = "a query or fragment is not understood"
        if problem or parts is None:
            shown = url if parts is None or parts.password is None else "<URL with a password, not shown>"
            raise ValueError(f"CAM_IMAP_URL {shown!r} is not a mailbox: {problem}; expected {EXPECTED}")
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        return cls(
            host=parts.hostname or "",
            port=port or DEFAULT_PORTS[parts.scheme],
            user=unquote(parts.username or ""),
            folder=folder,
            tls=parts.scheme == "imaps",
        )

    def label(self) -> str:
        """The mailbox as a URL without a password: `imaps://user@host:993/INBOX`."""
        scheme = "imaps" if self.tls else "imap"
        return f"{scheme}://{quote(self.user, safe='@')}@{self.host}:{self.port}/{self.folder}"


@dataclass(frozen=True)
class Cursor:
    uidvalidity: int
    last_uid: int


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    if mailbox.tls:
        return imaplib.IMAP4_SSL(
            mailbox.host, mailbox.port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT_SECONDS
        )
    return imaplib.IMAP4(mailbox.host, mailbox.port, timeout=TIMEOUT_SECONDS)


def _login(client: imaplib.IMAP4, user: str, password: str) -> None:
    """LOGIN, or AUTHENTICATE PLAIN in UTF-8 when the user or password is not ASCII (LOGIN cannot carry it)."""
    if user.isascii() and password.isascii():
        client.login(user, password)
    else:
        client.authenticate("PLAIN", lambda _: f"\0{user}\0{password}".encode())


def _quoted(folder: str) -> str:
    """A folder name as an IMAP quoted string (spaces and quotes included)."""
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uidvalidity(client: imaplib.IMAP4, mailbox: Mailbox) -> int:
    _, values = client.response("UIDVALIDITY")
    found = [v for v in values if v]
    if not found:  # some servers only say it when asked
        status, data = client.status(_quoted(mailbox.folder), "(UIDVALIDITY)")
        match = re.search(rb"UIDVALIDITY (\d+)", data[0] or b"") if status == "OK" and data else None
        if match is None:
            raise ImapError(f"{mailbox.label()}: the server did not give the folder's UIDVALIDITY")
        return int(match.group(1))
    value = found[-1]
    return int(value.decode() if isinstance(value, bytes) else value)


def _uids(client: imaplib.IMAP4, above: int) -> list[int]:
    """UIDs above `above`, ascending. `n:*` always matches the last message, even below n: filtered."""
    status, data = client.uid("SEARCH", f"UID {above + 1}:*")
    if status != "OK":
        raise imaplib.IMAP4.error(f"UID SEARCH failed: {data!r}")
    found = {int(u) for chunk in data if chunk for u in chunk.split()}
    return sorted(u for u in found if u > above)


def _body(client: imaplib.IMAP4, uid: int) -> bytes | None:
    """The raw message, without setting \\Seen (BODY.PEEK); None if it went away meanwhile."""
    status, data = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if status != "OK":
        raise imaplib.IMAP4.error(f"UID FETCH {uid} failed: {data!r}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1])
    return None


def fetch_new(mailbox: Mailbox, password: str, cursor: Cursor | None, limit: int = 500) -> tuple[list[bytes], Cursor]:
    """The raw RFC 5322 bytes of each message with a UID above the cursor's (all of them when
    there is no cursor or the folder's UIDVALIDITY changed), in UID order, at most `limit`,
    and the cursor after the last one taken. Read-only: nothing is flagged or deleted.

    Raises `ImapError` naming the mailbox (never the password) when it cannot be read."""
    label = mailbox.label()
    try:
        client = _connect(mailbox)
    except (OSError, ssl.SSLError, imaplib.IMAP4.error) as exc:
        raise ImapError(f"cannot reach {label}: {exc}") from None
    try:
        try:
            _login(client, mailbox.user, password)
        except imaplib.IMAP4.error as exc:
            reason = str(exc).replace(password, "***") if password else str(exc)
            raise ImapError(
                f"{label}: login refused ({reason}); check the user in CAM_IMAP_URL and CAM_IMAP_PASSWORD"
            ) from None
        status, data = client.select(_quoted(mailbox.folder), readonly=True)
        if status != "OK":
            raise ImapError(f"{label}: cannot open folder {mailbox.folder!r}: {data!r}")
        uidvalidity = _uidvalidity(client, mailbox)
        above = cursor.last_uid if cursor is not None and cursor.uidvalidity == uidvalidity else 0
        taken: list[bytes] = []
        last = above
        for uid in _uids(client, above)[: max(limit, 0)]:
            body = _body(client, uid)
            if body is not None:
                taken.append(body)
            last = uid
        return taken, Cursor(uidvalidity=uidvalidity, last_uid=last)
    except ImapError:
        raise
    except (OSError, ssl.SSLError, imaplib.IMAP4.error) as exc:
        raise ImapError(f"{label}: {exc}") from None
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
