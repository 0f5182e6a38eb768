"""Finite-difference schemes: what each costs, its best step and the tolerance its error allows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _validate as validate
from ..tolerances import tolerance


@dataclass(frozen=True)
class Scheme:
    """A finite-difference formula. Its error is O(eps^order) truncation plus ~u/eps round-off (u: machine eps),
    balanced at eps = u^(1/(order+1)); a gradient check's rtol against it is the tolerance table's
    ("<name> differences")."""

    name: str
    formula: str
    order: int
    evaluations_per_parameter: int
    base_evaluation: bool  # does it evaluate L at the unperturbed parameters?

    def evaluations(self, n: int) -> int:
        """Loss evaluations of a gradient of n parameters: N + 1 (forward), 2N (central)."""
        return self.evaluations_per_parameter * n + int(self.base_evaluation)

    def default_eps(self, dtype: np.dtype | type = np.float64) -> float:
        """The step that balances truncation and round-off: sqrt(u) (forward), u^(1/3) (central)."""
        return float(np.finfo(dtype).eps) ** (1 / (self.order + 1))

    def error(self, eps: float, loss: float, dtype: np.dtype | type = np.float64) -> float:
        """Estimated error of one entry at step ``eps``: round-off u |L| / eps plus truncation eps^order |L|
        (the derivatives of L taken at the scale of L itself)."""
        u = float(np.finfo(dtype).eps)
        return (u / eps + eps ** self.order) * abs(loss)

    def tolerance(self, dtype: np.dtype | type) -> float:
        """The element-wise rtol of a gradient check against this scheme at its default step."""
        return tolerance(f"{self.name} differences", dtype)


# Default tolerances from the error of each scheme at its default step: central ~ u^(2/3) ~ 4e-11 of the
# loss scale, forward ~ sqrt(u) ~ 1.5e-8; float32 widens both.
SCHEMES: dict[str, Scheme] = {
    "forward": Scheme("forward", "(L(p + eps e_i) - L(p)) / eps", 1, 1, True),
    "central": Scheme("central", "(L(p + eps e_i) - L(p - eps e_i)) / (2 eps)", 2, 2, False),
}


COMPLEX_STEP = 1e-20  # the complex step's h: far below sqrt(u), its truncation h^2 vanishes and nothing cancels


def scheme(name: str) -> Scheme:
    """The scheme called ``name``; ValueError naming the valid ones otherwise."""
    return SCHEMES[validate.choice("scheme", name, SCHEMES)]


def default_eps(name: str, dtype: np.dtype | type = np.float64) -> float:
    """The step that balances truncation and round-off: sqrt(u) (forward), u^(1/3) (central), u = machine eps."""
    return scheme(name).default_eps(dtype)
