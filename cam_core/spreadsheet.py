"""Making exported tables safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return, which
some spreadsheets skip before reading one of those) is run as a formula by Excel,
LibreOffice and Google Sheets: a company named `=HYPERLINK(...)` in a lead export
becomes a live link. Such cells get a leading apostrophe, which spreadsheets show
as text and do not evaluate (OWASP's advice for CSV injection).
"""

from __future__ import annotations

import pandas as pd

_FORMULA_START = r"^[=+\-@\t\r]"


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy where every text cell a spreadsheet would evaluate starts with an apostrophe."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            text = values.astype("str")
            risky = values.notna() & text.str.match(_FORMULA_START)
            out[column] = values.where(~risky, "'" + text)
    return out
