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
Everything is vectorised: one pass over the DataFrame per rule, never per lead.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cam_core.campaigns import Campaign, Icp, IcpRule


def _word_pattern(words: list[str]) -> str:
    # Whole words and phrases only: "cto" must not match "Director", nor "bot" "Abbott".
    alternatives = sorted({re.escape(w.strip()).replace(r"\ ", r"\s+") for w in words if w.strip()}, key=len, reverse=True)
    return r"(?<![\w])(" + "|".join(alternatives) + r")(?![\w])"


def rule_matches(leads: pd.DataFrame, rule: IcpRule) -> pd.Series:
    """The matched text of `rule` for each lead, "" where it does not fire.

    A column the leads do not have (say `technologies` without enrichment) never fires.
    """
    if rule.field not in leads:
        return pd.Series("", index=leads.index, dtype="str")
    column = leads[rule.field]
    if rule.any_of is not None:
        # Titles, industries and countries repeat: match each distinct value once.
        codes, uniques = pd.factorize(column.fillna("").astype("str"))
        found = pd.Series(uniques, dtype="str").str.extract(_word_pattern(rule.any_of), flags=re.IGNORECASE, expand=False)
        found = found.fillna("").astype("str").to_numpy()
        return pd.Series(found[codes] if len(found) else np.array([], dtype=object), index=leads.index, dtype="str")
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


def with_derived_signals(leads: pd.DataFrame, as_of: str | None = None) -> pd.DataFrame:
    """Add `months_since_funding` (from `latest_funding_date`, counted to `as_of`) when missing."""
    if "months_since_funding" in leads or "latest_funding_date" not in leads:
        return leads
    out = leads.copy()
    funded = pd.to_datetime(out["latest_funding_date"].replace("", None), errors="coerce")
    today = pd.Timestamp(as_of) if as_of else pd.Timestamp.today().normalize()
    out["months_since_funding"] = ((today - funded).dt.days / 30.4375).round(1)
    return out


def _part(leads: pd.DataFrame, icp: Icp | None) -> tuple[np.ndarray, pd.Series, dict[str, int]]:
    if icp is None:
        return np.zeros(len(leads), dtype="int64"), pd.Series("", index=leads.index, dtype="str"), {}
    scored, fired = score(leads[[c for c in leads.columns if c in {r.field for r in icp.rules}]], icp)
    return scored["icp_score"].to_numpy(), scored["score_breakdown"], fired


def score_campaign(leads: pd.DataFrame, campaign: Campaign, as_of: str | None = None) -> tuple[pd.DataFrame, dict[str, int]]:
    """Fit, opportunity and the weighted score with its breakdown; rule -> leads it fired for."""
    out = with_derived_signals(leads, as_of)
    fit, fit_text, fired = _part(out, campaign.icp)
    opportunity, opp_text, opp_fired = _part(out, campaign.opportunity)
    w_fit, w_opp = campaign.score_weights()
    out = out.copy()
    out["fit_score"] = fit
    out["opportunity_score"] = opportunity
    out["icp_score"] = np.round(w_fit * fit + w_opp * opportunity).astype("int64")
    if campaign.opportunity is None:
        out["score_breakdown"] = fit_text
    else:
        total = (f" | score = {w_fit:g} x fit " + out["fit_score"].astype("str") + f" + {w_opp:g} x opportunity "
                 + out["opportunity_score"].astype("str") + " = " + out["icp_score"].astype("str"))
        out["score_breakdown"] = ("fit " + out["fit_score"].astype("str") + ": " + fit_text.replace("", "-")
                                  + " | opportunity " + out["opportunity_score"].astype("str") + ": "
                                  + opp_text.replace("", "-") + total)
    return out, {**fired, **{f"opportunity_{k}": v for k, v in opp_fired.items()}}
