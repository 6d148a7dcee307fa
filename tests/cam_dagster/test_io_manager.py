"""Partitions stored at CAM_DATA_URL: on an S3-compatible server (moto, on a loopback port) each
asset's partition is one object at `<prefix>/<asset>/<campaign>/<date>.parquet`, a rerun replaces
it whole, and a reader never gets half a file, there or in the local folder."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq
import pytest

from cam_core import partition_store
from cam_core.campaign.demo import DEMO_CAMPAIGN
from cam_core.intake.landing import land_file
from cam_core.settings import HomeLayout, default_database_url
from cam_dagster.definitions import ASSETS
from cam_dagster.io_manager import PartitionedParquetIOManager
from cam_dagster.partitions import partition_key
from cam_dagster.resources.cam import CamResource
from tests.helpers import ASSET_KEYS, DAY, UNSUBSCRIBE_SECRET, metadata_of, resources_for


def _materialize(
    home: HomeLayout, instance: dg.DagsterInstance, data_url: str, selection: str = "*", raise_on_error: bool = True
) -> dg.ExecuteInProcessResult:
    cam = CamResource(
        home=str(home.root),
        database_url=default_database_url(home.root),
        data_url=data_url,
        frozen_now=f"{DAY}T10:00:00+00:00",
        unsubscribe_secret=UNSUBSCRIBE_SECRET,
    )
    resources = resources_for(home, cam.database_url, cam.frozen_now)
    return dg.materialize(
        ASSETS,
        instance=instance,
        resources={**resources, "cam": cam, "io_manager": PartitionedParquetIOManager(cam=cam)},
        partition_key=partition_key(DEMO_CAMPAIGN, DAY),
        selection=selection,
        raise_on_error=raise_on_error,
    )


def _bucket_and_prefix(url: str) -> tuple[str, str]:
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    return bucket, prefix


def _local_files(home: HomeLayout) -> list[Path]:
    return [p for p in home.data.rglob("*") if p.is_file()]


def test_every_partition_is_one_object_at_its_key_and_nothing_is_written_locally(
    demo_home, instance, s3_server, s3_data_url
):
    result = _materialize(demo_home, instance, s3_data_url)

    bucket, prefix = _bucket_and_prefix(s3_data_url)
    assert s3_server.keys(bucket) == sorted(f"{prefix}/{asset}/{DEMO_CAMPAIGN}/{DAY}.parquet" for asset in ASSET_KEYS)
    assert _local_files(demo_home) == []
    # The run's metadata points at the object, and what is there is the asset's output.
    assert metadata_of(result, "harvest")["path"] == f"{s3_data_url}/harvest/{DEMO_CAMPAIGN}/{DAY}.parquet"
    harvested = pd.read_parquet(io.BytesIO(s3_server.get(bucket, f"{prefix}/harvest/{DEMO_CAMPAIGN}/{DAY}.parquet")))
    assert len(harvested) == metadata_of(result, "harvest")["rows_out"]


def test_a_rerun_replaces_the_object_whole(demo_home, instance, s3_server, s3_data_url, tmp_path):
    bucket, prefix = _bucket_and_prefix(s3_data_url)
    key = f"{prefix}/harvest/{DEMO_CAMPAIGN}/{DAY}.parquet"
    _materialize(demo_home, instance, s3_data_url, selection="harvest")
    before = pd.read_parquet(io.BytesIO(s3_server.get(bucket, key)))

    more = tmp_path / "more.csv"
    more.write_text("email,first_name,company\n" + "".join(f"late{i}@laterco.example,Late,LaterCo\n" for i in range(7)))
    land_file(demo_home, more, DEMO_CAMPAIGN, DAY)
    _materialize(demo_home, instance, s3_data_url, selection="harvest")

    after = pd.read_parquet(io.BytesIO(s3_server.get(bucket, key)))
    # The partition as a whole again: the new leads in, nothing appended to or doubled.
    assert len(after) == len(before) + 7
    assert after["email"].str.startswith("late").sum() == 7
    assert s3_server.keys(bucket) == [key]  # no part, draft or second version left beside it


def test_an_input_never_materialized_is_a_failure_that_says_so(demo_home, instance, s3_data_url):
    result = _materialize(demo_home, instance, s3_data_url, selection="enriched", raise_on_error=False)

    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.message  # type: ignore[union-attr]
    assert "harvest has no output for partition" in message and "materialize it first" in message


def _frame(rows: int, mark: int) -> pd.DataFrame:
    return pd.DataFrame({"email": [f"lead{i}@example.com" for i in range(rows)], "mark": [mark] * rows})


@pytest.mark.parametrize("where", ["folder", "s3"])
def test_a_reader_only_ever_sees_a_whole_partition_while_it_is_rewritten(where, cam_env, request):
    if where == "s3":
        root = partition_store.data_root(request.getfixturevalue("s3_data_url"))
    else:
        root = partition_store.data_root(cam_env.data)
    path = partition_store.partition_path(root, "harvest", DEMO_CAMPAIGN, DAY)
    sizes = [20_000, 10, 5_000, 1] * 8  # rows of each version: bigger, smaller, ...
    partition_store.write_frame(path, _frame(sizes[0], 0))
    seen: list[tuple[int, int]] = []
    broken: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                table = partition_store.read_table(path)
                marks = set(table.column("mark").to_pylist())
                assert len(marks) == 1, marks
                seen.append((marks.pop(), table.num_rows))
            except BaseException as exc:  # a torn or missing file: what must never happen
                broken.append(exc)
                return

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for mark in range(1, len(sizes)):
            partition_store.write_frame(path, _frame(sizes[mark], mark))
    finally:
        done.set()
        reader.join(timeout=60)

    assert not broken, broken[0]
    assert len(seen) >= 5, seen  # the reader did read while the writes went on
    assert all(rows == sizes[mark] for mark, rows in seen)  # each read: one version, whole
    assert pq.read_table(io.BytesIO(path.read_bytes())).num_rows == sizes[-1]
    assert [p.name for p in partition_store.parquet_files(root)] == [f"{DAY}.parquet"]  # no draft left


def test_a_data_url_that_carries_a_password_is_refused_without_showing_it():
    with pytest.raises(ValueError, match="credentials") as refused:
        partition_store.data_root("sftp://cam:hunter2@files.example/cam-data")
    assert "hunter2" not in str(refused.value) and "files.example" in str(refused.value)


def test_the_default_is_the_home_data_folder_with_the_same_layout(demo_home, instance):
    result = _materialize(demo_home, instance, "", selection="harvest")

    stored = demo_home.data / "harvest" / DEMO_CAMPAIGN / f"{DAY}.parquet"
    assert metadata_of(result, "harvest")["path"] == str(stored)
    assert _local_files(demo_home) == [stored]
    assert len(pd.read_parquet(stored)) == metadata_of(result, "harvest")["rows_out"]


@pytest.mark.parametrize("where", ["folder", "s3"])
def test_a_write_that_dies_halfway_leaves_the_previous_version(where, cam_env, request):
    url = request.getfixturevalue("s3_data_url") if where == "s3" else str(cam_env.data)
    root = partition_store.data_root(url)
    path = partition_store.partition_path(root, "harvest", DEMO_CAMPAIGN, DAY)
    partition_store.write_frame(path, _frame(100, 1))

    def dies(target: Any) -> None:
        _frame(5_000, 2).to_parquet(target, index=False)  # the whole new version written, then
        raise KeyboardInterrupt  # the run is killed before it is in place

    with pytest.raises(KeyboardInterrupt):
        partition_store.replace(path, dies)

    assert partition_store.read_frame(path)["mark"].tolist() == [1] * 100
    assert [p.name for p in partition_store.parquet_files(root)] == [f"{DAY}.parquet"]
    if where == "folder":  # not even a draft left beside it
        assert [p.name for p in path.parent.iterdir()] == [f"{DAY}.parquet"]
