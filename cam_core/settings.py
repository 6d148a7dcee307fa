"""Where CAM keeps its files and its database, read from the environment.

`CAM_HOME` defaults to `.cam/` and `DAGSTER_HOME` to `.dagster/` in the project
folder, so a demo leaves nothing outside the clone and every entry point (the
`cam` command, the Makefile, the Dagster definitions) sees the same state.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The clone this package runs from, or the working directory when installed elsewhere."""
    candidate = Path(__file__).resolve().parent.parent
    if (candidate / "pyproject.toml").is_file():
        return candidate
    return Path.cwd()


def cam_home() -> Path:
    """`$CAM_HOME`, or `.cam/` in the project folder; created on first use."""
    home = Path(os.environ.get("CAM_HOME") or project_root() / ".cam").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def dagster_home() -> Path:
    """`$DAGSTER_HOME`, or `.dagster/` in the project folder; created on first use."""
    home = Path(os.environ.get("DAGSTER_HOME") or project_root() / ".dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def default_database_url(home: Path) -> str:
    """The embedded default: one SQLite file in the CAM home."""
    return f"sqlite:///{home / 'cam.db'}"


def database_url(home: Path | None = None) -> str:
    """`$CAM_DATABASE_URL`, or the SQLite file in the CAM home."""
    return os.environ.get("CAM_DATABASE_URL") or default_database_url(home or cam_home())


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
        for folder in (self.campaigns, self.inbox, self.landed, self.outbox, self.data):
            folder.mkdir(parents=True, exist_ok=True)
        return self
