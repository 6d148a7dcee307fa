"""The shape of the whole system, as `cam_dagster.definitions` declares it, against a reviewed
snapshot: a change to the graph (an asset's group, kinds, dependencies, partitioning, checks or
owners; a sensor's or schedule's name, target, time zone or default status) shows up as a diff here.
The definitions are built in a CAM home holding only the demo campaign, so the per-campaign
intake schedules in the snapshot do not depend on the campaigns of whoever runs the test.

After a deliberate change: `CAM_UPDATE_SNAPSHOT=1 .venv/bin/python -m pytest tests/cam_dagster/test_definitions.py`,
then read the diff of definitions.snapshot.json before committing it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from cam_core.campaign.demo import demo_campaign_yaml
from cam_dagster.definitions import ASSETS, build_definitions
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
            "timezone": s.execution_timezone,
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


@pytest.fixture
def defs(cam_env) -> dg.Definitions:
    """The definitions as they load in a CAM home with the demo campaign."""
    (cam_env.campaigns / "demo.yaml").write_text(demo_campaign_yaml(), encoding="utf-8")
    return build_definitions()


def test_the_definitions_match_the_reviewed_snapshot(defs: dg.Definitions) -> None:
    current = json.loads(json.dumps(shape(defs)))  # tuples as lists, as the file holds them
    if os.environ.get("CAM_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    assert current == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_the_definitions_load_with_the_nine_assets_materializable_and_everything_described(
    defs: dg.Definitions,
) -> None:
    dg.Definitions.validate_loadable(defs)
    found = shape(defs)
    materializable = {k for k, a in found["assets"].items() if a["materializable"]}
    assert materializable == {a.key.to_user_string() for a in ASSETS} == set(ASSET_KEYS)
    assert all(a["owners"] and a["described"] for a in found["assets"].values())
    assert all(s["described"] for s in (*found["sensors"].values(), *found["schedules"].values()))
    # Turning the schedule on sends email: it never starts on its own.
    assert found["schedules"]["outreach_schedule"]["default_status"] == "STOPPED"


def test_the_automation_says_what_it_does_and_which_of_it_sends_email(defs: dg.Definitions) -> None:
    """What the Automation page shows before anyone turns something on."""
    schedules = {s.name: s for s in defs.schedules or []}
    sensors = {s.name: s for s in defs.sensors or []}
    assert all((s.description or "").strip() for s in [*schedules.values(), *sensors.values()])
    assert "SENDS EMAIL" in (schedules["outreach_schedule"].description or "")
    intake = schedules["intake_demo"]
    assert (intake.description or "").startswith("Sends nothing.")
    assert defs.resolve_schedule_def("intake_demo").job_name == "cam_intake"
    # Failed runs are recorded as soon as the daemon runs, with no one to remember to turn it on.
    assert sensors["run_failure_alerts"].default_status == dg.DefaultSensorStatus.RUNNING
    assert "CAM_ALERT_WEBHOOK_URL" in (sensors["run_failure_alerts"].description or "")
