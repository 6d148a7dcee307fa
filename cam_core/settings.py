"""Where CAM keeps its files and its database, read from the environment.

`CAM_HOME` defaults to `.cam/` and `DAGSTER_HOME` to `.dagster/` in the project
folder, so a demo leaves nothing outside the clone and every entry point (the
`cam` command, the Makefile, the Dagster definitions) sees the same state.

Both hold personal data (leads, their messages, the runs that handled them), so they are
kept readable by their owner only: folders 0700, and every process that writes there
(`cam`, the code location) runs under `PRIVATE_UMASK`, so new files are 0600.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

#: The process umask of everything that writes into the homes: no group or other access.
PRIVATE_UMASK = 0o077


def keep_files_private() -> None:
    """Create files readable by their owner only from here on, in this process and its children."""
    os.umask(PRIVATE_UMASK)


def private_dir(folder: Path) -> Path:
    """`folder`, created 0700 if missing, its group and other access removed if present."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o077:
        # Another account's folder cannot be changed; the files made inside are still 0600.
        with contextlib.suppress(PermissionError):
            folder.chmod(mode & 0o700)
    return folder


def project_root() -> Path:
    """The clone this package runs from, or the working directory when installed elsewhere."""
    candidate = Path(__file__).resolve().parent.parent
    if (candidate / "pyproject.toml").is_file():
        return candidate
    return Path.cwd()


def cam_home() -> Path:
    """`$CAM_HOME`, or `.cam/` in the project folder; created on first use."""
    return private_dir(Path(os.environ.get("CAM_HOME") or project_root() / ".cam").resolve())


def dagster_home() -> Path:
    """`$DAGSTER_HOME`, or `.dagster/` in the project folder; created on first use."""
    return private_dir(Path(os.environ.get("DAGSTER_HOME") or project_root() / ".dagster").resolve())


def ui_url() -> str:
    """Where people open the Dagster UI (`CAM_UI_URL`, default `make dev`'s address), for links in
    what CAM prints and posts: a run is `<ui_url>/runs/<run id>`."""
    return os.environ.get("CAM_UI_URL", "http://127.0.0.1:3000").rstrip("/")


def default_database_url(home: Path) -> str:
    """The embedded default: one SQLite file in the CAM home."""
    return f"sqlite:///{home / 'cam.db'}"


def database_url(home: Path | None = None) -> str:
    """`$CAM_DATABASE_URL`, or the SQLite file in the CAM home."""
    return os.environ.get("CAM_DATABASE_URL") or default_database_url(home or cam_home())


#: Where per-partition asset outputs live (`cam_core.partition_store`): a folder or an fsspec URL.
DATA_URL_VARIABLE = "CAM_DATA_URL"


def data_url(home: Path | None = None) -> str:
    """`$CAM_DATA_URL` (a folder, `s3://bucket/prefix` or any fsspec URL), or `data/` in the CAM home."""
    return os.environ.get(DATA_URL_VARIABLE, "").strip() or str(HomeLayout(home or cam_home()).data)


class HomeLayout:
    """The folders inside a CAM home, named once so nothing spells a path twice."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def campaigns(self) -> Path:
        return self.root / "campaigns"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def landed(self) -> Path:
        """Files landed for a campaign and day: `landed/<campaign>/<date>/`."""
        return self.root / "landed"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def samples(self) -> Path:
        """Sample files `cam demo` writes; landed like any other file."""
        return self.root / "samples"

    @property
    def data(self) -> Path:
        """Per-partition asset outputs (Parquet), written by the IO manager."""
        return self.root / "data"

    @property
    def reviews(self) -> Path:
        """Review decisions CSVs dropped here are applied by `review_decisions_sensor`."""
        return self.root / "reviews"

    def landed_dir(self, campaign: str, day: str) -> Path:
        return self.landed / campaign / day

    def outbox_dir(self, campaign: str, day: str) -> Path:
        return self.outbox / campaign / day

    def ensure(self) -> HomeLayout:
        """The folders, made owner-only; the default database too, should an older CAM have left it 0644."""
        private_dir(self.root)
        for folder in (self.campaigns, self.inbox, self.landed, self.outbox, self.data):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for name in ("cam.db", "cam.db-wal", "cam.db-shm"):
            database = self.root / name
            if database.exists() and stat.S_IMODE(database.stat().st_mode) & 0o077:
                database.chmod(0o600)
        return self
