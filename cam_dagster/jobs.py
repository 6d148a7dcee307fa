"""The main job: the whole graph for one campaign and day."""

import dagster as dg

from cam_dagster.partitions import cam_partitions

CAM_PIPELINE = "cam_pipeline"

cam_pipeline = dg.define_asset_job(
    CAM_PIPELINE,
    selection=dg.AssetSelection.all(),
    partitions_def=cam_partitions,
    description="Harvest through campaign_metrics for one campaign and day.",
)
