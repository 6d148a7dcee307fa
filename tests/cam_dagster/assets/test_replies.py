"""Replies end to end: a reply stops the sequence, an out-of-office pauses it until the person
is back, a DSN counts as a bounce, an unmatched reply is kept, and a person's correction moves
the lead with an audit row."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime

import pandas as pd
import pytest

from cam_core.state import schema
from cam_core.state.history import history_of
from cam_core.state.suppression import suppressed
from cam_dagster.cli import main
from tests.helpers import DAY, metadata_of, rows_of, stored

TUESDAY = dt.date.fromisoformat(DAY)
THURSDAY = str(TUESDAY + dt.timedelta(days=2))
#: The out-of-office says the person is back on Monday of the next week; the pause ends a business day later.
BACK_ON = TUESDAY + dt.timedelta(days=6)
DAY_AFTER_RETURN = str(TUESDAY + dt.timedelta(days=7))


def _reply(sent: pd.Series, body: str, *, at: str = f"{DAY}T15:00:00+00:00", **headers: str) -> bytes:
    """A reply to one sent message, threaded as a mail client threads it (In-Reply-To, References)."""
    message = EmailMessage()
    message["From"] = f"Someone <{sent['email']}>"
    message["To"] = "Northwind <hello@northwind-data.example>"
    message["Subject"] = "Re: a quick question"
    message["Date"] = format_datetime(dt.datetime.fromisoformat(at))
    message["Message-ID"] = f"<reply-{sent['send_key'][:12]}-{len(body)}@mail.example>"
    message["In-Reply-To"] = sent["message_id"]
    message["References"] = sent["message_id"]
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    quoted = "On Tue, 17 Nov 2026, Northwind wrote:\n> Hi, would you like a demo?\n> Unsubscribe: https://x"
    message.set_content(f"{body}\n\n{quoted}")
    return message.as_bytes()


@pytest.fixture
def sent(demo_home, run_assets, engine) -> pd.DataFrame:
    """Tuesday's run: step 1 of every sequence, written to the outbox (Message-IDs CAM owns)."""
    run_assets()
    sends = rows_of(engine, schema.sends)
    return sends[sends["sequence"] == "fast_track"].reset_index(drop=True)


def _ingest(tmp_path, capsys, *messages: bytes) -> str:
    folder = tmp_path / f"replies-{len(list(tmp_path.glob('replies-*')))}"
    folder.mkdir()
    for n, raw in enumerate(messages):
        (folder / f"{n}.eml").write_bytes(raw)
    assert main(["replies", "ingest", str(folder)]) == 0
    return capsys.readouterr().out


def test_a_reply_stops_the_sequence_and_an_out_of_office_pauses_it_until_the_person_is_back(
    sent, run_assets, engine, tmp_path, capsys, database_url, monkeypatch
):
    monkeypatch.setenv("CAM_DATABASE_URL", database_url)
    interested, away, quiet = sent.iloc[0], sent.iloc[1], sent.iloc[2]
    out = _ingest(
        tmp_path,
        capsys,
        _reply(interested, "Sounds interesting. Can we talk on Thursday?"),
        _reply(
            away,
            f"I am out of the office and back on {BACK_ON.day} November {BACK_ON.year}. I will read your email then.",
            Auto_Submitted="auto-replied",
        ),
    )
    assert out.startswith("2 new repl(ies)") and "0 unmatched" in out
    # The same messages again, from any source: nothing new.
    assert _ingest(tmp_path, capsys, _reply(interested, "Sounds interesting. Can we talk on Thursday?")).startswith(
        "0 new repl(ies)"
    )

    leads = rows_of(engine, schema.leads).set_index("email")
    assert leads.loc[interested["email"], "status"] == "interested"
    assert leads.loc[away["email"], "status"] == "paused"
    assert leads.loc[away["email"], "paused_until"] == DAY_AFTER_RETURN

    run_assets(day=THURSDAY)  # fast_track's step 2 is due
    step2 = set(rows_of(engine, schema.sends).query("step == 2")["email"])
    assert quiet["email"] in step2, "a lead that did not answer gets step 2"
    assert interested["email"] not in step2 and away["email"] not in step2

    run_assets(day=DAY_AFTER_RETURN)
    sends = rows_of(engine, schema.sends)
    step2 = set(sends.query("step == 2")["email"])
    assert away["email"] in step2, "back from holiday, the sequence resumes at the step it was on"
    assert interested["email"] not in set(sends["email"][sends["step"] > 1])
    moves = history_of(engine, away["email"])[["from_status", "to_status", "cause"]].values.tolist()
    # (The runs stamp their partition's day, the CLI the real clock: compared as a set.)
    assert ["contacted", "paused", f"reply: out of office until {DAY_AFTER_RETURN}"] in moves
    assert ["paused", "contacted", "back from out of office"] in moves

    assert main(["replies", "list", "--campaign", "demo", "--class", "interested"]) == 0
    listed = capsys.readouterr().out
    assert interested["email"] in listed and away["email"] not in listed


def test_a_dsn_bounces_an_unsubscribe_in_words_suppresses_and_an_unknown_sender_is_kept(
    sent, engine, tmp_path, capsys, database_url, monkeypatch
):
    monkeypatch.setenv("CAM_DATABASE_URL", database_url)
    asking = sent.iloc[3]
    stranger = EmailMessage()
    stranger["From"] = "nobody@elsewhere.example"
    stranger["To"] = "hello@northwind-data.example"
    stranger["Subject"] = "Hello"
    stranger["Message-ID"] = "<stranger-1@elsewhere.example>"
    stranger.set_content("Who are you?")
    out = _ingest(
        tmp_path,
        capsys,
        _reply(asking, "Please remove me from your mailing list."),
        stranger.as_bytes(),
    )
    assert out.startswith("2 new repl(ies)") and "1 unmatched" in out
    assert suppressed(engine)[asking["email"]] == "unsubscribe"
    assert rows_of(engine, schema.leads).set_index("email").loc[asking["email"], "status"] == "unsubscribed"
    replies = rows_of(engine, schema.replies).set_index("email")
    assert replies.loc["nobody@elsewhere.example", "campaign"] == ""
    assert main(["replies", "list", "--campaign", ""]) == 0
    assert "nobody@elsewhere.example" in capsys.readouterr().out


def test_a_person_corrects_a_reply_and_the_lead_follows_with_an_audit_row(
    sent, engine, tmp_path, capsys, database_url, monkeypatch
):
    monkeypatch.setenv("CAM_DATABASE_URL", database_url)
    lead = sent.iloc[4]
    _ingest(tmp_path, capsys, _reply(lead, "Sounds interesting. Can we talk on Thursday?"))
    [reply_id] = rows_of(engine, schema.replies)["reply_id"]
    assert main(["replies", "reclassify", reply_id, "not_interested"]) == 0
    assert capsys.readouterr().out.strip() == f"{reply_id}: interested -> not_interested"
    assert rows_of(engine, schema.leads).set_index("email").loc[lead["email"], "status"] == "not_interested"
    last = history_of(engine, lead["email"]).iloc[-1]
    assert (last["from_status"], last["to_status"], last["source"]) == ("interested", "not_interested", "cli")
    assert main(["replies", "reclassify", "message-id:<nope@x>", "interested"]) == 2


def _dsn(sent: pd.Series) -> bytes:
    """A Postfix bounce of one sent message: multipart/report with its delivery status and headers."""
    boundary = "dsn-boundary-1"
    return (
        "From: MAILER-DAEMON@mx.mail.example (Mail Delivery System)\r\n"
        "To: hello@northwind-data.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Date: Tue, 17 Nov 2026 15:00:00 +0000\r\n"
        "Message-ID: <dsn-1@mx.mail.example>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.mail.example\r\n\r\n"
        f"Final-Recipient: rfc822; {sent['email']}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: hello@northwind-data.example\r\nTo: {sent['email']}\r\nMessage-ID: {sent['message_id']}\r\n\r\n"
        f"--{boundary}--\r\n"
    ).encode()


def test_a_bounce_that_comes_back_as_mail_counts_as_a_hard_bounce(
    sent, engine, tmp_path, capsys, database_url, monkeypatch
):
    monkeypatch.setenv("CAM_DATABASE_URL", database_url)
    gone = sent.iloc[5]
    assert _ingest(tmp_path, capsys, _dsn(gone)).startswith("1 new repl(ies) (1 bounce)")
    assert suppressed(engine)[gone["email"]] == "bounce"
    assert rows_of(engine, schema.leads).set_index("email").loc[gone["email"], "status"] == "bounced"
    [event] = rows_of(engine, schema.events).query("kind == 'bounce'").to_dict("records")
    assert (event["email"], event["send_key"]) == (gone["email"], gone["send_key"]), "the reputation guard counts it"
    [reply] = rows_of(engine, schema.replies).to_dict("records")
    assert reply["matched_by"] == "in_reply_to" and reply["lead_email"] == gone["email"]


def test_a_referral_lands_the_named_person_as_a_new_lead(
    sent, run_assets, engine, tmp_path, capsys, database_url, monkeypatch, demo_home
):
    monkeypatch.setenv("CAM_DATABASE_URL", database_url)
    referrer = sent.iloc[6]
    note = "I am not the right person for this. Please contact my colleague Rob Hill at rob.hill@acme-corp.example."
    assert "(1 referral)" in _ingest(tmp_path, capsys, _reply(referrer, note))
    assert rows_of(engine, schema.leads).set_index("email").loc[referrer["email"], "status"] == "replied"

    result = run_assets(["engagement"])
    assert metadata_of(result, "engagement")["referrals_landed"] == 1
    run_assets()  # the partition's next run harvests the named person like any other lead
    harvested = stored(demo_home, "harvest")
    assert "rob.hill@acme-corp.example" in set(harvested["email"])
    assert "rob.hill@acme-corp.example" in set(rows_of(engine, schema.leads)["email"])
