"""The rules each package's `__init__` states about what it may import, checked on the source.

- `cam_core` never imports dagster: any runner can call it.
- A stage imports the shared layer, `campaign` and `state`, and its own modules; never another
  stage. `reporting`, the read side, may call other stages' public functions.
- Nobody imports another module's private (`_`) names.
- No module imports itself back through others (no import cycles).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("intake", "enrich", "selection", "outreach", "engagement", "reporting")
FOUNDATION = ("campaign", "state")
#: Packages a stage may import besides its own: the shared layer is every top-level module.
SHARED = {p.stem for p in (ROOT / "cam_core").glob("*.py") if p.stem != "__init__"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(package: str) -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((ROOT / package).rglob("*.py"))}


def _imports(path: Path) -> Iterator[tuple[str, list[str]]]:
    """(module imported, names taken from it) for every import in the file, lazy ones included."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [alias.name for alias in node.names]


def _part(module: str) -> str:
    """The package of cam_core a module belongs to: a stage, a foundation package, or `shared`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in (*STAGES, *FOUNDATION) else "shared"


CAM_CORE = _modules("cam_core")
EVERYTHING = {**CAM_CORE, **_modules("cam_dagster")}


def test_the_layout_is_what_the_rules_below_read() -> None:
    packages = {p.name for p in (ROOT / "cam_core").iterdir() if (p / "__init__.py").is_file()}
    assert packages == {*STAGES, *FOUNDATION}
    assert {"vocabulary", "settings", "http"} <= SHARED


def _allowed(part: str) -> set[str]:
    if part in ("shared", *FOUNDATION):
        return {"shared", *FOUNDATION}
    return {"shared", *FOUNDATION, *(STAGES if part == "reporting" else (part,))}


def test_cam_core_never_imports_dagster_nor_its_wiring() -> None:
    found = [
        f"{name} imports {m}"
        for name, path in CAM_CORE.items()
        for m, _ in _imports(path)
        if m.split(".")[0] in ("dagster", "cam_dagster")
    ]
    assert not found


def test_a_stage_imports_only_the_shared_layer_the_foundation_and_itself() -> None:
    crossing = [
        f"{name} ({_part(name)}) imports {m}"
        for name, path in CAM_CORE.items()
        for m, _ in _imports(path)
        if m.startswith("cam_core.") and _part(m) not in _allowed(_part(name))
    ]
    assert not crossing


def test_no_module_takes_another_modules_private_names() -> None:
    private = [
        f"{name} takes {m}.{n}"
        for name, path in EVERYTHING.items()
        for m, names in _imports(path)
        if m.split(".")[0] in ("cam_core", "cam_dagster") and m != name
        for n in names
        if n.startswith("_")
    ]
    assert not private


def _imported_modules(path: Path) -> set[str]:
    """Our modules a file imports, `from package import module` included."""
    found = set()
    for module, names in _imports(path):
        found |= {m for m in (module, *(f"{module}.{n}" for n in names)) if m in EVERYTHING}
    return found


def test_there_are_no_import_cycles() -> None:
    graph = {name: _imported_modules(path) - {name} for name, path in EVERYTHING.items()}
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            raise AssertionError("import cycle: " + " -> ".join([*path[path.index(node) :], node]))
        if node in done:
            return
        for nxt in sorted(graph[node]):
            visit(nxt, [*path, node])
        done.add(node)

    for name in sorted(graph):
        visit(name, [])
