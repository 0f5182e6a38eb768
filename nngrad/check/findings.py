"""What a check found beside the numbers: each a distinct finding with a one-line explanation."""

from __future__ import annotations

from dataclasses import dataclass

# kind -> does it make the check fail (True), leave it inconclusive (None) or only inform (False)?
KINDS: dict[str, bool | None] = {
    # bugs
    "nonfinite": True,  # NaN or inf in a value, an input, a gradient or a parameter
    "dout-modified": True,  # backward changed the dout it was given
    "params-changed": True,  # forward or backward changed the parameters, and no learning rate says how
    "not-repeatable": True,  # backward twice on the same input gave different gradients
    "input-modified": True,  # forward or backward changed its input in place
    "shape": True,  # a gradient of the wrong shape (or none where one was returned for an input)
    "scaled": True,  # a gradient off by one constant factor, element by element (sum vs mean, a missing 1/2)
    "transposed": True,  # a square gradient that is the transpose of the numerical one
    "regularization": True,  # off by a multiple of the parameter itself: a weight-decay term missing or extra
    "located": True,  # wrong only where a condition holds (a mask, a sign, some rows or columns)
    "batch": True,  # right for a batch of one sample, wrong for more: a sum or mean over the batch mishandled
    "known-mistake": True,  # the backward matches a wrong formula learners often write for this layer
    "updated-weights": True,  # dx computed with the weights the backward had already updated
    "tie": True,  # at tied inputs, the gradient disagrees along the direction that moves them together
    "constant-output": True,  # the output does not depend on an input
    "cache-changed": True,  # an array cached by forward changed before backward read it
    "layer": True,  # a network's gradient is wrong because one of its layers' backward is
    "op": True,  # a scalar engine's operator has a wrong local derivative
    "overwritten": True,  # a scalar engine overwrites .grad instead of adding to it
    # nothing wrong found, but not everything could be verified
    "unchecked": None,  # an array that could not be checked (no gradient found, a forward that cannot be repeated)
    "zero-gradient": None,  # every gradient is exactly zero: the check proves nothing
    "unresolvable": None,  # an array below what the finite difference can resolve
    # how the check was done
    "kink": False,  # a finite difference crossed a kink: left and right differences bracket the analytic value
    "float32": False,  # low precision: tolerances widened
    "random-forward": False,  # forward draws random numbers: checked with the generators re-seeded each call
    "sgd-step": False,  # backward updated the parameters itself: their gradients were read from the step
    "reset": False,  # gradients accumulate by design: the code's zero_grad() was called before each backward
}


@dataclass(frozen=True)
class Finding:
    """One thing a check found: its kind (see KINDS) and a one-line explanation."""

    kind: str
    message: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise KeyError(f"unknown finding kind {self.kind!r}")

    @property
    def fails(self) -> bool | None:
        return KINDS[self.kind]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"
