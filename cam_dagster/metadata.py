"""Turning stage numbers into asset metadata the Dagster UI shows and plots."""

from __future__ import annotations

import dagster as dg
import pandas as pd


def counts(prefix: str, values: dict[str, int] | pd.Series) -> dict[str, dg.MetadataValue]:
    """One integer entry per key (`<prefix>_<key>`), so each gets its own plot over time."""
    items = values.items() if isinstance(values, dict) else values.to_dict().items()
    return {f"{prefix}_{key}": dg.MetadataValue.int(int(n)) for key, n in items}


def table(frame: pd.DataFrame, limit: int = 20) -> dg.MetadataValue:
    """A small markdown preview; never the whole table."""
    if frame.empty:
        return dg.MetadataValue.md("_(none)_")
    return dg.MetadataValue.md(frame.head(limit).to_markdown(index=False))


def rows(rows_in: int, rows_out: int) -> dict[str, dg.MetadataValue]:
    return {"rows_in": dg.MetadataValue.int(rows_in), "rows_out": dg.MetadataValue.int(rows_out)}
