"""The IMAP replies sensor against a real Dovecot: each tick takes in what is new since its
cursor and hands it to the replies store; a second tick adds nothing."""

from __future__ import annotations

import json
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa

from cam_core.engagement import replies
from cam_core.state import schema
from cam_dagster.resources.cam import CamResource
from cam_dagster.resources.imap import ImapResource
from cam_dagster.sensors import replies_imap
from cam_dagster.sensors.replies_imap import replies_imap_sensor
from tests.helpers import DAY, UNSUBSCRIBE_SECRET
from tests.imap_server import ImapServer

pytestmark = pytest.mark.sqlite_only  # the sensor's logic; the store runs on both databases in its own tests


def _reply(n: int) -> bytes:
    return (
        f"From: Lead {n} <lead{n}@acme.example>\r\n"
        "To: replies@cam.test\r\n"
        f"Subject: Re: a question {n}\r\n"
        f"Message-ID: <imap-reply-{n}@acme.example>\r\n"
        "Date: Tue, 17 Nov 2026 08:30:00 +0000\r\n"
        "\r\n"
        "Thanks, tell me more.\r\n"
    ).encode()


@pytest.fixture
def ingested(monkeypatch: pytest.MonkeyPatch) -> list[replies.Ingested]:
    """What the real replies store returned, call by call (the sensor calls it unchanged)."""
    calls: list[replies.Ingested] = []

    def spy(*args: Any, **kwargs: Any) -> replies.Ingested:
        calls.append(replies.ingest(*args, **kwargs))
        return calls[-1]

    monkeypatch.setattr(replies_imap, "ingest", spy)
    return calls


@pytest.fixture
def tick(instance, demo_home, database_url):
    cam = CamResource(
        home=str(demo_home.root),
        database_url=database_url,
        frozen_now=f"{DAY}T10:00:00+00:00",
        unsubscribe_secret=UNSUBSCRIBE_SECRET,
    )

    def run(imap: ImapResource, cursor: str | None = None) -> dg.SensorResult | dg.SkipReason:
        resources = {"cam": cam, "imap": imap}
        with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
            result = replies_imap_sensor(context)
        assert isinstance(result, dg.SensorResult | dg.SkipReason)
        return result

    return run


def _stored(database_url: str) -> list[tuple[str, str]]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            t = schema.replies
            return [tuple(r) for r in conn.execute(sa.select(t.c.email, t.c.source).order_by(t.c.email))]
    finally:
        engine.dispose()


def test_without_a_mailbox_the_sensor_skips_saying_how_to_set_one(tick):
    result = tick(ImapResource())
    assert isinstance(result, dg.SkipReason)
    assert "CAM_IMAP_URL" in (result.skip_message or "") and "CAM_IMAP_PASSWORD" in (result.skip_message or "")


def test_two_ticks_take_each_reply_in_once(tick, imap_server: ImapServer, ingested, database_url):
    folder = imap_server.new_folder()
    imap_server.append(*(_reply(n) for n in (1, 2, 3)), folder=folder)
    imap = ImapResource(url=imap_server.url(folder), password=imap_server.password)
    label = f"imap://{imap_server.user}@127.0.0.1:{imap_server.port}/{folder}"

    first = tick(imap)
    assert isinstance(first, dg.SensorResult) and not first.run_requests
    assert first.skip_reason is not None
    assert first.skip_reason.skip_message == (
        f"3 new message(s) taken in from {label}: 3 reply(ies) stored, 0 already known, 3 matching no send"
    )
    assert [i.stored for i in ingested] == [3]
    cursor = json.loads(first.cursor or "")
    assert cursor["last_uid"] == 3 and cursor["uidvalidity"] > 0
    assert _stored(database_url) == [(f"lead{n}@acme.example", label) for n in (1, 2, 3)]

    second = tick(imap, cursor=first.cursor)
    assert isinstance(second, dg.SensorResult) and not second.run_requests
    assert second.skip_reason is not None
    assert second.skip_reason.skip_message == f"0 new message(s) taken in from {label}"
    assert second.cursor == first.cursor
    assert [i.stored for i in ingested] == [3]  # nothing new: the store is not even called
    assert len(_stored(database_url)) == 3

    # The server renumbered the folder: everything is read again, and stored no second time.
    renumbered = json.dumps({"uidvalidity": cursor["uidvalidity"] + 1, "last_uid": 3})
    third = tick(imap, cursor=renumbered)
    assert isinstance(third, dg.SensorResult) and third.cursor == first.cursor
    assert [(i.stored, i.repeats) for i in ingested] == [(3, 0), (0, 3)]
    assert len(_stored(database_url)) == 3


def test_a_refused_login_fails_the_tick_naming_the_mailbox_not_the_password(tick, imap_server: ImapServer):
    imap = ImapResource(url=imap_server.url(), password="wrong-s3cr3t")
    with pytest.raises(dg.Failure) as raised:
        tick(imap)
    assert "login refused" in str(raised.value.description) and "s3cr3t" not in str(raised.value.description)


def test_a_bad_url_fails_the_tick_saying_what_is_expected(tick):
    with pytest.raises(dg.Failure, match="CAM_IMAP_URL"):
        tick(ImapResource(url="https://mail.example/INBOX", password="x"))
