"""Loading campaign files: YAML in `$CAM_HOME/campaigns/<name>.yaml`, validated by the models.

A bad file raises `CampaignError` naming the file, the field path and what is
expected; `load_campaigns` keeps going so one bad file never stops the others.
A file is read within limits (`LimitedLoader`: its size, how deep it nests, how far
its aliases expand), and whatever else goes wrong while loading one file becomes
that file's `CampaignError` too, so no file can take the loader (and with it every
sensor and command that lists campaigns) down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cam_core.campaign.models import CAMPAIGN_NAME, Campaign

#: A campaign file is a few kilobytes; anything this large is a mistake or an attack.
MAX_FILE_BYTES = 1024 * 1024
#: Mappings and lists inside one another; a campaign needs about ten.
MAX_DEPTH = 20
#: Values once every alias is expanded (a "billion laughs" file expands to 10**9).
MAX_NODES = 100_000


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


class LimitExceeded(yaml.MarkedYAMLError):
    """A YAML file beyond the loader's limits, with where it went beyond them."""


class LimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing nesting deeper than MAX_DEPTH and aliases that
    expand beyond MAX_NODES values while it composes the document, before any of it
    is built: composing is recursive (a 100,000-deep mapping overflows the stack) and
    an alias is cheap to write but copied wherever the result is walked."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._expanded: dict[int, int] = {}  # id(node) -> values it holds once aliases are expanded

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            anchored = self.anchors.get(event.anchor)
            if anchored is not None and id(anchored) not in self._expanded:
                problem = f"alias *{event.anchor} refers to a value that contains it"
                raise LimitExceeded(None, None, problem, event.start_mark)
            return super().compose_node(parent, index)  # the anchored node, measured when it was composed
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise LimitExceeded(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            children = []
        size = 1 + sum(self._expanded.get(id(child), 1) for child in children)
        self._expanded[id(node)] = size
        if size > MAX_NODES and node is not None:
            raise LimitExceeded(None, None, f"aliases expand to more than {MAX_NODES} values", node.start_mark)
        return node


def _read(path: Path) -> object:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise CampaignError(path, ["the file is larger than 1 MiB; a campaign file needs a few kilobytes"])
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CampaignError(path, [f"cannot read the file ({exc})"]) from None
    loader = LimitedLoader(text)
    try:
        return loader.get_single_data()
    except LimitExceeded as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise CampaignError(path, [f"{where}{exc.problem}; campaign files are refused beyond that"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise CampaignError(path, [f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    finally:
        loader.dispose()


def _load(path: Path) -> Campaign:
    raw = _read(path)
    if not isinstance(raw, dict):
        raise CampaignError(path, ["expected a mapping of campaign fields at the top level"])
    name = raw.setdefault("name", path.stem)
    if name != path.stem:
        raise CampaignError(path, [f"name: {name!r} must match the file name {path.stem!r}"])
    try:
        return Campaign.model_validate(raw)
    except ValidationError as exc:
        raise CampaignError(path, [_describe(e) for e in exc.errors()]) from None


def load_campaign(path: Path) -> Campaign:
    """Parse and validate one campaign file; the campaign's name is the file's stem."""
    path = Path(path)
    try:
        return _load(path)
    except CampaignError:
        raise
    except Exception as exc:  # RecursionError, MemoryError, a bug: this file's problem, never the others'
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise CampaignError(
            path, [f"could not be loaded ({detail}); check the file, and report it if the file looks right"]
        ) from None


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
    # A name comes from the command line, a sensor or run config: `../x` must not reach outside the folder.
    if not CAMPAIGN_NAME.match(name):
        raise CampaignError(
            Path(folder),
            [f"{name!r} is not a campaign name; names use lower-case letters, digits, '-' and '_' (like 'acme-2026')"],
        )
    for suffix in (".yaml", ".yml"):
        path = Path(folder) / f"{name}{suffix}"
        if path.is_file():
            return path
    raise CampaignError(Path(folder) / f"{name}.yaml", [f"no campaign file for {name!r}; create it or check the name"])


def campaign_by_name(folder: Path, name: str) -> Campaign:
    return load_campaign(campaign_path(folder, name))
