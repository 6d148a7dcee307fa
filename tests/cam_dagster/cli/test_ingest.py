"""`cam ingest` refuses what the inbox would quarantine, with the same words, and lands nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from cam_core.campaign.demo import demo_campaign_yaml
from cam_core.intake import IntakeError
from cam_core.intake.screening import screen_lead_file
from cam_dagster.cli import main
from tests.helpers import DAY

GOOD = "Email,First Name,Company\nada@acme.example,Ada,Acme\nbob@globex.example,Bob,Globex\n"
_OPEN = "Email,First Name\n" + "".join(f"p{i}@acme.example,Ann{i}\n" for i in range(500))


@pytest.fixture
def acme(cam_env):
    (cam_env.campaigns / "acme.yaml").write_text(demo_campaign_yaml(), encoding="utf-8")
    return cam_env


def _ingest(capsys, path: Path) -> tuple[int, str, str]:
    code = main(["ingest", str(path), "--campaign", "acme", "--date", DAY])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("contacts.csv", b"PK\x03\x04\x14\x00 an Excel workbook saved as .csv", "an Excel workbook or zip archive"),
        ("binary.csv", b"Email\n\x00\x01\x02ada@acme.example\n", "NUL bytes"),
        ("phones.csv", b"Phone,City\n123,Paris\n456,Oslo\n", "no column says who each row is"),
        ("open.csv", _OPEN.replace("p10@acme.example,Ann10", 'p10@acme.example,"Ann10').encode(), "line 12"),
        ("contacts.xlsx", b"PK\x03\x04 workbook", "save it as CSV"),
    ],
)
def test_a_file_the_inbox_would_quarantine_is_refused_and_nothing_lands(acme, capsys, tmp_path, name, data, says):
    path = tmp_path / name
    path.write_bytes(data)

    code, out, err = _ingest(capsys, path)

    assert code != 0 and out == ""
    [line] = err.splitlines()
    assert line.startswith(f"cam: error: {name}: ") and says in line and line.endswith("(nothing was landed)")
    with pytest.raises(IntakeError) as inbox:  # the inbox's own check, word for word
        screen_lead_file(path)
    assert str(inbox.value) in line
    assert not acme.landed_dir("acme", DAY).exists() or not any(acme.landed_dir("acme", DAY).iterdir())


def test_a_good_file_lands_once(acme, capsys, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(GOOD, encoding="utf-8")

    code, out, _ = _ingest(capsys, path)
    assert code == 0 and out.startswith("Landed: ") and "(2 row(s))" in out
    code, out, _ = _ingest(capsys, path)
    assert code == 0 and out.startswith("Already landed")
    assert len(list(acme.landed_dir("acme", DAY).iterdir())) == 1


def test_a_missing_file_is_named(acme, capsys, tmp_path):
    code, _, err = _ingest(capsys, tmp_path / "gone.csv")
    assert code != 0 and err.strip() == f"cam: error: {tmp_path / 'gone.csv'}: no such file"
