"""The `harvest_rejects` table holds one run's rejects per partition, however runs overlap."""

from __future__ import annotations

import threading

import pandas as pd

from cam_core.state import bulk, schema
from cam_core.state.rejects import rejects_count, save_rejects
from tests.helpers import DAY


def _rejects(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source_file": "leads.csv",
            "source_row": range(2, n + 2),
            "email": [f"dup{i}@x.io" for i in range(n)],
            "reason": "duplicate",
            "duplicate_of": "",
        }
    )


def test_two_runs_replacing_one_partition_at_once_leave_one_runs_rejects(engine):
    # Seen on PostgreSQL with four `cam run`s of one campaign: each replaced the partition's
    # rejects while another's replacement was uncommitted, the table held both, and the
    # harvest check (accepted + rejected = rows read) failed every run.
    rows = _rejects(3)
    first = engine.connect()
    first_tx = first.begin()
    bulk.replace_partition(first, schema.harvest_rejects, "demo", DAY, rows.assign(campaign="demo", day=DAY))
    second = threading.Thread(target=save_rejects, args=(engine, "demo", DAY, rows))
    second.start()
    second.join(timeout=1)  # waits for the first run's transaction, on either database
    first_tx.commit()
    first.close()
    second.join()
    assert rejects_count(engine, "demo", DAY) == 3
