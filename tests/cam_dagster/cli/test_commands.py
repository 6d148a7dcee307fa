"""The `cam` command as a user runs it, against a temporary CAM_HOME and DAGSTER_HOME."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from cam_core.campaign.demo import demo_campaign_yaml
from cam_dagster.cli import main
from tests.helpers import ASSET_KEYS, today

SMALL_CSV = """Email,First Name,Last Name,Title,Company,Website,Industry,# Employees,Country
ada@acme-data.example,Ada,Lovelace,CTO,Acme Data,https://acme-data.example,Computer Software,250,United Kingdom
 ADA@acme-data.example ,Ada,Lovelace,CTO,Acme Data,https://acme-data.example,Computer Software,250,United Kingdom
grace@hopper.example,Grace,Hopper,VP Engineering,Hopper Labs,hopper.example,SaaS,120,United States
info@hopper.example,,,,Hopper Labs,hopper.example,SaaS,120,United States
not-an-email,Alan,Turing,Director of Engineering,Bletchley,,Software,80,United Kingdom
,Linus,Torvalds,Head of Engineering,Kernel Org,,Software,60,Finland
"""


def _cam(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def acme(cam_env) -> Path:
    (cam_env.campaigns / "acme.yaml").write_text(demo_campaign_yaml())
    path = cam_env.root.parent / "acme_export.csv"
    path.write_text(SMALL_CSV, encoding="utf-8")
    return path


def test_demo_runs_the_whole_graph_then_sends_nothing_new(cam_env, capsys, monkeypatch):
    # Plain `cam demo` uses the outbox whatever the environment holds.
    monkeypatch.setenv("RESEND_API_KEY", "re_not_a_real_key")
    monkeypatch.setenv("RESEND_API_URL", "http://127.0.0.1:9")

    code, out, _ = _cam(capsys, "demo")
    assert code == 0, out
    assert "Funnel for demo on " + today() in out
    outbox = cam_env.outbox_dir("demo", today())
    sent = len(list(outbox.glob("*.eml")))
    assert sent > 0 and f"New emails this run: {sent}" in out

    code, out, _ = _cam(capsys, "demo")
    assert code == 0 and "New emails this run: 0" in out
    assert len(list(outbox.glob("*.eml"))) == sent

    # The runs live in DAGSTER_HOME, so `make dev` shows every asset materialized for the partition.
    with dg.DagsterInstance.get() as instance:
        key = dg.MultiPartitionKey({"campaign": "demo", "date": today()})
        for asset in ASSET_KEYS:
            event = instance.get_latest_materialization_event(dg.AssetKey(asset))
            assert event is not None and event.asset_materialization is not None, asset
            assert event.asset_materialization.partition == key, asset


def test_ingest_run_and_export(acme, cam_env, capsys, tmp_path):
    code, out, _ = _cam(capsys, "ingest", str(acme), "--campaign", "acme", "--date", today())
    assert code == 0 and "Landed:" in out
    code, out, _ = _cam(capsys, "ingest", str(acme), "--campaign", "acme", "--date", today())
    assert code == 0 and "Already landed" in out
    assert len(list(cam_env.landed_dir("acme", today()).iterdir())) == 1

    code, out, _ = _cam(capsys, "run", "--campaign", "acme", "--date", today())
    assert code == 0, out
    # Linus has no email but a name and a company: kept for enrichment, never sent to.
    assert re.search(r"rows_read +6\n +accepted +4\n", out), out
    assert re.search(r"needs_email +1\n", out), out

    target = tmp_path / "leads.csv"
    assert _cam(capsys, "leads", "export", "--campaign", "acme", "--output", str(target))[0] == 0
    leads = pd.read_csv(target, keep_default_na=False).set_index("email")
    assert list(leads.columns[:5]) == ["status", "score", "tier", "sequence", "reason"]
    assert sorted(leads.index) == ["ada@acme-data.example", "grace@hopper.example", "info@hopper.example"]
    assert leads.loc["info@hopper.example", "status"] == "rejected"
    assert leads.loc["info@hopper.example", "reason"] == "role account, not a person"
    assert leads.loc["ada@acme-data.example", "status"] == "contacted"
    assert leads.loc["ada@acme-data.example", "tier"] in ("hot", "warm", "cool", "cold")

    code, out, _ = _cam(capsys, "leads", "export", "--campaign", "acme", "--status", "contacted", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and {r["email"] for r in rows} == {"ada@acme-data.example", "grace@hopper.example"}
    assert all(r["sequence"] and r["reason"] for r in rows)


def test_user_mistakes_get_a_clear_error_not_a_traceback(acme, capsys):
    code, _, err = _cam(capsys, "ingest", str(acme), "--campaign", "nosuch")
    assert code == 2 and f"no campaign 'nosuch' in {acme.parent / 'cam' / 'campaigns'}; existing: acme" in err
    code, _, err = _cam(capsys, "ingest", str(acme), "--campaign", "acme", "--date", "25/11/2026")
    assert code == 2 and "expected YYYY-MM-DD" in err
    code, _, err = _cam(capsys, "ingest", str(acme.with_name("missing.csv")), "--campaign", "acme")
    assert code == 2 and "no such file" in err
    assert "Traceback" not in err


def test_suppress_reports_new_and_known_addresses(cam_env, capsys):
    code, out, _ = _cam(capsys, "suppress", "Someone@Example.com", "other@example.com")
    assert code == 0 and out.startswith("2 address(es) added")
    code, out, _ = _cam(capsys, "suppress", "someone@example.com")
    assert out.startswith("0 address(es) added")


def test_dagster_cli_materializes_a_partition_after_cam_ingest(acme, capsys):
    assert _cam(capsys, "ingest", str(acme), "--campaign", "acme", "--date", today())[0] == 0
    dagster = Path(sys.executable).with_name("dagster")
    completed = subprocess.run(
        [
            str(dagster),
            "asset",
            "materialize",
            "-m",
            "cam_dagster.definitions",
            "--select",
            "*",
            "--partition",
            f"acme|{today()}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ.copy(),
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    code, out, _ = _cam(capsys, "leads", "export", "--campaign", "acme", "--status", "contacted")
    assert code == 0 and len(pd.read_csv(io.StringIO(out))) == 2


@pytest.mark.parametrize(
    "argv",
    [
        ["ingest", "leads.csv", "--campaign", "../x"],
        ["run", "--campaign", "../x"],
        ["leads", "add", "--campaign", "../x", "--email", "ada@acme.example"],
        ["leads", "export", "--campaign", "../x"],
        ["leads", "history", "ada@acme.example", "--campaign", "../x"],
        ["review", "list", "--campaign", "../x"],
        ["preview", "--campaign", "../x", "--email", "ada@acme.example"],
        ["resume", "--campaign", "../x"],
        ["replies", "list", "--campaign", "../x"],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_a_campaign_name_that_is_a_path_is_refused_at_the_edge(cam_env, capsys, argv):
    # A campaign file outside the campaign folder, so that `../x` would have resolved to it.
    (cam_env.root / "x.yaml").write_text(demo_campaign_yaml())
    with pytest.raises(SystemExit) as refused:
        main(argv)
    err = capsys.readouterr().err
    assert refused.value.code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("cam: error: argument --campaign: '../x' is not a campaign name")
    assert sorted(p.name for p in cam_env.root.iterdir()) == sorted(
        ["campaigns", "data", "inbox", "landed", "outbox", "x.yaml"]
    )


@pytest.mark.parametrize("day", ["2024-12-31", "2099-01-01"])
def test_a_date_outside_the_partition_range_says_the_range(acme, capsys, day):
    code, _, err = _cam(capsys, "run", "--campaign", "acme", "--date", day)
    last = dt.datetime.now(dt.UTC).date().isoformat()
    assert code == 2 and "Traceback" not in err
    if day > last:
        assert err.strip() == (
            f"cam: error: --date {day} is outside the partition range 2025-01-01 to {last} (today, UTC); "
            "pick a day in that range"
        )
    else:  # the suite starts its range at CAM_FIRST_DAY=2025-01-01 (conftest)
        assert err.strip() == (
            f"cam: error: --date {day} is before the partition range 2025-01-01 to {last} (today, UTC); "
            "to go further back, set the campaign's start_date (then reload the code location) or "
            "CAM_FIRST_DAY=YYYY-MM-DD"
        )
