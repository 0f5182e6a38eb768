"""A benchmark run as a Python object (what ``nngrad.bench`` and ``nngrad.load`` return), and ``nngrad.compare``
of two of them: the same tables, figures and words as the run folder, shown inline in a notebook."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InvalidType, InvalidValue, UsageError
from ..runfiles import PointCounts
from . import plots, sanity
from . import report as run_report
from .compare import Comparison, comparison, write
from .fits import growth_fits
from .inline import Figures, Markdown, frame_table
from .landscape import landscape_table
from .load import Run, load_run
from .race_result import RaceResult, is_race


LANDSCAPE = ["method", "status", "work", "t / t(forward)", "note"]  # the columns a notebook shows of it


@dataclass(repr=False, eq=False)
class BenchResult:
    """One benchmark run: ``folder`` (the run folder, or the JSON file it was read from), ``run`` (results.load's
    Run) and ``status`` (0: done, 1: some point failed its gradient check; what ``nngrad bench`` exits with)."""

    folder: Path
    run: Run
    status: int = 0
    _first: Run = field(init=False)

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)
        self._first = self.run.on(self.run.devices[0])  # the report's sections are the first device's

    @property
    def points(self) -> pd.DataFrame:
        """The tidy table: one row per point (measured, failed, left out or not run), results.load's columns."""
        return self.run.points

    @property
    def summary(self) -> pd.DataFrame:
        """summary.csv's table: one row per point, the columns a reader needs."""
        return run_report.summary_table(self.run.points)

    @property
    def counts(self) -> PointCounts:
        """Points measured, failed, left out by the plan and not run."""
        return PointCounts.of(self.run.points["status"])

    @property
    def headline(self) -> str:
        """The report's answer (markdown): the cost of a gradient at the classic network, in loss evaluations."""
        return run_report.headline(self._first)

    def to_frame(self) -> pd.DataFrame:
        """A copy of :attr:`points`."""
        return self.run.points.copy()

    def plot(self) -> Figures:
        """The cost gap and the landscape (the report's figures of those names): a tuple of two matplotlib Figures
        that a notebook draws inline."""
        p, label = self._first.points, self._first.label
        return Figures({"cost_gap": plots.cost_gap(p, growth_fits(p), label),
                        "landscape": plots.landscape(p, label, self.run.config.get("method_options"))})

    def report(self) -> Markdown:
        """report.md's text (a str that a notebook renders, its figures embedded); a run without one (a JSON file,
        an old folder) has it written first, as ``nngrad report`` does."""
        path = self.folder / "report.md" if self.folder.is_dir() else None
        if path is None or not path.is_file():
            path = run_report.build_report(self.folder, loaded=self.run)
        return Markdown(path.read_text(), path.parent)

    def _state(self) -> str:
        """'12 of 14 points finished (11 measured, 1 failed); 3 left out by the plan; 2 flagged'."""
        flagged = int(sanity.flagged(self.run.points).sum())
        return str(self.counts) + (f"; {flagged:,} flagged (left out of every verdict)" if flagged else "")

    def __repr__(self) -> str:
        head = self.headline.replace("**", "")
        head = head if len(head) <= 160 else head[:157] + "..."
        return f"<BenchResult {self.folder}\n  {self._state()}\n  {head}>"

    def _repr_html_(self) -> str:
        head = html.escape(self.headline).replace("**", "")
        table, (d, w, b) = landscape_table(self._first)
        shown = table[LANDSCAPE] if not table.empty else table
        return (f"<div><p><b>nngrad benchmark</b> <code>{html.escape(str(self.folder))}</code></p>"
                f"<p>{html.escape(self._state())}</p><p>{head}</p>"
                + (f"<p>At the classic network (depth {d}, width {w}, batch {b}), the report's landscape table (a "
                   f"ratio is blank where its point is flagged: the note says why):</p>{frame_table(shown)}"
                   if not table.empty else "")
                + "<p>.summary, .plot(), .report(), .to_frame()</p></div>")


def load(run_folder: str | Path) -> BenchResult | RaceResult:
    """A run folder (or a pytest-benchmark JSON of nngrad's suite) read back as a BenchResult, or a race folder
    (``nngrad race``) as a RaceResult; RunError (an InvalidValue) says what is wrong with it."""
    if not isinstance(run_folder, (str, Path)):
        raise InvalidType(f"run_folder must be a folder or a file (str or Path), got {type(run_folder).__name__}")
    if is_race(Path(run_folder)):
        return RaceResult.read(run_folder)
    return BenchResult(Path(run_folder), load_run(run_folder))


def compare(a: BenchResult | str | Path, b: BenchResult | str | Path, out: str | Path | None = None) -> Comparison:
    """Run B against run A (``nngrad compare A B``): a results.compare.Comparison, with the table of every point
    measured in either, ``.plot()`` and ``to_frame()``; ``out``: a folder to write compare.csv, .md and .png into
    (None: nothing is written)."""
    from ..commands.options import output_folder

    paths = []
    for name, side in (("a", a), ("b", b)):
        if isinstance(side, BenchResult):
            side = side.folder
        if not isinstance(side, (str, Path)):
            raise InvalidType(f"{name} must be a BenchResult or a run folder, got {type(side).__name__}")
        paths.append(side)
    try:
        folder = output_folder(out, "out")
    except UsageError as exc:
        raise InvalidValue(str(exc)) from None
    c = comparison(*paths)
    if folder is not None:
        write(c, folder)
    return c
