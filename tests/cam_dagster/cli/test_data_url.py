"""`cam` with CAM_DATA_URL on an S3-compatible server (moto on a loopback port): `cam demo` stores
its partitions there, `cam status` reads the day's funnel from there, and `cam forget` erases a
person from the objects there."""

from __future__ import annotations

import io

import dagster as dg
import pandas as pd

from cam_core.campaign.demo import DEMO_CAMPAIGN
from cam_dagster.cli import main
from cam_dagster.definitions import ASSETS
from cam_dagster.io_manager import PartitionedParquetIOManager
from cam_dagster.partitions import partition_key
from cam_dagster.resources.env import cam_from_env
from tests.helpers import ASSET_KEYS, DAY, resources_for, today


def _cam(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _bucket_and_prefix(url: str) -> tuple[str, str]:
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    return bucket, prefix


def test_demo_and_status_store_and_read_partitions_at_the_data_url(cam_env, s3_server, s3_data_url, capsys):
    code, out, err = _cam(capsys, "demo")
    assert code == 0, err
    assert f"Funnel for demo on {today()}" in out

    bucket, prefix = _bucket_and_prefix(s3_data_url)
    assert s3_server.keys(bucket) == sorted(f"{prefix}/{asset}/demo/{today()}.parquet" for asset in ASSET_KEYS)
    assert not [p for p in cam_env.data.rglob("*") if p.is_file()]

    code, out, err = _cam(capsys, "status")
    assert code == 0, err
    funnel = pd.read_parquet(io.BytesIO(s3_server.get(bucket, f"{prefix}/campaign_metrics/demo/{today()}.parquet")))
    read = dict(zip(funnel["stage"], funnel["count"], strict=True))["rows_read"]
    [row] = [line.split() for line in out.splitlines() if line.startswith("demo ")]
    assert row[1] == "yes" and row[2] == str(read), out  # the day's funnel, from the object, not "not run"


def test_forget_erases_a_person_from_the_partitions_at_the_data_url(
    demo_home, instance, s3_server, s3_data_url, capsys
):
    cam = cam_from_env()
    resources = resources_for(demo_home, "", f"{DAY}T10:00:00+00:00")
    dg.materialize(
        ASSETS,
        instance=instance,
        resources={**resources, "cam": cam, "io_manager": PartitionedParquetIOManager(cam=cam)},
        partition_key=partition_key(DEMO_CAMPAIGN, DAY),
        selection=["harvest", "enriched"],
        raise_on_error=True,
    )
    bucket, prefix = _bucket_and_prefix(s3_data_url)
    key = f"{prefix}/harvest/{DEMO_CAMPAIGN}/{DAY}.parquet"
    before = pd.read_parquet(io.BytesIO(s3_server.get(bucket, key)))
    gone = str(before["email"].dropna().iloc[0])

    code, out, err = _cam(capsys, "forget", gone, "--yes")

    assert code == 0, err
    assert f"{s3_data_url}/harvest/{DEMO_CAMPAIGN}/{DAY}.parquet: 1 row" in out, out
    after = pd.read_parquet(io.BytesIO(s3_server.get(bucket, key)))
    assert len(after) == len(before) - 1
    for stored in s3_server.keys(bucket):  # no partition holds the address any more
        frame = pd.read_parquet(io.BytesIO(s3_server.get(bucket, stored)))
        cells = frame.select_dtypes(include=["object", "string"]).astype(str)
        assert not cells.apply(lambda column: column.str.contains(gone, regex=False)).any().any(), stored
