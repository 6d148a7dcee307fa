"""The shape of the whole system, as `cam_dagster.definitions` declares it, against a reviewed
snapshot: a change to the graph (an asset's group, kinds, dependencies, partitioning, checks or
owners; a sensor's or schedule's name, target or default status) shows up as a diff here.

After a deliberate change: `CAM_UPDATE_SNAPSHOT=1 .venv/bin/python -m pytest tests/cam_dagster/test_definitions.py`,
then read the diff of definitions.snapshot.json before committing it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import dagster as dg

from cam_dagster.definitions import ASSETS, defs
from tests.helpers import ASSET_KEYS

SNAPSHOT = Path(__file__).with_name("definitions.snapshot.json")


def shape(definitions: dg.Definitions) -> dict[str, Any]:
    graph = definitions.resolve_asset_graph()
    assets = {}
    for spec in definitions.resolve_all_asset_specs():
        key = spec.key.to_user_string()
        partitions = spec.partitions_def
        assets[key] = {
            "group": spec.group_name,
            "kinds": sorted(spec.kinds),
            "deps": sorted(d.asset_key.to_user_string() for d in spec.deps),
            "partitioned_by": sorted(d.name for d in partitions.partitions_defs)
            if isinstance(partitions, dg.MultiPartitionsDefinition)
            else None,
            "materializable": graph.get(spec.key).is_materializable,
            "checks": {
                c.name: "blocking" if graph.get_check_spec(c).blocking else "warns"
                for c in sorted(graph.get_check_keys_for_assets({spec.key}), key=lambda c: c.name)
            },
            "owners": sorted(spec.owners),
            "described": bool(spec.description),
        }
    sensors = {
        s.name: {
            "default_status": s.default_status.value,
            "minimum_interval_seconds": s.minimum_interval_seconds,
            "targets": sorted(t.job_name for t in s.targets) if s.targets else [],
            "described": bool(s.description),
        }
        for s in definitions.sensors or []
    }
    schedules = {
        s.name: {
            "cron": s.cron_schedule,
            "default_status": s.default_status.value,
            "job": s.job_name,
            "described": bool(s.description),
        }
        # Resolved, as Dagster runs them: a schedule may be declared before its job exists.
        for s in (definitions.resolve_schedule_def(declared.name) for declared in definitions.schedules or [])
    }
    return {
        "assets": dict(sorted(assets.items())),
        "sensors": sensors,
        "schedules": schedules,
        "resources": sorted(definitions.resources or {}),
    }


def test_the_definitions_match_the_reviewed_snapshot() -> None:
    current = json.loads(json.dumps(shape(defs)))  # tuples as lists, as the file holds them
    if os.environ.get("CAM_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    assert current == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_the_definitions_load_with_the_nine_assets_materializable_and_everything_described() -> None:
    dg.Definitions.validate_loadable(defs)
    found = shape(defs)
    materializable = {k for k, a in found["assets"].items() if a["materializable"]}
    assert materializable == {a.key.to_user_string() for a in ASSETS} == set(ASSET_KEYS)
    assert all(a["owners"] and a["described"] for a in found["assets"].values())
    assert all(s["described"] for s in (*found["sensors"].values(), *found["schedules"].values()))
    # Turning the schedule on sends email: it never starts on its own.
    assert found["schedules"]["outreach_schedule"]["default_status"] == "STOPPED"
