"""The inbox sensor on a real test instance: a drop starts one run, never two; a bad file is set aside."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from cam_core.campaign.demo import demo_campaign_yaml
from cam_core.campaign.loading import load_campaigns
from cam_core.intake.inbox import QUARANTINE, scan_inbox
from cam_dagster.partitions import CAMPAIGN_DIMENSION, CampaignDay
from cam_dagster.resources.cam import CamResource
from cam_dagster.sensors.inbox import inbox_sensor

GOOD = "Email,First Name,Company\nada@acme.example,Ada,Acme\nbob@globex.example,Bob,Globex\n"


def _drop(folder: Path, name: str, data: bytes | str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    old = time.time() - 60  # finished copying a minute ago
    os.utime(path, (old, old))
    return path


def _tick(instance: dg.DagsterInstance, home, cursor: str | None = None) -> dg.SensorResult:
    resources = {"cam": CamResource(home=str(home.root))}
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
        result = inbox_sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


@pytest.fixture
def acme(cam_env):
    (cam_env.campaigns / "acme.yaml").write_text(demo_campaign_yaml(), encoding="utf-8")
    return cam_env


def test_a_new_file_starts_exactly_one_run_and_never_a_second(acme):
    _drop(acme.inbox / "acme", "export.csv", GOOD)
    today = datetime.now(UTC).date().isoformat()
    with dg.instance_for_test() as instance:
        first = _tick(instance, acme)
        assert first.run_requests is not None
        [request] = first.run_requests
        assert request.partition_key is not None and request.run_key is not None
        assert CampaignDay.of(request.partition_key).campaign == "acme"
        assert CampaignDay.of(request.partition_key).day == today
        landed = list(acme.landed_dir("acme", today).iterdir())
        assert len(landed) == 1 and landed[0].read_text() == GOOD
        sha12 = landed[0].name.split(".")[1]
        assert sha12 in request.run_key
        # The campaign had no partition yet: the sensor adds it with the request.
        assert first.dynamic_partitions_requests is not None
        [add] = first.dynamic_partitions_requests
        assert add.partition_keys == ["acme"]
        instance.add_dynamic_partitions(CAMPAIGN_DIMENSION, ["acme"])

        # The next tick, with the cursor, starts nothing.
        second = _tick(instance, acme, first.cursor)
        assert second.run_requests == [] and second.skip_reason

        # A restart that lost the cursor, or the same bytes dropped under another name,
        # asks again with the same run key, which the scheduler remembers for ever.
        _drop(acme.inbox / "acme", "export (copy).csv", GOOD)
        again = _tick(instance, acme)
        assert again.run_requests is not None
        assert {r.run_key for r in again.run_requests} == {request.run_key}
        assert len(list(acme.landed_dir("acme", today).iterdir())) == 1  # nothing landed twice


def test_the_cursor_keeps_ticks_cheap(acme, monkeypatch):
    _drop(acme.inbox / "acme", "export.csv", GOOD)
    with dg.instance_for_test() as instance:
        cursor = _tick(instance, acme).cursor
        import cam_core.intake.inbox as inbox

        hashed: list[Path] = []

        def counting_hash(path: Path) -> str:
            hashed.append(path)
            return "0" * 64

        monkeypatch.setattr(inbox, "content_hash", counting_hash)
        _tick(instance, acme, cursor)
        assert hashed == []  # unchanged files are recognised by size and time, not re-read
        assert cursor is not None and list(json.loads(cursor)) == ["acme/export.csv"]


def test_a_broken_file_is_quarantined_with_a_report_and_the_others_go_on(acme):
    inbox = acme.inbox / "acme"
    _drop(inbox, "contacts.xlsx", b"PK\x03\x04 not a csv")
    _drop(inbox, "binary.csv", b"Email\n\x00\x01\x02ada@acme.example\n")
    _drop(
        inbox,
        "unclosed.csv",
        'Email,Title\n"ann@acme.example,CTO\n' + "".join(f"p{i}@a.example,CTO\n" for i in range(12_000)),
    )
    _drop(inbox, "good.csv", GOOD)
    with dg.instance_for_test() as instance:
        result = _tick(instance, acme)
    assert result.run_requests is not None
    [request] = result.run_requests
    assert request.tags["cam/file"] == "good.csv"
    assert request.tags["cam/sending_domain"] == "northwind-data.example"  # the queue's per-domain limit
    quarantined = sorted(p.name for p in (inbox / QUARANTINE).iterdir())
    assert quarantined == [
        "binary.csv",
        "binary.csv.error.txt",
        "contacts.xlsx",
        "contacts.xlsx.error.txt",
        "unclosed.csv",
        "unclosed.csv.error.txt",
    ]
    assert "NUL bytes" in (inbox / QUARANTINE / "binary.csv.error.txt").read_text()
    assert "save it as CSV" in (inbox / QUARANTINE / "contacts.xlsx.error.txt").read_text()
    assert "unclosed quote" in (inbox / QUARANTINE / "unclosed.csv.error.txt").read_text()
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == ["good.csv"]


def test_files_for_an_unknown_campaign_are_reported_not_crashed_on(acme):
    stray = _drop(acme.inbox / "nosuch", "export.csv", GOOD)
    _drop(acme.inbox, "loose.csv", GOOD)
    (acme.campaigns / "broken.yaml").write_text("icp: [not, a, mapping\n")
    waiting = _drop(acme.inbox / "broken", "export.csv", GOOD)
    with dg.instance_for_test() as instance:
        result = _tick(instance, acme)
    assert result.run_requests == []
    assert stray.exists() and waiting.exists()  # left where they are, nothing lost
    scan = scan_inbox(acme, load_campaigns(acme.campaigns), {})
    assert any("no campaign named 'nosuch'" in p for p in scan.problems)
    assert any("inbox/loose.csv" in p for p in scan.problems)
    assert any("wait until the campaign file is fixed" in p for p in scan.problems)


def test_a_file_still_being_copied_waits(acme):
    path = _drop(acme.inbox / "acme", "export.csv", GOOD)
    os.utime(path)  # modified just now
    scan = scan_inbox(acme, load_campaigns(acme.campaigns), {})
    assert scan.landed == [] and scan.waiting == ["acme/export.csv"]


def test_the_day_is_the_campaigns_day(acme):
    text = demo_campaign_yaml()
    (acme.campaigns / "kiwi.yaml").write_text(
        text.replace("timezone: UTC", "timezone: Pacific/Auckland")
        if "timezone:" in text
        else text + "timezone: Pacific/Auckland\n"
    )
    path = _drop(acme.inbox / "kiwi", "export.csv", GOOD)
    os.utime(path, (1_700_000_000, 1_700_000_000))  # dropped well before the evening below
    evening_utc = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)  # already the 26th in Auckland
    scan = scan_inbox(acme, load_campaigns(acme.campaigns), {}, now=evening_utc)
    [landed] = scan.landed
    assert landed.day == evening_utc.astimezone(ZoneInfo("Pacific/Auckland")).date().isoformat() == "2026-11-26"
    assert landed.landed.parent == acme.landed_dir("kiwi", "2026-11-26")


def test_a_quote_left_open_in_a_small_file_and_a_file_naming_nobody_are_quarantined(acme):
    # Small enough that the reader never hits its field limit: on main this landed as 11 rows.
    rows = [f"p{i}@acme.example,Ann{i},Acme" for i in range(500)]
    rows[9] = 'p9@acme.example,"Ann9,Acme'
    inbox = acme.inbox / "acme"
    _drop(inbox, "open.csv", "Email,First Name,Company\n" + "\n".join(rows) + "\n")
    _drop(inbox, "phones.csv", "Phone,City\n123,Paris\n")
    _drop(inbox, "good.csv", GOOD)
    with dg.instance_for_test() as instance:
        result = _tick(instance, acme)
    assert [r.tags["cam/file"] for r in result.run_requests or []] == ["good.csv"]
    assert "line 11 has an unclosed quote" in (inbox / QUARANTINE / "open.csv.error.txt").read_text()
    assert "no column says who each row is" in (inbox / QUARANTINE / "phones.csv.error.txt").read_text()
