"""Sensors, one module each: `campaign_partitions` (partitions follow the campaign files),
`inbox` (a dropped file starts its partition's run) and `review_decisions` (a decisions
CSV is applied and its partitions rerun)."""
