"""The reputation guard end to end: Resend's bounce webhooks drive the demo campaign over
its hard-bounce limit; its sending pauses (nothing claimed, the run fails saying why and
how to resume) while the rest of the graph runs, and `cam resume` lets it send again."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import pytest

from cam_core.campaign.demo import DEMO_CAMPAIGN
from cam_core.engagement.receiving import receive
from cam_core.engagement.resend_events import event_row
from cam_core.state import schema
from cam_core.state.pauses import pause_of
from cam_core.vocabulary import SendStatus
from cam_dagster.cli import main
from tests.helpers import DAY, RESEND_KEY, UNSUBSCRIBE_SECRET, metadata_of, resend_settings, rows_of, stored

#: Fast-track's second step is due two business days after the first (Tuesday -> Thursday).
THURSDAY = (dt.date.fromisoformat(DAY) + dt.timedelta(days=2)).isoformat()


def _webhook(n: int, kind: str, sent: pd.Series, bounce_type: str = "Permanent") -> dict[str, Any]:
    """A verified Resend webhook call about one ledger row, as `cam serve` hands it on."""
    data: dict[str, Any] = {"email_id": sent["message_id"], "to": [sent["email"]], "created_at": f"{DAY}T12:00:00Z"}
    if kind == "email.bounced":
        data["bounce"] = {"type": bounce_type, "subType": "General", "message": "mailbox does not exist"}
    payload = {"type": kind, "created_at": f"{DAY}T12:0{n % 10}:00Z", "data": data}
    return event_row(f"msg_{kind}_{n}", json.dumps(payload), payload)


def _cam(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_bounce_webhooks_pause_sending_until_cam_resume(
    resend_home, run_assets, engine, database_url, fake, capsys, monkeypatch
):
    for name, value in {
        "CAM_DATABASE_URL": database_url,
        "RESEND_API_KEY": RESEND_KEY,
        "RESEND_API_URL": fake.url,
        "CAM_UNSUBSCRIBE_SECRET": UNSUBSCRIBE_SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    run_assets(**resend_settings(fake))  # Tuesday: every first step goes out
    first = rows_of(engine, schema.sends)
    assert len(first) >= 100 and (first["status"] == SendStatus.SENT).all()

    # Resend reports: one in twenty-five addresses bounced for good (4 %, above the 3 %
    # default), a few more only softly (never counted), the rest delivered.
    hard = first.iloc[::25]
    soft = first.drop(hard.index).iloc[:10]
    calls = [_webhook(n, "email.bounced", row) for n, (_, row) in enumerate(hard.iterrows())]
    calls += [_webhook(n, "email.bounced", row, "Transient") for n, (_, row) in enumerate(soft.iterrows())]
    calls += [_webhook(n, "email.delivered", row) for n, (_, row) in enumerate(first.drop(hard.index).iterrows())]
    receive(engine, pd.DataFrame(calls), dt.datetime.fromisoformat(f"{DAY}T12:30:00+00:00"), UNSUBSCRIBE_SECRET)

    # Thursday: step two is due for the fast-track leads, but the campaign may not send.
    paused = run_assets(day=THURSDAY, raise_on_error=False, **resend_settings(fake))

    assert not paused.success
    [failure] = [e for e in paused.all_events if e.is_step_failure]
    assert failure.step_key == "sent_emails"
    message = failure.step_failure_data.user_failure_data.description
    rate = f"{len(hard) / len(first):.2%}"
    assert f"sending for campaign demo is paused since {THURSDAY} 10:00 UTC" in message
    assert f"hard-bounce rate {rate} ({len(hard)} of its last {len(first)} sends)" in message
    assert "above sender.reputation.max_bounce_rate 3.00%" in message
    assert "Run `cam resume --campaign demo` once the cause is fixed." in message
    pause = pause_of(engine, DEMO_CAMPAIGN)
    assert pause is not None and pause.active and pause.reason in message
    # Claims are refused: no new ledger row, none pending, nothing handed to Resend.
    assert len(rows_of(engine, schema.sends)) == len(first) and len(fake.delivered) == len(first)
    meta = metadata_of(paused, "sent_emails")
    due = stored(resend_home, "nurture_batch", day=THURSDAY)
    assert len(due) > 0 and meta["this_run_held_by_pause"] == len(due)
    assert meta["this_run_claimed"] == 0 and meta["this_run_left_pending"] == 0
    assert meta["paused"] == pause.reason
    # Intake, scoring and planning ran all the same.
    done = {e.asset_key.path[-1] for e in paused.get_asset_materialization_events()}
    assert {"harvest", "scored", "qualified", "routed", "nurture_batch"} <= done

    code, out = _cam(capsys, "campaigns")
    assert code == 0 and f"paused demo: {pause.reason}" in out

    code, out = _cam(capsys, "resume", "--campaign", "demo")
    assert code == 0 and out.startswith("resumed demo: its sending was paused since")
    assert _cam(capsys, "campaigns") == (0, "ok     demo\n")
    assert "demo is not paused" in _cam(capsys, "resume", "--campaign", "demo")[1]
    assert "no campaign 'nosuch'" in _cam(capsys, "resume", "--campaign", "nosuch")[1]

    # The next run sends step two; the bounces that paused the campaign do not pause it again.
    resumed = run_assets(day=THURSDAY, now=f"{THURSDAY}T11:00:00+00:00", **resend_settings(fake))
    sends = rows_of(engine, schema.sends)
    step_two = sends[sends["send_day"] == THURSDAY]
    assert len(step_two) == len(due) and (step_two["status"] == SendStatus.SENT).all()
    assert len(fake.recipients()) == len(sends) and metadata_of(resumed, "sent_emails")["paused"] == "no"
