"""Sensors, one module each: `campaign_partitions` (partitions follow the campaign files),
`inbox` (a dropped file starts its partition's run), `review_decisions` (a decisions
CSV is applied and its partitions rerun), `replies_imap` (replies taken in from a
mailbox) and `run_failures` (failed runs recorded and, with a webhook set, announced)."""
