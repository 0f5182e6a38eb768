"""check_layer, check_function and assert_gradients_close on hand-written code: each classic mistake is caught
with its own finding; the correct classic layers pass; nothing the user owns is changed."""

import numpy as np
import pytest

from nngrad import AddLayer, Dense, MulLayer, Relu, Sigmoid, SoftmaxWithLoss, check_function, check_layer
from nngrad.check import arrays
from nngrad.model.losses import MeanSquaredError
from nngrad.testing import assert_gradients_close


def kinds(report) -> set[str]:
    return {f.kind for f in report.findings}


@pytest.fixture
def x(rng):
    return rng.standard_normal((6, 4))


# -- the classic layers, written right, pass --------------------------------------------------------------------

@pytest.mark.parametrize("make,inputs,t", [
    (lambda r: Dense(r.standard_normal((4, 3)), r.standard_normal(3)), lambda r: r.standard_normal((6, 4)), None),
    (lambda r: Sigmoid(), lambda r: r.standard_normal((6, 4)), None),
    (lambda r: Relu(), lambda r: r.standard_normal((6, 4)), None),
    (lambda r: MulLayer(), lambda r: (r.standard_normal(3), r.standard_normal(3)), None),
    (lambda r: AddLayer(), lambda r: (2.0, 3.0), None),
    (lambda r: SoftmaxWithLoss(), lambda r: r.standard_normal((6, 4)), np.eye(4)[[0, 1, 2, 3, 0, 1]]),
    (lambda r: MeanSquaredError(), lambda r: r.standard_normal((6, 4)), np.ones((6, 4))),
])
def test_the_classic_layers_pass(rng, make, inputs, t):
    report = check_layer(make(rng), inputs(rng), t=t)
    assert report.passed, str(report)
    assert not report.findings and all(r.verdict == "ok" for r in report.rows)


def test_dense_reports_dx_dW_and_db_with_their_shapes(rng, x):
    report = check_layer(Dense(rng.standard_normal((4, 3)), rng.standard_normal(3)), x)
    assert [(r.name, r.shape) for r in report.rows] == [("dx", (6, 4)), ("dW", (4, 3)), ("db", (3,))]
    assert report.mode == "element-wise" and report.loss_evaluations >= 2 * 2 * (24 + 12 + 3)  # two points


# -- each mistake, caught by name --------------------------------------------------------------------------------

class WrongSigmoid(Sigmoid):
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-1))  # the classic typo: exp(-1) for exp(-x)
        return self.out + 0 * x

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out


class SigmoidMissingFactor(Sigmoid):
    def backward(self, dout):
        return dout * self.out  # forgot (1 - out)


class InPlaceRelu(Relu):
    def backward(self, dout):
        dout[self.mask] = 0  # Deep Learning from Scratch's Relu: the caller's dout is changed
        return dout


class SGDInBackward(Dense):
    def backward(self, dout):
        dx = super().backward(dout)
        self.W -= 0.1 * self.dW  # an optimizer step inside the layer
        return dx


class DoubledDW(Dense):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = 2 * self.dW
        return dx


class Accumulating(Dense):
    def backward(self, dout):
        previous = self.dW if self.dW is not None else 0
        dx = super().backward(dout)
        self.dW = self.dW + previous  # += across calls
        return dx


class SumNotMeanMSE(MeanSquaredError):
    def backward(self, dout=1.0):
        return dout * (self.h - self.y) / self.h.shape[-1]  # divides by the width only: a sum over the batch


class NoHalfMSE(MeanSquaredError):
    def forward(self, h, y):
        self.h, self.y = h, y
        return float(np.mean((h - y) ** 2))  # the 1/2 dropped, the backward kept it


def test_a_wrong_quantity_in_backward_fails(x):
    report = check_layer(WrongSigmoid(), x)
    assert report.status == "FAIL" and report.rows[0].verdict == "FAIL"


def test_a_derivative_missing_a_factor_fails_at_its_worst_element(x):
    report = check_layer(SigmoidMissingFactor(), x)
    row = report.rows[0]
    assert report.status == "FAIL" and abs(row.analytic - row.numerical) > row.tolerance


def test_a_backward_that_changes_dout_in_place_is_named(x):
    report = check_layer(InPlaceRelu(), x)
    assert "dout-modified" in kinds(report) and report.status == "FAIL" and "np.where" in str(report)


def test_a_layer_updating_its_parameters_in_backward_is_named_and_restored(rng, x):
    W, b = rng.standard_normal((4, 3)), rng.standard_normal(3)
    layer = SGDInBackward(W, b)
    before = W.copy()
    report = check_layer(layer, x)
    assert "params-changed" in kinds(report) and report.status == "FAIL"
    np.testing.assert_array_equal(layer.W, before)  # the checker put W back


def test_a_backward_that_is_not_repeatable_is_named(rng, x):
    report = check_layer(Accumulating(rng.standard_normal((4, 3)), rng.standard_normal(3)), x)
    assert "not-repeatable" in kinds(report) and "dW" in str(report)


@pytest.mark.parametrize("layer,words", [(SumNotMeanMSE(), "a sum over the batch of 6"),
                                         (NoHalfMSE(), "a factor 1/2 too many")])
def test_a_loss_gradient_scaled_wrongly_says_by_what(x, layer, words):
    report = check_layer(layer, x, t=np.zeros_like(x))
    assert report.status == "FAIL" and "scaled" in kinds(report) and words in str(report)


def test_all_zero_gradients_are_not_a_pass(x):
    report = check_layer(Relu(), -np.abs(x) - 1)  # every unit dead
    assert report.status == "INCONCLUSIVE" and "zero-gradient" in kinds(report)
    assert report.rows[0].verdict == "zero"


def test_a_kink_crossed_is_explained_not_failed():
    x = np.array([[0.0, 1.0, -2.0]])  # a ReLU input exactly at its kink
    report = check_layer(Relu(), x)
    assert report.passed and "kink" in kinds(report) and report.rows[0].verdict == "kink"


def test_nan_anywhere_fails(x):
    class NanLayer(Sigmoid):
        def backward(self, dout):
            return dout * np.nan

    assert "nonfinite" in kinds(check_layer(NanLayer(), x))


def test_float32_widens_the_tolerance_and_says_so(x):
    report = check_layer(Sigmoid(), x.astype(np.float32))
    assert report.passed and "float32" in kinds(report) and report.rtols == {"central differences": 1e-2}


def test_everything_is_restored_when_the_layer_raises_midway(rng, x):
    class Fragile(Dense):
        calls = 0

        def forward(self, x):
            Fragile.calls += 1
            if Fragile.calls == 9:  # in the middle of the finite differences, with an element perturbed
                raise RuntimeError("boom")
            return super().forward(x)

    W = rng.standard_normal((4, 3))
    before, x_before = W.copy(), x.copy()
    with pytest.raises(RuntimeError, match="boom"):
        check_layer(Fragile(W, rng.standard_normal(3)), x)
    np.testing.assert_array_equal(W, before)
    np.testing.assert_array_equal(x, x_before)


# -- fast mode ---------------------------------------------------------------------------------------------------

def _fast_checks(rng, n_in):
    W = rng.standard_normal((n_in, 30))
    good = check_layer(Dense(W, rng.standard_normal(30)), rng.standard_normal((8, n_in)), mode="fast")
    bad = check_layer(DoubledDW(W, np.zeros(30)), rng.standard_normal((8, n_in)), mode="fast")
    return good, bad


@pytest.mark.parametrize("n_in", [50, 400])
def test_fast_mode_catches_a_planted_bug(rng, n_in):
    good, bad = _fast_checks(rng, n_in)
    assert good.passed and good.mode == "random directions"
    assert [r.name for r in bad.rows if r.verdict == "FAIL"] == ["dW"] and not bad.findings


def test_fast_mode_costs_the_same_whatever_the_size(rng):
    counts = {_fast_checks(rng, n)[0].loss_evaluations for n in (50, 400)}
    assert len(counts) == 1 and counts.pop() < 2 * 2 * 3 * arrays.DIRECTIONS + 40  # 2 points, 2 per direction


def test_auto_mode_switches_to_directions_for_large_layers(rng):
    report = check_layer(Dense(rng.standard_normal((200, 60)), np.zeros(60)), rng.standard_normal((4, 200)))
    assert report.mode == "random directions" and report.passed


# -- functions and whole networks given as a loss of a flat vector ----------------------------------------------

def test_check_function_of_a_known_gradient():
    theta = np.array([[1.0, -2.0], [0.5, 3.0]])
    assert check_function(lambda t: float(np.sum(t ** 3)), lambda t: 3 * t ** 2, theta).passed
    report = check_function(lambda t: float(np.sum(t ** 3)), lambda t: 6 * t ** 2, theta)
    assert report.status == "FAIL" and "2 times the numerical gradient" in str(report)


def test_a_network_as_a_loss_of_its_flat_vector_is_reported_per_part(rng):
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))

    def loss(p):
        W1, b1, W2 = p[:12].reshape(3, 4), p[12:16], p[16:].reshape(4, 2)
        return float(0.5 * np.mean((np.tanh(x @ W1 + b1) @ W2 - y) ** 2))

    def grad(p):
        W1, b1, W2 = p[:12].reshape(3, 4), p[12:16], p[16:].reshape(4, 2)
        h = np.tanh(x @ W1 + b1)
        d = (h @ W2 - y) / y.size
        dh = d @ W2.T * (1 - h ** 2)
        return np.concatenate([(x.T @ dh).ravel(), dh.sum(0), (h.T @ d).ravel()])

    parts = [("W1", (3, 4)), ("b1", (4,)), ("W2", (4, 2))]
    theta = rng.standard_normal(24)
    assert [r.name for r in check_function(loss, grad, theta, parts=parts).rows] == ["W1", "b1", "W2"]
    wrong = check_function(loss, lambda p: grad(p) * np.r_[np.ones(12), 2 * np.ones(4), np.ones(8)], theta, parts)
    assert [r.name for r in wrong.rows if r.verdict == "FAIL"] == ["b1"]


def test_check_function_restores_a_theta_that_f_changes():
    theta = np.ones(3)

    def f(t):
        t[0] += 1.0  # a function that changes its argument
        return float(np.sum(t))

    report = check_function(f, lambda t: np.ones_like(t), theta)
    assert "params-changed" in kinds(report)
    np.testing.assert_array_equal(theta, np.ones(3))


@pytest.mark.parametrize("call,error,words", [
    (lambda: check_layer(object(), np.ones(3)), TypeError, "object has no forward method"),
    (lambda: check_layer(Sigmoid(), "abc"), TypeError, "x must be a real numeric array"),
    (lambda: check_layer(Sigmoid(), np.ones(3), mode="slow"), ValueError, "mode must be one of"),
    (lambda: check_layer(Dense(np.ones((3, 2)), np.ones(2)), np.ones((2, 3)), params=["V"]), ValueError, "no float"),
    (lambda: check_function(1, 2, np.ones(3)), TypeError, "must be callables"),
    (lambda: check_function(np.sum, np.ones_like, np.ones(4), parts=[("a", (3,))]), ValueError, "cover theta"),
])
def test_bad_arguments_say_what_was_expected(call, error, words):
    with pytest.raises(error, match=words):
        call()


# -- for users' test suites --------------------------------------------------------------------------------------

def test_assert_gradients_close_shows_the_worst_element_and_the_findings(x):
    assert_gradients_close(Sigmoid(), x)
    with pytest.raises(AssertionError) as info:
        assert_gradients_close(InPlaceRelu(), x)
    message = str(info.value)
    assert message.startswith("gradient check of layer InPlaceRelu: FAIL") and "dout-modified" in message
    with pytest.raises(AssertionError, match=r"dx: FAIL at \(\d+, \d+\): analytic .*, numerical "):
        assert_gradients_close(SigmoidMissingFactor(), x)
