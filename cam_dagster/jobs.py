"""The main job: the whole graph for one campaign and day."""

import dagster as dg

CAM_PIPELINE = "cam_pipeline"

cam_pipeline = dg.define_asset_job(
    CAM_PIPELINE,
    selection=dg.AssetSelection.all(),
    description="Harvest through campaign_metrics for one campaign and day.",
)
