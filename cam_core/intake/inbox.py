"""The inbox: files dropped in `$CAM_HOME/inbox/<campaign>/` are landed for that
campaign and the day in the campaign's time zone.

A file is known by its content hash: the same bytes land once per campaign,
whatever their name and however often they are dropped, and the run key built
from the hash lets the scheduler start one run per file, ever. A file that
cannot be read (`screening`) moves to `inbox/<campaign>/_quarantine/` with a
`.error.txt` report beside it saying what is wrong and how to fix it; the others go
on. A landed file that harvest cannot read is set aside there too (`quarantine_landed`).
Files stay where they were dropped; `seen` (the sensor's cursor) remembers each
file's size and modification time so an unchanged file is not hashed again.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cam_core.campaign.loading import CampaignSet
from cam_core.campaign.models import Campaign
from cam_core.intake import IntakeError
from cam_core.intake.landing import content_hash, land_file
from cam_core.intake.screening import screen_lead_file
from cam_core.settings import HomeLayout

QUARANTINE = "_quarantine"
# Names that are someone's work in progress, not a finished drop.
_IN_PROGRESS = (".part", ".partial", ".tmp", ".crdownload", ".download")
#: A file modified more recently than this is still being copied; it waits a tick.
SETTLE_SECONDS = 5.0


@dataclass(frozen=True)
class Landed:
    campaign: str
    day: str  # the partition the file belongs to
    source: Path  # the file in the inbox
    landed: Path  # its copy in landed/<campaign>/<day>/
    sha256: str
    new: bool  # False: these bytes had landed before (on `day`)

    @property
    def run_key(self) -> str:
        return f"inbox:{self.campaign}:{self.day}:{self.sha256[:16]}"


@dataclass(frozen=True)
class Quarantined:
    campaign: str
    path: Path  # where the file is now
    report: Path
    reason: str


@dataclass
class InboxScan:
    landed: list[Landed] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # folders or files the inbox cannot place
    waiting: list[str] = field(default_factory=list)  # files still being written
    seen: dict[str, list] = field(default_factory=dict)  # relative path -> [size, mtime_ns, sha12, day]


def campaign_today(campaign: Campaign, now: datetime) -> str:
    """Today in the campaign's time zone: a file dropped at 23:30 in Paris belongs to that Paris day."""
    return now.astimezone(ZoneInfo(campaign.timezone)).date().isoformat()


def _candidates(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith((".", "_", "~$")) and not p.name.lower().endswith(_IN_PROGRESS)
    )


def _already_landed(home: HomeLayout, campaign: str, sha12: str) -> Path | None:
    found = (
        sorted(home.landed.joinpath(campaign).glob(f"*/*.{sha12}.*")) if home.landed.joinpath(campaign).is_dir() else []
    )
    return found[0] if found else None


def _set_aside(
    path: Path, folder: Path, campaign: str, reason: str, now: datetime, context: str, fix: str
) -> Quarantined:
    """Move a file to `folder` with an error report next to it; never overwrite an earlier one."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():
        target = folder / f"{path.stem}.{now.strftime('%Y%m%dT%H%M%S%f')}{path.suffix}"
    shutil.move(str(path), target)
    report = target.with_name(target.name + ".error.txt")
    report.write_text(
        f"file: {path.name}\ncampaign: {campaign}\n{context}quarantined at: {now.isoformat(timespec='seconds')}\n"
        f"problem: {reason}\n\n{fix}; this copy and report can then be deleted.\n",
        encoding="utf-8",
    )
    return Quarantined(campaign=campaign, path=target, report=report, reason=reason)


def quarantine(path: Path, campaign: str, reason: str, now: datetime) -> Quarantined:
    """Move a dropped file to `inbox/<campaign>/_quarantine/` with its report."""
    fix = f"Fix the file and drop it in inbox/{campaign}/ again"
    return _set_aside(path, path.parent / QUARANTINE, campaign, reason, now, "", fix)


def quarantine_landed(home: HomeLayout, path: Path, campaign: str, day: str, reason: str, now: datetime) -> Quarantined:
    """Move a landed file harvest could not read to the campaign's one quarantine folder (the
    inbox's), with its report, so the partition's other files flow and its reruns do not trip on it."""
    context = f"landed for: {day} (harvest could not read it; the day's other files went on)\n"
    fix = f"Fix the file and land it for that day again (cam ingest FILE --campaign {campaign} --date {day})"
    return _set_aside(path, home.inbox / campaign / QUARANTINE, campaign, reason, now, context, fix)


def _take(home: HomeLayout, campaign: Campaign, path: Path, now: datetime) -> Landed:
    """Land one readable file (or find where its bytes landed before)."""
    sha = content_hash(path)
    before = _already_landed(home, campaign.name, sha[:12])
    if before is not None:
        return Landed(campaign.name, before.parent.name, path, before, sha, new=False)
    day = campaign_today(campaign, now)
    landed, new = land_file(home, path, campaign.name, day)
    return Landed(campaign.name, day, path, landed, sha, new=new)


def scan_inbox(
    home: HomeLayout,
    campaigns: CampaignSet,
    seen: dict[str, list],
    now: datetime | None = None,
    settle_seconds: float = SETTLE_SECONDS,
) -> InboxScan:
    """Land what is new in the inbox; `seen` is the previous scan's `seen`."""
    now = now or datetime.now(UTC)
    scan = InboxScan()
    if not home.inbox.is_dir():
        return scan
    for entry in sorted(home.inbox.iterdir()):
        if entry.is_file() and not entry.name.startswith("."):
            scan.problems.append(f"inbox/{entry.name}: put files in inbox/<campaign>/ so CAM knows their campaign")
            continue
        if not entry.is_dir() or entry.name.startswith((".", "_")):
            continue
        files = _candidates(entry)
        if entry.name in campaigns.errors:
            if files:
                scan.problems.append(
                    f"inbox/{entry.name}/: {len(files)} file(s) wait until the campaign file is fixed: "
                    f"{campaigns.errors[entry.name]}"
                )
            continue
        campaign = campaigns.campaigns.get(entry.name)
        if campaign is None:
            if files:
                scan.problems.append(
                    f"inbox/{entry.name}/: no campaign named {entry.name!r}; create "
                    f"campaigns/{entry.name}.yaml or move the {len(files)} file(s) to a campaign's folder"
                )
            continue
        for path in files:
            key = f"{entry.name}/{path.name}"
            stat = path.stat()
            fingerprint = [stat.st_size, stat.st_mtime_ns]
            if seen.get(key, [])[:2] == fingerprint:
                scan.seen[key] = seen[key]
                continue
            if now.timestamp() - stat.st_mtime < settle_seconds:
                scan.waiting.append(key)
                continue
            try:
                screen_lead_file(path, campaign.intake.columns)
            except IntakeError as exc:
                scan.quarantined.append(quarantine(path, campaign.name, str(exc), now))
                continue
            taken = _take(home, campaign, path, now)
            scan.landed.append(taken)
            scan.seen[key] = [*fingerprint, taken.sha256[:12], taken.day]
    return scan
