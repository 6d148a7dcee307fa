"""Failures a person causes or fixes end in one `cam: error: <cause>; <fix>` line, a non-zero
exit and no traceback (unless `cam --debug`): a locked or unreachable database, a wrong
driver, a read-only or full disk, a missing secret. And `postgresql://` just works."""

from __future__ import annotations

import errno
import subprocess
import sys

import pandas as pd
import pytest

from cam_core.campaign.demo import demo_campaign_yaml
from cam_core.state import schema
from cam_core.state.schema import engine_for
from cam_dagster.cli import main
from tests.helpers import DAY
from tests.loopback import free_port


def _cam(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_error_line(code: int, err: str) -> str:
    """The error a person reads: a non-zero exit and a last line `cam: error: ...; ...`, no traceback."""
    assert code != 0, err
    assert "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("cam: error: ") and "; " in last, err
    return last


def _no_space(self: pd.DataFrame, path: object, *args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device", str(path))


def test_a_full_disk_inside_a_run_names_the_file_and_the_fix(demo_home, capsys, monkeypatch):
    # Dagster wraps it (HandleOutputError, a step failure); the person needs the OSError underneath.
    monkeypatch.setattr(pd.DataFrame, "to_parquet", _no_space)
    code, _, err = _cam(capsys, "run", "--campaign", "demo", "--date", DAY)
    line = _one_error_line(code, err)
    assert "harvest" in line and "no space left on device" in line.lower(), line
    assert str(demo_home.data / "harvest" / "demo") in line, line
    assert "free" in line.lower() and "HandleOutputError" not in line, line


def test_debug_shows_the_traceback_too(demo_home, capsys, monkeypatch):
    monkeypatch.setattr(pd.DataFrame, "to_parquet", _no_space)
    code, _, err = _cam(capsys, "--debug", "run", "--campaign", "demo", "--date", DAY)
    # Dagster's log prints the failed step's stack, with the OSError under the HandleOutputError.
    assert code != 0 and "Stack Trace" in err and "OSError: [Errno 28]" in err, err
    assert err.strip().splitlines()[-1].startswith("cam: error: "), err


def test_a_read_only_folder_names_the_file_and_the_fix(cam_env, capsys, monkeypatch):
    (cam_env.campaigns / "acme.yaml").write_text(demo_campaign_yaml())
    target = cam_env.landed_dir("acme", DAY)

    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(target))

    monkeypatch.setattr("cam_dagster.cli.leads.land_manual_lead", read_only)
    code, _, err = _cam(capsys, "leads", "add", "--campaign", "acme", "--email", "ada@acme.example", "--date", DAY)
    line = _one_error_line(code, err)
    assert str(target) in line and "read-only file system" in line.lower() and "CAM_HOME" in line, line


def test_a_campaign_sending_through_resend_without_its_key(resend_home, capsys, monkeypatch):
    monkeypatch.delenv("RESEND_API_KEY", raising=False)
    code, _, err = _cam(capsys, "run", "--campaign", "demo", "--date", DAY)
    line = _one_error_line(code, err)
    assert "RESEND_API_KEY is not set" in line and "dagster._core" not in line, line
    assert err.count("RESEND_API_KEY") == 1, err  # said once, not echoed by Dagster's log


def test_a_locked_sqlite_database_says_who_holds_it(cam_env, capsys, monkeypatch):
    monkeypatch.setattr(schema, "SQLITE_BUSY_SECONDS", 0.2, raising=False)  # the test need not wait 30 s
    database = cam_env.root / "cam.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys\n"
            f"c = sqlite3.connect({str(database)!r}, isolation_level=None)\n"
            "c.execute('PRAGMA journal_mode=WAL'); c.execute('BEGIN IMMEDIATE'); c.execute('CREATE TABLE held (x)')\n"
            "print('held', flush=True); sys.stdin.readline()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        code, _, err = _cam(capsys, "suppress", "someone@example.com")
    finally:
        holder.communicate("\n", timeout=30)
    line = _one_error_line(code, err)
    assert str(database) in line and "locked" in line and f"pid {holder.pid}" in line, line


def test_an_unreachable_database_names_it_without_its_password(cam_env, capsys, monkeypatch):
    url = f"postgresql+psycopg2://cam:s3cret@127.0.0.1:{free_port()}/cam"
    monkeypatch.setenv("CAM_DATABASE_URL", url)
    code, _, err = _cam(capsys, "suppress", "someone@example.com")
    line = _one_error_line(code, err)
    assert "cannot reach the database" in line and "127.0.0.1" in line and "CAM_DATABASE_URL" in line, line
    assert "s3cret" not in err


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("mysql://cam:s3cret@db.example/cam", "mysql"),
        ("postgresql+foo://cam:s3cret@db.example/cam", "postgresql+foo"),
        ("postgresql+psycopg://cam:s3cret@db.example/cam", "postgresql+psycopg"),
        ("cam.db", "not in a form CAM reads"),
    ],
)
def test_a_database_url_cam_cannot_use_names_the_driver_and_the_forms_it_takes(
    cam_env, capsys, monkeypatch, url, named
):
    monkeypatch.setenv("CAM_DATABASE_URL", url)
    code, _, err = _cam(capsys, "suppress", "someone@example.com")
    line = _one_error_line(code, err)
    assert named in line and "sqlite:///" in line and "postgresql://" in line, line
    assert "s3cret" not in err


@pytest.mark.parametrize("scheme", ["postgresql://", "postgres://"])
def test_the_plain_postgresql_url_works(cam_env, capsys, monkeypatch, postgres, scheme):
    # SQLAlchemy 2.1 reads plain postgresql:// as psycopg 3, which is not installed; CAM means psycopg2.
    url = postgres.new_database().replace("postgresql+psycopg2://", scheme)
    assert url.startswith(scheme)
    monkeypatch.setenv("CAM_DATABASE_URL", url)
    code, out, err = _cam(capsys, "suppress", "someone@example.com")
    assert code == 0 and out.startswith("1 address(es) added"), err
    assert engine_for(url).dialect.driver == "psycopg2"
