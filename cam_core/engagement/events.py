"""Folding a day's events into lead state (the `engagement` stage).

The folded table has one row per lead with events that day: `email`, a count per
EventKind, the `status` the events move the lead to ("" when none: deliveries,
opens and clicks are counted, never a change of state) and the `cause` of that
move. When a day holds several, the strongest wins: bounced > complained >
unsubscribed > replied.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from cam_core.vocabulary import EventKind, LeadStatus

#: The status each event kind moves a lead to, strongest first.
STATUS_OF: Mapping[EventKind, LeadStatus] = {
    EventKind.BOUNCE: LeadStatus.BOUNCED,
    EventKind.SUPPRESSED: LeadStatus.BOUNCED,  # the provider will not deliver to it
    EventKind.COMPLAINT: LeadStatus.COMPLAINED,
    EventKind.UNSUBSCRIBE: LeadStatus.UNSUBSCRIBED,
    EventKind.REPLY: LeadStatus.REPLIED,
}
FOLDED_COLUMNS = ("email", *EventKind, "status", "cause")


def fold_events(events: pd.DataFrame) -> pd.DataFrame:
    if events.empty:
        frame = pd.DataFrame({c: pd.Series(dtype="int64") for c in FOLDED_COLUMNS})
        return frame.astype({"email": "str", "status": "str", "cause": "str"})
    counts = pd.crosstab(events["email"], events["kind"]).reindex(columns=list(EventKind), fill_value=0)
    out = counts.reset_index().rename_axis(columns=None)
    strongest = list(STATUS_OF)
    out["status"] = np.select([out[k] > 0 for k in strongest], [STATUS_OF[k].value for k in strongest], default="")
    out["cause"] = np.select([out[k] > 0 for k in strongest], [f"event:{k}" for k in strongest], default="")
    out = out.astype({"status": "str", "cause": "str"})
    return out[list(FOLDED_COLUMNS)]


def moves_of(events: pd.DataFrame) -> pd.DataFrame:
    """Per event that changes a lead's state: email, status, cause (event rows in, in their order)."""
    kinds = events["kind"].map({str(k): str(s) for k, s in STATUS_OF.items()})
    changing = events[kinds.notna()]
    return pd.DataFrame(
        {
            "email": changing["email"],
            "status": kinds[changing.index],
            "cause": "event:" + changing["kind"].astype("str"),
        }
    )
