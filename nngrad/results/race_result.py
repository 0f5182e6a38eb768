"""A race folder (made by ``nngrad race``) as a Python object: what ``nngrad.load`` returns for one. Its tables,
figures and report, shown inline in a notebook; the folder is only read."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InvalidValue
from .inline import Figures, Markdown, frame_table
from .race_plots import race_figures

FORMAT_PREFIX = "nngrad-race/"  # race.json's "format"
SHOWN = ["width", "method", "k", "lr", "target", "reached", "steps", "equivalents", "final_loss", "step_penalty"]


def is_race(folder: Path) -> bool:
    """Does ``folder`` hold a race.json of nngrad's race?"""
    try:
        return str(json.loads((Path(folder) / "race.json").read_text()).get("format", "")).startswith(FORMAT_PREFIX)
    except (OSError, ValueError, AttributeError):
        return False


@dataclass(repr=False, eq=False)
class RaceResult:
    """One race: ``folder``, ``meta`` (race.json), ``curves`` (curves.csv: one row per checkpoint of each run) and
    ``table`` (race.csv: one row per width, method, k and target)."""

    folder: Path
    meta: dict
    curves: pd.DataFrame
    table: pd.DataFrame

    @classmethod
    def read(cls, folder: str | Path) -> RaceResult:
        """The race in ``folder``; InvalidValue when it has not finished (``nngrad race --resume`` finishes it)."""
        folder = Path(folder)
        meta = json.loads((folder / "race.json").read_text())
        if not meta.get("finished") or not (folder / "race.csv").is_file():
            raise InvalidValue(f"run_folder {folder}: this race has not finished; nngrad race --resume {folder}")
        return cls(folder, meta, pd.read_csv(folder / "curves.csv"), pd.read_csv(folder / "race.csv"))

    @property
    def sentences(self) -> list[str]:
        """What report.md says it came to, one sentence per width ("At T90, estimators ... cost ...")."""
        path = self.folder / "report.md"
        return [line for line in path.read_text().splitlines() if line.startswith("At ")] if path.is_file() else []

    def to_frame(self) -> pd.DataFrame:
        """A copy of :attr:`table`."""
        return self.table.copy()

    def plot(self) -> Figures:
        """The race's figures (loss against equivalents and against steps, test accuracy, the step penalty), drawn
        inline in a notebook."""
        return Figures(race_figures(self.curves, self.table, self.meta))

    def report(self) -> Markdown:
        """report.md's text (a notebook renders it, figures embedded)."""
        return Markdown((self.folder / "report.md").read_text(), self.folder)

    def _title(self) -> str:
        targets = ", ".join(f"{t} {v:.3g}" for t, v in self.meta.get("targets", {}).items())
        return (f"race {self.meta.get('task', '?')}: {self.table[['method', 'k']].drop_duplicates().shape[0]} "
                f"contestants, targets {targets}, budget {self.meta.get('budget_equivalents', float('nan')):,.0f} "
                "equivalents")

    def __repr__(self) -> str:
        said = self.sentences[0] if self.sentences else ""
        said = said if len(said) <= 160 else said[:157] + "..."
        return f"<RaceResult {self.folder}\n  {self._title()}\n  {said}>"

    def _repr_html_(self) -> str:
        said = "".join(f"<p>{html.escape(s)}</p>" for s in self.sentences)
        shown = self.table[[c for c in SHOWN if c in self.table]]
        return (f"<div><p><b>nngrad race</b> <code>{html.escape(str(self.folder))}</code></p>"
                f"<p>{html.escape(self._title())}</p>{said}{frame_table(shown, rows=len(shown))}"
                "<p>.curves, .table, .plot(), .report(), .to_frame()</p></div>")
