"""What must hold of a stage's verdicts and enrolments before they flow on."""

from __future__ import annotations

import pandas as pd

from cam_core.checks import CheckOutcome, judged
from cam_core.vocabulary import VERDICTS

EVERY_VERDICT_HAS_A_REASON = "every_verdict_has_a_reason"
NO_LEAD_ENROLLED_TWICE = "no_lead_enrolled_twice"

CHECK_DESCRIPTIONS = {
    EVERY_VERDICT_HAS_A_REASON: "Every lead is qualified, in review, rejected or waiting for an email, "
    "and says why in words.",
    NO_LEAD_ENROLLED_TWICE: "Each routed lead appears once and holds exactly one enrolment in the campaign, "
    "in the sequence it was routed to.",
}


def check_verdicts(qualified: pd.DataFrame) -> list[CheckOutcome]:
    unknown = ~qualified["qualification"].isin(VERDICTS)
    silent = qualified["reason"].fillna("").astype("str").str.strip() == ""
    where = qualified["email"].where(qualified["email"] != "", "row " + qualified["source_row"].astype("str"))
    return [judged(EVERY_VERDICT_HAS_A_REASON, where[unknown | silent], unknown_verdicts=int(unknown.sum()))]


def check_enrolments(routed: pd.DataFrame, enrolments: pd.DataFrame) -> list[CheckOutcome]:
    """`routed`: the asset's leads (held ones excluded); `enrolments`: their rows (email, sequence)
    in the `enrolments` table, read back after routing wrote them."""
    repeated = routed["email"].duplicated(keep=False)
    stored = enrolments.groupby("email")["sequence"].agg(["count", "first"])
    count = routed["email"].map(stored["count"]).fillna(0)
    elsewhere = routed["email"].map(stored["first"]).fillna("") != routed["sequence"]
    offending = repeated | (count != 1) | elsewhere
    return [judged(NO_LEAD_ENROLLED_TWICE, routed.loc[offending, "email"], routed=len(routed))]
