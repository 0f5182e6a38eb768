"""Every tolerance nngrad judges a gradient with, in one table keyed by what is compared and the dtype.

Two rules use them. Norm-wise: ||a - r|| <= tol ||r|| over a gradient or one parameter array (the benchmark's
per-point check, a device against the CPU). Element-wise: |a - n| <= tol (|a| + |n|) + floor for each element
(the gradient checks; the floor is the reference's own error). Each number comes from the error of what is compared:
exact methods agree to rounding; a forward difference at its best step errs ~sqrt(u) |L|, a central one ~u^(2/3).
"""

from __future__ import annotations

import numpy as np

TOLERANCES: dict[str, dict[str, float]] = {
    # norm-wise, against nngrad's backprop on the same weights and data
    "exact": {"float64": 1e-10},  # complex step, forward mode, the frameworks: both exact to rounding
    "forward difference": {"float64": 1e-5},  # a forward difference at its best step
    "exact in float32": {"float32": 1e-4},  # a float32 gradient against backprop in float64: every sum rounded at 6e-8
    "difference in float32": {"float32": 5e-2},  # a float32 finite difference at its step (errs 2e-3 to 1e-2)
    "device": {"float64": 1e-10},  # an exact method on a device against the CPU: exact, summed in other orders
    # element-wise rtol of the gradient checks, by reference
    "complex step": {"float64": 1e-8, "float32": 1e-4},
    "central differences": {"float64": 1e-6, "float32": 1e-2},
    "forward differences": {"float64": 1e-4, "float32": 5e-2},
}


def tolerance(what: str, dtype: np.dtype | type | str = np.float64) -> float:
    """The tolerance of ``what`` is compared (a key of TOLERANCES) in ``dtype`` (float64 or float32)."""
    name = "float64" if np.dtype(dtype) == np.float64 else "float32"
    by_dtype = TOLERANCES[what]
    return by_dtype.get(name, by_dtype.get("float64", 0.0))

# The allowances beside the table, each named for what it allows.
KAPPA = 10  # a finite difference errs by at most KAPPA x its estimated round-off and truncation (Scheme.error)
RESOLVE = 10  # an array is judged only if its reference exceeds RESOLVE x the reference's own error
EXACT_FLOOR = 100  # x machine eps x the array's scale: the rounding of two exact computations compared
SAME = {"rtol": 1e-12, "atol": 0.0, "equal_nan": True}  # two runs of the same code on the same input agree
STILL = 1e3  # x machine eps x the scalar's scale: a scalar that moved less stayed put (a forward's own rounding)
MATCH = 1e-6  # rtol at which a known mistake's formula (catalogue) matches a claimed gradient or a forward
FACTOR = 1e-6  # rtol at which a constant factor between two gradients is read as a simple fraction (or as 1)
FEWEST_AGREE = 2  # elements (where the reference is not 0) that must agree on a constant factor: one fits any
REFINE = 4  # a failing element is differenced again at eps / REFINE
SHRINK = 2  # its disagreement is the difference's own error if it shrinks by this (eps: 4, eps^2: 16; a bug: 1)
KINK_REACH = 10.0  # inputs of a ReLU within this many steps of 0 can be crossed by a finite difference
TINY = np.finfo(np.float64).tiny  # the smallest normal float: a denominator's guard, not a tolerance

# The diagnoses' thresholds: where a pattern in a failure is told from the check's own noise.
WELL_ABOVE = 2.0  # a pattern explains a failure only where it exceeds the allowance by this much somewhere
SPREAD = 10.0  # a local derivative read as dx / dout errs by up to this many times the check's own floor
FEWEST_FIT = 3  # elements per unknown of a fitted pattern (a few functions' coefficients): fewer fit anything
FEWEST = 3  # elements on each side of a loss's threshold: fewer could fall on one side by chance
REPLAY = 1e-5  # rtol at which a network's replayed wrong derivative rule matches the claimed gradients
REPLAY_TRUE = 1e-4  # rtol at which the replay of the right rules must match the true (numerical) gradients
DISTINCT = 1e-3  # rtol beyond which a replayed wrong rule differs from the right one (else it tells nothing)
PREDICTED = 1e-6  # rtol beside the allowance where a pattern predicts a gradient (its prediction's own rounding)
READ_BACK = 1e-4  # rtol of a derivative read back through differences at another dout (f'(x) = dx / dout, a sum)
ENGINE = {"rtol": 1e-5, "atol": 1e-7}  # an engine operator's gradient against its central difference at step H
