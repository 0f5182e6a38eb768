"""Progress only when asked for: a tqdm bar on a terminal, otherwise a plain line every PLAIN_EVERY_S seconds (as
the benchmark prints), so that a log or a pipe also shows that the work goes on."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from ._words import plural

PLAIN_EVERY_S = 10.0  # without a terminal, a progress line this often (and one at the end)


class PlainProgress:
    """tqdm's update / set_postfix / close, written as plain lines to stderr ("training: 3/5 epochs, elapsed 0:11"):
    one every ``every_s`` seconds of ``clock`` and one when closed (unless it would repeat the last)."""

    def __init__(self, total: int, desc: str, unit: str, every_s: float = PLAIN_EVERY_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.desc, self.unit, self.every_s, self.clock = total, desc, unit, every_s, clock
        self.n, self.shown, self.postfix = 0, 0, ""
        self.start = self.last = clock()

    def update(self, n: int = 1) -> None:
        self.n += n
        if self.clock() - self.last >= self.every_s:
            self._line()

    def set_postfix(self, values: dict | None = None, refresh: bool = True) -> None:
        self.postfix = ", ".join(f"{k}={v}" for k, v in (values or {}).items())

    def close(self) -> None:
        if self.n != self.shown:  # the last count, unless its line was just printed
            self._line()

    def _line(self) -> None:
        minutes, seconds = divmod(round(self.clock() - self.start), 60)
        print(f"{self.desc}: {self.n:,}/{plural(self.total, self.unit)}, elapsed {minutes}:{seconds:02d}"
              + (f", {self.postfix}" if self.postfix else ""), file=sys.stderr, flush=True)
        self.last, self.shown = self.clock(), self.n


def progress_bar(total: int, show: bool, desc: str, unit: str = "step"):
    """A tqdm bar of ``total`` steps when ``show`` on a terminal, PlainProgress lines when ``show`` elsewhere, else
    None (callers skip updates: no cost in timed loops)."""
    if not show:
        return None
    if not sys.stderr.isatty():
        return PlainProgress(total, desc, unit)
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, leave=False)
