"""`cam leads add` and the formula-safe `cam leads export`, as a user runs them."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from cam_core.campaign.demo import demo_campaign_yaml
from cam_core.reporting.export import neutralise_formulas
from cam_dagster.cli import main
from tests.helpers import DAY, today


def _cam(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def acme(cam_env):
    (cam_env.campaigns / "acme.yaml").write_text(demo_campaign_yaml())
    return cam_env


def test_a_lead_added_by_hand_flows_through_the_pipeline(acme, capsys):
    add = ["leads", "add", "--campaign", "acme", "--email", " Ada@Acme-Data.example ", "--first-name", "Ada"]
    add += ["--last-name", "Lovelace", "--company", '=HYPERLINK("http://x")', "--title", "CTO", "--date", DAY]
    code, out, _ = _cam(capsys, *add)
    assert code == 0 and out.startswith("Added: Ada@Acme-Data.example for acme on " + DAY)
    code, out, _ = _cam(capsys, *add)
    assert code == 0 and out.startswith("Already added")
    assert len(list(acme.landed_dir("acme", DAY).iterdir())) == 1

    assert _cam(capsys, "run", "--campaign", "acme", "--date", DAY)[0] == 0
    code, out, _ = _cam(capsys, "leads", "export", "--campaign", "acme")
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert row["email"] == "ada@acme-data.example" and row["first_name"] == "Ada" and row["title"] == "CTO"
    # Opened in a spreadsheet, the company is text, not a live formula.
    assert row["company"] == '\'=HYPERLINK("http://x")'
    code, out, _ = _cam(capsys, "leads", "export", "--campaign", "acme", "--format", "json")
    assert '"company":"=HYPERLINK' in out.replace(" ", "")  # JSON is not a spreadsheet: left as it is


def test_leads_add_defaults_to_today_and_refuses_a_bad_address(acme, capsys):
    code, out, _ = _cam(capsys, "leads", "add", "--campaign", "acme", "--email", "zoe@globex.example")
    assert code == 0 and f"for acme on {today()}" in out  # the demo campaign's zone is UTC
    code, _, err = _cam(capsys, "leads", "add", "--campaign", "acme", "--email", "not-an-address")
    assert code == 2 and "--email 'not-an-address': expected an address" in err and "Traceback" not in err
    code, _, err = _cam(capsys, "leads", "add", "--campaign", "nosuch", "--email", "a@b.example")
    assert code == 2 and "no campaign 'nosuch'" in err and "existing: acme" in err


def test_every_formula_start_is_neutralised_and_nothing_else():
    frame = pd.DataFrame(
        {
            "company": ["=1+1", "+33 1 23", "-2", "@SUM(A1)", "\tx", "\rx", "Acme", "", None, "a=b"],
            "score": [1, -5, 3, 4, 5, 6, 7, 8, 9, 10],
        }
    )
    safe = neutralise_formulas(frame)
    assert safe["company"].tolist()[:6] == ["'=1+1", "'+33 1 23", "'-2", "'@SUM(A1)", "'\tx", "'\rx"]
    assert safe["company"].tolist()[6:8] == ["Acme", ""] and pd.isna(safe["company"].iloc[8])
    assert safe["company"].iloc[9] == "a=b"
    assert safe["score"].tolist() == frame["score"].tolist()  # numbers stay numbers


def test_a_conversion_recorded_by_hand_joins_the_leads_history(acme, capsys):
    add = ["leads", "add", "--campaign", "acme", "--email", "ada@acme-data.example", "--first-name", "Ada"]
    add += ["--last-name", "Lovelace", "--company", "Acme Data", "--title", "CTO", "--date", DAY]
    assert _cam(capsys, *add)[0] == 0
    assert _cam(capsys, "run", "--campaign", "acme", "--date", DAY)[0] == 0
    status = _cam(capsys, "leads", "export", "--campaign", "acme", "--format", "json")[1]
    before = pd.read_json(io.StringIO(status))["status"].iloc[0]

    code, out, _ = _cam(capsys, "leads", "mark", "Ada@Acme-Data.example", "converted", "--campaign", "acme")
    assert code == 0 and out.strip() == f"ada@acme-data.example in acme: {before} -> converted"
    code, _, err = _cam(capsys, "leads", "mark", "ada@acme-data.example", "qualified", "--campaign", "acme")
    assert code == 2 and "a lead that is converted cannot become qualified" in err
    with pytest.raises(SystemExit) as refused:  # a usage error, refused before anything is read
        main(["leads", "mark", "ada@acme-data.example", "convertd", "--campaign", "acme"])
    assert refused.value.code == 2 and "did you mean 'converted'?" in capsys.readouterr().err

    code, out, _ = _cam(capsys, "leads", "history", "ada@acme-data.example")
    lines = out.strip().splitlines()
    assert code == 0 and lines[0].split()[:4] == ["campaign", "email", "from_status", "to_status"]
    assert "harvested" in lines[1] and "converted" in lines[-1] and "marked by hand" in lines[-1]
    assert lines[-1].split()[-1] == "cli"
    code, _, err = _cam(capsys, "leads", "history", "nobody@acme-data.example")
    assert code == 2 and "no recorded change for nobody@acme-data.example" in err
