"""A lead's lifecycle: which status may follow which, as data, and the one rule that refuses the rest.

Every writer of `leads.status` (`cam_core.state.leads`) moves leads only along
TRANSITIONS and records each change in the `lead_history` table
(`cam_core.state.history`), so `cam leads history EMAIL` can say what happened
to a person, when, why and on whose word.

Bulk writers skip a move the table does not allow (a lead already contacted stays
contacted when a rerun qualifies it again); a single change asked for by a person
(`cam leads mark`) is refused with `IllegalTransition`, naming what is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from cam_core.vocabulary import LeadStatus as S

_VERDICTS = frozenset({S.QUALIFIED, S.REVIEW, S.REJECTED})
#: What the world can tell about a lead that got a message (or a person records by hand).
_ANSWERS = frozenset({S.REPLIED, S.INTERESTED, S.NOT_INTERESTED, S.CONVERTED})
_ENDINGS = frozenset({S.BOUNCED, S.COMPLAINED, S.UNSUBSCRIBED})
_HEARD_BACK = _ANSWERS | _ENDINGS

_MOVES: Mapping[S, frozenset[S]] = {
    S.HARVESTED: frozenset({S.NEEDS_EMAIL, *_VERDICTS}),
    S.NEEDS_EMAIL: _VERDICTS,
    S.QUALIFIED: frozenset({S.REVIEW, S.REJECTED, S.HELD, S.ENROLLED, *_HEARD_BACK}),
    S.REVIEW: frozenset({S.QUALIFIED, S.REJECTED, *_HEARD_BACK}),
    S.REJECTED: frozenset({S.QUALIFIED, S.REVIEW, *_HEARD_BACK}),
    S.HELD: frozenset({S.REVIEW, S.REJECTED, S.ENROLLED, *_HEARD_BACK}),
    S.ENROLLED: frozenset({S.CONTACTED, S.PAUSED, *_HEARD_BACK}),
    S.CONTACTED: frozenset({S.PAUSED, *_HEARD_BACK}),
    S.PAUSED: frozenset({S.CONTACTED, *_HEARD_BACK}),
    S.REPLIED: frozenset({S.INTERESTED, S.NOT_INTERESTED, S.CONVERTED, S.COMPLAINED, S.UNSUBSCRIBED}),
    S.INTERESTED: frozenset({S.NOT_INTERESTED, S.CONVERTED, S.COMPLAINED, S.UNSUBSCRIBED}),
    S.NOT_INTERESTED: frozenset({S.INTERESTED, S.CONVERTED, S.COMPLAINED, S.UNSUBSCRIBED}),
    S.CONVERTED: frozenset({S.COMPLAINED, S.UNSUBSCRIBED}),
    S.UNSUBSCRIBED: frozenset({S.COMPLAINED}),
    S.COMPLAINED: frozenset(),
    S.BOUNCED: frozenset(),
    S.FORGOTTEN: frozenset(),
}
#: status -> the statuses it may move to. Any lead may be forgotten; a forgotten one goes nowhere.
TRANSITIONS: Mapping[S, frozenset[S]] = {
    s: targets if s == S.FORGOTTEN else targets | {S.FORGOTTEN} for s, targets in _MOVES.items()
}
_LEGAL = frozenset(f"{s}>{t}" for s, targets in TRANSITIONS.items() for t in targets)


class IllegalTransition(ValueError):
    """A status change the lifecycle does not allow."""


def sources_of(target: S) -> tuple[S, ...]:
    """The statuses a lead may be in to move to `target` (not `target` itself: staying is no change)."""
    return tuple(s for s, targets in TRANSITIONS.items() if target in targets)


def check_transition(current: str, target: str) -> None:
    """Refuse a change the lifecycle does not allow; staying where it is, is allowed."""
    if current == target:
        return
    if current not in TRANSITIONS or target not in TRANSITIONS:
        raise IllegalTransition(f"unknown status {current if current not in TRANSITIONS else target!r}")
    if S(target) not in TRANSITIONS[S(current)]:
        allowed = ", ".join(sorted(TRANSITIONS[S(current)])) or "nothing"
        raise IllegalTransition(f"a lead that is {current} cannot become {target}; it may become: {allowed}")


def allowed(current: pd.Series, target: pd.Series) -> pd.Series:
    """Per row: may the lead move from `current` to `target` (a real change, and a legal one)?"""
    return (current.astype("str") + ">" + target.astype("str")).isin(_LEGAL)


def statuses(values: Iterable[str]) -> list[S]:
    """Validate status words (from a person or a file), naming the unknown ones."""
    words = list(values)
    unknown = [w for w in words if w not in TRANSITIONS]
    if unknown:
        raise IllegalTransition(f"unknown status {', '.join(unknown)}; expected one of {', '.join(S)}")
    return [S(w) for w in words]
