"""Lead scores (the `scored` stage): ICP fit and opportunity, 0-100, with reasons.

`score_campaign` is what the asset calls: fit from `icp.rules` (who they are:
industry, size, title, seniority, department, country, technologies, keywords),
opportunity from `opportunity.rules` (why now: hiring, recent funding, technologies
adopted, words in the company description), combined with the campaign's weights:
- `fit_score`, `opportunity_score` (int, 0-100 each; opportunity 0 without rules);
- `icp_score` (int, 0-100): round(w_fit * fit + w_opportunity * opportunity), the score
  qualification, tiers and routing use. Without opportunity rules it is the fit score.
- `score_breakdown` (str): each rule that fired with its points and the matched text,
  then, with opportunity rules, the opportunity part and the weighted sum.

`score(leads, icp)`, one rule set alone, adds:
- `icp_score` (int, 0-100): the points of the rules that fired, as a share of the
  most a lead can get (the sum of positive points), floored at 0.
- `score_breakdown` (str): the rules that fired, e.g.
  "decision_maker +30 (title: CTO); company_size +20 (employees: 250)".
Everything is vectorised, never a loop per lead: each rule is matched once per
distinct value of its column (titles, industries and sizes repeat), and points and
breakdown text are built once per distinct combination of matches, then spread back
to the leads. A million leads score in seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cam_core.campaign.models import Campaign, Icp, IcpRule
from cam_core.frames import take_str
from cam_core.selection.matching import matched_codes


def _combinations(codes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(distinct rows of the code matrix, each lead's row number among them)."""
    n = len(codes[0]) if codes else 0
    if not codes or n == 0:
        return np.zeros((min(n, 1), len(codes)), dtype="int64"), np.zeros(n, dtype="int64")
    matrix = np.column_stack(codes)
    radix = [int(c.max(initial=-1)) + 2 for c in codes]
    if float(np.prod(radix, dtype="float64")) < 2**62:  # one integer per combination: a fast hash
        key = np.zeros(n, dtype="int64")
        for column, base in zip(codes, radix, strict=True):
            key = key * base + (column + 1)
        inverse, _ = pd.factorize(key)
        return matrix[pd.Series(np.arange(n)).groupby(inverse).first().to_numpy()], inverse
    combos, inverse = np.unique(matrix, axis=0, return_inverse=True)
    return combos, inverse.reshape(-1)


def _points_and_text(combos: np.ndarray, texts: list[np.ndarray], rules: list[IcpRule]) -> tuple[np.ndarray, pd.Series]:
    """Points and breakdown for each distinct combination (a few hundred rows, not a million)."""
    points = np.zeros(len(combos), dtype="int64")
    breakdown = pd.Series("", index=range(len(combos)), dtype="str")
    for i, (rule, shown) in enumerate(zip(rules, texts, strict=True)):
        code = combos[:, i]
        hit = code >= 0
        points += np.where(hit, rule.points, 0)
        matched = pd.Series(np.append(shown, "").astype(object)[code], dtype="str")
        label = f"{rule.name} {rule.points:+d} ({rule.field}: " + matched + "); "
        breakdown = breakdown + label.where(hit, "")
    return points, breakdown.str.removesuffix("; ")


def _share(points: np.ndarray, icp: Icp) -> np.ndarray:
    best = sum(r.points for r in icp.rules if r.points > 0)
    return np.round(100 * np.clip(points, 0, None) / best).astype("int64")


def score(leads: pd.DataFrame, icp: Icp) -> tuple[pd.DataFrame, dict[str, int]]:
    """The scored table and, per rule, how many leads it fired for."""
    out = leads.copy()
    coded = [matched_codes(out, rule) for rule in icp.rules]
    combos, inverse = _combinations([c for c, _ in coded])
    points, breakdown = _points_and_text(combos, [t for _, t in coded], icp.rules)
    out["icp_score"] = _share(points, icp)[inverse] if len(out) else np.array([], dtype="int64")
    out["score_breakdown"] = take_str(breakdown, inverse, out.index)
    return out, {rule.name: int((c >= 0).sum()) for rule, (c, _) in zip(icp.rules, coded, strict=True)}


def with_derived_signals(leads: pd.DataFrame, as_of: str | None = None) -> pd.DataFrame:
    """Add `months_since_funding` (from `latest_funding_date`, counted to `as_of`) when missing."""
    if "months_since_funding" in leads or "latest_funding_date" not in leads:
        return leads
    out = leads.copy()
    codes, dates = pd.factorize(out["latest_funding_date"].fillna("").astype("str"))
    funded = pd.to_datetime(pd.Series(dates).replace("", None), errors="coerce")
    today = pd.Timestamp(as_of) if as_of else pd.Timestamp.today().normalize()
    months = np.append(((today - funded).dt.days / 30.4375).round(1).to_numpy(dtype="float64"), np.nan)
    out["months_since_funding"] = months[codes]
    return out


def score_campaign(
    leads: pd.DataFrame, campaign: Campaign, as_of: str | None = None
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Fit, opportunity and the weighted score with its breakdown; rule -> leads it fired for."""
    out = with_derived_signals(leads, as_of).copy()
    fit_rules = list(campaign.icp.rules)
    opp_icp = campaign.opportunity
    opp_rules = list(opp_icp.rules) if opp_icp else []
    coded = [matched_codes(out, rule) for rule in fit_rules + opp_rules]
    combos, inverse = _combinations([c for c, _ in coded])
    k = len(fit_rules)
    fit_points, fit_text = _points_and_text(combos[:, :k], [t for _, t in coded[:k]], fit_rules)
    fit = _share(fit_points, campaign.icp)
    if opp_icp is not None:
        opp_points, opp_text = _points_and_text(combos[:, k:], [t for _, t in coded[k:]], opp_rules)
        opportunity = _share(opp_points, opp_icp)
    else:
        opportunity, opp_text = np.zeros(len(combos), dtype="int64"), None
    w_fit, w_opp = campaign.score_weights()
    total = np.round(w_fit * fit + w_opp * opportunity).astype("int64")
    if opp_text is None:
        text = fit_text
    else:
        f, o, t = (pd.Series(a, dtype="str") for a in (fit.astype(str), opportunity.astype(str), total.astype(str)))
        text = (
            "fit "
            + f
            + ": "
            + fit_text.replace("", "-")
            + " | opportunity "
            + o
            + ": "
            + opp_text.replace("", "-")
            + f" | score = {w_fit:g} x fit "
            + f
            + f" + {w_opp:g} x opportunity "
            + o
            + " = "
            + t
        )
    empty = len(out) == 0
    out["fit_score"] = np.array([], dtype="int64") if empty else fit[inverse]
    out["opportunity_score"] = np.array([], dtype="int64") if empty else opportunity[inverse]
    out["icp_score"] = np.array([], dtype="int64") if empty else total[inverse]
    out["score_breakdown"] = take_str(text, inverse, out.index)
    fired = {rule.name: int((c >= 0).sum()) for rule, (c, _) in zip(fit_rules, coded[:k], strict=True)}
    fired.update(
        {f"opportunity_{rule.name}": int((c >= 0).sum()) for rule, (c, _) in zip(opp_rules, coded[k:], strict=True)}
    )
    return out, fired
