"""What a check of users' code takes: the arrays a scalar reads (operands) and the user's claim of their gradients.

Each style of user code (a layer class, a functional forward/backward pair, a loss function, a network, a scalar
engine, a function of a flat vector) is a Subject; ``judge`` checks any of them the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .findings import Finding
from .randomness import rewind


@dataclass
class Operand:
    """An array the scalar reads, perturbed in place by the finite differences and restored: ``name`` is its
    gradient's row in the report (dx, dW, W1), ``label`` how the user's code names the array (x, W,
    params['W1']), ``role`` "input" (data the layer is given) or "parameter"."""

    name: str
    label: str
    values: np.ndarray
    role: str = "parameter"
    slot: object = None  # where a layer keeps it (nngrad.check.slots.Slot)
    gradient: str | None = None  # the attribute holding its gradient, when the user named it


@dataclass
class Claim:
    """What the user's backward said: each operand's gradient (by operand name; absent: none was found, and
    ``missing`` says where nngrad looked), the findings of the call itself (dout or inputs changed in place,
    parameters updated), how the code was called, and the parameters' values after an update backward made
    (by operand name)."""

    grads: dict[str, object]
    findings: list[Finding] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    how: str = ""
    stepped: dict[str, np.ndarray] = field(default_factory=dict)


def fixed_inputs(subject, unnamed: str = "input") -> list[tuple[str, object]]:
    """(name, value) of the arguments a subject's code reads and the check holds fixed: a functional style's
    ``inputs`` that are not operands, by its ``names`` (``unnamed k`` past them); [] for a style without."""
    operands = [op.values for op in getattr(subject, "operands", [])]
    names = list(getattr(subject, "names", None) or [])
    return [(names[k] if k < len(names) else f"{unnamed} {k}", v)
            for k, v in enumerate(getattr(subject, "inputs", None) or []) if not any(v is o for o in operands)]


def restore_changed(saved, who: str, guess: str, advice: str) -> list[Finding]:
    """A "params-changed" finding where arrays of ``saved`` (nngrad.check.slots.Saved) were changed by the user's
    code (``who``: "backprop"), with the likely cause and where updates belong; the arrays are put back."""
    changed = saved.changed()
    if not changed:
        return []
    saved.restore()
    return [Finding("params-changed", f"{who} changed {', '.join(s.label for s in changed)} ({guess}): the checker "
                    f"restored them; {advice}")]


class Subject:
    """Users' code under check. Subclasses set ``title``, ``operands`` and ``owners`` (the user's objects, whose
    random generators are rewound) and implement ``evaluate`` and ``claim``; the rest is optional."""

    title: str = "user code"
    operands: list[Operand]
    owners: tuple[object, ...] = ()

    def before(self) -> None:
        """Called before every call of the user's forward: inside a check, its generators are rewound (dropout)."""
        rewind()

    def evaluate(self) -> float:
        """The scalar at the operands' current values: sum(dout * out) for a layer, the loss for a loss."""
        raise NotImplementedError

    def claim(self) -> Claim:
        """Run the user's backward at the operands' current values and collect the gradients it claims."""
        raise NotImplementedError

    def settle(self) -> list[Finding]:
        """Once the forward is repeatable: decide the operands (a layer: the arrays its output depends on)."""
        return []

    def scale(self) -> float:
        """The magnitude of the scalar's terms, for the round-off of its differences."""
        return abs(self.evaluate())

    def term_scale(self) -> float:
        """The size of the numbers a backward multiplies by its derivatives (max |dout|, or the loss): the rounding
        of its own arithmetic is about machine epsilon times this."""
        return abs(self.evaluate())

    def batch(self) -> int | None:
        """The batch size, where the code takes a batch (for the diagnoses "sum over the batch" and "batch")."""
        return None

    def first_sample(self) -> Subject | None:
        """The same code at the first sample of the batch alone (for the diagnosis "right only for batch 1")."""
        return None

    def another_point(self, seed: int) -> Subject | None:
        """The same code at another random point (another dout; another x where nngrad drew x)."""
        return None

    def evaluate_with(self, name: str, values: np.ndarray) -> complex | None:
        """The scalar with input operand ``name`` replaced by ``values`` (complex, for the complex step), or None
        where the code cannot take it."""
        return None

    def with_dout(self, dout: np.ndarray) -> Subject | None:
        """The same code and operands' values at another dout (for the test of a wrong activation derivative), or
        None where there is no dout."""
        return None

    def context(self):
        """What the catalogue of known mistakes needs (nngrad.check.catalogue.Context), or None."""
        return

    def with_values(self, values: dict[str, np.ndarray], name: str) -> np.ndarray | None:
        """The numerical gradient of operand ``name`` with other operands set to ``values`` (an update's), or None
        where it does not apply."""
        return None

    def conditions(self, name: str) -> list[tuple[np.ndarray, str]]:
        """Conditions (a flat mask of operand ``name``, and what it means) under which an error may be located,
        beside those of every check: at the labels of a loss, say."""
        return []

    def remedy(self, kind: str) -> str:
        """What the user of this style can do about a finding of ``kind``, in the style's own terms (an argument,
        an init), or "" for the finding's general words."""
        return ""

    def kinks_near(self, reach: float) -> int:
        """How many inputs of a kinked function (a ReLU's pre-activations) lie within ``reach`` of the kink, where
        this style can tell (0 where it cannot)."""
        return 0

    def diagnose(self, failing: list[str]) -> list[Finding]:
        """Findings only this style of code can make about the operands ``failing`` (a network: which layer)."""
        return []

    def restore(self) -> None:
        """Put back everything of the user's the check touched."""

    def depends_on(self, values: np.ndarray) -> bool:
        """Does the scalar change when ``values`` (an array it may read) does? A random nudge of every element."""
        base, saved = self.evaluate(), values.copy()
        try:
            values += 1e-3 * (1 + np.abs(values)) * np.random.default_rng(7).standard_normal(values.shape)
            return self.evaluate() != base
        finally:
            values[...] = saved
