"""The lead lifecycle: which status may follow which, and the audit every change leaves."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from cam_core import lifecycle
from cam_core.lifecycle import IllegalTransition, check_transition
from cam_core.state.history import history_of
from cam_core.state.leads import mark, save_qualified, save_routing
from cam_core.vocabulary import LeadStatus as S
from tests.helpers import BY_TEST, DAY

LEGAL = [
    (S.HARVESTED, S.QUALIFIED),
    (S.HARVESTED, S.NEEDS_EMAIL),
    (S.NEEDS_EMAIL, S.REVIEW),
    (S.REVIEW, S.QUALIFIED),  # a person approved it
    (S.REJECTED, S.QUALIFIED),  # the campaign's rules changed
    (S.QUALIFIED, S.HELD),
    (S.HELD, S.ENROLLED),  # the other campaign let go
    (S.QUALIFIED, S.ENROLLED),
    (S.ENROLLED, S.CONTACTED),
    (S.CONTACTED, S.PAUSED),
    (S.PAUSED, S.CONTACTED),  # back from holiday, the sequence resumes
    (S.CONTACTED, S.REPLIED),
    (S.REPLIED, S.INTERESTED),
    (S.INTERESTED, S.CONVERTED),
    (S.CONTACTED, S.BOUNCED),
    (S.CONTACTED, S.COMPLAINED),
    (S.UNSUBSCRIBED, S.COMPLAINED),  # a complaint after an unsubscribe still counts
    (S.CONVERTED, S.UNSUBSCRIBED),
    (S.BOUNCED, S.FORGOTTEN),
    (S.CONTACTED, S.FORGOTTEN),
]
ILLEGAL = [
    (S.CONTACTED, S.QUALIFIED),  # a rerun never resets a lead that got a message
    (S.ENROLLED, S.QUALIFIED),
    (S.QUALIFIED, S.CONTACTED),  # nobody is contacted without a sequence
    (S.REVIEW, S.ENROLLED),  # a lead in review waits for a person
    (S.REJECTED, S.ENROLLED),
    (S.BOUNCED, S.CONTACTED),  # a dead address stays dead
    (S.COMPLAINED, S.CONTACTED),
    (S.UNSUBSCRIBED, S.CONTACTED),
    (S.UNSUBSCRIBED, S.INTERESTED),
    (S.COMPLAINED, S.UNSUBSCRIBED),
    (S.FORGOTTEN, S.QUALIFIED),  # a forgotten person comes back only as a new lead
    (S.HARVESTED, S.CONTACTED),
    (S.NEEDS_EMAIL, S.ENROLLED),
]


@pytest.mark.parametrize(("current", "target"), LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_legal_transitions_pass(current: S, target: S) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(("current", "target"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_illegal_transitions_are_refused_naming_what_is_allowed(current: S, target: S) -> None:
    with pytest.raises(IllegalTransition, match=f"a lead that is {current} cannot become {target}"):
        check_transition(current, target)


def test_every_status_has_its_place_and_the_bulk_rule_agrees_with_the_single_one() -> None:
    assert set(lifecycle.TRANSITIONS) == set(S)
    pairs = list(itertools.product(S, S))
    bulk = lifecycle.allowed(pd.Series([a for a, _ in pairs]), pd.Series([b for _, b in pairs]))
    for (current, target), allowed in zip(pairs, bulk, strict=True):
        try:
            check_transition(current, target)
            single = current != target
        except IllegalTransition:
            single = False
        assert allowed == single, (current, target)


def test_unknown_words_are_refused() -> None:
    with pytest.raises(IllegalTransition, match="unknown status convertd"):
        lifecycle.statuses(["convertd"])


def _leads(emails: list[str], verdict: str = "qualified") -> pd.DataFrame:
    frame = pd.DataFrame({"email": emails, "qualification": verdict, "icp_score": 80, "reason": "ok"})
    for column in ("first_name", "last_name", "title", "company", "domain", "industry", "country", "score_breakdown"):
        frame[column] = ""
    return frame


def test_every_change_is_audited_once_and_a_rerun_changes_nothing(engine) -> None:
    emails = ["ada@acme.example", "bob@acme.example"]
    save_qualified(engine, "demo", DAY, _leads(emails), BY_TEST)
    save_routing(engine, "demo", DAY, _leads(emails).assign(tier="hot", sequence="s", enrolment="new"), BY_TEST)
    # A rerun of the day: same verdicts, same routing, a lead further along keeps its status.
    save_qualified(engine, "demo", DAY, _leads(emails), BY_TEST)
    save_routing(engine, "demo", DAY, _leads(emails).assign(tier="hot", sequence="s", enrolment="new"), BY_TEST)

    assert mark(engine, "demo", "Ada@Acme.example", "interested", BY_TEST, "a call") == "enrolled"
    with pytest.raises(IllegalTransition, match="cannot become contacted"):
        mark(engine, "demo", "ada@acme.example", "contacted", BY_TEST, "by hand")
    with pytest.raises(IllegalTransition, match="not a lead of campaign demo"):
        mark(engine, "demo", "nobody@acme.example", "converted", BY_TEST, "by hand")

    history = history_of(engine, "ada@acme.example")
    moves = list(zip(history["from_status"], history["to_status"], history["cause"], strict=True))
    assert moves == [
        ("harvested", "qualified", "qualification"),
        ("qualified", "enrolled", "routing"),
        ("enrolled", "interested", "a call"),
    ]
    assert set(history["source"]) == {"test"}
    assert len(history_of(engine, "bob@acme.example")) == 2
