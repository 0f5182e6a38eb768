"""What every diagnosis reads: the check's arrays, numbers and verdicts, and the user's code to run again. Each
detector of nngrad.check.diagnostics.DIAGNOSES takes one Evidence and returns its findings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .arrays import Checked, Outcome
from .compare import ArrayCheck
from .findings import Finding
from .subject import Claim, Operand, Subject


@dataclass
class Failure:
    """One array that failed element by element: its target (values and claimed gradient, flat), its row, the
    numerical gradient (flat) and its operand."""

    target: Checked
    row: ArrayCheck
    numerical: np.ndarray
    operand: Operand

    @property
    def claimed(self) -> np.ndarray:
        return self.target.analytic

    @property
    def wrong(self) -> np.ndarray:
        """The failing elements: a flat boolean mask of the claimed gradient's size."""
        return self.row.failing_mask(self.claimed.size)

    @property
    def x(self) -> np.ndarray | None:
        """The input's values, where the array is an input (None for a parameter)."""
        return self.operand.values if self.operand.role == "input" else None


@dataclass
class Evidence:
    """A finished comparison and what produced it. ``evaluate``: the scalar (counted by the judge); ``recheck``:
    judge a derived subject (no diagnoses); ``found``: the findings so far (a detector may read what earlier ones
    said); ``explained``: arrays a pattern already explained (the first pattern that fits an array wins)."""

    subject: Subject
    evaluate: Callable[[], float]
    claim: Claim
    targets: list[Checked]
    outcome: Outcome
    rows: list[ArrayCheck]  # every row, in the operands' order
    mode: str  # "full" or "fast"
    rtol: float
    floor: float  # each element's absolute allowance
    eps: float
    seed: int
    dtype: np.dtype
    random: bool = False  # the forward draws random numbers (rewound at each call)
    recheck: Callable[[Subject], object] | None = None
    found: list[Finding] = field(default_factory=list)
    explained: set[str] = field(default_factory=set)
    failing: list[Failure] = field(default_factory=list)

    def own(self, f: Failure) -> float:
        """The absolute allowance of array ``f``'s elements at its own scale."""
        return self.floor + self.rtol * float(np.abs(f.numerical).max(initial=0.0))

    def allowed(self, f: Failure) -> np.ndarray:
        """Each element's allowance (flat) between ``f``'s claimed and numerical gradients: rtol (|a| + |n|) + own."""
        return self.rtol * (np.abs(f.claimed) + np.abs(f.numerical)) + self.own(f)

    def unexplained(self) -> list[Failure]:
        return [f for f in self.failing if f.row.name not in self.explained]

    def batch(self) -> int | None:
        return self.subject.batch()

    def fails(self) -> bool:
        """Has a finding so far named a bug?"""
        return any(f.fails for f in self.found)
