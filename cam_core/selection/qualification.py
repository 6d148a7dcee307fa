"""Qualification (the `qualified` stage): qualified, review or rejected, with a reason.

Adds to a scored lead table:
- `qualification` (str): "qualified", "review", "rejected", or "needs_email" for a lead
  without an address yet (kept by `harvest` for enrichment; its reason says whether
  enrichment is pending, found nothing, or is off).
- `reason` (str): why, in words a person can act on, e.g. "score 82 >= qualify_at 60"
  or "role account, not a person".
The first rule that applies wins, in this order: suppressed, no email address
(enrichment found none, or is pending), invalid email, no mail server (MX says the
domain takes no mail; "unknown" never rejects), disposable domain, competitor, role
account, free mail (where the campaign rejects them), then the score against
`qualify_at` and `review_at`.

A lead in the review band whose review was decided (`decisions`, from the review
queue) takes that decision: "approved in review by ana" qualifies it, "rejected in
review by ana" rejects it. Decisions never override a hard rejection: an approved
lead that is suppressed later is still rejected.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cam_core.campaign.models import Qualification
from cam_core.frames import positions, take_str
from cam_core.vocabulary import EnrichmentStatus, LeadStatus, ReviewStatus


def _flag(frame: pd.DataFrame, column: str) -> pd.Series:
    """A boolean column, False where an older table does not have it."""
    return frame[column].fillna(False).astype("bool") if column in frame else pd.Series(False, index=frame.index)


def qualify(
    scored: pd.DataFrame, rules: Qualification, suppressed: pd.Series, decisions: pd.DataFrame | None = None
) -> pd.DataFrame:
    """`suppressed` maps suppressed email -> suppression reason (any campaign);
    `decisions` (index email; columns `decision` approved/rejected, `decided_by`) are review outcomes."""
    out = scored.copy()
    n = len(out)
    email = out["email"].fillna("").astype("str")
    score = out["icp_score"].astype("int64").to_numpy()
    where_suppressed = positions(email, suppressed.index)
    is_suppressed = where_suppressed >= 0
    no_email = (email == "").to_numpy()
    pending = (
        (out["enrichment_status"] == EnrichmentStatus.PENDING).to_numpy()
        if "enrichment_status" in out
        else np.zeros(n, bool)
    )
    conditions = [
        is_suppressed,
        no_email & pending,
        no_email,
        ~_flag(out, "email_valid").to_numpy() if "email_valid" in out else np.zeros(n, bool),
        (out["mx"] == "none").to_numpy() if "mx" in out else np.zeros(n, bool),
        _flag(out, "disposable").to_numpy(),
        _flag(out, "competitor").to_numpy(),
        _flag(out, "role_account").to_numpy(),
        _flag(out, "free_mail").to_numpy() & rules.reject_free_mail,
        score >= rules.qualify_at,
        score >= rules.review_at,
    ]
    role_outcome = LeadStatus.REJECTED if rules.reject_role_accounts else LeadStatus.REVIEW
    outcomes = np.array(
        [
            LeadStatus.REJECTED,
            LeadStatus.NEEDS_EMAIL,
            LeadStatus.NEEDS_EMAIL,
            LeadStatus.REJECTED,
            LeadStatus.REJECTED,
            LeadStatus.REJECTED,
            LeadStatus.REJECTED,
            role_outcome,
            LeadStatus.REJECTED,
            LeadStatus.QUALIFIED,
            LeadStatus.REVIEW,
            LeadStatus.REJECTED,
        ],
        dtype=object,
    )
    # Which rule decided each lead (the last choice: below review_at). Reasons are then
    # written per rule for just its leads, and score reasons once per distinct score.
    choice = np.select(conditions, np.arange(len(conditions)), default=len(conditions))

    def column(name: str, rows: np.ndarray) -> pd.Series:
        return out[name].iloc[rows].fillna("").astype("str") if name in out else pd.Series("", index=out.index[rows])

    def by_score(template: str) -> Callable[[np.ndarray], np.ndarray]:
        def build(rows: np.ndarray) -> np.ndarray:
            values, inverse = np.unique(score[rows], return_inverse=True)
            return np.array([template.format(v) for v in values], dtype=object)[inverse.reshape(-1)]

        return build

    def competitor(rows: np.ndarray) -> pd.Series:
        domain = email.iloc[rows].str.split("@").str[-1]
        return "competitor (" + domain.where(domain != "", column("domain", rows)) + ")"

    def no_address(rows: np.ndarray) -> np.ndarray:
        off = column("enrichment_status", rows).isin([EnrichmentStatus.OFF, ""]).to_numpy()
        return np.where(
            off,
            "no email address (enrichment is off: set APOLLO_API_KEY or DROPCONTACT_API_KEY to look addresses up)",
            "no email address (enrichment found none)",
        ).astype(object)

    builders: list[Callable[[np.ndarray], object]] = [
        lambda rows: (
            "suppressed (" + pd.Series(suppressed.to_numpy(dtype=object)[where_suppressed[rows]], dtype="str") + ")"
        ),
        lambda rows: "no email address yet: enrichment pending (" + column("enrichment_error", rows) + ")",
        no_address,
        lambda rows: "invalid email: " + column("email_problem", rows),
        lambda rows: "no mail server for the domain (MX lookup)",
        lambda rows: "disposable email domain",
        competitor,
        lambda rows: "role account, not a person",
        lambda rows: "free-mail address (campaign rejects free mail)",
        by_score("score {} >= qualify_at " + str(rules.qualify_at)),
        by_score("score {} in review band [" + f"{rules.review_at}, {rules.qualify_at})"),
        by_score("score {} below review_at " + str(rules.review_at)),
    ]
    # Reasons as codes into a small table of distinct texts, turned into a column once.
    table: list[str] = []
    codes = np.zeros(n, dtype="int64")
    for k, build in enumerate(builders):  # one vectorised step per rule, not per lead
        rows = np.flatnonzero(choice == k)
        if len(rows):
            built = build(rows)
            if isinstance(built, str):
                codes[rows] = len(table)
                table.append(built)
            else:
                inverse, distinct = pd.factorize(pd.Series(built, dtype="str"))
                codes[rows] = len(table) + inverse
                table.extend(distinct)
    verdict = choice.copy()
    if decisions is not None and len(decisions):
        rows = np.flatnonzero(outcomes[choice] == LeadStatus.REVIEW)
        at = positions(email.iloc[rows], decisions.index)
        rows, at = rows[at >= 0], at[at >= 0]
        decided = decisions["decision"].to_numpy(dtype=object)[at]
        who = decisions["decided_by"].fillna("").astype("str").to_numpy(dtype=object)[at]
        for decision, outcome in (
            (ReviewStatus.APPROVED, LeadStatus.QUALIFIED),
            (ReviewStatus.REJECTED, LeadStatus.REJECTED),
        ):
            hit = decided == decision
            if hit.any():
                texts = (
                    f"{decision} in review by "
                    + pd.Series(who[hit], dtype="str")
                    + " ("
                    + pd.Series(np.asarray(table, dtype=object)[codes[rows[hit]]], dtype="str")
                    + ")"
                )
                codes[rows[hit]] = len(table) + np.arange(hit.sum())
                table.extend(texts)
                verdict[rows[hit]] = list(outcomes).index(outcome)
    out["qualification"] = take_str(outcomes, verdict, out.index)
    out["reason"] = take_str(table, codes, out.index)
    return out
