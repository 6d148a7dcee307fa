"""Routing (the `routed` stage): a tier from the score, a sequence from the tier.

Takes the qualified leads and adds:
- `tier` (str): hot / warm / cool / cold, cut at the campaign's `tiers` (the one
  place tier cut-offs live).
- `sequence` (str): the campaign's `routing[tier]`.
- `enrolment` (str): "new", or "already_enrolled" when an earlier day enrolled the
  lead in this campaign; such a lead keeps its sequence and is not enrolled again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cam_core.campaigns import Campaign
from cam_core.qualification import QUALIFIED


def tiers_for(scores: pd.Series, campaign: Campaign) -> pd.Series:
    t = campaign.tiers
    tier = np.select([scores >= t.hot, scores >= t.warm, scores >= t.cool], ["hot", "warm", "cool"], default="cold")
    return pd.Series(tier, index=scores.index, dtype="str")


def route(qualified: pd.DataFrame, campaign: Campaign, enrolled_before: pd.Series) -> pd.DataFrame:
    """`enrolled_before` maps email -> sequence for leads enrolled on an earlier day."""
    out = qualified[qualified["qualification"] == QUALIFIED].reset_index(drop=True)
    out["tier"] = tiers_for(out["icp_score"], campaign)
    previous = out["email"].map(enrolled_before).astype("object")
    out["sequence"] = previous.fillna(out["tier"].map(campaign.routing)).astype("str")
    out["enrolment"] = np.where(previous.notna(), "already_enrolled", "new")
    out["enrolment"] = out["enrolment"].astype("str")
    return out
