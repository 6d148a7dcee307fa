"""`campaign_metrics` as the UI plots it: one number per funnel stage, in funnel order, each
target and percent of target beside its stage, and the campaign-to-date totals after."""

from __future__ import annotations

import re

import pytest

from cam_core.reporting.metrics import EVENT_STAGES, FUNNEL_STAGES
from tests.helpers import metadata_of, stored


@pytest.mark.sqlite_only
def test_the_funnel_plots_sort_into_funnel_order_with_targets_beside_the_actuals(demo_home, run_assets):
    result = run_assets()
    numbers = metadata_of(result, "campaign_metrics")
    funnel = stored(demo_home, "campaign_metrics").set_index("stage")

    # The UI lists a materialization's plots by name: sorted, they must read as the funnel does.
    day = sorted(k for k in numbers if k.startswith("funnel_"))
    stages = [re.sub(r"^funnel_\d\d_", "", k) for k in day if not k.endswith(("_target", "_pct_of_target"))]
    assert stages == list(FUNNEL_STAGES)
    assert day.index("funnel_04_qualified_pct_of_target") == day.index("funnel_04_qualified") + 1
    assert day.index("funnel_04_qualified_target") == day.index("funnel_04_qualified") + 2
    assert day[day.index("funnel_04_qualified_target") + 1] == "funnel_05_review"

    # The demo aims for 200 qualified, 200 sent and 10 replies; each target plots as a number.
    for place, stage, goal in ((4, "qualified", 200), (10, "sent", 200), (14, "reply", 10)):
        actual = numbers[f"funnel_{place:02d}_{stage}"]
        assert actual == funnel.loc[stage, "count"]
        assert numbers[f"funnel_{place:02d}_{stage}_target"] == goal
        pct = numbers[f"funnel_{place:02d}_{stage}_pct_of_target"]
        assert isinstance(pct, float) and pct == pytest.approx(100 * actual / goal, abs=0.05)
    assert numbers["funnel_04_qualified"] > 0 and numbers["funnel_10_sent"] > 0
    assert not [k for k in day if k.endswith("_target") and "rows_read" in k], "no target, no target plot"

    # Campaign to date: the same places, so the two families line up.
    to_date = sorted(k for k in numbers if k.startswith("to_date_"))
    assert to_date[0] == "to_date_10_sent" and numbers["to_date_10_sent"] == numbers["funnel_10_sent"]
    assert [re.sub(r"^to_date_\d\d_", "", k) for k in to_date] == [
        s for s in FUNNEL_STAGES if s in ("sent", *EVENT_STAGES)
    ]
    # And the whole funnel still reads as one table.
    header = numbers["funnel"].splitlines()[0]
    assert [c.strip() for c in header.strip("|").split("|")] == ["stage", "count", "to_date", "target", "pct_of_target"]
