"""Erasing people from the files of a CAM home (`cam forget`): where an address is found, and what goes.

`address_pattern` finds an address as a whole (any case; `ada@x.io` is not found in
`nada@x.io` nor in `ada@x.io.uk`), an international one in either spelling of its
domain (`ann@bücher-idn.de` and `ann@xn--bcher-idn-q9a.de`: `spellings`). It is shared
with `cam_core.state.forgetting`, which erases the same people from the database.

`erase_files` walks every folder of the home except `campaigns/` (configuration), and
leaves the home's own files (the SQLite database, the unsubscribe key) to their owners:
- Parquet (`data/`, each asset's partitions): rewritten without the rows any text cell
  of which holds the address; where partitions are stored elsewhere (`CAM_DATA_URL`: another
  folder, an S3 prefix), every Parquet object there too, each replaced whole
  (`cam_core.partition_store`);
- `.eml` messages (`outbox/`): deleted when they hold it (they are addressed to it);
- JSON: rewritten without the list items that hold it;
- any other text (landed, inbox and sample CSVs, review decisions, quarantine reports):
  rewritten without the CSV records that hold it, in the file's own encoding, every
  other byte as it was.
Each rewrite goes to a file beside the original, then replaces it (the original's mode
and modification time kept: harvest orders a partition's landed files by it). A binary
file that holds the address cannot be rewritten; it is reported, never deleted whole.
Compressed content (an Excel workbook, a zip) cannot be searched at all.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from upath import UPath

from cam_core import partition_store
from cam_core.addresses import address, ascii_address
from cam_core.settings import HomeLayout

#: A record the CSV reader makes longer than this many lines is taken for a stray quote,
#: not a cell with line breaks: only its lines that hold the address are dropped.
_MAX_RECORD_LINES = 20
_DELIMITERS = (",", ";", "\t", "|")


def normalised(email: str) -> str:
    """An address as CAM stores it (`cam_core.addresses`): trimmed, lower-case, its domain's one IDNA spelling."""
    return address(email)


def spellings(emails: Iterable[str]) -> list[str]:
    """Every way `emails` can be written down, lower-case: each address as CAM stores it and,
    for an international domain, in A-labels too (what the outbox, a provider or an ASCII-only
    export writes), so a file or row holding either spelling is found."""
    stored = {normalised(e) for e in emails if e.strip()}
    return sorted(stored | {ascii_address(e) for e in stored})


def address_pattern(emails: Iterable[str]) -> re.Pattern[str]:
    """Any of `emails` as a whole address, in any case and either spelling of its domain."""
    names = sorted(spellings(emails), key=len, reverse=True)
    if not names:
        raise ValueError("no address to look for")
    either = "|".join(re.escape(n) for n in names)
    return re.compile(rf"(?<![\w.+\-])(?:{either})(?![\w\-]|\.\w)", re.IGNORECASE)


def found_in(pattern: re.Pattern[str], text: str) -> set[str]:
    """The addresses `pattern` finds in `text`, normalised."""
    return {normalised(m.group(0)) for m in pattern.finditer(text)}


@dataclass
class FileErasure:
    removed: dict[str, tuple[int, str]] = field(default_factory=dict)  # place -> (how many, of what)
    left: list[str] = field(default_factory=list)  # files that hold an address and could not be rewritten
    found: set[str] = field(default_factory=set)  # the addresses some file held

    def count(self, place: str, n: int, unit: str) -> None:
        had, _ = self.removed.get(place, (0, unit))
        self.removed[place] = (had + n, unit)


def _replace(path: Path, write: Callable[[Path], object]) -> None:
    """Write a new version beside `path`, then put it in its place with the old mode and times."""
    before = path.stat()
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=".forgetting-", suffix=path.suffix)
    os.close(fd)
    draft = Path(name)
    try:
        write(draft)
        os.chmod(draft, before.st_mode & 0o7777)
        os.utime(draft, ns=(before.st_atime_ns, before.st_mtime_ns))
        os.replace(draft, path)
    except BaseException:
        draft.unlink(missing_ok=True)
        raise


def _is_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        return _is_text(kind.value_type)
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)


def _without(
    table: pa.Table, pattern: re.Pattern[str], needles: list[str], erased: FileErasure
) -> tuple[pa.Table, int]:
    """`table` less the rows any text cell of which holds an address of `pattern`; how many went."""
    texts = [f.name for f in table.schema if _is_text(f.type)]
    if not texts or table.num_rows == 0:
        return table, 0
    near = pa.array(np.zeros(table.num_rows, dtype=bool))
    for name in texts:
        column = table.column(name)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        lowered = pc.utf8_lower(column)
        for needle in needles:  # a cheap vectorised pass; the pattern then judges the few rows it finds
            near = pc.or_(near, pc.fill_null(pc.match_substring(lowered, needle), False))
    candidates = np.flatnonzero(near.to_numpy(zero_copy_only=False))
    if not len(candidates):
        return table, 0
    drop = []
    for position, row in zip(candidates, table.take(candidates).select(texts).to_pylist(), strict=True):
        hits = set().union(*(found_in(pattern, v) for v in row.values() if isinstance(v, str)))
        if hits:
            erased.found |= hits
            drop.append(position)
    if not drop:
        return table, 0
    keep = np.ones(table.num_rows, dtype=bool)
    keep[drop] = False
    return table.filter(pa.array(keep)), len(drop)


def _erase_parquet(path: Path, pattern: re.Pattern[str], needles: list[str], erased: FileErasure) -> int:
    kept, dropped = _without(pq.read_table(path), pattern, needles, erased)
    if dropped:
        _replace(path, lambda draft: pq.write_table(kept, draft))
    return dropped


def _erase_stored(data: UPath, pattern: re.Pattern[str], needles: list[str], erased: FileErasure) -> None:
    """The partitions stored at `data` (a folder outside the home, an object store), each rewritten whole."""
    for path in partition_store.parquet_files(data):
        place = str(path)
        try:
            kept, dropped = _without(partition_store.read_table(path), pattern, needles, erased)
        except (pa.ArrowException, OSError):  # a partial file a killed run left in a folder: it cannot be read
            erased.left.append(place)
            continue
        if dropped:
            partition_store.write_table(path, kept)
            erased.count(place, dropped, "row")


def _inside(data: UPath, home: HomeLayout) -> bool:
    """Whether `data` is a folder of the home, which the walk of the home already covers."""
    return partition_store.is_local(data) and Path(data.path).resolve().is_relative_to(home.root.resolve())


def _decode(data: bytes) -> tuple[str, str]:
    """(text, encoding to write it back in)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    for encoding in ("utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _records(text: str) -> Iterator[list[str]]:
    """The text's lines (endings kept), grouped into CSV records: a quoted cell may span lines."""
    lines = io.StringIO(text, newline="").readlines()
    sample = "".join(lines[:30])
    delimiter = max(_DELIMITERS, key=sample.count)
    taken = 0

    def feed() -> Iterator[str]:
        nonlocal taken
        for line in lines:
            taken += 1
            yield line

    start = 0
    try:
        for _ in csv.reader(feed(), delimiter=delimiter):
            yield lines[start:taken]
            start = taken
    except csv.Error:  # not CSV after all (a NUL, a huge cell): line by line from here
        pass
    for line in lines[start:]:
        yield [line]


def _kept_text(text: str, pattern: re.Pattern[str], erased: FileErasure) -> tuple[str, int]:
    kept, dropped = [], 0
    for record in _records(text):
        hits = found_in(pattern, "".join(record))
        if not hits:
            kept += record
            continue
        erased.found |= hits
        dropped += 1
        if len(record) > _MAX_RECORD_LINES:
            kept += [line for line in record if not pattern.search(line)]
    return "".join(kept), dropped


def _pruned(value: Any, pattern: re.Pattern[str], erased: FileErasure) -> tuple[Any, int]:
    if isinstance(value, list):
        kept, dropped = [], 0
        for item in value:
            hits = found_in(pattern, json.dumps(item, ensure_ascii=False))
            if hits:
                erased.found |= hits
                dropped += 1
            else:
                kept.append(item)
        return kept, dropped
    if isinstance(value, dict):
        dropped = 0
        out = {}
        for key, item in value.items():
            out[key], n = _pruned(item, pattern, erased)
            dropped += n
        return out, dropped
    return value, 0


def _erase_text(path: Path, pattern: re.Pattern[str], erased: FileErasure) -> tuple[int, str]:
    data = path.read_bytes()
    binary = b"\x00" in data and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    text, encoding = (data.decode("latin-1"), "latin-1") if binary else _decode(data)
    hits = found_in(pattern, text)
    if not hits:
        return 0, ""
    erased.found |= hits
    if binary:
        return 0, "left"
    if path.suffix.lower() == ".json":
        try:
            document = json.loads(text)
        except ValueError:
            pass
        else:
            document, dropped = _pruned(document, pattern, erased)
            rendered = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
            if pattern.search(rendered):
                return 0, "left"
            _replace(path, lambda draft: draft.write_text(rendered, encoding=encoding))
            return dropped, "item"
    kept, dropped = _kept_text(text, pattern, erased)
    if pattern.search(kept):
        return 0, "left"
    _replace(path, lambda draft: draft.write_bytes(kept.encode(encoding)))
    return dropped, "row"


def _files(home: HomeLayout) -> Iterator[Path]:
    for folder in sorted(p for p in home.root.iterdir() if p.is_dir() and p != home.campaigns):
        yield from sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def erase_files(home: HomeLayout, emails: Iterable[str], data: UPath | None = None) -> FileErasure:
    """Erase the people with these addresses from every file of the home, and from the partitions
    stored at `data` when that is elsewhere (see the module's docstring)."""
    emails = list(emails)  # read twice: an iterator would be spent by the first
    pattern = address_pattern(emails)
    needles = spellings(emails)
    erased = FileErasure()
    for path in _files(home):
        place = path.relative_to(home.root).as_posix()
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            try:
                dropped = _erase_parquet(path, pattern, needles, erased)
            except (pa.ArrowException, OSError):  # a partial file a killed run left: it cannot be read
                erased.left.append(place)
                continue
            if dropped:
                erased.count(place, dropped, "row")
        elif suffix == ".eml":
            # An SMTPUTF8 message holds its address in UTF-8 (`zoë@…`): decoded as latin-1 it would hide.
            hits = found_in(pattern, _decode(path.read_bytes())[0])
            if hits:
                erased.found |= hits
                path.unlink()
                erased.count("outbox" if path.is_relative_to(home.outbox) else place, 1, "message")
        else:
            dropped, unit = _erase_text(path, pattern, erased)
            if unit == "left":
                erased.left.append(place)
            elif dropped:
                erased.count(place, dropped, unit)
    if data is not None and not _inside(data, home):
        _erase_stored(data, pattern, needles, erased)
    return erased
