"""The compiled microbenchmarks of sweep/compiled_machine.py: numba ``@njit(cache=True)`` kernels. Importing this
module imports numba: only compiled_machine's measuring functions import it."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def dots(a, w, out, n):  # pragma: no cover (compiled)
    """``n`` products np.dot(a, w, out): a (rows, i), w (i, o), out (rows, o)."""
    for _ in range(n):
        np.dot(a, w, out)
