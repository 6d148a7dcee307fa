"""Dagster wiring for CAM: assets that call `cam_core`, resources that wrap it, one `Definitions`."""
