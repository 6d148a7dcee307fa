"""The outcome of an invariant check, as each stage reports it.

Each stage's `checks` module names its checks, describes them in words and judges
its own output; `cam_dagster` reports every outcome as a blocking asset check, so a
failure stops what comes after it in the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

#: Offending rows shown with a failed check: enough to find the cause, never a whole table.
EXAMPLES = 10


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    passed: bool
    offenders: list[str] = field(default_factory=list)  # a few examples (emails, or rows as text)
    numbers: dict[str, int] = field(default_factory=dict)


def judged(name: str, offenders: pd.Series, **numbers: int) -> CheckOutcome:
    """Passed when there is no offender; `offending_rows` counts them all."""
    shown = [str(o) for o in offenders.head(EXAMPLES)]
    return CheckOutcome(name, offenders.empty, shown, {"offending_rows": len(offenders), **numbers})
