"""`cam leads export`: one row per lead of a campaign, safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return, which
some spreadsheets skip before reading one of those) is run as a formula by Excel,
LibreOffice and Google Sheets: a company named `=HYPERLINK(...)` in a lead export
becomes a live link. Such cells get a leading apostrophe, which spreadsheets show
as text and do not evaluate (OWASP's advice for CSV injection).
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cam_core.state import bulk, schema

#: The export's columns, in order.
EXPORT_COLUMNS = (
    "email",
    "status",
    "score",
    "tier",
    "sequence",
    "reason",
    "score_breakdown",
    "first_name",
    "last_name",
    "title",
    "company",
    "domain",
    "first_seen",
    "updated_on",
)
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


def export_leads(engine: Engine, campaign: str, status: str | None = None) -> pd.DataFrame:
    """One row per lead of a campaign (EXPORT_COLUMNS), in the order they were first seen."""
    t = schema.leads
    query = (
        sa.select(*(t.c.icp_score.label("score") if c == "score" else t.c[c] for c in EXPORT_COLUMNS))
        .where(t.c.campaign == campaign)
        .order_by(t.c.first_seen, t.c.email)
    )
    if status:
        query = query.where(t.c.status == status)
    with engine.connect() as conn:
        frame = bulk.read_frame(conn, query, list(EXPORT_COLUMNS))
    frame["score"] = frame["score"].astype("Int64")
    return frame
