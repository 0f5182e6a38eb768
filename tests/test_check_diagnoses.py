"""Diagnoses on code nngrad has never seen (issue 25): a probe that cannot run is skipped and named, never a
traceback; findings are registered kinds; an element-wise layer's derivative is described in words; findings that
misled (keepdims, a zero gradient by design, a factor printed as 1, noise explained as a pattern) say what holds."""

import numpy as np
import pytest
from scipy.special import erf

from nngrad import check_function, check_layer, check_pair
from nngrad.check import judge as judging
from nngrad.check.diagnostics import DIAGNOSES
from nngrad.check.findings import KINDS, Kind, registered


def message(report, kind: str) -> str:
    return " ".join(f.message for f in report.findings if f.kind == kind)


# -- a diagnosis may fail, the check may not ------------------------------------------------------------------------

class Variance:
    """out = (x - mean) / (n - 1) over the batch (Python's division: batch 1 raises); backward forgets the mean and
    adds a square of dout (an error no pattern names: one constant along the batch alone is a missing term)."""

    def forward(self, x):
        self.k = 1.0 / (len(x) - 1)
        return (x - x.mean(axis=0)) * self.k

    def backward(self, dout):
        return dout * self.k + 0.1 * dout ** 2


def variance_forward(x):
    k = 1.0 / (len(x) - 1)
    return (x - x.mean(axis=0)) * k, k


def variance_backward(dout, k):
    return dout * k + 0.1 * dout ** 2


def step_forward(x, h, W, b):
    """A recurrent step on [h, x] concatenated: cutting x alone to one row breaks the concatenation."""
    nh = np.tanh(np.concatenate([h, x], axis=1) @ W + b)
    return nh, (x, h, W, nh)


def step_backward(dnh, cache):
    x, h, W, nh = cache
    da = dnh * (1 - nh ** 2)
    dxh = da @ W.T
    dW = np.concatenate([h, x], axis=1).T @ (dnh * (1 - nh ** 4))  # dW: a wrong tanh' nothing names
    return dxh[:, h.shape[1]:], dxh[:, :h.shape[1]], dW, da.sum(0)


@pytest.mark.parametrize("run", [
    lambda rng: check_layer(Variance(), rng.standard_normal((4, 3))),
    lambda rng: check_pair(variance_forward, variance_backward, rng.standard_normal((4, 3))),
    lambda rng: check_pair(step_forward, step_backward, rng.standard_normal((3, 2)), rng.standard_normal((3, 4)),
                           rng.standard_normal((6, 4)), rng.standard_normal(4)),
])
def test_a_probe_that_cannot_run_is_skipped_and_named_and_the_verdict_stands(rng, run):
    report = run(rng)
    assert report.status == "FAIL"
    assert "the 'right for the first sample?' probe could not run" in message(report, "probe-skipped")
    assert KINDS["probe-skipped"] is False


def test_every_detector_runs_in_its_own_guard(rng, monkeypatch):
    def broken(e):
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(judging.diagnostics, "DIAGNOSES", (Kind("scaled", True, "", broken, "failing", "the test's probe"),
                                                            *DIAGNOSES))
    report = check_layer(Variance(), rng.standard_normal((4, 3)))
    assert report.status == "FAIL" and "the test's probe could not run" in message(report, "probe-skipped")


def test_each_kind_is_registered_once_with_its_verdict_and_detector():
    names = [k.name for k in registered()]
    assert len(names) == len(set(names)) and set(KINDS) == set(names)
    assert all(k.detect is not None and k.when in ("always", "failing") for k in DIAGNOSES)
    assert KINDS["derivative"] is True and KINDS["unresolvable"] is None


def test_the_judge_leaves_its_subject_unchanged_and_counts_what_it_ran(rng):
    from nngrad.check.pair_check import PairSubject

    subject = PairSubject(variance_forward, variance_backward, (rng.standard_normal((4, 3)),), 0)
    report = judging.judge(subject)
    assert "evaluate" not in vars(subject) and "before" not in vars(subject)
    assert report.loss_evaluations >= 2 * 12


def test_a_forward_that_cannot_repeat_reports_the_evaluations_it_made(rng):
    class Unseeded:
        def forward(self, x):
            return x * np.random.default_rng().standard_normal(x.shape)

        def backward(self, dout):
            return dout

    report = check_layer(Unseeded(), rng.standard_normal((3, 2)))
    assert report.status == "INCONCLUSIVE" and report.loss_evaluations == 4


# -- an element-wise layer's derivative in words ---------------------------------------------------------------------

def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


ACTIVATIONS = {  # f, the learner's derivative (of x and y = f(x)), words the diagnosis must say
    "gelu, Phi alone": (lambda v: 0.5 * v * (1 + erf(v / np.sqrt(2))), lambda x, y: 0.5 * (1 + erf(x / np.sqrt(2))),
                        "the true one is negative for some x"),
    "swish, y": (lambda v: v * _sigmoid(v), lambda x, y: y, "yours equals f(x) itself"),
    "elu, of the output": (lambda v: np.where(v > 0, v, np.exp(v) - 1), lambda x, y: np.where(x > 0, 1, np.exp(y)),
                           "right for x > 0, wrong for x < 0; there yours is f' taken of the output"),
    "elu, 1 everywhere": (lambda v: np.where(v > 0, v, np.exp(v) - 1), lambda x, y: np.ones_like(x),
                          "there yours is the constant 1"),
    "softplus, sigmoid(-x)": (lambda v: np.log1p(np.exp(v)), lambda x, y: _sigmoid(-x), "yours is 1 - f'(x)"),
    "softplus, f itself": (lambda v: np.log1p(np.exp(v)), lambda x, y: y, "yours equals f(x) itself"),
}


class Activation:
    def __init__(self, f, derivative):
        self.f, self.derivative = f, derivative

    def forward(self, x):
        self.x, self.y = x, self.f(x)
        return self.y

    def backward(self, dout):
        return dout * self.derivative(self.x, self.y)


@pytest.mark.parametrize("case", ACTIVATIONS)
@pytest.mark.parametrize("style", ["layer", "pair"])
def test_an_element_wise_layers_derivative_is_described_in_words(rng, case, style):
    f, derivative, words = ACTIVATIONS[case]
    x = 1.5 * rng.standard_normal((5, 4))
    if style == "layer":
        report = check_layer(Activation(f, derivative), x)
    else:
        report = check_pair(lambda v: (f(v), v), lambda d, v: d * derivative(v, f(v)), x)
    assert report.status == "FAIL" and words in message(report, "derivative")


def test_a_layer_that_mixes_elements_gets_no_element_wise_reading(rng):
    report = check_pair(lambda v: (np.cumsum(v, axis=1), v), lambda d, v: d, rng.standard_normal((4, 5)))
    assert report.status == "FAIL" and not message(report, "derivative")


@pytest.mark.parametrize("style", ["layer", "pair"])
def test_backward_at_zero_dout_must_return_zeros(rng, style):
    class DoutForgotten(Activation):
        def backward(self, dout):
            return self.derivative(self.x, self.y)  # BUG: the local derivative alone

    x = rng.standard_normal((4, 3))
    report = (check_layer(DoutForgotten(np.tanh, lambda x, y: 1 - y ** 2), x) if style == "layer"
              else check_pair(lambda x: (x * x.sum(), x), lambda d, x: x.sum() + x, x))
    assert report.status == "FAIL" and "backward at dout = 0 returned nonzero dx" in message(report, "dout-ignored")


# -- where in the array, in its own coordinates ----------------------------------------------------------------------

def test_an_error_in_one_channel_is_located_in_the_arrays_coordinates(rng):
    def backward(d, v):
        dx = 2 * v * d
        dx[:, 1] *= 3  # BUG in channel 1 only
        return dx

    report = check_pair(lambda x: (x ** 2, x), backward, rng.standard_normal((2, 3, 4)))
    assert "dx[:, 1]" in message(report, "located")


def test_an_error_at_one_time_step_is_located(rng):
    def backward(d, v):
        dx = np.cos(v) * d
        dx[:, 2:4, :] = 0  # BUG: time steps 2 and 3
        return dx

    report = check_pair(lambda x: (np.sin(x), x), backward, rng.standard_normal((3, 6, 2)))
    assert "dx[:, 2:4]" in message(report, "located")


# -- findings that misled -------------------------------------------------------------------------------------------

class ColumnBias:
    """Nielsen's layout: b (5, 1), the batch in columns; backward sums without keepdims."""

    def __init__(self, rng):
        self.W, self.b = rng.standard_normal((5, 3)), rng.standard_normal((5, 1))

    def forward(self, x):
        self.x = x
        return self.W @ x + self.b

    def backward(self, dout):
        self.dW, self.db = dout @ self.x.T, dout.sum(axis=1)  # (5,): keepdims forgotten
        return self.W.T @ dout


@pytest.mark.parametrize("style", ["layer", "pair"])
def test_a_lost_axis_of_one_is_named_keepdims(rng, style):
    if style == "layer":
        report = check_layer(ColumnBias(rng), rng.standard_normal((3, 4)))
        name = "db"
    else:
        report = check_pair(lambda x, b: (x + b, None), lambda d, c: (d, d.sum(axis=1)),
                            rng.standard_normal((5, 4)), rng.standard_normal((5, 1)))
        name = "db"
    assert report.status == "FAIL" and "keepdims=True" in message(report, "shape") and name in message(report, "shape")
    assert "reshape missing" not in message(report, "shape")


def _bn(h):
    h = np.asarray(h, dtype=float)  # real only: the complex step cannot confirm the zero
    return (h - h.mean(axis=0)) / np.sqrt(h.var(axis=0) + 1e-5)


def _bias_before_batch_norm(rng, style, wrong_db=False):
    x, W, b = rng.standard_normal((6, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)

    def forward(x, W, b):
        return _bn(x @ W + b), None

    def backward(d, cache):  # the right gradient through batch norm, by differences of a correct formula
        h = x @ W + b
        inv = 1 / np.sqrt(h.var(axis=0) + 1e-5)
        xhat = (h - h.mean(axis=0)) * inv
        dh = inv * (d - d.mean(axis=0) - xhat * (d * xhat).mean(axis=0))
        return dh @ W.T, x.T @ dh, d.sum(axis=0) if wrong_db else dh.sum(axis=0)  # wrong: db before the norm

    if style == "pair":
        report = check_pair(forward, backward, x, W, b)
    else:
        class Layer:
            def __init__(self):
                self.W, self.b = W, b

            def forward(self, v):
                return _bn(v @ self.W + self.b)

            def backward(self, d):
                dx, self.dW, self.db = backward(d, None)
                return dx

        report = check_layer(Layer(), x)
    return report


@pytest.mark.parametrize("style", ["layer", "pair"])
def test_a_bias_before_batch_normalisation_is_checked_against_zero_and_passes(rng, style):
    report = _bias_before_batch_norm(rng, style)
    said = message(report, "zero-by-design")
    assert report.status == "PASS" and "db: the true gradient is zero" in said, str(report)
    assert "scale the inputs up" not in str(report)
    assert next(r for r in report.rows if r.name == "db").reference == "zero (invariant)"


@pytest.mark.parametrize("style", ["layer", "pair"])
def test_a_nonzero_gradient_for_an_array_the_output_ignores_fails(rng, style):
    report = _bias_before_batch_norm(rng, style, wrong_db=True)
    assert report.status == "FAIL" and "does not depend on b at all" in message(report, "ignored"), str(report)


@pytest.mark.parametrize("style", ["layer", "pair"])
def test_a_factor_near_one_is_printed_with_the_digits_that_show_it(rng, style):
    x = rng.standard_normal((4, 3))
    if style == "layer":
        report = check_layer(Activation(np.sin, lambda x, y: np.cos(x) * (1 + 1e-5)), x)
    else:
        report = check_pair(lambda x: (np.sin(x), x), lambda d, x: d * np.cos(x) * (1 + 1e-5), x)
    assert report.status == "FAIL" and "dx is 1.00001 times the numerical gradient" in message(report, "scaled")


def test_a_fast_check_shows_the_arrays_shape():
    rng = np.random.default_rng(1)
    report = check_pair(lambda v: (np.sin(v), v), lambda d, v: d * np.cos(v), rng.standard_normal((101, 100)))
    assert report.rows[0].shape == (101, 100) and "random directions" in str(report)
    assert "101x100" in str(report)


def test_noise_is_not_explained_as_a_weight_decay():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from zoo.networks import SigmoidDropoutNet, dlfs_net

    from nngrad import check_network

    for seed in (0, 8):  # global seeds under which b2's tiny difference once read "an extra 9.8e-08 * b2"
        np.random.seed(seed)
        (net, x, t), _ = dlfs_net(SigmoidDropoutNet)(np.random.default_rng(0))
        assert not message(check_network(net, x, t), "regularization")


@pytest.mark.parametrize("style", ["layer", "pair"])
def test_a_gradient_of_the_wrong_dtype_is_named_apart_from_its_shape(rng, style):
    x = rng.standard_normal((4, 3))
    if style == "layer":
        class Float32(Activation):
            def backward(self, dout):
                return (dout * np.cos(self.x)).astype(np.float32)

        report = check_layer(Float32(np.sin, None), x)
        words = "float32"
    else:
        report = check_pair(lambda v: (2 * v, v), lambda d, v: (2 * d).astype(int), x)
        words = "integers"
    assert report.status == "FAIL" and words in message(report, "dtype") and not message(report, "shape")


# -- arrays whose gradients are both exactly zero are named, not only the all-zero case -----------------------------

class DeadHidden:
    """relu(x @ W1 + b1) @ W2 + b2 with every hidden unit dead: W1, b1, W2 and x get exactly zero gradients."""

    def __init__(self, rng):
        self.W1, self.b1 = rng.standard_normal((4, 3)), np.full(3, -100.0)
        self.W2, self.b2 = rng.standard_normal((3, 2)), rng.standard_normal(2)

    def forward(self, x):
        self.x, self.h = x, np.maximum(0, x @ self.W1 + self.b1)
        return self.h @ self.W2 + self.b2

    def backward(self, dout):
        self.dW2, self.db2 = self.h.T @ dout, dout.sum(axis=0)
        dz = (dout @ self.W2.T) * (self.h > 0)
        self.dW1, self.db1 = self.x.T @ dz, dz.sum(axis=0)
        return dz @ self.W1.T


@pytest.mark.parametrize("style", ["layer", "function"])
def test_arrays_with_both_gradients_exactly_zero_are_named_and_inconclusive(rng, style):
    x = rng.standard_normal((5, 4))
    if style == "layer":
        report = check_layer(DeadHidden(rng), x)
    else:
        net = DeadHidden(rng)
        parts = [("W1", (4, 3)), ("b1", (3,)), ("W2", (3, 2)), ("b2", (2,))]

        def unpack(theta):
            i = 0
            for name, shape in parts:
                n = int(np.prod(shape))
                setattr(net, name, theta[i:i + n].reshape(shape))
                i += n

        def f(theta):
            unpack(theta)
            return float(np.sum(net.forward(x) ** 2) / 2)

        def grad(theta):
            unpack(theta)
            net.backward(net.forward(x))
            return np.concatenate([getattr(net, f"d{n}").ravel() for n, _ in parts])

        theta = np.concatenate([getattr(net, n).ravel() for n, _ in parts])
        report = check_function(f, grad, theta, parts=parts)
    said = message(report, "zero-gradient")
    assert report.status == "INCONCLUSIVE" and "W1" in said and "b1" in said and "b2" not in said, str(report)
