"""Every excuse of the element rules has a case where excusing would be wrong, at a tiny loss too (issue 27, item
3): a smooth but wrong gradient is never passed as "a kink crossed", "a tie" or "float32", and the complex step's
second opinion only confirms. A well-fitted loss (targets 1e-6 from the outputs) is ~1e-12 but curved: its left and
right differences differ by eps x the curvature, which no allowance scaled by the loss bounds, so an allowance
from the loss's size alone let a claim 1e-2 wrong pass as a kink. Each case's truth is independent of the rules
judged: backprop confirmed by a complex step on the network with its ReLU masks frozen (smooth and exact where no
ReLU input is crossed), or the function's own formula.

Planted (each made, this file run, reverted; every one killed): arrays.explain's extrapolated sides dropped
(check_function's tiny-loss cases); dnn_check's crossing mask ignored (the tiny-loss ReLU network cases) or no
element crossing (the kinks still excused); _crossing reading +eps only (kinks at +0.1 eps); a tie's sides compared
unextrapolated (tie-sent-to-every-max, split-1pct-wrong); the rounding allowance at a minimum dropped or x1e6
(exact minimum); the complex step's rtol 1e-8 -> 1e-1 (second opinion 1.05, 0.95); float32's rtol 1e-2 -> 1e-1;
the point check's tolerance 1e-5 -> 1e-3 (the tiny-loss point at 1e-3).
"""

import numpy as np
import pytest

import nngrad.check.dnn_check
from nngrad import DNN, GradientResult, check_function, check_layer, gradient_check
from nngrad.methods import get
from nngrad.methods.backprop import backprop_gradient
from nngrad.sweep.point_check import check_point

EPS = 6.0554544523933395e-06  # central differences' default step in float64, (3 u)^(1/3): literal, not read


# -- the ReLU network: a smooth element, a kinked one ----------------------------------------------------------------

def _network(gap: float, kink_at: float | None = None):
    """ReLU hidden layer (4 units), sigmoid output, MSE; targets ``gap`` x N(0, 1) from the outputs (1e-6: a loss
    ~1e-12). ``kink_at``: b0[1] shifted so that sample 0's ReLU input of unit 1 sits at kink_at x EPS (within a step
    of 0: a central difference of b0[1] crosses it); otherwise every ReLU input is >= 0.08 from 0."""
    net = DNN(1, 4, 3, 2, activation="relu", output_activation="sigmoid", init="he", seed=1)
    x = np.random.default_rng(2).standard_normal((5, 3))
    if kink_at is not None:
        net.params[12 + 1] -= net.trace(x)[1][0][0, 1] - kink_at * EPS  # b0 starts at 12 (W0 is 3 x 4)
    y = net.forward(x) + gap * np.random.default_rng(3).standard_normal((5, 2))
    return net, x, y


def _frozen_masks_gradient(net: DNN, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The truth for W0 and b0 (16,): a complex step on the network with its ReLU masks frozen at the point (the
    same function wherever no ReLU input changes sign), L = 1/2 mean((sigmoid(relu-masked(x W0 + b0) W1 + b1) -
    y)^2)."""
    p = net.params.astype(complex)
    mask = (x @ net.params[:12].reshape(3, 4) + net.params[12:16]) > 0

    def loss(q):
        h = mask * (x @ q[:12].reshape(3, 4) + q[12:16])
        out = 1 / (1 + np.exp(-(h @ q[16:24].reshape(4, 2) + q[24:26])))
        return 0.5 * np.mean((out - y) ** 2)

    out = np.empty(16)
    for i in range(16):
        q = p.copy()
        q[i] += 1e-30j
        out[i] = loss(q).imag / 1e-30
    return out


def _claiming(monkeypatch, index: int, relative: float) -> None:
    """backprop's gradient with element ``index`` (relative) too large."""
    def off(*args):
        loss, grad = backprop_gradient(*args)
        grad = grad.copy()
        grad[index] *= 1 + relative
        return loss, grad

    monkeypatch.setattr(nngrad.check.dnn_check, "backprop_gradient", off)


W0_SMOOTH = 7  # W0[1, 3]: the largest of W0 (its step moves sample n's input of unit 3 by EPS x |x[n, 1]| < 1e-5)


def test_the_truth_is_backprop_the_point_smooth_and_the_loss_tiny():
    """What the cases below stand on: every ReLU input >= 0.08 from 0 (over 8000 steps), the loss ~1e-12, and
    backprop equal to the frozen-mask complex step within 1e-12 relative."""
    net, x, y = _network(1e-6)
    x, y = net.check_data(x, y)
    assert np.abs(net.trace(x)[1][0]).min() > 0.08 and net.evaluate(x, y) < 1e-11
    truth, claimed = _frozen_masks_gradient(net, x, y), backprop_gradient(net, x, y)[1][:16]
    assert np.allclose(claimed, truth, rtol=1e-12, atol=0)
    assert np.argmax(np.abs(claimed[:12])) == W0_SMOOTH


@pytest.mark.parametrize("gap", [1e-6, 0.3], ids=["loss-1e-12", "loss-0.1"])
@pytest.mark.parametrize("relative", [1e-4, 1e-3, 1e-2])
@pytest.mark.parametrize("reference", ["auto", "finite-differences"])
def test_a_smooth_wrong_relu_element_is_never_excused_as_a_kink(monkeypatch, gap, relative, reference):
    """W0[1, 3] 1e-4..1e-2 too large, far from any kink: FAIL at either loss (before the fix, the loss-1e-12 cases
    passed as "a finite difference crossed a kink": its left and right differences differ by EPS x the
    curvature, ~2e-8, and bracketed the claim)."""
    _claiming(monkeypatch, W0_SMOOTH, relative)
    report = gradient_check(*_network(gap), reference=reference)
    assert report.status == "FAIL" and report.rows[0].verdict == "FAIL"


@pytest.mark.parametrize("gap", [1e-6, 0.3], ids=["loss-1e-12", "loss-0.1"])
@pytest.mark.parametrize("kink_at", [0.0, 0.1, -0.1, 0.3], ids=["at-0", "at+0.1eps", "at-0.1eps", "at+0.3eps"])
def test_a_relu_input_within_a_step_of_0_is_still_excused_as_a_kink(gap, kink_at):
    """backprop right, one ReLU input at kink_at x EPS: b0[1]'s central difference crosses it: PASS, b0 "kink"."""
    report = gradient_check(*_network(gap, kink_at))
    assert report.status == "PASS" and report.rows[1].verdict == "kink"


@pytest.mark.parametrize("gap", [1e-6, 0.3], ids=["loss-1e-12", "loss-0.1"])
def test_a_kink_in_one_element_excuses_no_smooth_wrong_element_beside_it(monkeypatch, gap):
    """b0[1] crosses a kink (excused), b0[2] (whose inputs are >= 0.08 from 0) is 1e-2 wrong: b0 fails."""
    _claiming(monkeypatch, 12 + 2, 1e-2)
    report = gradient_check(*_network(gap, 0.1))
    assert report.status == "FAIL" and report.rows[1].verdict == "FAIL"


# -- a user's function (check_function: no structure to read, the rule is numerical) --------------------------------

def _users_network(gap: float):
    """f(theta) = 1/2 ||sigmoid(relu(X W) V) - Y||^2 of W = theta (3 x 4), targets ``gap`` from the outputs, every
    ReLU input >= 0.03 from 0; grad_f its handwritten backprop (the truth: the chain rule, exact to rounding)."""
    rng = np.random.default_rng(0)
    X, V = rng.standard_normal((5, 3)), rng.standard_normal((4, 2))
    theta = rng.standard_normal(12)

    def forward(t):
        return 1 / (1 + np.exp(-(np.maximum(X @ t.reshape(3, 4), 0) @ V)))

    Y = forward(theta) + gap * np.random.default_rng(1).standard_normal((5, 2))

    def grad(t):
        z = X @ t.reshape(3, 4)
        out = forward(t)
        return (X.T @ ((((out - Y) * out * (1 - out)) @ V.T) * (z > 0))).ravel()

    return (lambda t: 0.5 * float(((forward(t) - Y) ** 2).sum())), grad, theta, np.abs(X @ theta.reshape(3, 4)).min()


@pytest.mark.parametrize("gap", [1e-6, 0.3], ids=["loss-1e-12", "loss-0.1"])
@pytest.mark.parametrize("relative, status", [(0.0, "PASS"), (1e-4, "FAIL"), (1e-3, "FAIL"), (1e-2, "FAIL")])
def test_check_function_passes_no_smooth_wrong_element_as_a_kink(gap, relative, status):
    """The largest element 1e-4..1e-2 too large fails at either loss; the right claim passes (the loss-1e-12 cases
    passed as a kink before the fix)."""
    f, grad, theta, nearest = _users_network(gap)
    k = int(np.argmax(np.abs(grad(theta))))

    def claimed(t):
        g = grad(t).copy()
        g[k] *= 1 + relative
        return g

    assert nearest > 0.03
    report = check_function(f, claimed, theta, mode="full")
    assert report.status == status and (report.rows[0].verdict == "FAIL") is (status == "FAIL")


@pytest.mark.parametrize("scale", [1.0, 1e-12])
@pytest.mark.parametrize("claim, verdict", [(1.0, "kink"), (0.0, "ok"), (-1.0, "kink"), (1.5, "FAIL")])
def test_check_function_excuses_a_subgradient_at_a_kink_at_any_scale(scale, claim, verdict):
    """f = scale |x0| + scale x1^2 / 2 at (0, 0.3): any claim in [-1, 1] x scale is a subgradient at the kink (0 is
    the central difference itself: "ok"); 1.5 is not. x1's claim is right."""
    report = check_function(lambda v: scale * (abs(v[0]) + v[1] ** 2 / 2),
                            lambda v: scale * np.array([claim, v[1]]), np.array([0.0, 0.3]), mode="full")
    assert report.rows[0].verdict == verdict


# -- ties at a tiny loss ------------------------------------------------------------------------------------------

R0 = 1e-6  # the residual: f = 1/2 (R0 + max(x0, x1) - 1)^2 + x2^2 / 2 at (1, 1, 0), f = 5e-13


def _tied(v):
    return 0.5 * (R0 + max(v[0], v[1]) - 1.0) ** 2 + 0.5 * v[2] ** 2


@pytest.mark.parametrize("claim, verdict", [
    ([R0, 0.0, 0.0], "kink"),  # one maximum picked: its sides bracket R0 and 0, the tied sum is R0
    ([R0 / 2, R0 / 2, 0.0], "kink"),  # split between the tied maxima: the sum is R0
    ([R0, R0, 0.0], "FAIL"),  # sent to every maximum: the sum 2 R0 against R0 along the tie
    ([1.01 * R0 / 2, 1.01 * R0 / 2, 0.0], "FAIL"),  # split, 1% too large: the sum is wrong
    ([1.01 * R0, 0.0, 0.0], "FAIL"),  # one picked, 1% too large: outside its extrapolated sides
], ids=["one-max", "split", "tie-sent-to-every-max", "split-1pct-wrong", "one-max-1pct-wrong"])
def test_a_tie_at_a_tiny_loss_excuses_only_a_sum_that_matches(claim, verdict):
    """Along the tie (x0 and x1 moved together) f is smooth with curvature 1, so its one-sided differences differ
    by EPS: before the fix that read as "a kink along the tie too" and every split passed."""
    report = check_function(_tied, lambda v: np.array(claim), np.array([1.0, 1.0, 0.0]), mode="full")
    assert report.rows[0].verdict == verdict


# -- float32 and the complex step's second opinion -------------------------------------------------------------------

W = np.array([0.75, -0.5, 0.25, 1.0])
C = float(W.sum()) + 1e-6  # f = 1/2 (W . theta - C)^2 at theta = 1: f = 5e-13, gradient -1e-6 W


@pytest.mark.parametrize("off, status", [(1e-3, "PASS"), (5e-2, "FAIL")], ids=["1e-3-inside", "5e-2-outside"])
def test_float32_is_no_excuse_for_a_wrong_gradient_at_a_tiny_loss(off, status):
    """theta in float32 (rtol 1e-2): a claim 5% off fails though the loss is 5e-13; 0.1% off passes."""
    def f(t):
        return 0.5 * (float(np.dot(W, t.astype(np.float64))) - C) ** 2

    def grad(t):
        return ((float(np.dot(W, t.astype(np.float64))) - C) * W * (1 + off)).astype(np.float32)

    assert check_function(f, grad, np.ones(4, dtype=np.float32), mode="full").status == status


class _Saturated:
    """A sigmoid at -30..-26 shifted by 1 (derivatives 1e-13..5e-12, below central differences' resolution):
    the complex step gives the second opinion. ``factor``: the claim's error."""

    def __init__(self, factor: float):
        self.factor = factor

    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out + 1.0

    def backward(self, dout):
        return self.factor * dout * self.out * (1 - self.out)


@pytest.mark.parametrize("factor, status", [(1.0, "PASS"), (1.05, "INCONCLUSIVE"), (0.95, "INCONCLUSIVE"),
                                            (2.0, "INCONCLUSIVE")])
def test_the_second_opinion_confirms_only_a_right_tiny_gradient(factor, status):
    """The largest derivative is 5e-12: 5% of it (2.5e-13) is over ten times the backward's own rounding
    (100 u x |dout| ~ 2e-14), so the complex step does not confirm it and the row stays unresolvable."""
    x = np.array([[-30.0, -28.0, -26.0], [-29.0, -27.0, -26.5]])
    report = check_layer(_Saturated(factor), x)
    assert report.status == status


@pytest.mark.parametrize("off, status", [(0.0, "PASS"), (1e-6, "FAIL")], ids=["right", "1e-6-off"])
def test_at_an_exact_minimum_the_gradient_is_pinned_only_to_its_rounding(off, status):
    """f = (3 w + b - 1)^2 at (0.4, -0.2): the residual is 2.2e-16 (rounding), f 5e-32, the gradient ~1e-15 and
    the differences' error from rounding w itself ~curvature x u (18 x 2.2e-16): the right claim passes whatever the
    loss; a claim 1e-6 off (far above that rounding) fails."""
    def grad(v):
        r = 3 * v[0] + v[1] - 1
        return np.array([6 * r + off, 2 * r])

    report = check_function(lambda v: float((3 * v[0] + v[1] - 1) ** 2), grad, np.array([0.4, -0.2]), mode="full")
    assert report.status == status


# -- the benchmark's point check (no kink excuse; step refinement only) at a tiny loss ------------------------------

@pytest.mark.parametrize("relative, passed", [(0.0, True), (1e-3, False), (1e-2, False)])
def test_the_point_check_refines_no_smooth_wrong_element_at_a_tiny_loss(relative, passed):
    """backprop's point on the ReLU network at loss ~1e-12 (3 random directions per array, tolerance 1e-5):
    W0[1, 3] 1e-3 too large moves W0's directional error to ~4e-4: it fails; the right gradient passes."""
    net, x, y = _network(1e-6)
    x, y = net.check_data(x, y)
    grad = backprop_gradient(net, x, y)[1].copy()
    grad[W0_SMOOTH] *= 1 + relative
    method = get("backprop")
    check = check_point(method, lambda: GradientResult(grad, None, "backprop", method.work_count(net.num_params)),
                        net, x, y)
    assert check.passed is passed and not check.unresolved
