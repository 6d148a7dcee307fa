"""ICP fit score (the `scored` stage): 0-100 from the campaign's rules, with reasons.

Adds to a lead table:
- `icp_score` (int, 0-100): the points of the rules that fired, as a share of the
  most a lead can get (the sum of positive points), floored at 0.
- `score_breakdown` (str): the rules that fired, e.g.
  "decision_maker +30 (title: CTO); company_size +20 (employees: 250)".
Everything is vectorised: one pass over the DataFrame per rule, never per lead.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cam_core.campaigns import Icp, IcpRule


def _word_pattern(words: list[str]) -> str:
    # Whole words and phrases only: "cto" must not match "Director", nor "bot" "Abbott".
    alternatives = sorted({re.escape(w.strip()).replace(r"\ ", r"\s+") for w in words if w.strip()}, key=len, reverse=True)
    return r"(?<![\w])(" + "|".join(alternatives) + r")(?![\w])"


def rule_matches(leads: pd.DataFrame, rule: IcpRule) -> pd.Series:
    """The matched text of `rule` for each lead, "" where it does not fire."""
    column = leads[rule.field]
    if rule.any_of is not None:
        found = column.fillna("").astype("str").str.extract(_word_pattern(rule.any_of), flags=re.IGNORECASE, expand=False)
        return found.fillna("").astype("str")
    low, high = rule.between  # type: ignore[misc]
    numbers = pd.to_numeric(column, errors="coerce")
    shown = numbers.map("{:g}".format, na_action="ignore").astype("str")
    return shown.where(numbers.between(low, high), "").fillna("").astype("str")


def score(leads: pd.DataFrame, icp: Icp) -> tuple[pd.DataFrame, dict[str, int]]:
    """The scored table and, per rule, how many leads it fired for."""
    out = leads.copy()
    points = np.zeros(len(out), dtype="int64")
    breakdown = pd.Series("", index=out.index, dtype="str")
    fired: dict[str, int] = {}
    for rule in icp.rules:
        matched = rule_matches(out, rule)
        hit = (matched != "").to_numpy()
        fired[rule.name] = int(hit.sum())
        points += np.where(hit, rule.points, 0)
        label = f"{rule.name} {rule.points:+d} ({rule.field}: " + matched + "); "
        breakdown = breakdown + label.where(hit, "")
    best = sum(r.points for r in icp.rules if r.points > 0)
    out["icp_score"] = np.round(100 * np.clip(points, 0, None) / best).astype("int64")
    out["score_breakdown"] = breakdown.str.removesuffix("; ")
    return out, fired
