"""One table of tolerances: each wider in float32 than in float64, and the one the checks judge with."""

import numpy as np
import pytest

from nngrad.methods import get
from nngrad.methods.schemes import SCHEMES
from nngrad.tolerances import TOLERANCES, tolerance


def test_every_tolerance_is_positive_and_float32s_the_wider():
    for what, by_dtype in TOLERANCES.items():
        assert all(0 < v < 1 for v in by_dtype.values()), what
        if {"float64", "float32"} <= set(by_dtype):
            assert by_dtype["float32"] > by_dtype["float64"], what


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_checks_read_the_table(dtype):
    assert SCHEMES["central"].tolerance(dtype) == tolerance("central differences", dtype)
    assert SCHEMES["forward"].tolerance(dtype) == tolerance("forward differences", dtype)
    assert get("forward-mode").check.tolerance == tolerance("exact")
    assert get("numerical-batched").check.tolerance == tolerance("forward difference")


def test_an_unknown_comparison_is_a_key_error():
    with pytest.raises(KeyError):
        tolerance("nothing of the kind")


def test_every_allowance_lives_in_the_table_module_once():
    """Every allowance and every diagnosis's threshold: defined in tolerances.py, read (not redefined) by the
    modules that judge with them. (Mutant: a module keeping its own copy.)"""
    import re
    from pathlib import Path

    import nngrad

    names = ("KAPPA", "RESOLVE", "EXACT_FLOOR", "SAME", "TINY", "MATCH", "FACTOR", "REFINE", "SHRINK", "STILL",
             "FEWEST_AGREE", "KINK_REACH", "WELL_ABOVE", "SPREAD", "FEWEST", "REPLAY", "REPLAY_TRUE", "DISTINCT")
    root = Path(nngrad.__file__).parent
    for path in root.rglob("*.py"):
        if path.name == "tolerances.py":
            continue
        for name in names:
            assert not re.search(rf"^{name}\s*=", path.read_text(), re.M), f"{name} redefined in {path}"


def test_the_judges_read_the_allowances_from_the_table(monkeypatch):
    from nngrad import tolerances
    from nngrad.check import catalogue, compare, diagnostics, judge, probe
    from nngrad.methods import checks

    assert checks.KAPPA is tolerances.KAPPA and probe.KAPPA is tolerances.KAPPA
    assert checks.RESOLVE is compare.RESOLVE is tolerances.RESOLVE
    assert judge.EXACT_FLOOR is tolerances.EXACT_FLOOR and judge.SAME is tolerances.SAME
    assert diagnostics.FACTOR is tolerances.FACTOR
    assert catalogue._close.__defaults__ == (tolerances.MATCH,)
    assert 1 < tolerances.SHRINK < tolerances.REFINE  # between a bug's 1 and an O(eps) error's REFINE


def test_the_diagnoses_read_their_thresholds_from_the_table():
    """WELL_ABOVE (the noise guard), SPREAD (a local derivative's error), FEWEST (a loss's threshold), the stack's
    replay rtols, KINK_REACH, FEWEST_AGREE and STILL: each diagnosis reads the table's number. (Mutant: a module
    keeping its own copy under another name, or a literal where the name was.)"""
    import inspect

    from nngrad import tolerances
    from nngrad.check import diagnostics, dnn_check, elementwise, judge, loss_patterns, probe, stack

    assert diagnostics.WELL_ABOVE is tolerances.WELL_ABOVE and elementwise.SPREAD is tolerances.SPREAD
    assert loss_patterns.FEWEST is tolerances.FEWEST and probe.STILL is tolerances.STILL
    assert stack.REPLAY is tolerances.REPLAY and stack.REPLAY_TRUE is tolerances.REPLAY_TRUE
    assert stack.DISTINCT is tolerances.DISTINCT
    assert diagnostics.KINK_REACH is dnn_check.KINK_REACH is tolerances.KINK_REACH
    assert diagnostics.FEWEST_AGREE is tolerances.FEWEST_AGREE
    assert "1e3" not in inspect.getsource(probe.invariant).split('"""')[-1]
    assert "1e-12" not in inspect.getsource(judge._second_opinion).split('"""')[-1]
    assert "1e-3" not in inspect.getsource(stack._diagnose).split('"""')[-1]
    assert tolerances.REPLAY < tolerances.REPLAY_TRUE < tolerances.DISTINCT  # a match is tighter than a difference
