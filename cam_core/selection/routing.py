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

from cam_core.campaign.models import Campaign
from cam_core.frames import positions, take_str
from cam_core.selection.matching import rule_matches
from cam_core.vocabulary import TIERS, Enrolment, LeadStatus

#: `enrolment` codes: 0 new, 1 already enrolled, 2 held.
ENROLMENTS = (Enrolment.NEW, Enrolment.ALREADY_ENROLLED, Enrolment.HELD)


def _tier_codes(scores: pd.Series, campaign: Campaign) -> np.ndarray:
    t = campaign.tiers
    return np.select([scores >= t.hot, scores >= t.warm, scores >= t.cool], [0, 1, 2], default=3)


def tiers_for(scores: pd.Series, campaign: Campaign) -> pd.Series:
    return take_str(TIERS, _tier_codes(scores, campaign), scores.index)


def _sequence_codes(leads: pd.DataFrame, tier_codes: np.ndarray, campaign: Campaign) -> tuple[np.ndarray, np.ndarray]:
    """Codes into (routing rules..., then one entry per tier): first matching rule, else routing[tier]."""
    rules = campaign.routing_rules
    fallback = len(rules) + tier_codes
    if not rules or leads.empty:
        return fallback, fallback
    conditions = []
    for rule in rules:
        hit = (rule_matches(leads, rule) != "").to_numpy().copy()
        if rule.tiers is not None:
            hit &= np.isin(tier_codes, [TIERS.index(t) for t in rule.tiers])
        conditions.append(hit)
    chosen = np.select(conditions, np.arange(len(rules)), default=fallback)
    return chosen, chosen


def sequences_for(leads: pd.DataFrame, campaign: Campaign) -> tuple[pd.Series, pd.Series]:
    """(sequence, rule name) per lead: first matching routing rule, else routing[tier]."""
    codes, _ = _sequence_codes(leads, np.array([TIERS.index(t) for t in leads["tier"]], dtype="int64"), campaign)
    sequences = [r.sequence for r in campaign.routing_rules] + [campaign.routing[t] for t in TIERS]
    names = [r.name for r in campaign.routing_rules] + ["tier"] * len(TIERS)
    return take_str(sequences, codes, leads.index), take_str(names, codes, leads.index)


def route(
    qualified: pd.DataFrame, campaign: Campaign, enrolled_before: pd.Series, active_elsewhere: pd.Series | None = None
) -> pd.DataFrame:
    """`enrolled_before` maps email -> sequence for leads enrolled on an earlier day;
    `active_elsewhere` maps email -> why it is taken ("campaign acme since 2026-11-20")."""
    out = qualified[(qualified["qualification"] == LeadStatus.QUALIFIED).to_numpy()].reset_index(drop=True)
    tier_codes = _tier_codes(out["icp_score"], campaign)
    out["tier"] = take_str(TIERS, tier_codes, out.index)
    chosen, _ = _sequence_codes(out, tier_codes, campaign)
    rules = campaign.routing_rules
    # One table of sequences: routing rules, the tiers', then each earlier enrolment's.
    sequences = [r.sequence for r in rules] + [campaign.routing[t] for t in TIERS]
    names = [r.name for r in rules] + ["tier"] * len(TIERS)
    before = positions(out["email"], enrolled_before.index)
    again = before >= 0
    sequence_codes = np.where(again, len(sequences) + before, chosen)
    out["sequence"] = take_str(sequences + list(enrolled_before.astype("str")), sequence_codes, out.index)
    out["route_rule"] = take_str([*names, "already_enrolled"], np.where(again, len(names), chosen), out.index)
    enrolment = np.where(again, 1, 0)  # codes into ENROLMENTS
    reason_codes = np.zeros(len(out), dtype="int64")
    reasons = [""]
    if active_elsewhere is not None and len(active_elsewhere):
        taken = positions(out["email"], active_elsewhere.index)
        held = (taken >= 0) & ~again  # enrolled here first: the other campaign came later
        enrolment = np.where(held, 2, enrolment)
        reasons += [
            f"held: active in another campaign within {campaign.exclusivity_days} days ({why})"
            for why in active_elsewhere.astype("str")
        ]
        reason_codes = np.where(held, 1 + taken, 0)
    out["enrolment"] = take_str(ENROLMENTS, enrolment, out.index)
    out["hold_reason"] = take_str(reasons, reason_codes, out.index)
    return out
