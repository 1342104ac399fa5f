"""A progress bar on standard error for commands that work through large files, shown only to a person
watching: standard error a terminal and the file long enough to be worth one. Redrawn in place with `\\r`, at
most every tenth of a second, and wiped before any other line is printed so the two never mix."""

from __future__ import annotations

import sys
import time
from typing import TextIO

# Files of fewer lines are done before a bar would be read.
LARGE_FILE_LINES = 5000
WIDTH = 30
REDRAW_EVERY_S = 0.1


class Progress:
    def __init__(self, label: str, total: int, out: TextIO | None = None) -> None:
        self.label, self.total = label, max(total, 1)
        self.out = out if out is not None else sys.stderr
        isatty = getattr(self.out, "isatty", None)
        self.shown = bool(isatty and isatty()) and total >= LARGE_FILE_LINES
        self._drawn = False
        self._last = 0.0

    def update(self, done: int, *, force: bool = False) -> None:
        if not self.shown:
            return
        now = time.monotonic()
        if not force and now - self._last < REDRAW_EVERY_S:
            return
        self._last = now
        share = min(done / self.total, 1.0)
        filled = int(share * WIDTH)
        bar = "#" * filled + "." * (WIDTH - filled)
        self.out.write(f"\r{self.label} [{bar}] {share:4.0%} ({done:,} of {self.total:,} lines)")
        self.out.flush()
        self._drawn = True

    def clear(self) -> None:
        """Wipe the bar, so a message can take its line; the next update draws it again."""
        if self._drawn:
            self.out.write("\r\x1b[K")
            self.out.flush()
            self._drawn = False

    def done(self) -> None:
        if self.shown:
            self.update(self.total, force=True)
            self.out.write("\n")
            self.out.flush()
            self._drawn = False
