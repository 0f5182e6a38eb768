"""Following the suite while it runs: the run's points finished of those it times, the current point, the time
elapsed and left, and why the time left was re-estimated (the pace the points keep, other processes' load): a bar
on a terminal or in a notebook (tqdm.auto), a plain line every PLAIN_EVERY_S seconds elsewhere."""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from .. import runfiles
from .plan import PlannedPoint

PLAIN_EVERY_S = 10.0  # without a terminal, a progress line this often
PACE_NOTE = 1.25  # the progress line says the time left was re-estimated when the points run this much slower
# (or faster) than planned


def pace(done_predicted: float, left_predicted: float, elapsed: float) -> float | None:
    """How much slower (> 1) or faster than predicted the finished points ran: elapsed over their predictions, once
    they are a tenth of the work (None before that: a few points say little)."""
    total = left_predicted + done_predicted
    if elapsed <= 0 or done_predicted <= 0 or done_predicted < 0.1 * total:
        return None
    return elapsed / done_predicted


def remaining_s(left_predicted: float, done_predicted: float, elapsed: float) -> float:
    """Seconds left: the points' predictions, scaled by :func:`pace` once the finished points are a tenth of the
    work (before that the predictions alone)."""
    rate = pace(done_predicted, left_predicted, elapsed)
    return left_predicted if rate is None else left_predicted * rate


def pace_note(rate: float | None, others: float | None) -> str | None:
    """Why the time left is longer than the plan's: 'ETA re-estimated: running 2.3x slower than planned; the machine
    is busy: other processes use 90% of the 2 CPUs' (``others``: the share of the CPUs other processes used while
    the last points were timed); None while the points run slower than planned by less than PACE_NOTE."""
    if rate is None or rate <= PACE_NOTE:
        return None
    note = f"ETA re-estimated: running {rate:.1f}x slower than planned"
    if others is None:
        return note
    if others > runfiles.BUSY_LOAD:
        return f"{note}; the machine is busy: other processes use {share_words(others)}"
    return f"{note}; the machine is not busy (other processes use {share_words(others)}): the plan's predictions are off"


def _pace_words(rate: float | None) -> str:
    """' (re-estimated: 2.3x slower)' where the time left follows a pace off the plan's by PACE_NOTE or more."""
    if rate is None or 1 / PACE_NOTE <= rate <= PACE_NOTE:
        return ""
    return f" (re-estimated: {rate:.1f}x slower)" if rate > 1 else f" (re-estimated: {1 / rate:.1f}x faster)"


RECENT = 5  # the points whose load (others_load) the progress line reports


class _Seen:
    """What the suite has recorded so far: each planned point's status (earlier sessions' too), the points of this
    session done (their predicted seconds), when the first of them finished, and the load of the last RECENT."""

    def __init__(self, run: Path, todo: list[PlannedPoint], cfg: dict) -> None:
        self.statuses = runfiles.point_statuses(run)
        self.weights = {p.key: p.expected_wall_s(cfg["timing_s"], cfg["max_rounds"]) for p in todo}
        self.done: list[tuple] = []
        self.first_at: float | None = None  # the pace is timed from the first point done: not the suite's start-up
        self.loads: collections.deque = collections.deque(maxlen=RECENT)

    def add(self, records: list[dict], now: float) -> None:
        for record in records:
            key = runfiles.point_key(record["point"])
            if key in self.statuses:
                self.statuses[key] = record["status"]
            if (load := (record.get("extra_info") or {}).get("others_load")) is not None:
                self.loads.append(load)
            if key in self.weights and key not in self.done:
                self.done.append(key)
                self.first_at = now if self.first_at is None else self.first_at

    @property
    def counts(self) -> runfiles.PointCounts:
        return runfiles.PointCounts.of(self.statuses.values())

    def _predicted(self) -> tuple[float, float]:
        """Predicted seconds of the points done after the first, and of those left."""
        return (sum(self.weights[k] for k in self.done[1:]),
                sum(w for k, w in self.weights.items() if k not in self.done))

    def pace(self, now: float) -> float | None:
        """:func:`pace` of the points done after the first, over the time since the first was."""
        return None if self.first_at is None else pace(*self._predicted(), now - self.first_at)

    def left_s(self, now: float) -> float:
        """:func:`remaining_s` at this pace."""
        spent, left = self._predicted()
        return left if self.first_at is None else remaining_s(left, spent, now - self.first_at)

    def load(self) -> float | None:
        return sum(self.loads) / len(self.loads) if self.loads else None


def follow(run: Path, todo: list[PlannedPoint], child: subprocess.Popen, progress: bool, cfg: dict) -> None:
    """Progress of the suite: the run's points finished of those it times (runfiles.PointCounts, earlier sessions'
    too; those the plan left out named apart), the current point, elapsed and remaining time, and why that was
    re-estimated (:func:`pace_note`, a line of its own when it changes). A bar on a terminal; plain lines every
    PLAIN_EVERY_S seconds otherwise."""
    from tqdm.auto import tqdm

    seen = _Seen(run, todo, cfg)
    path = run / runfiles.POINTS
    offset = path.stat().st_size if path.exists() else 0  # earlier sessions' points are not this one's progress
    terminal = progress and (sys.stderr.isatty() or in_notebook())  # tqdm.auto: a widget in a notebook
    counts = seen.counts
    apart = f" ({counts.left_out:,} left out by the plan)" if counts.left_out else ""
    bar = tqdm(total=counts.to_time, initial=counts.finished, unit="point", disable=not terminal,
               bar_format=f"points {{n_fmt}}/{{total_fmt}}{apart} {{percentage:3.0f}}%|{{bar}}| elapsed {{elapsed}}"
                          "{postfix}")
    said = None
    start = last_line = time.monotonic()
    with bar:
        while True:
            finished = child.poll() is not None
            records, offset = _new_records(path, offset)
            now = time.monotonic()
            seen.add(records, now)
            counts = seen.counts
            bar.update(counts.finished - bar.n)
            status = _status(run, seen, todo, now) if not finished else (
                "done" if len(seen.done) == len(todo) else "the suite ended")
            bar.set_postfix_str(status, refresh=False)
            note = pace_note(seen.pace(now), seen.load())
            if progress and note and _gist(note) != _gist(said) and not finished:
                (tqdm.write if terminal else print)(f"note: {note}", file=sys.stderr)
                said = note
            if progress and not terminal and (finished or now - last_line >= PLAIN_EVERY_S):
                print(f"points {counts.finished}/{counts.to_time}{apart}, elapsed {clock(now - start)}, {status}",
                      file=sys.stderr, flush=True)
                last_line = now
            if finished:
                return
            time.sleep(0.25)


def in_notebook() -> bool:
    """Is this a Jupyter kernel (IPython's ZMQ shell)? Only asked of an IPython already imported."""
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def _status(run: Path, seen: _Seen, todo: list[PlannedPoint], now: float) -> str:
    """'~3:10 left (re-estimated: 2.3x slower), now backprop-d1-w8-b16 (checking the gradient)'."""
    current = next((p.test_id for p in todo if p.key not in seen.done), "-")
    doing = runfiles.read_phase(run)
    return (f"~{clock(seen.left_s(now))} left{_pace_words(seen.pace(now))}, now {current}"
            + (f" ({doing})" if doing else ""))


def _gist(note: str | None) -> tuple:
    """What a pace note says, without its numbers: it is printed again only when that changes."""
    return (None,) if note is None else ("busy:" in note, "not busy" in note)


def clock(seconds: float) -> str:
    """'2:05': seconds as minutes:seconds."""
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def _new_records(path: Path, offset: int) -> tuple[list[dict], int]:
    """The complete lines of ``path`` after byte ``offset``, parsed, and the offset after them."""
    if not path.exists():
        return [], offset
    with open(path, "rb") as f:
        f.seek(offset)
        chunk = f.read()
    complete = chunk[:chunk.rfind(b"\n") + 1]
    records = []
    for line in complete.splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:  # the tail of a line cut short by an earlier crash
            continue
    return records, offset + len(complete)


def share_words(others: float) -> str:
    """'90% of the 2 CPUs': a share of the machine's CPUs (1.0: every one), in words."""
    cpus = os.cpu_count() or 1
    return f"{others:.0%} of the {cpus} CPUs" if cpus > 1 else f"{others:.0%} of the CPU"
