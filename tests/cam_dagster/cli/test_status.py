"""After `cam demo`: the funnel's arithmetic holds, the next commands are named, and `cam status`
shows the campaign's day, sends to date, reviews and the run that produced them."""

from __future__ import annotations

import re

import dagster as dg
import pytest

from cam_core.reporting.funnel_sums import funnel_sums
from cam_dagster.cli import main
from tests.helpers import today

_STAGE = re.compile(r"^  (?P<stage>\w+)\s+(?P<count>\d+)(?:\s+\(target \d+\))?$")
_SUM = re.compile(r"^  (?P<total>\w+) (?P<n>\d+) = (?P<parts>.+)$")


def _cam(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def demo(cam_env, capsys) -> str:
    code, out, err = _cam(capsys, "demo")
    assert code == 0, err
    return out


def test_the_demo_shows_how_its_funnel_adds_up_and_what_to_try_next(demo):
    lines = demo.splitlines()
    funnel = {m["stage"]: int(m["count"]) for line in lines if (m := _STAGE.match(line))}
    start = lines.index("How it adds up:")
    sums = [m for line in lines[start + 1 :] if (m := _SUM.match(line))]
    assert len(sums) >= 3
    for found in sums:
        # Each total is the funnel's own number, and its parts add up to it.
        assert funnel[found["total"]] == int(found["n"])
        parts = [part.rsplit(" ", 1) for part in found["parts"].split(" + ")]
        assert sum(int(n) for _, n in parts) == int(found["n"]), found[0]
        for name, n in parts:
            if name in funnel:
                assert funnel[name] == int(n), found[0]
    verdicts = next(m for m in sums if m["parts"].startswith("qualified"))
    assert verdicts["total"] == "accepted"
    assert "rows_read" in {m["total"] for m in sums}

    after = "\n".join(lines[lines.index("Next:") :])
    assert "cam status" in after and "http://127.0.0.1:3000/assets/campaign_metrics" in after


def test_a_sum_that_does_not_hold_is_not_printed():
    # Say a file on disk was edited: 10 read but 12 accepted, verdicts that do not cover them.
    lines = funnel_sums({"rows_read": 10, "accepted": 12, "qualified": 3, "review": 1, "rejected": 1, "routed": 3})
    assert lines == ["qualified 3 = routed 3 + held for another campaign 0"]


def test_status_shows_each_campaign_after_the_demo(demo, cam_env, capsys):
    (cam_env.campaigns / "broken.yaml").write_text("name: [\n", encoding="utf-8")

    code, out, _ = _cam(capsys, "status")

    assert code == 0
    [row] = [line for line in out.splitlines() if line.startswith("demo ")]
    funnel = {m["stage"]: m["count"] for line in demo.splitlines() if (m := _STAGE.match(line))}
    with dg.DagsterInstance.get() as instance:
        [run] = instance.get_runs(
            filters=dg.RunsFilter(job_name="cam_pipeline", tags={"dagster/partition/campaign": "demo"}), limit=1
        )
    cells = row.split()
    # campaign, sending, read, qualified, sent, sent to date, to review, run id, state, (day), start
    assert cells[:7] == [
        "demo",
        "yes",
        funnel["rows_read"],
        funnel["qualified"],
        funnel["sent"],
        funnel["sent"],
        funnel["review"],
    ]
    assert cells[7:10] == [run.run_id[:8], "success", f"({today()})"]
    [broken] = [line for line in out.splitlines() if line.startswith("broken ")]
    assert "file error:" in broken and "not valid YAML" in broken
    assert "cam review list --campaign NAME" in out


def test_status_says_when_a_day_was_not_run_and_a_campaign_is_paused(demo, cam_env, capsys):
    from cam_core.state.pauses import pause
    from cam_dagster.cli.common import engine, now

    pause(engine(), "demo", "bounce rate 9% over the last 200 sends", now())
    code, out, _ = _cam(capsys, "status", "--date", "2026-01-01")
    assert code == 0

    [row] = [line for line in out.splitlines() if line.startswith("demo ")]
    assert "paused: bounce rate 9% over the last 200 sends" in row and "not run" in row
    assert "cam resume --campaign NAME" in out


def test_status_without_campaigns_says_how_to_start(cam_env, capsys):
    code, out, _ = _cam(capsys, "status")
    assert code == 0 and "cam demo" in out
