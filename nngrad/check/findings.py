"""What a check found beside the numbers: each a distinct finding with a one-line explanation."""

from __future__ import annotations

from dataclasses import dataclass

# kind -> does it make the check fail (True), leave it inconclusive (None) or only inform (False)?
KINDS: dict[str, bool | None] = {
    "nonfinite": True,  # NaN or inf in a value, an input, a gradient or a parameter
    "dout-modified": True,  # backward changed the dout it was given
    "params-changed": True,  # forward or backward changed the layer's parameters
    "not-repeatable": True,  # backward twice on the same input gave different gradients
    "input-modified": True,  # forward or backward changed its input in place
    "shape": True,  # a gradient of the wrong shape (or none)
    "scaled": True,  # a gradient off by one constant factor everywhere (sum vs mean, a missing 1/2)
    "zero-gradient": None,  # every gradient is exactly zero: the check proves nothing
    "unresolvable": None,  # an array below what the finite difference can resolve
    "kink": False,  # a finite difference crossed a kink: left and right differences bracket the analytic value
    "float32": False,  # low precision: tolerances widened
}


@dataclass(frozen=True)
class Finding:
    """One thing a check found: its kind (see KINDS) and a one-line explanation."""

    kind: str
    message: str

    @property
    def fails(self) -> bool | None:
        return KINDS[self.kind]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"
