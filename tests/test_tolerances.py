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
