"""Each finding of the checker of users' code, on a layer with exactly that bug; the correct twin passes.
The fixtures tell a right rule from a wrong one: asymmetric data, exact ties and zeros, independent dout."""

import numpy as np
import pytest

from nngrad import check_layer
from nngrad.check.catalogue import KNOWN


def kinds(report) -> set[str]:
    return {f.kind for f in report.findings}


def message(report, kind: str) -> str:
    return " ".join(f.message for f in report.findings if f.kind == kind)


@pytest.fixture
def x(rng):
    return rng.standard_normal((6, 4))


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        return dout @ self.W.T


def affine(rng, n_in=4, n_out=3, cls=Affine):
    return cls(rng.standard_normal((n_in, n_out)), rng.standard_normal(n_out))


# -- a wrong shape is a FAIL naming both shapes and the cause -----------------------------------------------------

class NoBatchSum(Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = dout  # the sum over the batch forgotten
        return dx


class TransposedDW(Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = dout.T @ self.x
        return dx


@pytest.mark.parametrize("cls,got,cause", [(NoBatchSum, "(6, 3)", "the sum over the batch (axis 0) is missing"),
                                           (TransposedDW, "(3, 4)", "transposed")])
def test_a_gradient_of_the_wrong_shape_fails_with_both_shapes_and_the_cause(rng, x, cls, got, cause):
    report = check_layer(affine(rng, cls=cls), x)
    assert report.status == "FAIL" and "shape" in kinds(report)
    assert got in message(report, "shape") and cause in message(report, "shape")
    assert {r.name: r.verdict for r in report.rows}[{NoBatchSum: "db", TransposedDW: "dW"}[cls]] == "shape"
    assert sum(r.verdict == "ok" for r in report.rows) == 2  # the other arrays are still checked


class SquareTransposed(Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = self.dW.T
        return dx


def test_a_transposed_square_dw_is_named(rng):
    report = check_layer(affine(rng, 4, 4, SquareTransposed), rng.standard_normal((5, 4)))
    assert report.status == "FAIL" and "transposed" in kinds(report)
    assert check_layer(affine(rng, 4, 4), rng.standard_normal((5, 4))).passed


# -- every parameter checked or named ------------------------------------------------------------------------------

class HiddenGradient(Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.my_weight_thing = self.dW  # a name nngrad cannot match to W
        del self.dW
        return dx


def test_a_parameter_whose_gradient_is_not_found_is_named_and_the_result_is_inconclusive(rng, x):
    report = check_layer(affine(rng, cls=HiddenGradient), x)
    assert report.status == "INCONCLUSIVE" and not report.passed
    assert {r.name: r.verdict for r in report.rows} == {"dx": "ok", "dW": "unchecked", "db": "ok"}
    assert "W (4, 3): no gradient found after backward" in message(report, "unchecked")
    named = check_layer(affine(rng, cls=HiddenGradient), x, params={"W": "my_weight_thing", "b": "db"})
    assert named.passed


class DictParams:
    def __init__(self, rng):
        self.params = {"W": rng.standard_normal((4, 3)), "b": rng.standard_normal(3)}
        self.grads = {}

    def forward(self, x):
        self.x = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dout):
        self.grads["W"], self.grads["b"] = self.x.T @ dout, dout.sum(axis=0)
        return dout @ self.params["W"].T


class DictParamsNoBatchSum(DictParams):
    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["b"] = dout
        return dx


def test_parameters_kept_in_dicts_are_found_and_checked(rng, x):
    report = check_layer(DictParams(rng), x)
    assert report.passed and [r.name for r in report.rows] == ["dx", "dW", "db"]
    assert "grads['W'], grads['b']" in report.how
    wrong = check_layer(DictParamsNoBatchSum(rng), x)
    assert wrong.status == "FAIL" and "params['b'] of shape (3,)" in message(wrong, "shape")


# -- in-place changes ----------------------------------------------------------------------------------------------

class Relu:
    def forward(self, x):
        self.mask = x <= 0
        return np.where(self.mask, 0.0, x)

    def backward(self, dout):
        return np.where(self.mask, 0.0, dout)


class ReluDoutInPlace(Relu):
    def backward(self, dout):
        dout[self.mask] = 0
        return dout


class ReluInputInPlace(Relu):
    def forward(self, x):
        self.mask = x <= 0
        x[self.mask] = 0  # the caller's x
        return x


@pytest.mark.parametrize("cls,kind,words", [(ReluDoutInPlace, "dout-modified", "backward changed the dout"),
                                            (ReluInputInPlace, "input-modified", "forward changed its input x")])
def test_in_place_changes_are_named_even_when_the_numbers_agree(x, cls, kind, words):
    report = check_layer(cls(), x)
    assert report.status == "FAIL" and kind in kinds(report) and words in message(report, kind)
    assert all(r.verdict == "ok" for r in report.rows)  # the numbers alone would have passed
    assert check_layer(Relu(), x).passed


class SoftmaxLoss:
    def forward(self, x, t):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.y, self.t = e / e.sum(axis=1, keepdims=True), t
        return float(-np.sum(t * np.log(self.y)) / len(x))

    def backward(self, dout=1):
        return (self.y - self.t) / len(self.y)


class SoftmaxLossNoCopy(SoftmaxLoss):
    def forward(self, x, t):
        self.labels = t.argmax(axis=1)
        return super().forward(x, t)

    def backward(self, dout=1):
        dx = self.y  # no copy: the cached softmax is changed below
        dx[np.arange(len(dx)), self.labels] -= 1
        return dx / len(dx)


def test_a_backward_that_changes_what_forward_cached_is_named(rng, x):
    t = np.eye(4)[rng.integers(0, 4, 6)]
    assert check_layer(SoftmaxLoss(), x, t=t).passed
    report = check_layer(SoftmaxLossNoCopy(), x, t=t)
    assert report.status == "FAIL" and "cache-changed" in kinds(report) and "y in place" in message(report, "cache-changed")


# -- a factor, a location, a batch ------------------------------------------------------------------------------------

class Dropout:
    def __init__(self, p=0.5):
        self.p = p

    def forward(self, x):
        self.mask = np.random.rand(*x.shape) > self.p
        return x * self.mask / (1 - self.p)

    def backward(self, dout):
        return dout * self.mask / (1 - self.p)


class DropoutNoMask(Dropout):
    def backward(self, dout):
        return dout / (1 - self.p)


class DropoutNeither(Dropout):
    def backward(self, dout):
        return dout  # neither the mask nor the scale: 0.5 x the numerical gradient where the mask passes


class DropoutNoScale(Dropout):
    def backward(self, dout):
        return dout * self.mask


def test_a_random_forward_is_rewound_and_checked_and_the_generator_left_as_found(x):
    np.random.seed(3)
    state = np.random.get_state()[1].copy()
    report = check_layer(Dropout(), x)
    assert report.passed and "random-forward" in kinds(report)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_a_factor_is_claimed_only_where_it_holds_element_by_element(x):
    """Dropout without its mask in backward: right where the mask passes, wrong where it drops: no one factor."""
    report = check_layer(DropoutNoMask(), x)
    assert report.status == "FAIL" and "scaled" not in kinds(report)
    assert "only where the numerical gradient is exactly 0" in message(report, "located")
    unscaled = check_layer(DropoutNoScale(), x)  # 0.5 x the numerical gradient at every element, zeros included
    assert unscaled.status == "FAIL" and "0.5 times the numerical gradient at every element" in message(
        unscaled, "scaled") and "1/(1-p)" in message(unscaled, "scaled")
    neither = check_layer(DropoutNeither(), x)  # 0.5 where the mask passes, not 0 where it drops: no one factor
    assert neither.status == "FAIL" and "scaled" not in kinds(neither)
    assert "is not 0 where the numerical gradient is exactly 0" in message(neither, "located")
    assert "elsewhere it is 0.5 times the numerical gradient" in message(neither, "located")


class SumNotMeanLoss(SoftmaxLoss):
    def backward(self, dout=1):
        return self.y - self.t


class SignFlipped(Relu):
    def backward(self, dout):
        return -super().backward(dout)


@pytest.mark.parametrize("make,words", [
    (lambda rng, x: (SumNotMeanLoss(), x, np.eye(4)[rng.integers(0, 4, 6)]), ("6 times the numerical gradient at every "
                                                                                "element: a sum over the batch of 6")),
    (lambda rng, x: (SignFlipped(), x, None), "-1 times the numerical gradient at every element: the sign flipped"),
])
def test_one_factor_at_every_element_is_named_with_its_likely_cause(rng, x, make, words):
    layer, inputs, t = make(rng, x)
    report = check_layer(layer, inputs, t=t)
    assert report.status == "FAIL" and words in message(report, "scaled")


class FirstSampleOnly(Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = self.x[:1].T @ dout[:1]  # a loop over the batch that stops after the first sample
        return dx


def test_right_for_one_sample_wrong_for_the_batch_is_named(rng, x):
    report = check_layer(affine(rng, cls=FirstSampleOnly), x)
    assert report.status == "FAIL" and "batch" in kinds(report)
    assert "right for the first sample alone, wrong for the batch of 6" in message(report, "batch")


class ReluMaskFromDout(Relu):
    def backward(self, dout):
        return dout * (dout > 0)


def test_dout_is_drawn_apart_from_x_so_a_mask_taken_from_dout_fails(rng):
    x = rng.standard_normal((5, 5))
    report = check_layer(ReluMaskFromDout(), x)
    assert report.status == "FAIL" and "the mask taken from dout instead of x" in message(report, "known-mistake")


# -- ties and kinks -------------------------------------------------------------------------------------------------

class MaxPool:
    """Max over windows of 2 along the last axis, dout to the first maximum."""

    def forward(self, x):
        self.x = x
        w = x.reshape(x.shape[0], -1, 2)
        self.arg = w.argmax(axis=2)
        return w.max(axis=2)

    def backward(self, dout):
        dx = np.zeros(self.x.shape[:1] + (self.x.shape[1] // 2, 2))
        np.put_along_axis(dx, self.arg[..., None], dout[..., None], axis=2)
        return dx.reshape(self.x.shape)


class MaxPoolToEveryTie(MaxPool):
    def backward(self, dout):
        w = self.x.reshape(self.x.shape[0], -1, 2)
        return ((w == w.max(axis=2, keepdims=True)) * dout[..., None]).reshape(self.x.shape)


TIES = np.array([[1.0, 1.0, -0.5, 2.0, 0.3, 0.3], [2.0, -1.0, 0.7, 0.7, -1.5, -1.5]])  # exact ties in 4 windows


def test_a_pool_that_sends_dout_to_every_tied_maximum_fails_along_the_tied_direction():
    report = check_layer(MaxPoolToEveryTie(), TIES)
    assert report.status == "FAIL" and "tie" in kinds(report) and "every tied maximum" in message(report, "tie")


def test_a_correct_pool_over_ties_and_a_relu_at_exactly_zero_pass():
    pool = check_layer(MaxPool(), TIES)
    assert pool.passed and "kink" in kinds(pool)
    relu = check_layer(Relu(), np.array([[0.0, 0.0, 1.5, -2.0], [0.0, -0.3, 0.0, 0.8]]))
    assert relu.passed and "kink" in kinds(relu)


# -- the output, the weights, the steps -------------------------------------------------------------------------------

class ConstantSigmoid:
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-1))  # exp(-1) for exp(-x): one number
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


def test_a_forward_that_ignores_its_input_is_blamed_not_the_backward(x):
    report = check_layer(ConstantSigmoid(), x)
    assert report.status == "FAIL" and "constant-output" in kinds(report)
    assert "forward returned shape () for an input of shape (6, 4)" in message(report, "constant-output")


class StepInBackward:
    """A tutorial's Dense: backward(input, grad_output) takes the SGD step with its learning rate."""

    def __init__(self, rng, late=False):
        self.weights, self.biases = rng.standard_normal((4, 3)), rng.standard_normal(3)
        self.learning_rate, self.late = 0.1, late

    def forward(self, input):
        return input @ self.weights + self.biases

    def backward(self, input, grad_output):
        grad_input = grad_output @ self.weights.T
        self.weights = self.weights - self.learning_rate * (input.T @ grad_output)
        self.biases = self.biases - self.learning_rate * grad_output.sum(axis=0)
        return grad_output @ self.weights.T if self.late else grad_input


def test_a_backward_that_takes_its_own_step_is_checked_through_the_step(rng, x):
    layer = StepInBackward(rng)
    before = layer.weights.copy()
    report = check_layer(layer, x)
    assert report.passed and "sgd-step" in kinds(report) and [r.name for r in report.rows] == ["dx", "dweights",
                                                                                                "dbiases"]
    np.testing.assert_array_equal(layer.weights, before)  # the step was taken back


def test_dx_computed_with_the_updated_weights_is_named(rng, x):
    report = check_layer(StepInBackward(rng, late=True), x)
    assert report.status == "FAIL" and "updated-weights" in kinds(report)
    assert [r.name for r in report.rows if r.verdict == "FAIL"] == ["dx"]


class UnseededDropout(Dropout):
    def forward(self, x):
        self.mask = np.random.default_rng().random(x.shape) > self.p  # a fresh, unseeded generator each call
        return x * self.mask / (1 - self.p)


class UnseededNoisyAffine(Affine):
    def forward(self, x):
        return super().forward(x) + 1e-3 * np.random.default_rng().standard_normal(len(self.b))


def test_a_random_forward_that_cannot_be_rewound_is_inconclusive_and_says_how_to_fix_it(rng, x):
    report = check_layer(UnseededDropout(), x)
    assert report.status == "INCONCLUSIVE" and "self.rng = np.random.default_rng(0)" in message(report, "unchecked")
    noisy = check_layer(affine(rng, cls=UnseededNoisyAffine), x)
    assert noisy.status == "INCONCLUSIVE" and [(r.name, r.verdict) for r in noisy.rows] == [
        ("dx", "unchecked"), ("dW", "unchecked"), ("db", "unchecked")]  # every array named, none checked


class SaturatedSigmoid:
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class CastingSigmoid(SaturatedSigmoid):
    def forward(self, x):
        return super().forward(x.astype(np.float64))  # drops an imaginary part: no complex step through it


def test_gradients_below_what_differences_resolve_are_confirmed_by_the_complex_step_only_where_it_applies():
    x = np.array([[-30.0, -25.0, 33.0], [-28.0, 27.0, -35.0]])  # sigmoid' from 6e-16 down to 6e-16
    report = check_layer(SaturatedSigmoid(), x)
    assert report.passed and report.rows[0].reference == "complex step"
    assert check_layer(CastingSigmoid(), x).status == "INCONCLUSIVE"  # no second opinion: nothing confirmed


# -- the catalogue: mistakes written by hand are recognised, and every entry of it is reachable -----------------------

class Elementwise:
    """forward: ``function(x)``; backward: ``derivative(x, y, dout)``, as a learner wrote it."""

    def __init__(self, function, derivative):
        self.function, self.derivative = function, derivative

    def forward(self, x):
        self.x, self.y = x, self.function(x)
        return self.y

    def backward(self, dout):
        return self.derivative(self.x, self.y, dout)


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def _softmax_rows(v):
    e = np.exp(v - v.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("function,derivative,words", [
    (_sigmoid, lambda x, y, d: d * x * (1 - x), "sigmoid' taken of the input x instead of the output y"),
    (_sigmoid, lambda x, y, d: d * y, "the factor (1 - y) missing"),
    (np.tanh, lambda x, y, d: d * (1 - y), "tanh' written as 1 - y"),
    (np.tanh, lambda x, y, d: d * (1 - x ** 2), "tanh' taken of the input: 1 - x**2"),
    (lambda v: np.maximum(v, 0), lambda x, y, d: d * (d > 0), "the mask taken from dout instead of x"),
    (_softmax_rows, lambda x, y, d: d * y * (1 - y), "its Jacobian reduced to the diagonal"),
])
def test_a_hand_written_known_mistake_is_named_with_the_right_formula(rng, function, derivative, words):
    report = check_layer(Elementwise(function, derivative), rng.standard_normal((5, 4)))
    assert report.status == "FAIL" and words in message(report, "known-mistake")
    assert "the right backward: dx = " in message(report, "known-mistake")


class AveragePool:
    """2 x 2 average pooling of (N, C, H, W), written with loops as in CS231n; backward forgot the 1/4."""

    def forward(self, x):
        self.x = x
        n, c, h, w = x.shape
        out = np.zeros((n, c, h // 2, w // 2))
        for i in range(h // 2):
            for j in range(w // 2):
                out[:, :, i, j] = x[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2].mean(axis=(2, 3))
        return out

    def backward(self, dout):
        dx = np.zeros_like(self.x)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                dx[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2] = dout[:, :, i, j][:, :, None, None]  # no / 4
        return dx


def test_a_pool_is_recognised_by_its_windows(rng):
    report = check_layer(AveragePool(), rng.standard_normal((2, 3, 4, 6)))
    assert report.status == "FAIL" and "average pooling with dout not divided by the window's size" in message(
        report, "known-mistake")


def test_a_wrong_activation_derivative_inside_a_bigger_layer_is_named(rng):
    """An RNN-like cell h = tanh(x @ Wx + b) whose backward uses 1 - h: no single known layer, found by the reweighted
    dout."""

    class Cell:
        def __init__(self):
            self.Wx, self.b = rng.standard_normal((4, 3)), rng.standard_normal(3)

        def forward(self, x):
            self.x = x
            self.h = np.tanh(x @ self.Wx + self.b)
            return self.h

        def backward(self, dout):
            dz = dout * (1 - self.h)  # 1 - h for 1 - h**2
            self.dWx, self.db = self.x.T @ dz, dz.sum(axis=0)
            return dz @ self.Wx.T

    report = check_layer(Cell(), rng.standard_normal((5, 4)))
    assert report.status == "FAIL" and "tanh's derivative written as 1 - y" in message(report, "known-mistake")


def _inputs_for(known: str, rng):
    x = rng.standard_normal((5, 4))
    return {"affine (x @ W + b)": ([x[:4]], {"W": rng.standard_normal((4, 4)), "b": rng.standard_normal(4)}),
            "batch normalisation": ([x], {"gamma": rng.standard_normal(4), "beta": rng.standard_normal(4)}),
            "layer normalisation": ([x], {"gamma": rng.standard_normal(4), "beta": rng.standard_normal(4)}),
            "multiplication (x * y)": ([x, rng.standard_normal((5, 4))], {}),
            "softmax with cross-entropy": ([x], {}),
            "max pooling": ([rng.standard_normal((2, 3, 4, 4))], {}),
            "average pooling": ([rng.standard_normal((2, 3, 4, 4))], {})}.get(known, ([x], {}))


def _forward(known: str, inputs, params, t):
    x = inputs[0]
    if known.startswith("affine"):
        return x @ params["W"] + params["b"]
    if known.endswith("normalisation"):
        axis = 0 if known.startswith("batch") else -1
        xhat = (x - x.mean(axis=axis, keepdims=True)) / np.sqrt(x.var(axis=axis, keepdims=True) + 1e-5)
        return params["gamma"] * xhat + params["beta"]
    if known.startswith("multiplication"):
        return inputs[0] * inputs[1]
    if known.endswith("pooling"):
        windows = x.reshape(*x.shape[:2], 2, 2, 2, 2).swapaxes(3, 4)  # 2 x 2 windows at stride 2
        return windows.max(axis=(-2, -1)) if known.startswith("max") else windows.mean(axis=(-2, -1))
    if known == "softmax with cross-entropy":
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return float(-np.sum(t * np.log(e / e.sum(axis=1, keepdims=True))) / len(x))
    functions = {"sigmoid": lambda v: 1 / (1 + np.exp(-v)), "tanh": np.tanh, "ReLU": lambda v: np.maximum(v, 0),
                 "leaky ReLU": lambda v: np.where(v > 0, v, 0.1 * v),
                 "softmax": lambda v: np.exp(v) / np.exp(v).sum(axis=-1, keepdims=True)}
    return functions[known](x)


CASES = [(k.name, m.words) for k in KNOWN for m in k.mistakes]


@pytest.mark.parametrize("known,words", CASES)
def test_every_known_mistake_is_recognised_in_a_layer_that_makes_it(rng, known, words):
    from nngrad.check.catalogue import Context

    inputs, params = _inputs_for(known, rng)
    entry = next(k for k in KNOWN if k.name == known)
    mistake = next(m for m in entry.mistakes if m.words == words)
    t = np.eye(4)[rng.integers(0, 4, 5)] if known == "softmax with cross-entropy" else None
    rows = ("dx",) if len(inputs) == 1 else ("dx[0]", "dx[1]")

    class Made:
        def __init__(self):
            for k, v in params.items():
                setattr(self, k, v.copy())

        def forward(self, *args):
            self.args = [a.copy() for a in args]
            self.out = _forward(known, args[:len(inputs)], {k: getattr(self, k) for k in params}, t)
            return self.out

        def backward(self, dout=1):
            context = Context(self.args[:len(inputs)], {f"d{k}": getattr(self, k) for k in params}, self.out,
                              None if t is not None else dout, t, rows)
            wrong = mistake.gradients(context, entry.recognise(context))
            right = {"dW": self.args[0].T @ dout} if "dW" in params else {}
            for k in params:
                setattr(self, f"d{k}", wrong.get(f"d{k}", right.get(f"d{k}", _numerical(self, k, dout))))
            grads = [wrong.get(r, _numerical_input(self, i, dout)) for i, r in enumerate(rows)]
            return grads[0] if len(grads) == 1 else tuple(grads)

    report = check_layer(Made(), inputs[0] if len(inputs) == 1 else tuple(inputs), t=t)
    assert report.status == "FAIL" and words in message(report, "known-mistake"), str(report)


def _numerical(layer, name, dout, eps=1e-6):
    """The right gradient of a made layer's parameter, by central differences (the arrays a mistake leaves
    alone)."""
    p = getattr(layer, name)
    g = np.zeros_like(p)
    for i in np.ndindex(p.shape):
        old = p[i]
        p[i] = old + eps
        plus = np.sum(dout * layer.forward(*layer.args))
        p[i] = old - eps
        minus = np.sum(dout * layer.forward(*layer.args))
        p[i] = old
        g[i] = (plus - minus) / (2 * eps)
    layer.forward(*layer.args)
    return g


def _numerical_input(layer, k, dout, eps=1e-6):
    args = [a.copy() for a in layer.args]
    g = np.zeros_like(args[k])
    for i in np.ndindex(g.shape):
        old = args[k][i]
        args[k][i] = old + eps
        plus = np.sum(dout * layer.forward(*args))
        args[k][i] = old - eps
        minus = np.sum(dout * layer.forward(*args))
        args[k][i] = old
        g[i] = (plus - minus) / (2 * eps)
    layer.forward(*[a.copy() for a in args])
    return g


def test_the_guide_explains_every_finding_and_names_every_known_layer():
    from pathlib import Path

    from nngrad.check.findings import KINDS

    guide = " ".join((Path(__file__).resolve().parent.parent / "docs" / "checker.md").read_text().split())
    assert [k for k in KINDS if f"`{k}`" not in guide] == []
    assert [k.name for k in KNOWN if k.name.split(" (")[0] not in guide] == []


class ExpOfMin:
    """out = exp(min(x, 0)): flat for x > 0, bending below; at 0 its backward takes the bending side's derivative
    (a valid subgradient), which a one-sided difference only reaches within O(eps)."""

    def forward(self, x):
        self.x, self.out = x, np.exp(np.minimum(x, 0))
        return self.out

    def backward(self, dout):
        return dout * self.out * (self.x <= 0)


def test_a_kink_where_the_curve_bends_is_still_a_kink():
    x = np.array([[0.0, 0.7, -1.2, 0.0], [1.5, 0.0, 0.3, -0.4]])
    report = check_layer(ExpOfMin(), x)
    assert report.passed and report.rows[0].verdict == "kink"
