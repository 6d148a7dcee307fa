"""State that spans partitions: the CAM database, its tables and each table's only writers.

`schema` defines the tables and opens the engine (SQLite in the CAM home by default,
PostgreSQL through `CAM_DATABASE_URL`); `bulk` applies a DataFrame in one set-based
statement. The tables and who writes them:

| table | written by |
|---|---|
| `leads`, `enrolments` | `leads` (save_qualified, save_routing, contacted, move_leads, mark) |
| `lead_history` | `history.record_moves`, from `leads` in the change's transaction; `forgetting` |
| `sends`, `send_batches`, `send_quota` (the ledger) | `ledger` (claim, freeze, complete, release, record_...) |
| `suppression` | `suppression` (suppress, add) |
| `events` | `events` (record_events), called by `cam_core.engagement.receiving` |
| `sending_pauses` | `pauses` (pause, resume) |
| `harvest_rejects` | `rejects` (save_rejects) |
| `review_queue` | `cam_core.selection.review` (queue, decide) |
| `enrichment_cache` | `cam_core.enrich.cache` (save) |
| every table, erasing a person (`cam forget`) | `forgetting` (forget); its keyed hash through `suppression.add` |

Anyone may read; nobody else writes. May import the shared layer and `cam_core.campaign`.
"""
