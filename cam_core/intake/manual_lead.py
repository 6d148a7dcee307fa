"""One lead typed in by hand (`cam leads add`), landed as a one-row CSV like any export."""

from __future__ import annotations

import csv
import re
import tempfile
from pathlib import Path

from cam_core.intake.landing import land_file
from cam_core.intake.normalise import EMAIL_SHAPE
from cam_core.settings import HomeLayout

MANUAL_FIELDS = ("email", "first_name", "last_name", "company", "title", "website", "linkedin_url", "country")


def land_manual_lead(home: HomeLayout, campaign: str, day: str, fields: dict[str, str]) -> tuple[Path, bool]:
    """(landed file, True if new); the same lead typed twice the same day lands once."""
    email = (fields.get("email") or "").strip()
    if not re.match(EMAIL_SHAPE, email.lower()):
        raise ValueError(f"--email {email!r}: expected an address like ann@acme.example")
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "manual_lead.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(MANUAL_FIELDS)
            writer.writerow([(fields.get(f) or "").strip() for f in MANUAL_FIELDS])
        return land_file(home, path, campaign, day)
