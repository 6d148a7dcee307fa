"""Per-partition asset outputs as Parquet files, one per asset, campaign and day, at `CAM_DATA_URL`.

`<data>/<asset>/<campaign>/<date>.parquet`, where `<data>` is the nested `CamResource`'s data URL:
`$CAM_HOME/data` by default, `s3://bucket/prefix` (or any fsspec URL) where several machines run
CAM. Dagster's `UPathIOManager` lays the paths out (a multi-partition key becomes
`<campaign>/<date>`, its dimensions in name order); `cam_core.partition_store` writes and reads
them, so a rerun replaces the partition whole (never appends), a killed run leaves the previous
version intact, and a reader never sees half a file, in a folder and in an object store alike.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
import pandas as pd
from upath import UPath

from cam_core import partition_store
from cam_dagster.resources.cam import CamResource


class ParquetPartitions(dg.UPathIOManager):
    """Stores each DataFrame output as one Parquet file per partition under `base_path`."""

    extension = partition_store.SUFFIX

    def dump_to_path(self, context: dg.OutputContext, obj: pd.DataFrame, path: UPath) -> None:
        partition_store.write_frame(path, obj)

    def load_from_path(self, context: dg.InputContext, path: UPath) -> pd.DataFrame:
        return partition_store.read_frame(path)

    def make_directory(self, path: UPath) -> None:
        """Nothing: a folder is made by the write itself, and an object store has none."""

    def load_input(self, context: dg.InputContext) -> Any:
        try:
            return super().load_input(context)
        except FileNotFoundError:
            raise dg.Failure(
                f"{context.asset_key.to_user_string()} has no output for partition "
                f"{context.asset_partition_key}: materialize it first"
            ) from None


class PartitionedParquetIOManager(dg.ConfigurableIOManagerFactory):
    """Stores each DataFrame output as one Parquet file per partition, where `cam.data` says."""

    cam: CamResource

    def create_io_manager(self, context: dg.InitResourceContext) -> ParquetPartitions:
        return ParquetPartitions(base_path=self.cam.data)
