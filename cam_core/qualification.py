"""Qualification (the `qualified` stage): qualified, review or rejected, with a reason.

Adds to a scored lead table:
- `qualification` (str): "qualified", "review" or "rejected".
- `reason` (str): why, in words a person can act on, e.g. "score 82 >= qualify_at 60"
  or "role account, not a person".
A lead without an email yet (kept by `harvest` for enrichment) is "needs_email":
never qualified, enrolled or sent to until an address is found.
The first rule that applies wins, in this order: no email yet, suppressed, invalid email,
disposable domain, role account, free mail (where the campaign rejects them),
then the score against `qualify_at` and `review_at`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cam_core.campaigns import Qualification

QUALIFIED, REVIEW, REJECTED = "qualified", "review", "rejected"
NEEDS_EMAIL = "needs_email"


def qualify(scored: pd.DataFrame, rules: Qualification, suppressed: pd.Series) -> pd.DataFrame:
    """`suppressed` maps suppressed email -> suppression reason (any campaign)."""
    out = scored.copy()
    score = out["icp_score"].astype("int64")
    score_text = score.astype("str")
    suppression = out["email"].map(suppressed).astype("object")
    conditions = [
        (out["email"] == "").to_numpy(),
        suppression.notna().to_numpy(),
        (~out["email_valid"]).to_numpy(),
        out["disposable"].to_numpy(),
        out["role_account"].to_numpy(),
        (out["free_mail"] & rules.reject_free_mail).to_numpy(),
        (score >= rules.qualify_at).to_numpy(),
        (score >= rules.review_at).to_numpy(),
    ]
    role_outcome = REJECTED if rules.reject_role_accounts else REVIEW
    outcomes = [NEEDS_EMAIL, REJECTED, REJECTED, REJECTED, role_outcome, REJECTED, QUALIFIED, REVIEW]
    reasons = [
        "no email yet; enrichment will look for one",
        "suppressed (" + suppression.fillna("").astype("str") + ")",
        "invalid email: " + out["email_problem"].astype("str"),
        "disposable email domain",
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
    return out
