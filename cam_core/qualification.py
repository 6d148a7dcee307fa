"""Qualification (the `qualified` stage): qualified, review or rejected, with a reason.

Adds to a scored lead table:
- `qualification` (str): "qualified", "review" or "rejected".
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

import numpy as np
import pandas as pd

from cam_core.campaigns import Qualification

QUALIFIED, REVIEW, REJECTED = "qualified", "review", "rejected"


def _flag(frame: pd.DataFrame, column: str) -> pd.Series:
    """A boolean column, False where an older table does not have it."""
    return frame[column].fillna(False).astype("bool") if column in frame else pd.Series(False, index=frame.index)


def qualify(scored: pd.DataFrame, rules: Qualification, suppressed: pd.Series,
            decisions: pd.DataFrame | None = None) -> pd.DataFrame:
    """`suppressed` maps suppressed email -> suppression reason (any campaign);
    `decisions` (index email; columns `decision` approved/rejected, `decided_by`) are review outcomes."""
    out = scored.copy()
    score = out["icp_score"].astype("int64")
    score_text = score.astype("str")
    suppression = out["email"].map(suppressed).astype("object")
    no_email = out["email"].fillna("").astype("str") == ""
    pending = (out["enrichment_status"] == "pending") if "enrichment_status" in out else pd.Series(False, index=out.index)
    no_mx = (out["mx"] == "none") if "mx" in out else pd.Series(False, index=out.index)
    competitor_domain = out["email"].str.extract(r"@([^@]+)$", expand=False).fillna("")
    if "domain" in out:  # a lead without an address is a competitor by its company's domain
        competitor_domain = competitor_domain.where(competitor_domain != "", out["domain"].fillna("").astype("str"))
    conditions = [
        suppression.notna().to_numpy(),
        (no_email & pending).to_numpy(),
        no_email.to_numpy(),
        (~out["email_valid"]).to_numpy(),
        no_mx.to_numpy(),
        out["disposable"].to_numpy(),
        _flag(out, "competitor").to_numpy(),
        out["role_account"].to_numpy(),
        (out["free_mail"] & rules.reject_free_mail).to_numpy(),
        (score >= rules.qualify_at).to_numpy(),
        (score >= rules.review_at).to_numpy(),
    ]
    role_outcome = REJECTED if rules.reject_role_accounts else REVIEW
    outcomes = [REJECTED, REJECTED, REJECTED, REJECTED, REJECTED, REJECTED, REJECTED, role_outcome, REJECTED,
                QUALIFIED, REVIEW]
    error = out["enrichment_error"].fillna("").astype("str") if "enrichment_error" in out else pd.Series("", index=out.index)
    reasons = [
        "suppressed (" + suppression.fillna("").astype("str") + ")",
        "no email address yet: enrichment pending (" + error + ")",
        "no email address (enrichment found none)",
        "invalid email: " + out["email_problem"].astype("str"),
        "no mail server for the domain (MX lookup)",
        "disposable email domain",
        "competitor (" + competitor_domain + ")",
        "role account, not a person",
        "free-mail address (campaign rejects free mail)",
        "score " + score_text + f" >= qualify_at {rules.qualify_at}",
        "score " + score_text + f" in review band [{rules.review_at}, {rules.qualify_at})",
    ]
    out["qualification"] = np.select(conditions, outcomes, default=REJECTED)
    out["reason"] = np.select(
        conditions,
        [r.to_numpy(dtype=object) if isinstance(r, pd.Series) else r for r in reasons],
        default=("score " + score_text + f" below review_at {rules.review_at}").to_numpy(dtype=object),
    )
    out["qualification"] = out["qualification"].astype("str")
    out["reason"] = out["reason"].astype("str")
    if decisions is not None and len(decisions):
        decided = out["email"].map(decisions["decision"]).where(out["qualification"] == REVIEW)
        who = out["email"].map(decisions["decided_by"]).fillna("").astype("str")
        for decision, verdict in (("approved", QUALIFIED), ("rejected", REJECTED)):
            hit = decided == decision
            out.loc[hit, "reason"] = f"{decision} in review by " + who[hit] + " (" + out.loc[hit, "reason"] + ")"
            out.loc[hit, "qualification"] = verdict
    return out
