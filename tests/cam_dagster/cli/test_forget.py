"""`cam forget` after a real run: no trace of the person anywhere, and they stay suppressed.
`cam suppress` refuses what is not an address."""

from __future__ import annotations

import csv
import hashlib
import io

import pandas as pd
import pytest
import sqlalchemy as sa

from cam_core.campaign.demo import DEMO_CAMPAIGN
from cam_core.intake.landing import land_file
from cam_core.settings import HomeLayout
from cam_core.state import schema
from cam_core.state.suppression import suppress, suppressed
from cam_core.unsubscribe import keyed_hash
from cam_core.vocabulary import SendStatus
from cam_dagster.cli import main
from tests.helpers import DAY, NOW, UNSUBSCRIBE_SECRET, stored

NEXT_DAY = "2026-11-18"


@pytest.fixture
def cli_home(demo_home: HomeLayout, database_url: str, monkeypatch: pytest.MonkeyPatch) -> HomeLayout:
    """The `cam` command sees the database and the key the runs use."""
    monkeypatch.setenv("CAM_DATABASE_URL", database_url)
    monkeypatch.setenv("CAM_UNSUBSCRIBE_SECRET", UNSUBSCRIBE_SECRET)
    return demo_home


def _cam(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _traces(engine, home: HomeLayout, email: str) -> list[str]:
    """Every place that still holds the address, in any case: table cells, Parquet cells, file bytes."""
    found = []
    with engine.connect() as conn:
        for table in schema.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                found += [f"{table.name}: {v!r}" for v in row if isinstance(v, str) and email in v.lower()]
    for path in sorted(home.root.rglob("*")):
        if not path.is_file() or path.is_relative_to(home.campaigns):
            continue
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            for column in frame.columns:
                if frame[column].map(lambda v: isinstance(v, str) and email in v.lower()).any():
                    found.append(f"{path}: column {column}")
        if email.encode() in path.read_bytes().lower():  # the SQLite file and its log too
            found.append(str(path))
    return found


def _rows_of(sample: str, email: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(sample))
    header = next(reader)
    column = header.index("Email")
    return [header] + [row for row in reader if row[column].strip().lower() == email]


def test_forget_leaves_no_trace_and_a_later_import_is_still_suppressed(cli_home, run_assets, engine, capsys):
    run_assets()
    sample = (cli_home.samples / "demo_leads.csv").read_text(encoding="utf-8")
    everyone = stored(cli_home, "harvest")["email"]
    sent = stored(cli_home, "sent_emails")
    # Someone written to whose address is part of nobody else's, and whom the sample lists twice
    # (once upper-cased and padded: a harvest reject), so every place holds them.
    lines = sample.lower().splitlines()
    twins = {e for e in everyone if e and sum(e in line for line in lines) == 2}
    victim = next(
        e
        for e in sent.loc[sent["status"] == SendStatus.SENT, "email"]
        if e in twins and sum(e in other for other in everyone) == 1
    )
    suppress(engine, [victim], reason="unsubscribed", source="test", now=NOW)
    assert len(_traces(engine, cli_home, victim)) > 5

    code, out, err = _cam(capsys, "forget", f" {victim.upper()} ", "--yes")

    assert code == 0, err
    assert "leads: 1 row" in out and "sends: 1 row" in out and "outbox: 1 message" in out
    assert f"data/harvest/{DEMO_CAMPAIGN}/{DAY}.parquet: 1 row" in out
    assert "suppression: the address replaced by its keyed hash, reason forgotten (was: unsubscribed)" in out
    others = set(everyone) - {victim, ""}
    assert not [o for o in others if o in out], "other people's data is never printed"
    assert _traces(engine, cli_home, victim) == []
    listed = suppressed(engine)
    hashed = keyed_hash(victim, UNSUBSCRIBE_SECRET)
    assert listed[hashed] == "forgotten" and victim not in listed.index
    assert hashed != "sha256:" + hashlib.sha256(victim.encode()).hexdigest()
    assert len(listed) == 1
    # The other leads are still there, sent messages and all.
    assert len(stored(cli_home, "harvest")) == len(everyone) - 1
    assert len(list(cli_home.outbox.rglob("*.eml"))) == int((sent["status"] == SendStatus.SENT).sum()) - 1

    again = cli_home.root.parent / "again.csv"
    again.write_text("".join(",".join(r) + "\n" for r in _rows_of(sample, victim)[:2]), encoding="utf-8")
    land_file(cli_home, again, DEMO_CAMPAIGN, NEXT_DAY)
    run_assets(day=NEXT_DAY)

    qualified = stored(cli_home, "qualified", day=NEXT_DAY).set_index("email")
    assert qualified.loc[victim, "reason"] == "suppressed (forgotten)"
    with engine.connect() as conn:
        assert not conn.execute(sa.select(schema.sends).where(schema.sends.c.email == victim)).first()
    assert not [p for p in cli_home.outbox.rglob("*.eml") if victim.encode() in p.read_bytes().lower()]

    code, out, _ = _cam(capsys, "forget", victim, "--yes")
    assert code == 0 and "leads: 1 row" in out and "suppression: the address replaced" not in out
    assert _traces(engine, cli_home, victim) == []


@pytest.mark.sqlite_only
def test_forget_asks_before_erasing_and_refuses_what_is_not_an_address(cli_home, capsys):
    code, _, err = _cam(capsys, "forget", "nobody@example.com")
    assert code == 2 and "--yes" in err and "nothing was erased" in err
    code, _, err = _cam(capsys, "forget", "ada", "--yes")
    assert code == 2 and "'ada'" in err
    code, out, _ = _cam(capsys, "forget", "nobody@example.com", "--yes")
    assert code == 0 and "Found nowhere (a typo?): nobody@example.com" in out


@pytest.mark.sqlite_only
def test_suppress_refuses_bad_addresses_and_adds_none(cli_home, engine, capsys):
    code, _, err = _cam(capsys, "suppress", "ok@example.com", "not-an-email", "two@@example.com")
    assert code == 2
    assert "'not-an-email'" in err and "'two@@example.com'" in err and "ok@example.com" not in err
    assert suppressed(engine).empty

    code, out, _ = _cam(capsys, "suppress", "MAILTO:<Ok@Example.com>", "ok@example.com")
    assert code == 0 and out.startswith("1 address(es) added")
    assert list(suppressed(engine).index) == ["ok@example.com"]


@pytest.mark.sqlite_only
def test_suppress_never_writes_a_forgotten_address_in_the_clear(cli_home, engine, capsys):
    assert _cam(capsys, "forget", "gone@example.com", "--yes")[0] == 0
    code, out, _ = _cam(capsys, "suppress", "gone@example.com")
    assert code == 0 and out.startswith("0 address(es) added")
    assert list(suppressed(engine).index) == [keyed_hash("gone@example.com", UNSUBSCRIBE_SECRET)]


def test_forget_of_an_international_address_erases_its_punycode_spelling(cli_home, capsys):
    # The same mailbox as `ann@bücher-idn.de`, written the way an ASCII-only export writes it.
    export = cli_home.root.parent / "idn.csv"
    export.write_text("Email,Name\nann@xn--bcher-idn-q9a.de,Ann\nbob@acme.example,Bob\n", encoding="utf-8")
    landed, _ = land_file(cli_home, export, DEMO_CAMPAIGN, NEXT_DAY)

    code, out, err = _cam(capsys, "forget", "ann@bücher-idn.de", "--yes")

    assert code == 0, err
    assert landed.read_text(encoding="utf-8") == "Email,Name\nbob@acme.example,Bob\n"
    assert f"landed/{DEMO_CAMPAIGN}/{NEXT_DAY}/{landed.name}: 1 row" in out
    assert "Found nowhere" not in out
