"""Sending through Resend exactly once: a fake Resend on 127.0.0.1 that rate-limits,
fails, hangs and deduplicates by Idempotency-Key like the real one."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest
import yaml

from cam_core.campaign.demo import write_demo_home
from cam_core.engagement.receiving import receive
from cam_core.outreach.senders.resend import ResendSender
from cam_core.state import schema
from cam_core.state.suppression import suppress
from cam_core.unsubscribe import read_token
from cam_core.vocabulary import SendStatus
from tests.fakes.resend import FakeResend
from tests.helpers import (
    DAY,
    NOW,
    RESEND_KEY,
    UNSUBSCRIBE_SECRET,
    edit_campaign,
    metadata_of,
    resend_settings,
    rows_of,
    stored,
)


def test_every_lead_and_step_goes_once_through_429s_500s_timeouts_and_in_flight_conflicts(
    resend_home, run_assets, engine, fake
):
    fake.per_second = 2
    fake.script = ["500", "hang", "in_flight", "ok", "500"]

    result = run_assets(**resend_settings(fake))

    sends = rows_of(engine, schema.sends)
    routed = stored(resend_home, "routed")
    assert len(sends) == min(len(routed), 250) and (sends["status"] == SendStatus.SENT).all()
    recipients = fake.recipients()
    assert sorted(recipients) == sorted(sends["email"]), "each lead exactly once"
    assert all(r.endswith("@resend.dev") for r in recipients)
    # The provider's ids are the ledger's message ids, and every batch carried its idempotency key.
    assert set(sends["message_id"]) == {e["id"] for e in fake.delivered}
    assert {e["idempotency_key"] for e in fake.delivered} == set(sends["batch_id"])
    assert max(sends.groupby("batch_id").size()) <= 100
    first = fake.delivered[0]
    assert {t["name"] for t in first["tags"]} == {"campaign", "step", "tier", "variant"}
    assert first["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first["headers"]["List-Unsubscribe"].startswith("<https://northwind-data.example/unsubscribe?token=")
    assert metadata_of(result, "sent_emails")["this_run_sent"] == len(sends)


def test_a_run_killed_mid_batch_is_repaired_by_the_rerun_without_a_second_copy(cam_env, fake, capsys, monkeypatch):
    _, sample = write_demo_home(cam_env.campaigns, cam_env.samples, sender="resend")
    edit_campaign(cam_env, daily_cap=250)
    env = {
        **os.environ,
        "RESEND_API_KEY": RESEND_KEY,
        "RESEND_API_URL": fake.url,
        "CAM_UNSUBSCRIBE_SECRET": UNSUBSCRIBE_SECRET,
    }
    cam = str(Path(sys.executable).with_name("cam"))
    assert (
        subprocess.run([cam, "ingest", str(sample), "--campaign", "demo"], env=env, capture_output=True).returncode == 0
    )

    fake.hang_seconds = 120
    fake.script = ["ok", "deliver_then_hang"]  # the second batch is sent, its answer never arrives
    run = subprocess.Popen([cam, "run", "--campaign", "demo"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert fake.hanging.wait(timeout=240), "the run never reached its second batch"
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
    delivered_before_kill = len(fake.delivered)
    engine = schema.engine_for(f"sqlite:///{cam_env.root / 'cam.db'}")
    pending = rows_of(engine, schema.sends)["status"] == SendStatus.PENDING
    assert pending.sum() >= 100, "the killed batch is left pending"

    fake.script = []
    for name, value in {
        "RESEND_API_KEY": RESEND_KEY,
        "RESEND_API_URL": fake.url,
        "CAM_UNSUBSCRIBE_SECRET": UNSUBSCRIBE_SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    from cam_dagster.cli import main

    assert main(["run", "--campaign", "demo"]) == 0, capsys.readouterr().err
    sends = rows_of(engine, schema.sends)
    assert (sends["status"] == SendStatus.SENT).all()
    recipients = fake.recipients()
    assert len(recipients) == len(set(recipients)) == len(sends), "nobody got a second copy"
    assert len(fake.delivered) > delivered_before_kill  # the batches after the killed one went too


@pytest.mark.sqlite_only
def test_a_message_resend_refuses_is_failed_with_its_reason_and_never_retried(resend_home, run_assets, engine, fake):
    run_assets(["harvest", "enriched", "scored", "qualified", "routed"], **resend_settings(fake))
    victim = stored(resend_home, "routed").sort_values("icp_score").iloc[-1]["email"]
    fake.refuse[victim] = "The `to` address is blocked by the account's suppression list."

    run_assets(**resend_settings(fake))
    run_assets(**resend_settings(fake))

    sends = rows_of(engine, schema.sends).set_index("email")
    assert sends.loc[victim, "status"] == "failed"
    assert "blocked" in sends.loc[victim, "error"]
    assert victim not in fake.recipients()
    assert (sends.drop(victim)["status"] == SendStatus.SENT).all()
    attempts = [r for r in fake.requests if any(victim in e["to"][0] for e in r.json)]
    assert len(attempts) == 1, "a refused message is not retried"


@pytest.mark.sqlite_only
def test_a_bad_key_stops_the_run_sends_nothing_and_keeps_no_claim(resend_home, run_assets, engine, fake):
    result = run_assets(raise_on_error=False, **resend_settings(fake, api_key="re_wrong"))

    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "API key" in failure.step_failure_data.user_failure_data.description
    assert fake.delivered == [] and rows_of(engine, schema.sends).empty, "claims are given back: nothing was sent"

    run_assets(**resend_settings(fake))
    assert len(fake.recipients()) == len(rows_of(engine, schema.sends)) > 0


@pytest.mark.sqlite_only
def test_a_campaign_that_sends_through_resend_without_a_key_is_refused_at_load(resend_home, run_assets):
    result = run_assets("harvest", raise_on_error=False)  # no api_key
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "RESEND_API_KEY is not set" in failure.step_failure_data.user_failure_data.description


def test_the_fake_refuses_batches_over_100_likeresend_settings(fake):
    sender = ResendSender(RESEND_KEY, fake.url, campaign="demo", timeout=2)
    message = {
        "send_key": "k",
        "email": "delivered+x@resend.dev",
        "from_email": "a@b.dev",
        "reply_to": "a@b.dev",
        "subject": "s",
        "body_text": "t",
        "list_unsubscribe": "<https://x.dev/u>",
        "step": 1,
    }
    outcomes = sender.deliver([{**message, "send_key": f"k{i}"} for i in range(101)], "batch-101")
    error = outcomes[0].error
    assert {o.status for o in outcomes} == {"failed"} and error is not None and "100" in error
    assert fake.delivered == []


@pytest.mark.sqlite_only
def test_a_paced_sender_stays_under_the_rate_limit_and_never_draws_a_429():
    with FakeResend(api_key=RESEND_KEY, per_second=10) as fake:
        sender = ResendSender(RESEND_KEY, fake.url, campaign="demo", timeout=5, requests_per_second=10)
        message = {
            "email": "delivered@resend.dev",
            "from_email": "a@b.dev",
            "reply_to": "a@b.dev",
            "subject": "s",
            "body_text": "t",
            "list_unsubscribe": "<https://x.dev/u>",
            "step": 1,
        }
        for n in range(21):  # three windows' worth: two waits for the limit
            batch = [{**message, "send_key": f"k{n}-{i}", "email": f"delivered+{n}-{i}@resend.dev"} for i in range(3)]
            assert {o.status for o in sender.deliver(batch, f"batch-{n}")} == {"sent"}
    assert fake.rate_limited == 0, "pacing keeps under the limit instead of learning it from 429s"
    assert len(fake.requests) == 21 and len(fake.delivered) == 63


def test_suppressed_addresses_are_never_sent_even_when_enrolled(resend_home, run_assets, engine, fake):
    run_assets(["harvest", "enriched", "scored", "qualified", "routed"], **resend_settings(fake))
    enrolled = stored(resend_home, "routed")["email"].tolist()
    suppress(engine, enrolled[:5], reason="unsubscribed", source="test", now=NOW)

    run_assets(**resend_settings(fake))

    assert not set(enrolled[:5]) & set(fake.recipients())
    assert len(fake.recipients()) == min(len(enrolled) - 5, 250)


def test_a_past_days_partition_plans_but_never_sends_late(resend_home, run_assets, engine, fake):
    next_day = (dt.date.fromisoformat(DAY) + dt.timedelta(days=1)).isoformat()
    result = run_assets(now=f"{next_day}T09:00:00+00:00", **resend_settings(fake))  # the run waited a day in a queue

    planned = len(stored(resend_home, "nurture_batch"))
    assert planned > 0 and fake.delivered == [] and rows_of(engine, schema.sends).empty
    assert metadata_of(result, "sent_emails")["this_run_window_window_passed"] == planned

    run_assets(day=next_day, **resend_settings(fake))  # the next day's partition sends them in its own window
    assert len(fake.recipients()) == planned


@pytest.mark.sqlite_only
def test_the_sending_window_is_the_recipients_local_time(resend_home, run_assets, engine, fake):
    edit_campaign(resend_home, window={"start": "09:00", "end": "17:00"}, grace_hours=0)
    # 08:30 UTC: 09:30 in Berlin, Paris and Amsterdam, 14:00 in India; 08:30 in London,
    # 03:30 in New York, 17:30 in Tokyo, 19:30 in Sydney: outside their windows.
    run_assets(now=f"{DAY}T08:30:00+00:00", **resend_settings(fake))
    routed = stored(resend_home, "routed").set_index("email")
    assert set(routed.loc[fake.recipients(), "country"]) == {"Germany", "France", "Netherlands", "India"}


def test_warmup_and_hourly_pacing_hold_in_the_database(resend_home, run_assets, engine, fake):
    edit_campaign(
        resend_home, warmup={"started_on": DAY, "start": 30, "daily_increase": 10, "ceiling": 250}, hourly_cap=20
    )
    run_assets(now=f"{DAY}T10:05:00+00:00", **resend_settings(fake))
    assert len(fake.recipients()) == 20  # pacing: 20 this hour
    run_assets(now=f"{DAY}T10:40:00+00:00", **resend_settings(fake))
    assert len(fake.recipients()) == 20  # same hour, nothing more
    run_assets(now=f"{DAY}T11:05:00+00:00", **resend_settings(fake))
    assert len(fake.recipients()) == 30  # warm-up: 30 on its first day
    assert len(set(fake.recipients())) == 30


def test_later_steps_follow_business_day_delays_and_stop_on_reply(demo_home, run_assets, engine):
    run_assets()  # Tuesday: step 1
    first = rows_of(engine, schema.sends)
    fast = first[first["sequence"] == "fast_track"]
    replied = fast["email"].iloc[0]
    tuesday = dt.date.fromisoformat(DAY)
    wednesday, thursday, monday = (str(tuesday + dt.timedelta(days=n)) for n in (1, 2, 6))
    receive(
        engine,
        pd.DataFrame(
            {
                "event_id": ["r1"],
                "campaign": "demo",
                "email": [replied],
                "kind": ["reply"],
                "occurred_at": [f"{wednesday}T12:00:00Z"],
            }
        ),
        NOW,
        UNSUBSCRIBE_SECRET,
    )
    run_assets(day=wednesday)
    assert (rows_of(engine, schema.sends)["step"] == 1).all(), "fast_track step 2 waits two business days"

    run_assets(day=thursday)
    sends = rows_of(engine, schema.sends)
    step2 = sends[sends["step"] == 2]
    assert set(step2["email"]) == set(fast["email"]) - {replied}, "a reply stops the sequence"
    assert (step2["send_day"] == thursday).all()

    run_assets(day=monday)  # standard's step 2 waited three business days, over the weekend
    sends = rows_of(engine, schema.sends)
    standard = first.loc[first["sequence"] == "standard", "email"]
    assert set(sends.loc[sends["step"] == 2, "email"]) >= set(standard)
    assert not (sends["step"] == 3).any(), "fast_track step 3 is three business days after Thursday"
    assert sends.groupby(["email", "step"]).size().max() == 1


@pytest.mark.sqlite_only
def test_ab_variants_are_stable_per_address_and_reported(demo_home, run_assets, engine):
    result = run_assets()
    sends = rows_of(engine, schema.sends)
    first_touch = sends[(sends["sequence"] == "fast_track") & (sends["step"] == 1)]
    assert set(first_touch["variant"]) == {"pain", "peer"}
    meta = metadata_of(result, "sent_emails")
    assert meta["sent_variant_pain"] + meta["sent_variant_peer"] == len(first_touch)
    from cam_core.outreach.planning import variants_for

    again = variants_for(first_touch.assign(step=1).reset_index(drop=True), _campaign(demo_home))
    assert again.tolist() == first_touch["variant"].tolist()


def _campaign(home):
    from cam_core.campaign.loading import load_campaign

    return load_campaign(home.campaigns / "demo.yaml")


def _finished(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    """A `cam run`'s exit code and the tail of what it said on stderr."""
    assert process.stderr is not None  # started with stderr=subprocess.PIPE
    return process.wait(timeout=600), process.stderr.read().decode()[-2000:]


# Every campaign may send 100 a day, and their shared sending domain 150.
@pytest.mark.parametrize(
    ("runs", "total"),
    [
        (("demo",) * 4, 100),  # four runs of one campaign at once: its cap is used up, and no more
        (("demo", "twin") * 2, 150),  # two campaigns, two runs each: the domain cap is used up, and no more
    ],
    ids=["one_campaign", "shared_domain"],
)
def test_concurrent_runs_never_double_send_or_break_the_caps(cam_env, fake, database_url, runs, total):
    # `cam run` processes started together on a fresh CAM database, each materializing
    # the whole graph (nurture_batch and sent_emails included) for the same day.
    _, sample = write_demo_home(cam_env.campaigns, cam_env.samples, sender="resend")
    campaigns = sorted(set(runs))
    text = (cam_env.campaigns / "demo.yaml").read_text()
    for name in campaigns:
        (cam_env.campaigns / f"{name}.yaml").write_text(text)
        edit_campaign(cam_env, name, daily_cap=100, domain_daily_cap=150)
    env = {
        **os.environ,
        "RESEND_API_KEY": RESEND_KEY,
        "RESEND_API_URL": fake.url,
        "CAM_UNSUBSCRIBE_SECRET": UNSUBSCRIBE_SECRET,
        "CAM_DATABASE_URL": database_url,
    }
    cam = str(Path(sys.executable).with_name("cam"))
    for name in campaigns:
        assert (
            subprocess.run([cam, "ingest", str(sample), "--campaign", name], env=env, capture_output=True).returncode
            == 0
        )
    processes = [
        subprocess.Popen([cam, "run", "--campaign", name], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for name in runs
    ]
    outcomes = [_finished(p) for p in processes]

    failed = [err for code, err in outcomes if code != 0]
    assert not failed, f"every run succeeds, whatever the others do at the same time: {failed}"
    sends = rows_of(schema.engine_for(database_url), schema.sends)
    assert (sends["status"] == SendStatus.SENT).all()
    assert sends.groupby(["campaign", "email", "step"]).size().max() == 1, "each lead and step once in the ledger"
    per_campaign = sends.groupby("campaign").size()
    assert len(sends) == total and per_campaign.max() <= 100, (
        f"every cap holds and is used up: {per_campaign.to_dict()}"
    )
    recipients = pd.Series([e["tags"][0]["value"] + ":" + r for e in fake.delivered for r in e["to"]])
    assert recipients.is_unique and len(recipients) == len(sends), "no copy went out twice, none was lost"


@pytest.mark.sqlite_only
def test_cam_preview_shows_the_next_message(demo_home, run_assets, engine, database_url, capsys, monkeypatch):
    from cam_dagster.cli import main

    monkeypatch.setenv("CAM_DATABASE_URL", database_url)
    monkeypatch.setenv("CAM_UNSUBSCRIBE_SECRET", UNSUBSCRIBE_SECRET)
    run_assets()
    lead = rows_of(engine, schema.sends).query("sequence == 'fast_track'")["email"].iloc[0]
    assert main(["preview", "--campaign", "demo", "--email", lead]) == 0
    out = capsys.readouterr().out
    assert "step 2" in out and "Subject:  Re: " in out and "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in out
    link = re.search(r"Unsubscribe: https://northwind-data\.example/unsubscribe\?token=(\S+)", out)
    # Signed with the secret itself, as the messages that went out were, not with the variable's name.
    assert link is not None and read_token(unquote(link.group(1)), UNSUBSCRIBE_SECRET) is not None


def test_cam_demo_with_resend_writes_the_sender_into_the_campaign_and_sends_to_test_addresses(
    cam_env, fake, capsys, monkeypatch
):
    from cam_dagster.cli import main

    monkeypatch.setenv("RESEND_API_KEY", RESEND_KEY)
    monkeypatch.setenv("RESEND_API_URL", fake.url)
    monkeypatch.setenv("CAM_UNSUBSCRIBE_SECRET", UNSUBSCRIBE_SECRET)
    assert main(["demo", "--sender", "resend"]) == 0, capsys.readouterr()
    campaign = yaml.safe_load((cam_env.campaigns / "demo.yaml").read_text())
    assert campaign["sender"]["provider"] == "resend"
    assert fake.recipients() and all(
        r.startswith("delivered+") and r.endswith("@resend.dev") for r in fake.recipients()
    )

    assert main(["demo"]) == 0
    assert yaml.safe_load((cam_env.campaigns / "demo.yaml").read_text())["sender"]["provider"] == "outbox"


def test_a_finished_sequence_closes_its_enrolment_and_later_days_leave_it_unread(demo_home, run_assets, engine):
    from cam_core.campaign.loading import campaign_by_name

    steps = {name: len(seq.steps) for name, seq in campaign_by_name(demo_home.campaigns, "demo").sequences.items()}
    tuesday = dt.date.fromisoformat(DAY)
    for n in (0, 2, 7):  # fast_track: step 1 on Tuesday, 2 on Thursday, 3 the next Tuesday
        run_assets(day=str(tuesday + dt.timedelta(days=n)))
    assert rows_of(engine, schema.enrolments)["closed_on"].isna().all()

    wednesday = str(tuesday + dt.timedelta(days=8))
    sends = rows_of(engine, schema.sends)  # what wednesday's planning finds
    run_assets(day=wednesday)
    sent = sends[sends["status"] == "sent"]
    last = sent.groupby("email").agg(step=("step", "max"), sequence=("sequence", "first"))
    done = set(last.index[last["step"] == last["sequence"].map(steps)])
    failed = set(sends.loc[sends["status"] == "failed", "email"])
    assert done, "the demo's fast_track leads finish their three steps"
    enrolments = rows_of(engine, schema.enrolments).set_index("email")
    assert set(enrolments.index[enrolments["closed_on"].notna()]) == done | failed
    assert (enrolments["closed_on"].dropna() == wednesday).all()

    theirs = rows_of(engine, schema.sends)["email"].isin(done).sum()
    run_assets(day=str(tuesday + dt.timedelta(days=9)))  # reads open enrolments only
    later = rows_of(engine, schema.sends)
    assert later["email"].isin(done).sum() == theirs, "nothing more for a finished sequence"
    assert len(later) == len(later.drop_duplicates(["email", "step"]))
