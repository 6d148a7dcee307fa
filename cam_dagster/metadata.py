"""Turning stage numbers into asset metadata the Dagster UI shows and plots.

The UI lists a materialization's entries, and plots its numbers, by name: a family with an
order of its own (tiers, verdicts, ledger states, the funnel) is numbered in that order
(`tier_01_hot`, `tier_02_warm`, ...) so its plots read in that order, not alphabetically.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import dagster as dg
import pandas as pd


def counts(prefix: str, values: dict[str, int] | pd.Series) -> dict[str, dg.MetadataValue]:
    """One integer entry per key (`<prefix>_<key>`), so each gets its own plot over time."""
    items = values.items() if isinstance(values, dict) else values.to_dict().items()
    return {f"{prefix}_{key}": dg.MetadataValue.int(int(n)) for key, n in items}


def ordered(prefix: str, values: Mapping[str, int] | pd.Series, order: Iterable[str]) -> dict[str, dg.MetadataValue]:
    """One integer entry per key of `order`, numbered in that order (`<prefix>_01_<key>`), 0 where
    `values` has none, so every materialization plots every key; keys beyond `order` follow it."""
    given = {str(k): int(n) for k, n in dict(values).items()}
    keys = [str(k) for k in order]
    keys += sorted(k for k in given if k not in keys)
    return {f"{prefix}_{place:02d}_{key}": dg.MetadataValue.int(given.get(key, 0)) for place, key in enumerate(keys, 1)}


def numbers(values: Mapping[str, int | float]) -> dict[str, dg.MetadataValue]:
    """Each number as it is: an integer plots as a count, a float (a percentage) as a float."""
    return {
        key: dg.MetadataValue.float(n) if isinstance(n, float) else dg.MetadataValue.int(n) for key, n in values.items()
    }


def table(frame: pd.DataFrame, limit: int = 20) -> dg.MetadataValue:
    """A small markdown preview; never the whole table."""
    if frame.empty:
        return dg.MetadataValue.md("_(none)_")
    return dg.MetadataValue.md(frame.head(limit).to_markdown(index=False))


def rows(rows_in: int, rows_out: int) -> dict[str, dg.MetadataValue]:
    return {"rows_in": dg.MetadataValue.int(rows_in), "rows_out": dg.MetadataValue.int(rows_out)}
