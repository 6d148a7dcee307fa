"""Progress of long local work (`cam ingest`, `cam leads export`), on standard error only:
standard output may be the data itself (`cam leads export > leads.csv`).

On a terminal a line every `every` rows, then a summary once the work is done; elsewhere (a
log, a pipe) only the summary, so a log is not filled with counts. Work smaller than `every`
prints no line while it runs: it is over before a line would help.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

#: Rows between two progress lines on a terminal.
EVERY = 100_000


class Progress:
    """Rows done so far of one piece of work, reported on `stream` (standard error)."""

    def __init__(self, doing: str, every: int = EVERY, stream: TextIO | None = None) -> None:
        self.doing = doing
        self.every = every
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.rows = 0
        self._next = every
        self._started = time.monotonic()

    def add(self, rows: int) -> None:
        """Count `rows` more; on a terminal, say so each time another `every` rows are done."""
        self.rows += rows
        if self.rows >= self._next:
            if self.live:
                print(f"cam: {self.doing}: {self.rows:,} rows so far", file=self.stream, flush=True)
            self._next = (self.rows // self.every + 1) * self.every

    def done(self, summary: str) -> None:
        """The one line that stays: `cam: <summary> in <seconds> s`."""
        print(f"cam: {summary} in {time.monotonic() - self._started:.1f} s", file=self.stream, flush=True)
