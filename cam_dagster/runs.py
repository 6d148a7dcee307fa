"""Runs created as the webserver and the daemon create them: from the code location
`workspace.yaml` names, with the job's snapshot, its origin and the partition's tags. The
Overview timeline, a job's Partitions page, an asset's latest run and the run's tags show such a
run whoever executes it, and the UI can re-execute it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableJob
from dagster._core.definitions.selector import JobSubsetSelector
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.remote_representation.code_location import CodeLocation
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

from cam_core import settings
from cam_dagster.partitions import cam_partitions

#: The code location's name in the UI: `workspace.yaml` loads this module, and names it so.
DEFINITIONS_MODULE = "cam_dagster.definitions"


@contextmanager
def code_location(instance: dg.DagsterInstance) -> Iterator[CodeLocation]:
    """The code location the webserver and the daemon load, loaded in this process."""
    origin = InProcessCodeLocationOrigin(
        loadable_target_origin=LoadableTargetOrigin(
            executable_path=sys.executable,
            module_name=DEFINITIONS_MODULE,
            # Built afresh, not the module's `defs`: this process's environment (CAM home, database)
            # as it is now, which a test or a long-lived process may have changed since the import.
            attribute="build_definitions",
            working_directory=str(settings.project_root()),
        ),
        location_name=DEFINITIONS_MODULE,
    )
    # Dagster keeps the last job it reconstructed per process, keyed by its code pointer: in a
    # process that outlives one environment (a test session, a notebook) that would be a job
    # bound to another CAM home. Forget it, so this location's jobs are built now.
    ReconstructableJob.get_definition.cache_clear()
    ReconstructableJob.get_repository_definition.cache_clear()
    with origin.create_location(instance) as location:
        yield location


def create_run(
    instance: dg.DagsterInstance, location: CodeLocation, job_name: str, key: str, run_config: dict
) -> dg.DagsterRun:
    """A run of `job_name` for partition `key`, created as the UI creates the runs it launches."""

    [repository] = location.get_repositories().values()
    remote_job = location.get_job(
        JobSubsetSelector(
            location_name=location.name, repository_name=repository.name, job_name=job_name, op_selection=None
        )
    )
    plan = location.get_execution_plan(remote_job, run_config, step_keys_to_execute=None, known_state=None)
    tags = {**remote_job.tags, **cam_partitions.get_tags_for_partition_key(key)}
    return instance.create_run(
        job_name=job_name,
        run_id=None,
        run_config=run_config,
        resolved_op_selection=None,
        step_keys_to_execute=None,
        op_selection=None,
        status=None,
        root_run_id=None,
        parent_run_id=None,
        tags=tags,
        job_snapshot=remote_job.job_snapshot,
        execution_plan_snapshot=plan.execution_plan_snapshot,
        parent_job_snapshot=remote_job.parent_job_snapshot,
        remote_job_origin=remote_job.get_remote_origin(),
        job_code_origin=remote_job.get_python_origin(),
        asset_selection=None,
        asset_check_selection=None,
        asset_graph=repository.asset_graph,
    )
