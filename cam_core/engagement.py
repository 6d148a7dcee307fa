"""Folding a day's events into lead state (the `engagement` stage).

The folded table has one row per lead with events that day:
`email`, counts `reply`, `bounce`, `complaint`, `unsubscribe`, the resulting
`status` (bounced > unsubscribed > replied) and `suppress` (bool): bounces,
complaints and unsubscribes put the address on the global suppression list.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cam_core.store import EVENT_KINDS

FOLDED_COLUMNS = ("email", *EVENT_KINDS, "status", "suppress")


def fold_events(events: pd.DataFrame) -> pd.DataFrame:
    if events.empty:
        frame = pd.DataFrame({c: pd.Series(dtype="int64") for c in FOLDED_COLUMNS})
        return frame.astype({"email": "str", "status": "str", "suppress": "bool"})
    counts = pd.crosstab(events["email"], events["kind"]).reindex(columns=list(EVENT_KINDS), fill_value=0)
    out = counts.reset_index().rename_axis(columns=None)
    out["status"] = np.select(
        [out["bounce"] > 0, (out["complaint"] > 0) | (out["unsubscribe"] > 0), out["reply"] > 0],
        ["bounced", "unsubscribed", "replied"],
        default="",
    )
    out["status"] = out["status"].astype("str")
    out["suppress"] = out["status"].isin(["bounced", "unsubscribed"])
    return out[list(FOLDED_COLUMNS)]
