"""Folding a day's events into lead state (the `engagement` stage).

The folded table has one row per lead with events that day:
`email`, counts `reply`, `bounce`, `complaint`, `unsubscribe`, the resulting
`status` (bounced > unsubscribed > replied) and `suppress` (bool): bounces,
complaints and unsubscribes put the address on the global suppression list.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cam_core.vocabulary import EventKind, LeadStatus

FOLDED_COLUMNS = ("email", *EventKind, "status", "suppress")


def fold_events(events: pd.DataFrame) -> pd.DataFrame:
    if events.empty:
        frame = pd.DataFrame({c: pd.Series(dtype="int64") for c in FOLDED_COLUMNS})
        return frame.astype({"email": "str", "status": "str", "suppress": "bool"})
    counts = pd.crosstab(events["email"], events["kind"]).reindex(columns=list(EventKind), fill_value=0)
    out = counts.reset_index().rename_axis(columns=None)
    out["status"] = np.select(
        [
            out[EventKind.BOUNCE] > 0,
            (out[EventKind.COMPLAINT] > 0) | (out[EventKind.UNSUBSCRIBE] > 0),
            out[EventKind.REPLY] > 0,
        ],
        [LeadStatus.BOUNCED.value, LeadStatus.UNSUBSCRIBED.value, LeadStatus.REPLIED.value],
        default="",
    )
    out["status"] = out["status"].astype("str")
    out["suppress"] = out["status"].isin([LeadStatus.BOUNCED, LeadStatus.UNSUBSCRIBED])
    return out[list(FOLDED_COLUMNS)]
