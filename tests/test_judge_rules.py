"""The rules of nngrad.check.judge pinned with LITERAL numbers (issue 27): the complex step's second opinion on a
gradient too small for central differences (it confirms a claim within 1e-8 (|a| + |n|) + 100 u x the size of
the numbers the backward multiplies, and never overrules), and the judge's own bookkeeping.

Planted to watch them fail: see the report of helper mjudge (issue 27).
"""

import numpy as np
import pytest

from nngrad import check_loss

U = 2.0 ** -52
EXACT_FLOOR = 100 * U  # x the loss's size: the rounding of a backward's own arithmetic
X_SATURATED = np.array([[-30.0, -28.0, -26.0], [-29.0, -27.0, -26.5]])  # sigmoid' 1e-13 .. 5e-12


def _saturated_loss(size: float, delta: float = 0.0, factor: float = 1.0):
    """L = size + sum sigmoid(x) at X_SATURATED: dx (1e-13 .. 5e-12) is far below central differences' resolution
    (~1e-9 x size), so the complex step is asked. The claim: ``factor`` x dx, element (0, 1) moved by ``delta``."""
    def loss(x):
        s = 1 / (1 + np.exp(-x))
        dx = factor * s * (1 - s)
        dx[0, 1] += delta
        return size + s.sum(), dx

    return loss


@pytest.mark.parametrize("size, times, confirmed", [(1.0, 0.45, True), (1.0, 0.9, True), (1.0, 1.2, False),
                                                    (1e3, 0.9, True), (1e3, 1.2, False)],
                         ids=["0.45floor", "0.9floor", "1.2floor-outside", "size-1e3-0.9floor",
                              "size-1e3-1.2floor-outside"])
def test_second_opinion_confirms_within_100_eps_times_the_losses_size(size, times, confirmed):
    """One element off by ``times`` x 100 u |L|: confirmed (a PASS against the complex step) within the bound; beyond
    it not (never a PASS: unresolvable, or failed against zero)."""
    report = check_loss(_saturated_loss(size, times * EXACT_FLOOR * size), X_SATURATED.copy())
    row = report.rows[0]
    if confirmed:
        assert report.status == "PASS" and row.verdict == "ok" and row.reference == "complex step", report
        assert report.rtols["complex step"] == 1e-8
    else:
        assert report.status != "PASS" and row.reference != "complex step", report


@pytest.mark.parametrize("factor", [1.1, 1.01, 0.0], ids=["10pc-off", "1pc-off", "zero"])
def test_second_opinion_never_confirms_a_smooth_wrong_tiny_gradient(factor):
    """A claim 10% or 1% off everywhere (its largest element off by 5e-13 or 5e-14, beyond 100 u |L| = 2.2e-14)
    or all zero is not confirmed: the check is not a PASS."""
    report = check_loss(_saturated_loss(1.0, 0.0, factor), X_SATURATED.copy())
    assert report.status != "PASS" and report.rows[0].reference != "complex step", report


class _Offset:
    """out = 1e6 + 1e-4 x: the scalar sum(dout x out) is ~1e6, so central differences (error ~1e-9 of it per
    element) cannot resolve dx = 1e-4 dout; the complex step can, and there the rtol, not the floor (100 u max|dout|
    ~ 4e-14 against 1e-8 x 2e-4), is the bound. The claim: ``factor`` x dx."""

    def __init__(self, factor: float = 1.0):
        self.factor = factor

    def forward(self, x):
        return 1e6 + 1e-4 * x

    def backward(self, dout):
        return self.factor * 1e-4 * dout


@pytest.mark.parametrize("off, confirmed", [(0.5e-8, True), (1.5e-8, True), (3e-8, False), (1e-6, False)],
                         ids=["0.5e-8", "1.5e-8-inside", "3e-8-outside", "1e-6-outside"])
def test_second_opinion_rtol_is_1e8_of_both_sides(off, confirmed):
    """A claim (1 + c) n is confirmed iff c n <= 1e-8 ((2 + c) n) (+ the small floor): c up to ~2e-8 passes,
    3e-8 does not (a complex-step rtol of 1e-6 would confirm it)."""
    from nngrad import check_layer

    report = check_layer(_Offset(1 + off), np.array([[0.3, -0.2, 0.5], [0.1, 0.7, -0.4]]))
    assert (report.status == "PASS") is confirmed, report
    assert report.rows[0].verdict == ("ok" if confirmed else "unresolvable")
