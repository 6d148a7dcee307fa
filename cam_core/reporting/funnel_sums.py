"""How a day's funnel adds up, in words a terminal prints under the funnel (`cam demo`, `cam run`).

Each line is an identity that follows from how `campaign_metrics` counts its stages:
`rows_read` is the harvest's rows plus the rows harvest rejected; every accepted row gets
one verdict (qualified, review, rejected or needs_email); a row without an address is never
a valid email; and `routed` is the qualified leads less those held for another campaign.
(`sent` is the day's ledger, which a rerun keeps while its batch shrinks: no sum.) A remainder is
named for what it is, never shown negative, and a line whose numbers do not add up is left
out: the funnel comes from files on disk, and a sum that does not hold must not be printed.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd


def _sum(total: tuple[str, int], parts: list[tuple[str, int]]) -> str | None:
    """`name N = a A + b B ...`, or None when the parts do not add up to the total or one is negative."""
    if any(n < 0 for _, n in parts) or sum(n for _, n in parts) != total[1]:
        return None
    return f"{total[0]} {total[1]} = " + " + ".join(f"{name} {n}" for name, n in parts)


def funnel_sums(counts: Mapping[str, int]) -> list[str]:
    """The identities of the funnel `counts` (stage -> the day's count) that hold, one line each."""
    c = {stage: int(counts.get(stage, 0)) for stage in counts}
    if not {"rows_read", "accepted"} <= c.keys():
        return []
    lines = [
        _sum(
            ("rows_read", c["rows_read"]),
            [("accepted", c["accepted"]), ("rejected at harvest", c["rows_read"] - c["accepted"])],
        ),
        _sum(
            ("accepted", c["accepted"]),
            [(verdict, c.get(verdict, 0)) for verdict in ("qualified", "review", "rejected", "needs_email")],
        ),
    ]
    if "valid_email" in c:
        invalid = c["accepted"] - c.get("needs_email", 0) - c["valid_email"]
        lines.append(
            _sum(
                ("accepted", c["accepted"]),
                [
                    ("valid_email", c["valid_email"]),
                    ("needs_email", c.get("needs_email", 0)),
                    ("invalid email", invalid),
                ],
            )
        )
    if {"qualified", "routed"} <= c.keys():
        lines.append(
            _sum(
                ("qualified", c["qualified"]),
                [("routed", c["routed"]), ("held for another campaign", c["qualified"] - c["routed"])],
            )
        )
    return [line for line in lines if line]


def frame_counts(frame: pd.DataFrame) -> dict[str, int]:
    """stage -> count of a `campaign_metrics` funnel frame."""
    return {str(stage): int(count) for stage, count in zip(frame["stage"], frame["count"], strict=True)}
