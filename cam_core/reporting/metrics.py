"""The campaign funnel for one day (the `campaign_metrics` stage).

One row per funnel stage: `stage`, `count` (the day's), `to_date` (the campaign's
total up to and including the day, for sends and events), and where the campaign
sets one, `target` and `pct_of_target`. Engagement stages count stored events
only: nothing is assumed delivered or opened because it was sent.
"""

from __future__ import annotations

import pandas as pd

from cam_core.campaign.models import Targets

FUNNEL_STAGES = (
    "rows_read",
    "accepted",
    "valid_email",
    "qualified",
    "review",
    "rejected",
    "needs_email",
    "routed",
    "in_batch",
    "sent",
    "delivered",
    "opened",
    "clicked",
    "reply",
    "bounce",
    "soft_bounce",
    "complaint",
    "unsubscribe",
)
#: Stages counted from the `events` table, by the EventKind of the same name.
EVENT_STAGES = ("delivered", "opened", "clicked", "reply", "bounce", "soft_bounce", "complaint", "unsubscribe")


def funnel(counts: dict[str, int], targets: Targets, to_date: dict[str, int] | None = None) -> pd.DataFrame:
    goal = {"qualified": targets.qualified, "sent": targets.sent, "reply": targets.replies}
    frame = pd.DataFrame({"stage": list(FUNNEL_STAGES), "count": [int(counts.get(s, 0)) for s in FUNNEL_STAGES]})
    frame["to_date"] = frame["stage"].map(to_date or {}).astype("Int64")
    frame["target"] = frame["stage"].map(lambda s: goal.get(s) or None).astype("Int64")
    frame["pct_of_target"] = (100 * frame["count"] / frame["target"]).round(1).astype("Float64")
    return frame


def funnel_text(frame: pd.DataFrame) -> str:
    """The funnel as aligned text for a terminal."""
    width = max(len(s) for s in frame["stage"])
    lines = []
    for stage, count, target in frame[["stage", "count", "target"]].itertuples(index=False):
        goal = "" if pd.isna(target) else f"   (target {int(target)})"
        lines.append(f"  {stage:<{width}}  {int(count):>7}{goal}")
    return "\n".join(lines)
