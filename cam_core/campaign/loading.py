"""Loading campaign files: YAML in `$CAM_HOME/campaigns/<name>.yaml`, validated by the models.

A bad file raises `CampaignError` naming the file, the field path and what is
expected; `load_campaigns` keeps going so one bad file never stops the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cam_core.campaign.models import Campaign


class CampaignError(ValueError):
    """A campaign file that cannot be used, with one line per problem."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = Path(path)
        self.problems = problems
        super().__init__(f"{self.path}: " + "; ".join(problems))


def _describe(error: Any) -> str:
    where = ".".join(str(p) for p in error["loc"]) or "(top level)"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        return f"{where}: required field is missing"
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown field (check the spelling)"
    if isinstance(error.get("input"), (dict, list)):
        return f"{where}: {message}"  # the whole section as "got" would bury the message
    shown = repr(error.get("input"))
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{where}: {message} (got {shown})"


def load_campaign(path: Path) -> Campaign:
    """Parse and validate one campaign file; the campaign's name is the file's stem."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise CampaignError(path, [f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CampaignError(path, [f"cannot read the file ({exc})"]) from None
    if not isinstance(raw, dict):
        raise CampaignError(path, ["expected a mapping of campaign fields at the top level"])
    name = raw.setdefault("name", path.stem)
    if name != path.stem:
        raise CampaignError(path, [f"name: {name!r} must match the file name {path.stem!r}"])
    try:
        return Campaign.model_validate(raw)
    except ValidationError as exc:
        raise CampaignError(path, [_describe(e) for e in exc.errors()]) from None


@dataclass
class CampaignSet:
    """Every campaign file in a folder: the usable ones and the errors of the rest."""

    campaigns: dict[str, Campaign] = field(default_factory=dict)
    errors: dict[str, CampaignError] = field(default_factory=dict)


def campaign_files(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).glob("*.y*ml") if p.suffix in (".yaml", ".yml"))


def load_campaigns(folder: Path) -> CampaignSet:
    found = CampaignSet()
    for path in campaign_files(folder):
        try:
            campaign = load_campaign(path)
        except CampaignError as exc:
            found.errors[path.stem] = exc
        else:
            found.campaigns[campaign.name] = campaign
    return found


def campaign_path(folder: Path, name: str) -> Path:
    for suffix in (".yaml", ".yml"):
        path = Path(folder) / f"{name}{suffix}"
        if path.is_file():
            return path
    raise CampaignError(Path(folder) / f"{name}.yaml", [f"no campaign file for {name!r}; create it or check the name"])


def campaign_by_name(folder: Path, name: str) -> Campaign:
    return load_campaign(campaign_path(folder, name))
