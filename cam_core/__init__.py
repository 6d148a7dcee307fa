"""CAM's domain logic: plain, typed Python with no dagster import.

Any runner can call it; `cam_dagster` wires it into assets.
"""
