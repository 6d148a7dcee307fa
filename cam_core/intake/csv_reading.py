"""Reading a CSV export of any common shape as batches of records.

What real exports look like: UTF-8 with or without a byte order mark, UTF-16
(Excel's "Unicode text"), cp1252 or latin-1 (Excel on Windows); commas,
semicolons (Excel in much of Europe) or tabs; quoted cells with newlines; and
sometimes lines before the header (LinkedIn's Connections.csv starts with a
"Notes:" paragraph). The file is read as a stream, in batches, so its size is
bounded by disk, not memory.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from cam_core.intake import IntakeError, quoting

_SNIFF_CHARS = 64 * 1024
_BLOCK = 1 << 20
_HEADER_SEARCH_ROWS = 30
DELIMITERS = (",", ";", "\t", "|")
# Signatures of files that are not text at all; refused with the fix in words.
_BINARY_SIGNATURES = {
    b"PK\x03\x04": "an Excel workbook or zip archive",
    b"%PDF": "a PDF",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook",
}


@dataclass(frozen=True)
class CsvShape:
    encoding: str
    delimiter: str
    header_index: int  # 0-based record number of the header (records before it are a preamble)
    header: list[str]


def detect_encoding(path: Path) -> str:
    """The file's encoding, checked over the whole file (a stream, so memory stays flat)."""
    name = Path(path).name
    with Path(path).open("rb") as handle:
        head = handle.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            candidates = ["utf-16"]
        else:
            for signature, what in _BINARY_SIGNATURES.items():
                if head.startswith(signature):
                    raise IntakeError(f"{name}: this is {what}, not a CSV file; save or export it as CSV (UTF-8)")
            candidates = ["utf-8-sig", "cp1252"]
        for encoding in candidates:
            handle.seek(0)
            decoder = codecs.getincrementaldecoder(encoding)()
            try:
                for block in iter(lambda: handle.read(_BLOCK), b""):
                    if encoding != "utf-16" and b"\x00" in block:
                        raise IntakeError(
                            f"{name}: contains NUL bytes, so it is a binary file (or UTF-16 without its byte order "
                            "mark), not CSV text; export it again as CSV (UTF-8)"
                        )
                    decoder.decode(block)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                if encoding == "utf-16":
                    raise IntakeError(
                        f"{name}: starts like UTF-16 but is damaged or truncated; save it as UTF-8 CSV"
                    ) from None
                continue
            return encoding
    return "latin-1"  # every byte is a latin-1 character: the last resort never fails


def _records(text_sample: str, delimiter: str) -> list[list[str]]:
    try:
        return list(islice(csv.reader(io.StringIO(text_sample, newline=""), delimiter=delimiter), _HEADER_SEARCH_ROWS))
    except csv.Error:
        return []


def find_header(records: Sequence[Sequence[str]], score: Callable[[Sequence[str]], int]) -> tuple[int, int]:
    """(index, score) of the first row naming the most lead fields; rows above it are a preamble."""
    best, best_score = -1, 0
    for i, record in enumerate(records):
        if not any(c.strip() for c in record):
            continue
        if best == -1:
            best = i  # without any recognised header, the first non-blank row is the header
        points = score(record)
        if points > best_score:
            best, best_score = i, points
    return best, best_score


def detect_shape(path: Path, score: Callable[[Sequence[str]], int]) -> CsvShape:
    """Encoding, delimiter and header position; the delimiter is the one whose header names most fields."""
    encoding = detect_encoding(path)
    with Path(path).open(encoding=encoding, newline="") as handle:
        sample = handle.read(_SNIFF_CHARS)
    if len(sample) == _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rfind("\n") + 1]  # whole lines only
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = ","
    options = [sniffed, *[d for d in DELIMITERS if d != sniffed]]
    best: tuple[str, int, int, list[str]] = (sniffed, -1, 0, [])
    for delimiter in options:
        records = _records(sample, delimiter)
        index, points = find_header(records, score)
        # More recognised fields wins; a tie goes to the sniffer's choice (tried first).
        if points > best[2] or (best[1] == -1 and index != -1):
            best = (delimiter, index, points, list(records[index]) if index != -1 else [])
    delimiter, index, _, header = best
    return CsvShape(encoding=encoding, delimiter=delimiter, header_index=max(index, 0), header=header)


def read_batches(path: Path, shape: CsvShape, batch_rows: int) -> Iterator[list[tuple[int, list[str]]]]:
    """Non-blank records after the header, as (spreadsheet row number, cells), `batch_rows` at a time.

    Row numbers count records, not lines: a quoted cell with a newline is one row,
    as a spreadsheet shows it; the header is row `header_index + 1`. A quote left
    open (see `quoting`) raises IntakeError naming its line, after the batches
    before it: a caller takes the file only once it was read to the end.
    """
    name = Path(path).name
    with Path(path).open(encoding=shape.encoding, newline="") as handle:
        taken: list[str] = []  # the lines of the record being read, as the reader takes them

        def lines() -> Iterator[str]:
            for line in handle:
                taken.append(line)
                yield line

        reader = csv.reader(lines(), delimiter=shape.delimiter)
        batch: list[tuple[int, list[str]]] = []
        number, start, first_line = 0, 1, 1  # the record read last, its first line, the next one's
        record_lines: list[str] = []
        try:
            for number, record in enumerate(reader, start=1):
                record_lines, start = taken[:], first_line
                taken.clear()
                first_line = reader.line_num + 1
                if number <= shape.header_index + 1:
                    continue
                if len(record_lines) > quoting.MAX_CELL_LINES and any(
                    quoting.line_breaks(c) > quoting.MAX_CELL_LINES for c in record
                ):
                    raise quoting.open_quote_error(
                        name, start, f"a cell of row {number} runs over {len(record_lines)} lines"
                    )
                if any(cell.strip() for cell in record):
                    batch.append((number, record))
                    if len(batch) >= batch_rows:
                        yield batch
                        batch = []
        except csv.Error as exc:
            if "field limit" in str(exc):  # a quote opened and never closed swallows the rest of the file
                raise quoting.open_quote_error(
                    name, first_line, f"the cell it opens grows past the limit: {exc}"
                ) from None
            raise IntakeError(
                f"{name}: line {first_line} cannot be read as CSV ({exc}); fix that line and land the file again"
            ) from None
        if record_lines and quoting.ends_in_open_quote("".join(record_lines), shape.delimiter):
            raise quoting.open_quote_error(name, start, f"row {number} would take in the rest of the file")
        if batch:
            yield batch


@dataclass(frozen=True)
class CellBatch:
    """Non-blank records as a table: `cells` has one str column per header cell (0, 1, ...;
    short rows padded with ""), `numbers` their spreadsheet row numbers, and
    `too_wide` marks rows with non-blank cells beyond the header (which `cells` cuts off)."""

    numbers: pd.Series
    cells: pd.DataFrame
    too_wide: pd.Series
    next_number: int = 0  # the row number the next batch starts at (blank records are not in `numbers`)


def read_cell_batches(path: Path, shape: CsvShape, batch_rows: int) -> Iterator[CellBatch]:
    """The file's records after the header as tables, about `batch_rows` at a time.

    A UTF-8 file whose header is its first record is parsed by pyarrow's C++ reader;
    if pyarrow refuses anything in it (a ragged row, a stray quote) the whole file is
    read again by Python's csv module, which tolerates such rows and names them.
    """
    width = len(shape.header)
    done = 0  # records up to this row number were yielded by pyarrow before it gave up
    if shape.encoding == "utf-8-sig" and shape.header_index == 0 and width:
        try:
            for batch in _arrow_batches(path, shape, width, batch_rows):
                yield batch
                done = batch.next_number - 1
            return
        except _NotPlain:
            pass
    for records in read_batches(path, shape, batch_rows):
        fresh = [(n, r) for n, r in records if n > done]
        if not fresh:
            continue
        numbers = pd.Series([n for n, _ in fresh], dtype="int64")
        too_wide = pd.Series([len(r) > width and any(c.strip() for c in r[width:]) for _, r in fresh], dtype="bool")
        cells = pd.DataFrame([(r + [""] * width)[:width] for _, r in fresh], dtype="str").reindex(columns=range(width))
        yield CellBatch(numbers, cells.fillna(""), too_wide, fresh[-1][0] + 1)


class _NotPlain(Exception):
    """pyarrow met a record it will not read; the Python reader takes the file instead."""


#: Bytes pyarrow parses at a time; ~200 bytes a lead export row, so about 80k rows.
_ARROW_BLOCK = 16 << 20


def _arrow_batches(path: Path, shape: CsvShape, width: int, batch_rows: int) -> Iterator[CellBatch]:
    names = [str(i) for i in range(width)]
    options = {
        "read_options": pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=_ARROW_BLOCK),
        # An empty line stays a (blank) row, so row numbers count records as the Python reader does.
        "parse_options": pacsv.ParseOptions(
            delimiter=shape.delimiter, newlines_in_values=True, ignore_empty_lines=False
        ),
        "convert_options": pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    }

    first = shape.header_index + 2  # the header is record 1
    last: pa.RecordBatch | None = None
    try:
        reader = pacsv.open_csv(path, **options)
        pending: list[pa.RecordBatch] = []
        for record_batch in reader:
            # A cell of many lines may be a quote left open: the Python reader judges and names its line.
            if quoting.too_many_lines(record_batch.columns):
                raise _NotPlain("a cell of many lines")
            pending.append(record_batch)
            last = record_batch if record_batch.num_rows else last
            if sum(b.num_rows for b in pending) >= batch_rows:
                batch = _cell_batch(pending, first)
                pending, first = [], batch.next_number
                yield batch
        if _ends_open(path, shape.delimiter, last):
            raise _NotPlain("the file ends inside a quoted cell")
        if pending:
            yield _cell_batch(pending, first)
    except pa.ArrowInvalid as exc:
        raise _NotPlain(str(exc)) from None


#: How far back from the end of a file its last line is looked for.
_TAIL_BYTES = 16 << 20


def _ends_open(path: Path, delimiter: str, last: pa.RecordBatch | None) -> bool:
    """Whether the file may end inside a quoted cell (which pyarrow takes for a cell): when the
    last record holds no line break it is the file's last line, which tells; otherwise say maybe."""
    if last is not None and any(quoting.line_breaks(str(column[-1].as_py() or "")) for column in last.columns):
        return True
    with Path(path).open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - _TAIL_BYTES))
        tail = handle.read().rstrip(b"\r\n")
    cut = max(tail.rfind(b"\n"), tail.rfind(b"\r"))
    if cut == -1 and size > _TAIL_BYTES:
        return True  # a last line this long: let the Python reader look
    return quoting.ends_in_open_quote(tail[cut + 1 :], delimiter)


def _cell_batch(batches: list[pa.RecordBatch], first: int) -> CellBatch:
    table = pa.Table.from_batches(batches)
    cells = table.to_pandas(types_mapper=lambda _: pd.StringDtype(na_value=float("nan"))).fillna("")
    cells.columns = range(len(cells.columns))
    numbers = pd.Series(range(first, first + len(cells)), dtype="int64")
    blank = pd.concat([cells[c].str.strip() == "" for c in cells.columns], axis=1).all(axis=1)
    keep = ~blank.to_numpy()
    return CellBatch(
        numbers[keep].reset_index(drop=True),
        cells[keep].reset_index(drop=True),
        pd.Series(False, index=range(int(keep.sum()))),
        first + len(cells),
    )
