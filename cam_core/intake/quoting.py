"""Telling a quote left open from a cell with line breaks in it.

A CSV reader takes everything after an opening quote as one cell until the quote
closes, line breaks included: that is how an address or a note spans lines. A quote
that is never closed therefore takes in the rest of the file as one cell, and one
closed by a stray quote far below takes in every row between. Neither Python's csv
module (unless strict, which also refuses harmless `"Acme" Inc` cells) nor pyarrow says
so: both hand back the swallowed rows as one cell, and the rows are lost silently.

So a file is refused, naming the line the quote opened on, when
- it ends inside a quoted cell (`ends_in_open_quote` on the last record's text), or
- a cell spans more than `MAX_CELL_LINES` lines (`line_breaks`), or
- a cell outgrows Python's csv field limit.
Rows after a runaway quote cannot be recovered in general, so the file is refused
whole; the person fixes the line named and lands it again.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from cam_core.intake import IntakeError

#: A cell spanning more lines than this is taken for a quote left open, not a note: an
#: address or a pasted note spans a few lines, 20 rows swallowed by a stray quote span more.
MAX_CELL_LINES = 20

_START, _UNQUOTED, _QUOTED, _QUOTE_IN_QUOTED = range(4)


def ends_in_open_quote(text: str | bytes, delimiter: str) -> bool:
    """Whether a record's text (from its first character) ends inside a quoted cell, read as
    Python's csv module reads it (not strict: a character after a closing quote joins the cell)."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    quote, separator, ends = ord('"'), ord(delimiter), (ord("\n"), ord("\r"))
    state = _START
    for byte in data:
        if state == _QUOTED:
            if byte == quote:
                state = _QUOTE_IN_QUOTED
        elif state == _QUOTE_IN_QUOTED:
            state = _QUOTED if byte == quote else _START if byte == separator or byte in ends else _UNQUOTED
        elif byte == separator or byte in ends:
            state = _START
        elif state == _START and byte == quote:
            state = _QUOTED
        else:
            state = _UNQUOTED
    return state == _QUOTED


def line_breaks(cell: str) -> int:
    """How many line breaks a cell holds ("\\r\\n", "\\n" and "\\r" count one each, near enough)."""
    return max(cell.count("\n"), cell.count("\r"))


def too_many_lines(columns: list[pa.Array]) -> bool:
    """Whether any cell of these columns spans more than MAX_CELL_LINES lines (vectorised)."""
    for column in columns:
        if len(column) == 0:
            continue
        breaks = pc.max_element_wise(pc.count_substring(column, "\n"), pc.count_substring(column, "\r"))
        most = pc.max(breaks).as_py()
        if most is not None and most > MAX_CELL_LINES:
            return True
    return False


def open_quote_error(name: str, line: int, why: str) -> IntakeError:
    return IntakeError(
        f"{name}: line {line} has an unclosed quote ({why}); close the quote on that line, or remove it, "
        "and land the file again (no row of this file was taken)"
    )
