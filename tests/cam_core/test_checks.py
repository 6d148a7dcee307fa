"""The invariant checks of `harvest`, `qualified` and `routed`, judged on frames that break them."""

from __future__ import annotations

import pandas as pd

from cam_core.columns import empty_leads
from cam_core.intake.checks import ROWS_ACCOUNTED_FOR, check_harvest
from cam_core.selection.checks import (
    EVERY_VERDICT_HAS_A_REASON,
    NO_LEAD_ENROLLED_TWICE,
    check_enrolments,
    check_verdicts,
)


def _leads(n: int) -> pd.DataFrame:
    return pd.concat([empty_leads(), pd.DataFrame({"email": [f"p{i}@x.example" for i in range(n)]})])


def test_harvest_accounts_for_every_row_or_says_how_many_are_missing() -> None:
    [held] = check_harvest(rows_read=10, leads=_leads(7), stored_rejects=3)
    assert held.name == ROWS_ACCOUNTED_FOR and held.passed
    [lost] = check_harvest(rows_read=10, leads=_leads(7), stored_rejects=2)
    assert not lost.passed and lost.numbers["unaccounted"] == 1


def test_every_verdict_needs_a_known_word_and_a_reason() -> None:
    verdicts = pd.DataFrame(
        {
            "email": ["a@x.example", "b@x.example", "", "d@x.example"],
            "source_row": [2, 3, 4, 5],
            "qualification": ["qualified", "rejected", "needs_email", "maybe"],
            "reason": ["score 80 >= qualify_at 60", "  ", "no email address", "why not"],
        }
    )
    [outcome] = check_verdicts(verdicts)
    assert outcome.name == EVERY_VERDICT_HAS_A_REASON and not outcome.passed
    assert outcome.offenders == ["b@x.example", "d@x.example"]
    assert outcome.numbers == {"offending_rows": 2, "unknown_verdicts": 1}
    [fine] = check_verdicts(verdicts.iloc[[0, 2]])
    assert fine.passed


def test_a_lead_routed_twice_missing_its_enrolment_or_enrolled_elsewhere_is_caught() -> None:
    routed = pd.DataFrame(
        {
            "email": ["a@x.example", "b@x.example", "b@x.example", "c@x.example", "d@x.example"],
            "sequence": ["fast_track", "standard", "standard", "standard", "standard"],
        }
    )
    enrolments = pd.DataFrame(
        {"email": ["a@x.example", "b@x.example", "d@x.example"], "sequence": ["fast_track", "standard", "nurture"]}
    )
    [outcome] = check_enrolments(routed, enrolments)
    assert outcome.name == NO_LEAD_ENROLLED_TWICE and not outcome.passed
    # b twice in the output, c never enrolled, d enrolled in another sequence than it was routed to
    assert outcome.offenders == ["b@x.example", "b@x.example", "c@x.example", "d@x.example"]
    [fine] = check_enrolments(routed.iloc[[0]], enrolments)
    assert fine.passed
