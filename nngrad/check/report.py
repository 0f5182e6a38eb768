"""What a gradient check returns: one row per array, the findings, and a verdict; ``str()`` is a table."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .compare import ArrayCheck
from .findings import Finding

ParamError = ArrayCheck  # the name of a row in nngrad 0.1


@dataclass
class GradientReport:
    """What a check found: ``rows`` (one per parameter array or input), ``findings``, and how it was checked.

    ``status`` is "PASS" (every array agrees, or disagrees only where a finite difference crossed a kink),
    "FAIL" (an array disagrees, or a finding that is a bug: NaN, dout changed in place, parameters changed,
    backward not repeatable) or "INCONCLUSIVE" (nothing wrong found, but some gradient could not be verified:
    all zero, or below what the finite difference resolves). ``passed`` is status == "PASS".
    """

    subject: str
    rows: list[ArrayCheck]
    findings: list[Finding]
    mode: str  # "element-wise" or "random directions"
    scheme: str
    eps: float
    rtols: dict[str, float]  # relative tolerance by reference
    loss_evaluations: int
    num_params: int
    analytic: np.ndarray = field(repr=False)
    numerical: np.ndarray = field(repr=False)
    atol: float | None = None  # an absolute tolerance the user imposed (None: each array's floor is derived)
    method: str = "loop"
    near_kinks: int = 0

    @property
    def status(self) -> str:
        if any(r.verdict == "FAIL" for r in self.rows) or any(f.fails for f in self.findings):
            return "FAIL"
        if any(r.verdict in ("unresolvable", "zero") for r in self.rows) or any(f.fails is None
                                                                               for f in self.findings):
            return "INCONCLUSIVE"
        return "PASS"

    @property
    def passed(self) -> bool:
        return self.status == "PASS"

    @property
    def max_abs_error(self) -> float:
        return max((r.max_abs_error for r in self.rows), default=0.0)

    @property
    def max_rel_error(self) -> float:
        return max((r.max_rel_error for r in self.rows), default=0.0)

    def to_frame(self):
        """One row per array (a pandas DataFrame)."""
        import pandas as pd

        return pd.DataFrame([{**{k: v for k, v in vars(r).items() if k != "failing"}, "passed": r.passed}
                             for r in self.rows])

    def __str__(self) -> str:
        rtols = ", ".join(f"{rtol:g} against the {reference}" for reference, rtol in self.rtols.items())
        floor = "each reference's own error" if self.atol is None else f"{self.atol:g}"
        head = (f"gradient check of {self.subject}\n{self.mode}, {self.loss_evaluations} evaluations; finite "
                f"differences: {self.scheme} ({self.method}), eps={self.eps:.3g}\npass when |a-n| <= rtol*(|a|+|n|) "
                f"+ floor; rtol {rtols}; floor: {floor}\n")
        lines = [(f"{'array':<8} {'shape':<10} {'reference':<20} {'scale':>9} {'max abs err':>11} "
                  f"{'max rel err':>11} {'worst index':<12} {'analytic':>12} {'numerical':>12}  verdict")]
        for r in self.rows:
            lines.append(f"{r.name:<8} {'x'.join(map(str, r.shape)) or '()':<10} {r.reference:<20} {r.scale:>9.2e} "
                         f"{r.max_abs_error:>11.2e} {r.max_rel_error:>11.2e} {r.worst_index!s:<12} "
                         f"{r.analytic:>12.5e} {r.numerical:>12.5e}  {r.verdict}")
        tail = "".join(f"\n{f}" for f in self.findings) + f"\nresult: {self.status}"
        return head + "\n".join(lines) + tail
