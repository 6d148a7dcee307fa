"""Where the date partitions begin: at the campaigns' first day, not years before it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cam_core.campaign.demo import demo_campaign_yaml
from cam_core.campaign.first_day import FirstDayError
from cam_core.campaign.first_day import first_day as first_day_of
from cam_core.settings import HomeLayout
from cam_dagster.partitions import day_outside_range, day_range

TODAY = dt.date(2026, 12, 1)


def first_day(root: Path, environ: dict[str, str], today: dt.date) -> dt.date:
    """The first day for a CAM home at `root` (its campaign files in `root/campaigns`)."""
    return first_day_of(environ, today, home=lambda: HomeLayout(root))


def _campaign(folder: Path, name: str, start_date: str | None = None, written: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    raw = yaml.safe_load(demo_campaign_yaml())
    raw["name"] = name
    if start_date:
        raw["start_date"] = start_date
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    if written:
        stamp = dt.datetime.fromisoformat(f"{written}T12:00:00+00:00").timestamp()
        os.utime(path, (stamp, stamp))
    return path


def test_the_first_day_is_the_earliest_campaign_start(tmp_path):
    _campaign(tmp_path / "campaigns", "spring", start_date="2026-03-02", written="2026-01-10")
    _campaign(tmp_path / "campaigns", "autumn", start_date="2026-09-01")
    assert first_day(tmp_path, {}, TODAY) == dt.date(2026, 3, 2), "start_date wins over the day the file was written"


def test_a_campaign_without_a_start_counts_from_the_day_its_file_was_written(tmp_path):
    _campaign(tmp_path / "campaigns", "spring", start_date="2026-03-02")
    _campaign(tmp_path / "campaigns", "older", written="2026-02-14")
    assert first_day(tmp_path, {}, TODAY) == dt.date(2026, 2, 14)


def test_a_day_files_were_landed_for_stays_in_the_range_after_its_campaign_file_is_edited(tmp_path):
    _campaign(tmp_path / "campaigns", "demo", written="2026-11-30")  # edited yesterday, no start_date
    for day in ("2026-11-17", "2026-11-24"):
        (tmp_path / "landed" / "demo" / day).mkdir(parents=True)
    (tmp_path / "landed" / "demo" / "notes").mkdir()
    assert first_day(tmp_path, {}, TODAY) == dt.date(2026, 11, 17)


def test_no_campaign_yet_starts_today_and_a_future_start_never_hides_today(tmp_path):
    assert first_day(tmp_path, {}, TODAY) == TODAY
    _campaign(tmp_path / "campaigns", "next-year", start_date="2027-01-04")
    assert first_day(tmp_path, {}, TODAY) == TODAY


def test_a_campaign_file_that_does_not_load_counts_for_nothing(tmp_path):
    _campaign(tmp_path / "campaigns", "good", start_date="2026-06-01")
    (tmp_path / "campaigns" / "broken.yaml").write_text("name: broken\nstart_date: 2020-01-01\nicp: [\n")
    assert first_day(tmp_path, {}, TODAY) == dt.date(2026, 6, 1)


def test_cam_first_day_goes_further_back_than_any_campaign(tmp_path):
    _campaign(tmp_path / "campaigns", "spring", start_date="2026-03-02")
    assert first_day(tmp_path, {"CAM_FIRST_DAY": "2025-11-03"}, TODAY) == dt.date(2025, 11, 3)
    assert first_day(tmp_path, {"CAM_FIRST_DAY": ""}, TODAY) == dt.date(2026, 3, 2)
    # An explicit day reads no campaign file and creates no home.
    untouched = first_day_of({"CAM_FIRST_DAY": "2025-11-03"}, TODAY, home=lambda: pytest.fail("home was read"))
    assert untouched == dt.date(2025, 11, 3)


@pytest.mark.parametrize("text", ["2026-1-5", "20260105", "2026-13-01", "yesterday"])
def test_a_malformed_cam_first_day_is_named_with_its_fix(tmp_path, text):
    with pytest.raises(FirstDayError) as caught:
        first_day(tmp_path, {"CAM_FIRST_DAY": text}, TODAY)
    assert str(caught.value).startswith(f"CAM_FIRST_DAY={text!r} is not a day; write it as YYYY-MM-DD")


def test_a_day_before_the_range_says_how_to_go_further_back():
    first, last = day_range()
    before = (dt.date.fromisoformat(first) - dt.timedelta(days=1)).isoformat()
    message = day_outside_range(before)
    assert message is not None and message.startswith(f"{before} is before the partition range {first} to {last}")
    assert "start_date" in message and "CAM_FIRST_DAY" in message
    assert day_outside_range(first) is None and day_outside_range(last) is None


def _range_in_new_process(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "from cam_dagster.partitions import day_range; print(*day_range())"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_the_definitions_read_the_campaigns_when_they_load(cam_env):
    _campaign(cam_env.campaigns, "spring", start_date="2026-03-02")
    env = {k: v for k, v in os.environ.items() if k != "CAM_FIRST_DAY"}

    shown = _range_in_new_process(env)

    assert shown.returncode == 0, shown.stderr
    first, last = shown.stdout.split()
    assert first == "2026-03-02" and last == dt.datetime.now(dt.UTC).date().isoformat()

    refused = _range_in_new_process({**env, "CAM_FIRST_DAY": "03/02/2026"})
    assert refused.returncode != 0
    assert "CAM_FIRST_DAY='03/02/2026' is not a day; write it as YYYY-MM-DD" in refused.stderr.splitlines()[-1]


def test_cam_with_a_malformed_cam_first_day_says_so_in_one_line(cam_env):
    cam = Path(sys.executable).with_name("cam")
    done = subprocess.run(
        [str(cam), "status"], env={**os.environ, "CAM_FIRST_DAY": "5/1/2026"}, capture_output=True, text=True
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        "cam: error: CAM_FIRST_DAY='5/1/2026' is not a day; write it as YYYY-MM-DD (like 2026-01-05), "
        "or unset it to start where the campaigns start\n"
    )
