"""Reading replies from an IMAP mailbox, against a real Dovecot started for the session:
the new messages since a UID cursor, in order, read without marking or deleting anything."""

from __future__ import annotations

import re

import pytest

from cam_core.engagement.imap import Cursor, ImapError, Mailbox, fetch_new
from tests.imap_server import ImapServer


def _message(n: int) -> bytes:
    return (
        f"From: Lead {n} <lead{n}@acme.example>\r\n"
        "To: replies@cam.test\r\n"
        f"Subject: Re: hello {n}\r\n"
        f"Message-ID: <reply-{n}@acme.example>\r\n"
        "Date: Tue, 17 Nov 2026 09:00:00 +0000\r\n"
        "\r\n"
        f"Reply number {n}.\r\n"
    ).encode()


def _message_ids(raw: list[bytes]) -> list[str]:
    return [m.group(1).decode() for m in (re.search(rb"Message-ID: <([^>]+)>", r) for r in raw) if m]


@pytest.fixture
def mailbox(imap_server: ImapServer) -> Mailbox:
    return Mailbox.from_url(imap_server.url(imap_server.new_folder()))


def test_new_messages_are_read_once_in_order_and_left_as_they_were(imap_server: ImapServer, mailbox: Mailbox):
    imap_server.append(*(_message(n) for n in (1, 2, 3)), folder=mailbox.folder)

    first, cursor = fetch_new(mailbox, imap_server.password, None)
    assert _message_ids(first) == ["reply-1@acme.example", "reply-2@acme.example", "reply-3@acme.example"]
    assert first[0] == _message(1)  # the raw bytes, as appended
    assert cursor.last_uid == 3 and cursor.uidvalidity > 0

    again, same = fetch_new(mailbox, imap_server.password, cursor)
    assert again == [] and same == cursor

    imap_server.append(_message(4), folder=mailbox.folder)
    later, moved = fetch_new(mailbox, imap_server.password, same)
    assert _message_ids(later) == ["reply-4@acme.example"]
    assert moved == Cursor(cursor.uidvalidity, 4)

    client = imap_server.connect()
    try:
        status, count = client.select(mailbox.folder, readonly=True)
        assert status == "OK" and count == [b"4"]  # nothing deleted
        _, flags = client.uid("FETCH", "1:*", "(FLAGS)")
        assert len(flags) == 4 and not any(b"\\Seen" in f for f in flags if isinstance(f, bytes))
    finally:
        client.logout()


def test_a_limit_takes_the_oldest_first_and_the_cursor_stops_there(imap_server: ImapServer, mailbox: Mailbox):
    imap_server.append(*(_message(n) for n in (1, 2, 3)), folder=mailbox.folder)
    some, cursor = fetch_new(mailbox, imap_server.password, None, limit=2)
    assert _message_ids(some) == ["reply-1@acme.example", "reply-2@acme.example"] and cursor.last_uid == 2
    rest, cursor = fetch_new(mailbox, imap_server.password, cursor, limit=2)
    assert _message_ids(rest) == ["reply-3@acme.example"] and cursor.last_uid == 3


def test_a_new_uidvalidity_reads_the_folder_again(imap_server: ImapServer, mailbox: Mailbox):
    imap_server.append(_message(1), _message(2), folder=mailbox.folder)
    _, cursor = fetch_new(mailbox, imap_server.password, None)
    renumbered = Cursor(uidvalidity=cursor.uidvalidity + 1, last_uid=cursor.last_uid)
    everything, after = fetch_new(mailbox, imap_server.password, renumbered)
    assert len(everything) == 2 and after == cursor


@pytest.mark.parametrize("wrong", ["not-the-password-s3cr3t", "pässwört-s3cr3t"])
def test_a_wrong_password_is_a_clear_error_that_does_not_show_it(imap_server: ImapServer, mailbox: Mailbox, wrong: str):
    with pytest.raises(ImapError) as raised:
        fetch_new(mailbox, wrong, None)
    message = str(raised.value)
    assert mailbox.label() in message and "login refused" in message and "CAM_IMAP_PASSWORD" in message
    assert "s3cr3t" not in message


def test_an_unreachable_server_names_the_mailbox(imap_server: ImapServer):
    closed = Mailbox(host="127.0.0.1", port=1, user="someone", tls=False)
    with pytest.raises(ImapError, match=r"cannot reach imap://someone@127\.0\.0\.1:1/INBOX"):
        fetch_new(closed, "pw", None)


def test_a_missing_folder_is_a_clear_error(imap_server: ImapServer):
    missing = Mailbox.from_url(imap_server.url("NoSuchFolder"))
    with pytest.raises(ImapError, match="cannot open folder 'NoSuchFolder'"):
        fetch_new(missing, imap_server.password, None)


def test_urls_are_tls_on_993_by_default_and_plain_only_when_asked():
    assert Mailbox.from_url("imaps://replies%40acme.example@imap.acme.example") == Mailbox(
        host="imap.acme.example", port=993, user="replies@acme.example", folder="INBOX", tls=True
    )
    assert Mailbox.from_url("imap://bob@127.0.0.1/Replies") == Mailbox("127.0.0.1", 143, "bob", "Replies", tls=False)
    assert Mailbox.from_url("imaps://bob@mail.example:1993/Sales%20Replies").folder == "Sales Replies"
    assert Mailbox.from_url("imaps://replies%40acme.example@imap.acme.example").label() == (
        "imaps://replies@acme.example@imap.acme.example:993/INBOX"
    )
    mailbox = Mailbox.from_url("imap://bob@127.0.0.1:1430/X")
    assert Mailbox.from_url(mailbox.label()) == mailbox


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", "scheme must be imaps or imap"),
        ("https://bob@mail.example/INBOX", "scheme must be imaps or imap, not 'https'"),
        ("imaps://mail.example/INBOX", "no user"),
        ("imaps://bob@/INBOX", "no host"),
        ("imaps://bob@mail.example:port/INBOX", "Port could not be cast"),
        ("imaps://bob@mail.example/INBOX?x=1", "query or fragment"),
    ],
)
def test_other_shapes_are_refused_saying_what_is_expected(url: str, problem: str):
    with pytest.raises(ValueError, match="CAM_IMAP_URL") as raised:
        Mailbox.from_url(url)
    assert problem in str(raised.value) and "imaps://user@host:993/INBOX" in str(raised.value)


def test_a_password_in_the_url_is_refused_and_not_repeated():
    with pytest.raises(ValueError, match="CAM_IMAP_PASSWORD") as raised:
        Mailbox.from_url("imaps://bob:hunter2@mail.example/INBOX")
    assert "hunter2" not in str(raised.value)


def test_tls_is_the_default_and_the_certificate_is_verified(
    imap_server: ImapServer, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
):
    imap_server.append(_message(1), folder=mailbox.folder)
    over_tls = Mailbox.from_url(
        f"imaps://{imap_server.user.replace('@', '%40')}@127.0.0.1:{imap_server.tls_port}/{mailbox.folder}"
    )
    assert over_tls.tls
    with pytest.raises(ImapError, match=r"cannot reach imaps://.*CERTIFICATE_VERIFY_FAILED"):
        fetch_new(over_tls, imap_server.password, None)  # a self-signed certificate is refused

    monkeypatch.setenv("SSL_CERT_FILE", str(imap_server.certificate))  # trusted: the same mailbox reads over TLS
    taken, cursor = fetch_new(over_tls, imap_server.password, None)
    assert _message_ids(taken) == ["reply-1@acme.example"] and cursor.last_uid == 1


def test_a_folder_name_with_a_space_is_read(imap_server: ImapServer):
    client = imap_server.connect()
    try:
        client.create('"Sales Replies"')
    finally:
        client.logout()
    imap_server.append(_message(1), folder='"Sales Replies"')
    mailbox = Mailbox.from_url(imap_server.url("Sales%20Replies"))
    assert mailbox.folder == "Sales Replies"
    taken, _ = fetch_new(mailbox, imap_server.password, None)
    assert _message_ids(taken) == ["reply-1@acme.example"]
