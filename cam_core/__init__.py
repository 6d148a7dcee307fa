"""CAM's domain logic: plain, typed Python with no dagster import, so any runner can call it.

One subpackage per stage, in the order leads flow (each `__init__` says what lives
there and what it may import):

- `campaign`: campaign files, their models and templates (read by every stage)
- `intake`: files and Apollo search -> the `harvest` asset
- `enrich`: paid enrichment and verification -> `enriched`
- `selection`: scores, verdicts, review, tiers and sequences -> `scored`, `qualified`, `routed`
- `outreach`: due steps, rendering, checks, sending -> `nurture_batch`, `sent_emails`
- `engagement`: replies, bounces, complaints, unsubscribes -> `engagement`
- `reporting`: the funnel, explanations, previews, exports -> `campaign_metrics`, `cam` commands
- `state`: the database, every table and its only writers

and a small shared layer any of them may use: `vocabulary` (status words as StrEnums),
`columns` (the lead tables' columns), `settings` (where files and the database are),
`http` (provider calls with retries and a breaker), `apollo` (the one Apollo client),
`addresses` (the one spelling of an email address, IDNA 2008: Unicode and punycode
domains are one lead), `frames` (vectorised column helpers), `linkedin` and `reference`
(shipped lists), `checks` (the outcome of an invariant check), `partition_store` (where the
assets' per-partition Parquet files live, `CAM_DATA_URL`: written whole, read whole), and
`erasure` (finding an address and erasing its person from the home's files and partitions, for
`cam forget`). A stage hands data to the
next through the asset graph, never by importing another stage's internals.
"""
