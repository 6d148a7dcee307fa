"""`python -m bench.ui_launch [--leads 600] [--json]`: a partition launched as the UI and the daemon launch it.

In a temporary CAM home and Dagster instance, with the demo campaign and a sample of --leads
rows landed for today, the code location is loaded from `workspace.yaml` in a code server of
its own (as `dagster dev` and the webserver load it), then the day's `cam_pipeline` run is
created from it and launched by the instance's run launcher: a fresh `dagster api execute_run`
process, exactly what the UI's Launch button and the daemon's queue start. Timed from the
launch until the run is finished:
- `first_run_s`: the partition with the sample's leads new;
- `noop_run_s`: the same partition again at once, nothing new to harvest, plan or send;
- `*_in_run_s`: the part of each spent inside the run (Dagster's run start to end), the rest
  being the launched process starting and loading the definitions.
The code server's own start is left out: the webserver and the daemon keep theirs running.
The queue is bypassed (the default coordinator launches at once); the daemon's queue adds its
polling interval, seconds, before the same launch.

Numbers, not a test: outside pytest's testpaths.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The instance launches a submitted run at once: no daemon in the bench to dequeue it.
_INSTANCE_YAML = """telemetry:
  enabled: false
run_coordinator:
  module: dagster.core.run_coordinator
  class: DefaultRunCoordinator
"""


def _wait(instance, run_id: str, timeout: float = 600) -> None:
    import dagster as dg

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        if run is not None and run.is_finished:
            if run.status != dg.DagsterRunStatus.SUCCESS:
                raise RuntimeError(f"run {run_id} ended {run.status.value}")
            return
        time.sleep(0.05)
    raise TimeoutError(f"run {run_id} still going after {timeout} s")


def bench(leads: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="cam-bench-ui-") as scratch:
        os.environ["CAM_HOME"] = str(Path(scratch) / "cam")
        os.environ["DAGSTER_HOME"] = str(Path(scratch) / "dagster")
        Path(os.environ["DAGSTER_HOME"]).mkdir()
        (Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml").write_text(_INSTANCE_YAML)

        import dagster as dg
        from dagster._core.workspace.context import WorkspaceProcessContext
        from dagster._core.workspace.load_target import WorkspaceFileTarget

        from cam_core.campaign.demo import DEMO_CAMPAIGN, write_demo_home
        from cam_core.intake.landing import land_file
        from cam_core.settings import HomeLayout
        from cam_dagster.jobs import CAM_PIPELINE
        from cam_dagster.partitions import CAMPAIGN_DIMENSION, partition_key
        from cam_dagster.runs import DEFINITIONS_MODULE, create_run

        day = dt.date.today().isoformat()
        layout = HomeLayout(Path(os.environ["CAM_HOME"])).ensure()
        _, sample = write_demo_home(layout.campaigns, layout.samples, leads=leads, sender="outbox")
        land_file(layout, sample, DEMO_CAMPAIGN, day)
        key = str(partition_key(DEMO_CAMPAIGN, day))
        result: dict[str, object] = {"mode": "ui_launch", "leads": leads, "partition": key}
        with dg.DagsterInstance.get() as instance:
            instance.add_dynamic_partitions(CAMPAIGN_DIMENSION, [DEMO_CAMPAIGN])
            target = WorkspaceFileTarget(paths=[str(ROOT / "workspace.yaml")])
            with WorkspaceProcessContext(instance, target) as workspace:
                request = workspace.create_request_context()
                location = request.get_code_location(DEFINITIONS_MODULE)
                for label in ("first_run", "noop_run"):
                    run = create_run(instance, location, CAM_PIPELINE, key, run_config={})
                    start = time.perf_counter()
                    instance.submit_run(run.run_id, request)
                    _wait(instance, run.run_id)
                    result[f"{label}_s"] = round(time.perf_counter() - start, 2)
                    stats = instance.get_run_stats(run.run_id)
                    assert stats.start_time is not None and stats.end_time is not None
                    result[f"{label}_in_run_s"] = round(stats.end_time - stats.start_time, 2)
        result["machine"] = f"{os.cpu_count()} cores"
        return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ui_launch")
    parser.add_argument("--leads", type=int, default=600, help="rows in the demo sample (default 600)")
    parser.add_argument("--json", action="store_true", help="one JSON line instead of a table")
    args = parser.parse_args()
    # The code server and the launched run inherit this process's stdout for their logs; the
    # result is the only thing stdout carries, so theirs goes to stderr.
    stdout = os.dup(1)
    os.dup2(2, 1)
    try:
        result = bench(args.leads)
    finally:
        os.dup2(stdout, 1)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>18}  {value}")


if __name__ == "__main__":
    main()
