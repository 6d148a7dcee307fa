"""Per-partition asset outputs as Parquet files, one per asset, campaign and day.

`$CAM_HOME/data/<asset>/<campaign>/<date>.parquet` (the home of the nested
`CamResource`, so outputs live where every other file of CAM does), written to a temporary file and
renamed into place, so a rerun replaces the partition whole (never appends) and
a killed run leaves the previous version intact.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dagster as dg
import pandas as pd

from cam_dagster.partitions import CampaignDay
from cam_dagster.resources.cam import CamResource


class PartitionedParquetIOManager(dg.ConfigurableIOManager):
    """Stores each DataFrame output as one Parquet file per partition."""

    cam: CamResource

    def _path(self, context: dg.OutputContext | dg.InputContext) -> Path:
        partition = CampaignDay.of(context.asset_partition_key)
        return Path(self.cam.layout.data, *context.asset_key.path, partition.campaign, f"{partition.day}.parquet")

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame) -> None:
        path = self._path(context)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".writing-", suffix=".parquet")
        os.close(fd)
        try:
            obj.to_parquet(tmp, index=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        context.add_output_metadata({"path": dg.MetadataValue.path(str(path))})

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        path = self._path(context)
        if not path.exists():
            raise dg.Failure(
                f"{context.asset_key.to_user_string()} has no output for partition "
                f"{context.asset_partition_key}: materialize it first"
            )
        return pd.read_parquet(path)
