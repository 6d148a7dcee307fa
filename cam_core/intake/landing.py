"""Landing lead files for a campaign and day: `$CAM_HOME/landed/<campaign>/<date>/`.

A landed file keeps its name with a content hash added, so landing the same
bytes again for the same partition is a no-op, and `harvest` reads the folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from cam_core.settings import HomeLayout

LEAD_FILE_SUFFIXES = (".csv", ".tsv", ".txt")


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def land_file(home: HomeLayout, source: Path, campaign: str, day: str) -> tuple[Path, bool]:
    """(landed path, True if newly landed); the same content lands once per partition."""
    source = Path(source)
    if not source.is_file():
        raise FileNotFoundError(f"{source}: no such file")
    if source.suffix.lower() not in LEAD_FILE_SUFFIXES:
        raise ValueError(f"{source.name}: expected a CSV export ({', '.join(LEAD_FILE_SUFFIXES)})")
    short = content_hash(source)[:12]
    folder = home.landed_dir(campaign, day)
    folder.mkdir(parents=True, exist_ok=True)
    existing = [p for p in folder.iterdir() if f".{short}." in p.name]
    if existing:
        return existing[0], False
    target = folder / f"{source.stem}.{short}{source.suffix.lower()}"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".landing-")
    os.close(fd)
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)
    return target, True


def landed_files(home: HomeLayout, campaign: str, day: str) -> list[Path]:
    """The partition's files in the order they landed (then by name)."""
    folder = home.landed_dir(campaign, day)
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
    return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))
