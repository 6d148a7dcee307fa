"""`cam run` and `cam demo` create their runs as the UI and the daemon do, so the UI shows one history."""

from __future__ import annotations

import dagster as dg

from cam_dagster.cli import main
from tests.helpers import today


def test_a_cam_run_is_a_run_of_the_code_location_with_its_partition(cam_env, capsys):
    assert main(["demo"]) == 0
    assert main(["run", "--campaign", "demo"]) == 0
    out, err = capsys.readouterr()

    with dg.DagsterInstance.get() as instance:
        # What the UI's run lists, timeline and Partitions page select by: the code location's label.
        records = instance.get_run_records(
            dg.RunsFilter(tags={".dagster/repository": "__repository__@cam_dagster.definitions"})
        )
        assert len(records) == 2
        for record in records:
            run = record.dagster_run
            assert run.job_name == "cam_pipeline" and run.status == dg.DagsterRunStatus.SUCCESS
            assert run.tags["dagster/partition"] == f"demo|{today()}"
            assert run.tags["dagster/partition/campaign"] == "demo"
            assert run.tags["dagster/partition/date"] == today()
            assert run.remote_job_origin is not None  # the UI can re-execute it
            # Each printed its id and where to see it, then each step as it finished.
            assert (
                f"run {run.run_id} of cam_pipeline for demo|{today()}: http://127.0.0.1:3000/runs/{run.run_id}" in err
            )
            assert f"The run in the Dagster UI (make dev): http://127.0.0.1:3000/runs/{run.run_id}" in out
    assert err.count("  campaign_metrics done (") == 2
