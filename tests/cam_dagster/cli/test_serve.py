"""`cam serve` over real HTTP on 127.0.0.1: one-click unsubscribes from real sent messages,
Resend webhooks signed, unsigned, tampered, stale, replayed and duplicated, and what each stored."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pandas as pd
import pytest

from cam_core.campaign.demo import write_demo_home
from cam_core.state import schema
from cam_core.state.suppression import suppressed
from cam_core.vocabulary import SendStatus
from tests.fakes.svix import WEBHOOK_SECRET, resend_event, signed
from tests.helpers import DAY, RESEND_KEY, UNSUBSCRIBE_SECRET, resend_settings, rows_of
from tests.loopback import free_port


@dataclass
class Served:
    url: str
    process: subprocess.Popen

    def stop(self) -> tuple[int, str]:
        """SIGTERM, as a deployment stops it: the exit code and everything it logged."""
        self.process.send_signal(signal.SIGTERM)
        _, err = self.process.communicate(timeout=30)
        return self.process.returncode, err.decode()


@pytest.fixture
def sent_home(resend_home, run_assets, fake):
    """The demo campaign sent through (fake) Resend for DAY: 250 messages with Resend ids in the ledger."""
    run_assets(**resend_settings(fake))
    return resend_home


@pytest.fixture
def serve(cam_env, database_url) -> Iterator:
    """Start `cam serve` on a free loopback port, as a deployment would; stopped after the test."""
    started: list[Served] = []

    def start(*extra: str, webhook_secret: str = WEBHOOK_SECRET, resend_url: str = "") -> Served:
        port = free_port()
        env = {
            **os.environ,
            "CAM_HOME": str(cam_env.root),
            "CAM_DATABASE_URL": database_url,
            "CAM_UNSUBSCRIBE_SECRET": UNSUBSCRIBE_SECRET,
            "RESEND_WEBHOOK_SECRET": webhook_secret,
            # Where Resend's inbound mail is fetched from (the fake), when a test gives one.
            **({"RESEND_API_KEY": RESEND_KEY, "RESEND_API_URL": resend_url} if resend_url else {}),
        }
        cam = str(Path(sys.executable).with_name("cam"))
        process = subprocess.Popen(
            [cam, "serve", "--port", str(port), *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        served = Served(f"http://127.0.0.1:{port}", process)
        started.append(served)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()[1].decode()
            try:
                if httpx.get(f"{served.url}/healthz", timeout=1).status_code == 200:
                    return served
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError("cam serve did not answer /healthz within 60 s")

    yield start
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.communicate()


def _events(engine) -> pd.DataFrame:
    return rows_of(engine, schema.events)


def _link(message: dict) -> str:
    """The https URL of a sent message's List-Unsubscribe header."""
    found = re.search(r"<(https://[^>]+)>", message["headers"]["List-Unsubscribe"])
    assert found is not None
    return found.group(1)


def _local(link: str, served: Served) -> str:
    """The link as the public proxy would forward it to `cam serve`: same path and query."""
    parts = urlsplit(link)
    return f"{served.url}{parts.path}?{parts.query}"


def test_one_click_unsubscribes_at_once_and_the_next_steps_skip_the_address(sent_home, serve, fake, engine, run_assets):
    served = serve()
    sends = rows_of(engine, schema.sends)
    fast = sends[(sends["sequence"] == "fast_track") & (sends["status"] == SendStatus.SENT)]
    leaving, looking = fast["email"].iloc[0], fast["email"].iloc[1]
    message = {m["headers"]["X-CAM-Send-Key"]: m for m in fake.delivered}
    leaving_link = _link(message[fast["send_key"].iloc[0]])
    looking_link = _link(message[fast["send_key"].iloc[1]])
    assert leaving not in leaving_link, "the link carries no address"

    # A link scanner's GET changes nothing; the page's button is a POST.
    page = httpx.get(_local(looking_link, served))
    assert page.status_code == 200 and '<form method="post">' in page.text
    assert looking not in set(suppressed(engine).index)

    # The mail client's RFC 8058 one-click POST: suppressed before the answer comes back.
    answer = httpx.post(
        _local(leaving_link, served),
        content="List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    assert suppressed(engine)[leaving] == "unsubscribe"
    leads = rows_of(engine, schema.leads).set_index("email")["status"]
    assert leads[leaving] == "unsubscribed" and leads[looking] == "contacted"
    again = httpx.post(_local(leaving_link, served), content="List-Unsubscribe=One-Click")
    assert again.status_code == 200 and (_events(engine)["kind"] == "unsubscribe").sum() == 1

    # A POST without the one-click body is not an unsubscribe.
    assert httpx.post(_local(looking_link, served), content="hello").status_code == 400
    assert looking not in set(suppressed(engine).index)

    # The same partition rerun, then the day fast_track's step 2 is due: nothing for the address.
    run_assets(**resend_settings(fake))
    thursday = str(dt.date.fromisoformat(DAY) + dt.timedelta(days=2))
    run_assets(day=thursday, **resend_settings(fake))
    after = rows_of(engine, schema.sends)
    step2 = after[after["step"] == 2]
    assert looking in set(step2["email"]) and leaving not in set(step2["email"])
    assert (after["email"] == leaving).sum() == 1

    # Every status a lead holds is where its recorded history ends, each change chained to the last.
    history = rows_of(engine, schema.lead_history).sort_values(["at", "id"])
    statuses = rows_of(engine, schema.leads).set_index("email")["status"]
    for email, changes in history.groupby("email"):
        assert changes["from_status"].iloc[0] == "harvested"
        assert (changes["from_status"].iloc[1:].to_numpy() == changes["to_status"].iloc[:-1].to_numpy()).all()
        assert changes["to_status"].iloc[-1] == statuses[email]
    assert set(history["email"]) == set(statuses.index)
    unsubscribed = history[history["email"] == leaving].iloc[-1]
    assert unsubscribed["cause"] == "event:unsubscribe" and unsubscribed["source"].startswith("unsubscribe:")

    code, log = served.stop()
    assert code == 0, log
    assert '"path": "/unsubscribe"' in log
    assert "token" not in log and "@" not in log, "the access log holds no token and no address"


@pytest.mark.parametrize(
    "damage",
    [
        lambda t: t[:-1] + ("0" if t[-1] != "0" else "1"),  # tampered
        lambda t: t[:40],  # truncated
        lambda t: "",  # missing
        lambda t: t.split(".")[0] + "." + "f" * 32,  # forged signature
    ],
    ids=["tampered", "truncated", "missing", "forged"],
)
def test_a_damaged_or_forged_link_gets_a_plain_400_and_unsubscribes_no_one(sent_home, serve, fake, engine, damage):
    served = serve()
    link = _link(fake.delivered[0])
    token = link.split("token=")[1]
    bad = _local(link, served).replace(token, damage(token))
    for answer in (httpx.get(bad), httpx.post(bad, content="List-Unsubscribe=One-Click")):
        assert answer.status_code == 400 and answer.text == "This link is not valid."
    assert suppressed(engine).empty and _events(engine).empty


def test_unsubscribe_requests_are_rate_limited_per_client(sent_home, serve, fake):
    served = serve("--rate", "3")
    link = _local(_link(fake.delivered[0]), served)
    codes = [httpx.get(link).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    assert int(httpx.get(link).headers["retry-after"]) >= 1


def _post(served: Served, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{served.url}/webhooks/resend", content=body, headers=headers)


def test_webhooks_are_stored_once_and_only_when_signed(sent_home, serve, engine):
    served = serve()
    sends = rows_of(engine, schema.sends)
    sent = sends[sends["status"] == SendStatus.SENT].reset_index(drop=True)
    at = f"{DAY}T14:00:00Z"

    def event(kind: str, row: int, **data) -> dict:
        return resend_event(kind, sent["message_id"][row], sent["email"][row], at, **data)

    bounce = event("bounced", 0, bounce={"type": "Permanent", "subType": "General", "message": "no such user"})
    body, headers = signed(bounce)
    first = _post(served, body, headers)
    assert first.status_code == 200, first.text
    assert first.json() == {"stored": True, "kind": "bounce"}
    assert suppressed(engine)[sent["email"][0]] == "bounce", "suppressed within the request"

    # Svix retries with the same id: answered 2xx, nothing stored twice.
    assert _post(served, body, headers).json() == {"stored": False, "kind": "bounce"}
    # Delivered twice at once: one row.
    twice_body, twice_headers = signed(event("delivered", 1))
    answers: list[httpx.Response] = []
    threads = [threading.Thread(target=lambda: answers.append(_post(served, twice_body, twice_headers))) for _ in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200, 200]

    refused = [
        (body, {}),  # unsigned
        (body.replace(b"Permanent", b"Transient"), headers),  # tampered
        signed(event("complained", 2), secret="whsec_" + "QUJD" * 8),  # someone else's secret
        signed(event("complained", 3), at=time.time() - 600),  # stale: ten minutes old
    ]
    for refused_body, refused_headers in refused:
        answer = _post(served, refused_body, refused_headers)
        assert 400 <= answer.status_code < 500
        assert sent["email"][0] not in answer.text

    transient = signed(event("bounced", 4, bounce={"type": "Transient", "subType": "MailboxFull"}))
    assert _post(served, *transient).json()["kind"] == "soft_bounce"
    complaint = signed(event("complained", 5))
    assert _post(served, *complaint).json()["kind"] == "complaint"
    assert _post(served, *signed({"type": "contact.created", "data": {"id": "c1"}})).json()["kind"] == "unknown"
    assert _post(served, *signed("not json at all")).json() == {"stored": True, "kind": "unknown"}

    events = _events(engine)
    assert sorted(events["kind"]) == ["bounce", "complaint", "delivered", "soft_bounce", "unknown", "unknown"]
    matched = events[events["kind"] != "unknown"].set_index("kind")
    assert matched.loc["complaint", "email"] == sent["email"][5]
    assert (
        matched.loc["complaint", "send_key"] == sent["send_key"][5] and matched.loc["complaint", "campaign"] == "demo"
    )
    assert events.loc[events["kind"] == "unknown", "payload"].str.contains("not json at all").any()
    assert set(suppressed(engine).index) == {sent["email"][0], sent["email"][5]}, "a transient bounce suppresses no one"
    leads = rows_of(engine, schema.leads).set_index("email")["status"]
    assert (leads[sent["email"][0]], leads[sent["email"][4]], leads[sent["email"][5]]) == (
        "bounced",
        "contacted",
        "complained",
    )
    history = rows_of(engine, schema.lead_history)
    complained = history[(history["email"] == sent["email"][5]) & (history["to_status"] == "complained")]
    assert complained["source"].tolist() == [f"webhook:{complaint[1]['svix-id']}"]


def test_without_a_webhook_secret_no_webhook_is_taken(cam_env, serve, engine):
    write_demo_home(cam_env.campaigns, cam_env.samples)
    served = serve(webhook_secret="")
    assert httpx.get(f"{served.url}/healthz").json() == {"status": "ok"}
    assert _post(served, *signed({"type": "email.delivered", "data": {}})).status_code == 503
    assert httpx.get(f"{served.url}/nothing-here").status_code == 404
    assert _events(engine).empty


def test_a_reply_to_resends_inbound_address_is_fetched_and_taken_in_once(sent_home, serve, fake, engine):
    served = serve(resend_url=fake.url)
    sends = rows_of(engine, schema.sends)
    lead = sends[sends["status"] == SendStatus.SENT].iloc[0]
    own_id = next(
        m["headers"]["Message-ID"] for m in fake.delivered if m["headers"]["X-CAM-Send-Key"] == lead["send_key"]
    )
    fake.received["in_1"] = {
        "id": "in_1",
        "from": lead["email"],
        "to": ["hello@northwind-data.example"],
        "subject": "Re: a quick question",
        "created_at": f"{DAY}T15:00:00Z",
        "message_id": "<answer-1@mail.example>",
        "headers": {"in-reply-to": own_id, "references": own_id},
        "text": "Sounds interesting, can we talk next week?",
        "html": None,
    }
    event = {
        "type": "email.received",
        "created_at": f"{DAY}T15:00:01Z",
        "data": {"email_id": "in_1", "from": lead["email"], "to": ["hello@northwind-data.example"]},
    }
    body, headers = signed(event)
    assert _post(served, body, headers).json() == {"stored": True, "kind": "received"}
    assert _post(served, *signed(event)).status_code == 200  # Resend sends it again under a new id

    [reply] = rows_of(engine, schema.replies).to_dict("records")
    assert (reply["campaign"], reply["lead_email"], reply["send_key"]) == ("demo", lead["email"], lead["send_key"])
    assert reply["matched_by"] == "in_reply_to" and reply["reply_class"] == "interested"
    assert rows_of(engine, schema.leads).set_index("email").loc[lead["email"], "status"] == "interested"
