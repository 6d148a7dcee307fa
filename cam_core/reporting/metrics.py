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


def funnel_series(frame: pd.DataFrame) -> dict[str, int | float]:
    """The funnel as named numbers, one per plot: `funnel_NN_<stage>` for the day, beside it
    `funnel_NN_<stage>_target` and `funnel_NN_<stage>_pct_of_target` where the campaign sets a
    target, and `to_date_NN_<stage>` for the campaign-to-date totals.

    NN is the stage's place in FUNNEL_STAGES, two digits: the Dagster UI lists a materialization's
    numbers by name, so the number keeps its plots in funnel order, each target next to its actual.
    """
    day: dict[str, int | float] = {}
    to_date: dict[str, int | float] = {}
    for place, row in enumerate(frame.to_dict("records"), start=1):
        key = f"{place:02d}_{row['stage']}"
        day[f"funnel_{key}"] = int(row["count"])
        if not pd.isna(row["target"]):
            day[f"funnel_{key}_target"] = int(row["target"])
            day[f"funnel_{key}_pct_of_target"] = float(row["pct_of_target"])
        if not pd.isna(row["to_date"]):
            to_date[f"to_date_{key}"] = int(row["to_date"])
    return {**day, **to_date}


def funnel_text(frame: pd.DataFrame) -> str:
    """The funnel as aligned text for a terminal."""
    width = max(len(s) for s in frame["stage"])
    lines = []
    for stage, count, target in frame[["stage", "count", "target"]].itertuples(index=False):
        goal = "" if pd.isna(target) else f"   (target {int(target)})"
        lines.append(f"  {stage:<{width}}  {int(count):>7}{goal}")
    return "\n".join(lines)
