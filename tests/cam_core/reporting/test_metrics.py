"""The funnel as named numbers: names that sort into funnel order, targets beside actuals."""

from __future__ import annotations

from cam_core.campaign.models import Targets
from cam_core.reporting.metrics import FUNNEL_STAGES, funnel, funnel_series


def test_funnel_series_names_sort_into_funnel_order_with_each_target_beside_its_stage():
    counts = {stage: 10 * (place + 1) for place, stage in enumerate(FUNNEL_STAGES)}
    series = funnel_series(funnel(counts, Targets(qualified=80, sent=0, replies=7), {"sent": 250, "reply": 3}))

    names = sorted(series)
    day = [n for n in names if n.startswith("funnel_")]
    assert [n.split("_", 2)[2] for n in day if not n.endswith("target")] == list(FUNNEL_STAGES)
    assert day[3:6] == ["funnel_04_qualified", "funnel_04_qualified_pct_of_target", "funnel_04_qualified_target"]
    assert series["funnel_04_qualified"] == 40 and series["funnel_04_qualified_target"] == 80
    assert series["funnel_04_qualified_pct_of_target"] == 50.0
    assert series["funnel_14_reply_pct_of_target"] == round(100 * 140 / 7, 1)
    # A target of 0 is no target: nothing to plot against.
    assert "funnel_10_sent_target" not in series and "funnel_10_sent_pct_of_target" not in series
    assert [n for n in names if n.startswith("to_date_")] == ["to_date_10_sent", "to_date_14_reply"]
    assert series["to_date_10_sent"] == 250
    assert all(type(v) is int for n, v in series.items() if not n.endswith("pct_of_target"))
