"""What a gradient check returns: one row per array, the findings, and a verdict; ``str()`` is a table."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._words import plural
from ..display import html_block, html_list, html_lines, html_table, listed, short_repr
from .compare import FAILED, UNVERIFIED, ArrayCheck
from .findings import Finding

ParamError = ArrayCheck  # the name of a row in nngrad 0.1


@dataclass(repr=False)
class GradientReport:
    """What a check found: ``rows`` (one per parameter array or input), ``findings``, and how it was checked.

    ``status`` is "PASS" (every array agrees, or disagrees only where a finite difference crossed a kink),
    "FAIL" (an array disagrees or has the wrong shape, or a finding that is a bug: NaN, dout changed in place,
    parameters changed, backward not repeatable...) or "INCONCLUSIVE" (nothing wrong found, but some array could
    not be verified: no gradient found for it, all zero, below what the finite difference resolves, or a forward
    that cannot be repeated). ``passed`` is status == "PASS". ``second``: rows checked at a second random point.
    """

    subject: str
    rows: list[ArrayCheck]
    findings: list[Finding]
    mode: str  # "element-wise", "random directions" or "not checked"
    scheme: str
    eps: float
    rtols: dict[str, float]  # relative tolerance by reference
    loss_evaluations: int
    num_params: int
    analytic: np.ndarray = field(repr=False)
    numerical: np.ndarray = field(repr=False)
    atol: float | None = None  # an absolute tolerance the user imposed (None: each array's floor is derived)
    variant: str = "loop"  # the finite difference's: "loop" or "batched"
    near_kinks: int = 0
    how: str = ""  # how the user's code was called
    second: list[ArrayCheck] = field(default_factory=list)

    @property
    def status(self) -> str:
        rows = self.rows + self.second
        if any(r.verdict in FAILED for r in rows) or any(f.fails for f in self.findings):
            return "FAIL"
        if any(r.verdict in UNVERIFIED for r in rows) or any(f.fails is None for f in self.findings):
            return "INCONCLUSIVE"
        return "PASS"

    @property
    def passed(self) -> bool:
        return self.status == "PASS"

    @property
    def max_abs_error(self) -> float:
        return max((r.max_abs_error for r in self.rows if np.isfinite(r.max_abs_error)), default=0.0)

    @property
    def max_rel_error(self) -> float:
        return max((r.max_rel_error for r in self.rows if np.isfinite(r.max_rel_error)), default=0.0)

    def to_frame(self):
        """One row per array (a pandas DataFrame)."""
        import pandas as pd

        return pd.DataFrame([{**{k: v for k, v in vars(r).items() if k != "failing"}, "passed": r.passed}
                             for r in self.rows])

    def references(self) -> str:
        """The references actually used (and which arrays each checked, unless every one), with the step of a
        finite difference."""
        rows = [r for r in self.rows if r.reference != "-"]
        words = []
        for used in dict.fromkeys(r.reference for r in rows):
            arrays = [r.name for r in rows if r.reference == used]
            step = ""
            if "differences" in used or "random directions" in used:
                step = (f" ({self.variant})" if self.variant != "loop" else "") + f", eps={self.eps:.3g}"
            words.append(f"{used}{step}" + ("" if len(arrays) == len(rows) else f" ({', '.join(arrays)})"))
        return " and ".join(words) or "none"

    def _head(self) -> list[str]:
        """The lines above the table: what was checked, how it was called, the reference and the tolerance."""
        lines = [f"gradient check of {self.subject}"]
        if self.how:
            lines.append(f"called: {self.how}")
        lines.append(f"{self.mode}, {self.loss_evaluations} evaluations; reference: {self.references()}")
        if any(_directional(r) for r in self.rows + self.second):
            lines.append("a directional check (along random unit vectors, not element by element): a row's shape is "
                         "its array's, its worst index the number of a direction")
        if self.rtols:
            rtols = ", ".join(f"{rtol:g} against the {reference}" for reference, rtol in self.rtols.items())
            floor = "each reference's own error" if self.atol is None else f"{self.atol:g}"
            lines.append(f"pass when |a-n| <= rtol*(|a|+|n|) + floor; rtol {rtols}; floor: {floor}")
        return lines

    def _second_line(self) -> str | None:
        """The one line for a second point where every array passed there (None: no second point, or a table)."""
        if self.second and all(r.passed for r in self.second):
            return (f"also at a second random point (another dout), against {self.second[0].reference}: "
                    + ", ".join(f"{r.name} {r.verdict}" for r in self.second))
        return None

    def __str__(self) -> str:
        lines = self._head()
        width = max([8, *(len(r.name) for r in self.rows + self.second)])
        lines.append(f"{'array':<{width}} {'shape':<10} {'reference':<20} {'scale':>9} {'max abs err':>11} "
                     f"{'max rel err':>11} {'worst index':<12} {'analytic':>12} {'numerical':>12}  verdict")
        lines += [_row(r, width) for r in self.rows]
        if self.second:
            also = self._second_line()
            if also:
                lines.append(also)
            else:
                lines.append("at a second random point (another dout):")
                lines += [_row(r, width) for r in self.second]
        lines += [str(f) for f in self.findings]
        lines.append(f"result: {self.status}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        """One line: subject, verdict, arrays (the failing ones named), findings."""
        failing = list(dict.fromkeys(r.name for r in self.rows + self.second if r.verdict in FAILED))
        arrays = plural(len(self.rows), "array") + (f" ({listed(failing)} FAIL)" if failing else "")
        return short_repr("GradientReport", self.subject, self.status,
                          [arrays, plural(len(self.findings), "finding")])

    def _repr_html_(self) -> str:
        """The verdict first, the lines of ``str()`` above its table, the table (failing rows marked), the second
        point, the findings (bugs marked) and the verdict again in words."""
        parts = [html_lines(self._head()[1:]), _table(self.rows, "arrays")]
        if self.second:
            also = self._second_line()
            parts.append(html_lines([also]) if also else
                         _table(self.second, "at a second random point (another dout):"))
        parts.append(html_list([str(f) for f in self.findings], [i for i, f in enumerate(self.findings) if f.fails],
                               "findings"))
        parts.append(html_lines([f"result: {self.status}"], [0]))
        return html_block(self.status, self._head()[0], *parts)


COLUMNS = ("array", "shape", "reference", "scale", "max abs err", "max rel err", "worst index", "analytic",
           "numerical", "verdict")


def _cells(r: ArrayCheck) -> tuple[str, ...]:
    """A row's cells as ``str()`` shows them (a row that compared nothing: its verdict and why, numbers blank)."""
    shape = "x".join(map(str, r.shape)) or "()"
    if r.reference == "-":
        return (r.name, shape, "-", "", "", "", "", "", "", f"{r.verdict}: {r.note}")
    worst = f"direction {r.worst_index[0]}" if _directional(r) and r.worst_index else str(r.worst_index)
    return (r.name, shape, r.reference, f"{r.scale:.2e}", f"{r.max_abs_error:.2e}", f"{r.max_rel_error:.2e}", worst,
            f"{r.analytic:.5e}", f"{r.numerical:.5e}", r.verdict)


def _table(rows: list[ArrayCheck], caption: str) -> str:
    """The rows as an HTML table, the failing ones marked."""
    import pandas as pd

    frame = pd.DataFrame([_cells(r) for r in rows], columns=list(COLUMNS))
    return html_table(frame, [i for i, r in enumerate(rows) if r.verdict in FAILED], caption=caption)


def _row(r: ArrayCheck, width: int) -> str:
    """A row of ``str()``'s table: ``_cells`` padded to the header's columns."""
    c = _cells(r)
    if r.reference == "-":
        return f"{c[0]:<{width}} {c[1]:<10} {c[9]}"
    return (f"{c[0]:<{width}} {c[1]:<10} {c[2]:<20} {c[3]:>9} {c[4]:>11} {c[5]:>11} {c[6]:<12} {c[7]:>12} "
            f"{c[8]:>12}  {c[9]}")


def _directional(r: ArrayCheck) -> bool:
    """A row checked along random directions: its worst "index" is a direction's number."""
    return "random directions" in r.reference
