"""Routing (the `routed` stage): a tier from the score, a sequence from the tier.

Takes the qualified leads and adds:
- `tier` (str): hot / warm / cool / cold, cut at the campaign's `tiers` (the one
  place tier cut-offs live).
- `sequence` (str): the first of the campaign's `routing_rules` that matches the lead
  (by country, seniority, ... and optionally tier), else the campaign's `routing[tier]`.
- `route_rule` (str): the routing rule that chose the sequence, or "tier".
- `enrolment` (str): "new"; "already_enrolled" when an earlier day enrolled the
  lead in this campaign (it keeps its sequence and is not enrolled again); or "held"
  when the lead is active in another campaign within the campaign's
  `exclusivity_days` (`hold_reason` says which); a held lead is not enrolled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cam_core.campaigns import Campaign
from cam_core.qualification import QUALIFIED
from cam_core.scoring import rule_matches


def tiers_for(scores: pd.Series, campaign: Campaign) -> pd.Series:
    t = campaign.tiers
    tier = np.select([scores >= t.hot, scores >= t.warm, scores >= t.cool], ["hot", "warm", "cool"], default="cold")
    return pd.Series(tier, index=scores.index, dtype="str")


def sequences_for(leads: pd.DataFrame, campaign: Campaign) -> tuple[pd.Series, pd.Series]:
    """(sequence, rule name) per lead: first matching routing rule, else routing[tier]."""
    by_tier = leads["tier"].map(campaign.routing).astype("object")
    if not campaign.routing_rules or leads.empty:
        return by_tier.astype("str"), pd.Series("tier", index=leads.index, dtype="str")
    conditions = []
    for rule in campaign.routing_rules:
        hit = rule_matches(leads, rule) != ""
        if rule.tiers is not None:
            hit &= leads["tier"].isin(rule.tiers)
        conditions.append(hit.to_numpy())
    sequence = np.select(conditions, [r.sequence for r in campaign.routing_rules], default=by_tier.to_numpy())
    rule = np.select(conditions, [r.name for r in campaign.routing_rules], default="tier")
    return pd.Series(sequence, index=leads.index, dtype="str"), pd.Series(rule, index=leads.index, dtype="str")


def route(qualified: pd.DataFrame, campaign: Campaign, enrolled_before: pd.Series,
          active_elsewhere: pd.Series | None = None) -> pd.DataFrame:
    """`enrolled_before` maps email -> sequence for leads enrolled on an earlier day;
    `active_elsewhere` maps email -> why it is taken ("campaign acme since 2026-11-20")."""
    out = qualified[qualified["qualification"] == QUALIFIED].reset_index(drop=True)
    out["tier"] = tiers_for(out["icp_score"], campaign)
    previous = out["email"].map(enrolled_before).astype("object")
    chosen, rule = sequences_for(out, campaign)
    out["sequence"] = previous.fillna(chosen).astype("str")
    out["route_rule"] = rule.where(previous.isna(), "already_enrolled").astype("str")
    out["enrolment"] = np.where(previous.notna(), "already_enrolled", "new")
    taken = out["email"].map(active_elsewhere).astype("object") if active_elsewhere is not None else None
    out["hold_reason"] = ""
    if taken is not None:
        held = taken.notna() & previous.isna()  # enrolled here first: the other campaign came later
        out["enrolment"] = np.where(held, "held", out["enrolment"])
        out.loc[held, "hold_reason"] = (f"held: active in another campaign within {campaign.exclusivity_days} days ("
                                        + taken[held].astype("str") + ")")
    out["enrolment"] = out["enrolment"].astype("str")
    out["hold_reason"] = out["hold_reason"].astype("str")
    return out
