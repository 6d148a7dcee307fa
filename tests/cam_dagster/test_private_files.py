"""Files that hold personal data (the CAM database, Dagster's storage, stored partitions, landed
files, the outbox) are readable by their owner only, whoever writes them: `cam`, or a run of
the code location started by Dagster's own command line."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cam_core.settings import HomeLayout
from cam_dagster.cli import main
from tests.helpers import today

pytestmark = pytest.mark.sqlite_only  # file modes; the database is the default SQLite file


@pytest.fixture
def shell_umask() -> Iterator[None]:
    """The umask a user's shell usually has (022: new files 0644), whatever this process had."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def _open_to_others(*roots: Path) -> list[str]:
    """Every file or folder under `roots` that a group or other account can read, with its mode."""
    found = []
    for root in roots:
        for path in [root, *root.rglob("*")]:
            mode = stat.S_IMODE(path.lstat().st_mode)
            if not path.is_symlink() and mode & 0o077:
                found.append(f"{oct(mode)} {path}")
    return found


def test_cam_demo_leaves_nothing_readable_by_other_accounts(cam_env, shell_umask, capsys):
    dagster_home = Path(os.environ["DAGSTER_HOME"])
    assert main(["demo", "--leads", "40"]) == 0, capsys.readouterr().err
    assert list(cam_env.outbox.rglob("*.eml")) and list(cam_env.data.rglob("*.parquet"))
    assert list(dagster_home.rglob("*.db")), "the run left no Dagster storage to check"
    assert _open_to_others(cam_env.root, dagster_home) == []


def test_a_run_started_by_dagster_writes_private_files(cam_env, shell_umask, capsys):
    # A run the daemon or `dagster asset materialize` starts loads the definitions, not `cam`.
    assert main(["demo", "--leads", "40"]) == 0, capsys.readouterr().err
    for path in cam_env.root.rglob("*"):
        if path.suffix in (".parquet", ".eml"):
            path.unlink()
    dagster = Path(sys.executable).with_name("dagster")
    argv = [str(dagster), "asset", "materialize", "-m", "cam_dagster.definitions", "--select", "*"]
    completed = subprocess.run(
        [*argv, "--partition", f"demo|{today()}"],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ.copy(),
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert list(cam_env.data.rglob("*.parquet"))
    assert _open_to_others(cam_env.root, Path(os.environ["DAGSTER_HOME"])) == []


def test_an_older_homes_database_is_made_private(tmp_path, shell_umask):
    home = tmp_path / "cam"
    home.mkdir(mode=0o755)
    (home / "cam.db").write_bytes(b"")
    (home / "cam.db").chmod(0o644)
    HomeLayout(home).ensure()
    assert _open_to_others(home) == []
