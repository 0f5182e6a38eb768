"""The tolerance table and its allowances, pinned to literal numbers."""

import numpy as np

from nngrad import tolerances

# Each number with the rule it sets. Written out, never read from nngrad/tolerances.py: a table looser or tighter
# by any factor, or a safety factor shifted by one, fails here.
PINNED_TABLE = {
    # norm-wise ||g - r|| <= tol ||r|| against nngrad's backprop on the same weights and data
    "exact": {"float64": 1e-10},  # complex step, forward mode, the frameworks: both exact to rounding
    "forward difference": {"float64": 1e-5},  # a benchmark point of a forward difference at its best step
    "exact in float32": {"float32": 1e-4},  # a float32 exact gradient against float64 backprop
    "difference in float32": {"float32": 5e-2},  # a float32 finite difference at its step
    "device": {"float64": 1e-10},  # an exact method on a device against the CPU
    # element-wise |a - n| <= rtol (|a| + |n|) + floor of gradient_check, by reference
    "complex step": {"float64": 1e-8, "float32": 1e-4},  # against the complex step (exact to rounding)
    "central differences": {"float64": 1e-6, "float32": 1e-2},  # against central differences at u^(1/3)
    "forward differences": {"float64": 1e-4, "float32": 5e-2},  # against forward differences at sqrt(u)
}
PINNED_ALLOWANCES = {
    "KAPPA": 10,  # a finite difference errs by at most 10 x its estimated round-off and truncation
    "RESOLVE": 10,  # an array is judged only where its reference exceeds 10 x the reference's own error
    "EXACT_FLOOR": 100,  # absolute floor of two exact gradients: 100 machine eps x the array's scale
    "SAME": {"rtol": 1e-12, "atol": 0.0, "equal_nan": True},  # two runs of the same code agree to 1e-12
    "STILL": 1e3,  # a scalar that moved less than 1000 machine eps of its scale stayed put
    "MATCH": 1e-6,  # a catalogued mistake's formula matches a claim at rtol 1e-6
    "FACTOR": 1e-6,  # a constant factor is read as a simple fraction when within rtol 1e-6 of it
    "FEWEST_AGREE": 2,  # 2 nonzero elements must agree on a constant factor (one fits any)
    "REFINE": 4,  # a failing element is differenced again at eps / 4
    "SHRINK": 2,  # a disagreement that halves (at least) at eps / 4 is the difference's own error
    "KINK_REACH": 10.0,  # ReLU inputs within 10 steps of 0 can be crossed by a finite difference
    "TINY": np.finfo(np.float64).tiny,  # a denominator's guard (the smallest normal float64)
    "WELL_ABOVE": 2.0,  # a pattern explains a failure only where it exceeds twice the allowance somewhere
    "SPREAD": 10.0,  # a local derivative read as dx / dout errs by up to 10 x the check's own floor
    "FEWEST_FIT": 3,  # 3 elements per unknown of a fitted pattern
    "FEWEST": 3,  # 3 elements on each side of a loss's threshold
    "REPLAY": 1e-5,  # a replayed wrong derivative rule matches the claim at rtol 1e-5
    "REPLAY_TRUE": 1e-4,  # the replay of the right rules matches the numerical gradient at rtol 1e-4
    "DISTINCT": 1e-3,  # a replayed wrong rule differing from the right one by less than rtol 1e-3 tells nothing
    "PREDICTED": 1e-6,  # a pattern's prediction is allowed rtol 1e-6 beside the allowance (its own rounding)
    "READ_BACK": 1e-4,  # a derivative read back through differences at another dout: rtol 1e-4
    "ENGINE": {"rtol": 1e-5, "atol": 1e-7},  # an engine operator's gradient against its central difference
}


def test_the_tolerance_table_and_its_allowances_are_the_pinned_literal_numbers():
    """The JAX-style pin issue 27 asks for (JAX's test utilities pin literal per-dtype numbers): every tolerance
    and allowance nngrad judges a gradient with equals the literal above, each commented with the rule it sets.
    A looser or tighter table, or a safety factor off by one (KAPPA 11), fails here, so changing one is a
    conscious act: change this pin in the same commit and say why. (The boundary tests in
    test_tolerance_rules.py show each number at work.)"""
    assert tolerances.TOLERANCES == PINNED_TABLE
    for name, value in PINNED_ALLOWANCES.items():
        assert getattr(tolerances, name) == value, name
        assert type(getattr(tolerances, name)) is type(value), name  # 10 stays an int, 10.0 a float
