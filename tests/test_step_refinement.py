"""Step refinement, the element rule of every check: a failing element is differenced again at eps / REFINE; a
disagreement that shrinks with the step (like eps where a function is smooth once but not twice, like eps^2 where
it is smooth) is the difference's own error and passes; one that stays is a bug and fails, however small.
Planted to watch these fail: refinement disabled (compare.refined returning all False) and refinement excusing
everything (returning all True)."""

import numpy as np
import pytest

import nngrad
from nngrad.check import dnn_check
from nngrad.check.compare import refined
from nngrad.model.network import DNN
from nngrad.tolerances import REFINE

DELTA = 0.1  # Huber's threshold: the residuals sit exactly on it, where the loss is smooth once, not twice


def huber_loss(x, y):
    """A loss function returning (loss, dx): Huber, its quadratic part up to DELTA."""
    r = x - y
    a = np.abs(r)
    loss = np.where(a <= DELTA, 0.5 * r ** 2, DELTA * (a - 0.5 * DELTA)).sum()
    return loss, np.where(a <= DELTA, r, DELTA * np.sign(r))


def huber_off(x, y):
    loss, dx = huber_loss(x, y)
    return loss, dx * (1 + 1e-4)  # a bug of relative size 1e-4


class Huber:
    """A layer class: element-wise Huber, backward(dout) -> dx."""

    def __init__(self, off=0.0):
        self.off = off

    def forward(self, x):
        self.x = x
        a = np.abs(x)
        return np.where(a <= DELTA, 0.5 * x ** 2, DELTA * (a - 0.5 * DELTA))

    def backward(self, dout):
        return dout * np.where(np.abs(self.x) <= DELTA, self.x, DELTA * np.sign(self.x)) * (1 + self.off)


def _at_threshold():
    return np.array([[DELTA, 0.03, -0.2], [-DELTA, 0.3, 0.01]]), np.zeros((2, 3))


def test_a_huber_loss_exactly_at_its_threshold_passes_as_refined_and_says_so():
    report = nngrad.check_loss(huber_loss, *_at_threshold())
    assert report.status == "PASS", report
    assert report.rows[0].verdict == "refined"
    words = " ".join(f.message for f in report.findings if f.kind == "kink")
    assert f"eps/{REFINE}" in words and "shrank" in words and "smooth once but not twice" in words


def test_a_huber_loss_off_by_1e4_at_its_threshold_still_fails():
    report = nngrad.check_loss(huber_off, *_at_threshold())
    assert report.status == "FAIL" and report.rows[0].verdict == "FAIL"


@pytest.mark.parametrize("mode", ["full", "fast"])
def test_a_huber_layer_exactly_at_its_threshold_passes_and_off_by_1e4_fails(mode):
    x = np.array([[DELTA, -DELTA, 0.04], [0.2, -0.03, DELTA]])
    right = nngrad.check_layer(Huber(), x.copy(), mode=mode)
    assert right.status == "PASS", right
    assert right.rows[0].verdict in ("kink", "refined")
    wrong = nngrad.check_layer(Huber(off=1e-4), x.copy(), mode=mode)
    assert wrong.status == "FAIL", wrong


def test_a_function_smooth_once_not_twice_passes_and_a_small_bug_fails():
    """The integral of a ReLU, 0.5 max(x, 0)^2, at x = 0: its central difference errs by eps / 4 (beside a loss
    term of 1, so that the one-sided differences' own error hides the kink: only refinement explains it)."""
    theta = np.array([0.0, 0.05, -0.02, 0.0])

    def f(t):
        return float(1.0 + 0.5 * np.sum(np.maximum(t, 0) ** 2))

    right = nngrad.check_function(f, lambda t: np.maximum(t, 0), theta)
    assert right.status == "PASS" and right.rows[0].verdict == "refined", right
    off = nngrad.check_function(f, lambda t: np.maximum(t, 0) + 1e-4 * 0.05, theta)
    assert off.status == "FAIL", off


def test_the_rule_excuses_a_shrinking_error_and_never_a_bug_even_under_a_larger_truncation():
    a = np.full(4, 1.0)
    h = np.array([1e-4, 1e-4, 1e-4, 1e-4])
    # like eps: the error shrinks 4x; like eps^2: 16x; a bug: stays; a bug of 1e-5 under a truncation of 1e-4
    coarse = np.array([a[0] - h[0], a[1] - h[1], a[2] - 1e-5, a[3] - 1e-5 - h[3]])
    fine = np.array([a[0] - h[0] / 4, a[1] - h[1] / 16, a[2] - 1e-5 - 1e-12, a[3] - 1e-5 - h[3] / 4])
    excused = refined(a, coarse, fine, rtol=1e-6, coarse_error=1e-10, fine_error=4e-10, floor=0.0)
    assert excused.tolist() == [True, True, False, False]


def test_a_disagreement_at_the_level_of_round_off_at_the_finer_step_is_not_excused():
    """Round-off grows as the step shrinks: an error that merely wobbles (0.9x) is not taken for truncation."""
    a, coarse, fine = np.ones(1), np.ones(1) - 1e-9, np.ones(1) - 0.9e-9
    assert not refined(a, coarse, fine, rtol=0.0, coarse_error=1e-10, fine_error=4e-10, floor=0.0).any()


def _sigmoid_net():
    net = DNN(2, 4, 3, 2, activation="sigmoid", seed=1)
    rng = np.random.default_rng(2)
    return net, rng.standard_normal((5, 3)), rng.standard_normal((5, 2))


def test_nngrads_dnn_check_goes_through_the_same_refinement():
    """A large step (eps = 1e-3), a tight rtol and atol below the truncation: the last layers fail on the
    difference's truncation (like eps^2) alone, which refinement recognises; the same setting with backprop off by
    1e-4 still fails."""
    net, x, y = _sigmoid_net()
    report = nngrad.gradient_check(net, x, y, reference="finite-differences", eps=1e-3, rtol=1e-9, atol=1e-11)
    assert report.status != "FAIL", report  # the first layer's 1e-6 gradients are unresolvable at this step
    assert not any(r.verdict == "FAIL" for r in report.rows) and {r.verdict for r in report.rows[-2:]} == {"refined"}


def test_nngrads_dnn_check_with_a_small_bug_fails_despite_refinement(monkeypatch):
    from nngrad.methods import backprop as bp

    real = bp.backprop_gradient
    monkeypatch.setattr(dnn_check, "backprop_gradient",
                        lambda net, x, y: (lambda lg: (lg[0], lg[1] * (1 + 1e-4)))(real(net, x, y)))
    net, x, y = _sigmoid_net()
    report = nngrad.gradient_check(net, x, y, reference="finite-differences", eps=1e-3, rtol=1e-9, atol=1e-11)
    assert report.status == "FAIL" and all(r.verdict == "FAIL" for r in report.rows)
