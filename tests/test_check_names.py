"""Bugs nngrad detects, named by general rules (issue 25, item 8), each in at least two learner styles:

- a gradient read from the wrong place: the right values sit in another array of the user's object after backward
  ((param, grad) pairs built once, a parameter object's .grad never set, a network's grads dict of old arrays):
  "misplaced", naming where the right values are and where the gradient was read;
- some arrays wrong and others right in code of numbered layers' arrays (a loss of W1, b1, W2, b2; a function of
  flat parameters in parts; a forward/backward pair): "located", between which layers, or in one layer's own
  formula; without layer numbers (one layer's input and parameters: a strided conv pair, a layer class), "split"
  where nothing else named the bug;
- a term of the backward missing (a gated cell's direct path, a residual block's skip): "missing-term";
- a loss whose gradient is off element by element by a simple function of its input (binary cross-entropy with the
  logits' gradient): "derivative", naming the function;
and correct code of the same styles gives none of these.
"""

import numpy as np
import pytest

from nngrad import check_function, check_layer, check_loss, check_network, check_pair


def message(report, kind: str) -> str:
    return " ".join(f.message for f in report.findings if f.kind == kind)


def normal(rng, *shape):
    return rng.standard_normal(shape)


# -- a gradient read from the wrong place ----------------------------------------------------------------------------

class PairsAffine:
    """parameters() returns (param, grad) pairs, for an optimizer written as ``for p, g in layer.parameters()``."""

    def __init__(self, W, b, once=False):
        self.W, self.b = W, b
        self.gW, self.gb = np.zeros_like(W), np.zeros_like(b)
        self.pairs = [(self.W, self.gW), (self.b, self.gb)] if once else None

    def parameters(self):
        return self.pairs or [(self.W, self.gW), (self.b, self.gb)]

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.gW = self.x.T @ dout  # rebinds: pairs made once keep the zeros
        self.gb = dout.sum(axis=0)
        return dout @ self.W.T


class Param:
    def __init__(self, data):
        self.data, self.grad = data, np.zeros_like(data)


class ParamAffine:
    """Torch-like: parameter objects with .data and .grad; ``forgets`` leaves the gradient in self.dW instead."""

    def __init__(self, W, b, forgets=False):
        self.weight, self.bias, self.forgets = Param(W), Param(b), forgets

    def forward(self, x):
        self.x = x
        return x @ self.weight.data + self.bias.data

    def backward(self, dout):
        if self.forgets:
            self.dW = self.x.T @ dout  # BUG: the optimizer reads weight.grad, which stays zero
        else:
            self.weight.grad = self.x.T @ dout
        self.bias.grad = dout.sum(axis=0)
        return dout @ self.weight.data.T


def _affine(rng, cls, **kw):
    return cls(normal(rng, 4, 3), normal(rng, 3), **kw), normal(rng, 5, 4)


def test_pairs_built_once_name_the_array_holding_the_right_values():
    layer, x = _affine(np.random.default_rng(0), PairsAffine, once=True)
    report = check_layer(layer, x)
    assert report.status == "FAIL"
    words = message(report, "misplaced")
    assert "the right values are in self.gW" in words and "parameters()[0][1]" in words
    assert "self.pairs[0][1] still holds" in words and "self.gW[...] = ..." in words
    assert "self.gb" in words


def test_a_parameter_objects_grad_left_unset_names_where_backward_put_it():
    layer, x = _affine(np.random.default_rng(1), ParamAffine, forgets=True)
    report = check_layer(layer, x)
    assert report.status == "FAIL"
    words = message(report, "misplaced")
    assert "the right values are in self.dW" in words and "weight.grad" in words
    assert "bias" not in words  # db is right


class TwoLayerNet:
    """A network of layer objects whose grads dict is filled in __init__ with its layers' gradient arrays."""

    def __init__(self, rng, once=False, factor=1.0):
        self.l1, self.l2 = PairsAffine(normal(rng, 4, 5), normal(rng, 5)), PairsAffine(normal(rng, 5, 3),
                                                                                   normal(rng, 3))
        self.params = {"W1": self.l1.W, "b1": self.l1.b, "W2": self.l2.W, "b2": self.l2.b}
        self.once, self.factor = once, factor
        self.grads = self._grads()

    def _grads(self):
        def f(a):  # BUG where factor is not 1: each gradient scaled again after the layers' own (right) ones
            return a if self.factor == 1 else self.factor * a

        return {"W1": f(self.l1.gW), "b1": f(self.l1.gb), "W2": f(self.l2.gW), "b2": f(self.l2.gb)}

    def loss(self, x, t):
        self.x, self.t = x, t
        self.out = self.l2.forward(np.tanh(self.l1.forward(x)))
        return 0.5 * np.sum((self.out - t) ** 2)

    def gradient(self, x, t):
        self.loss(x, t)
        dh = self.l2.backward(self.out - t)
        self.l1.backward(dh * (1 - np.tanh(self.l1.x @ self.l1.W + self.l1.b) ** 2))
        if not self.once:
            self.grads = self._grads()  # a fresh dict of this backward's arrays
        return self.grads


def test_a_networks_grads_dict_of_old_arrays_names_the_layers_arrays():
    rng = np.random.default_rng(2)
    x, t = normal(rng, 6, 4), normal(rng, 6, 3)
    report = check_network(TwoLayerNet(rng, once=True), x, t)
    assert report.status == "FAIL"
    words = message(report, "misplaced")
    assert "l1.gW" in words and "l2.gb" in words


def test_a_claim_computed_from_the_right_values_is_not_misplaced_but_scaled():
    rng = np.random.default_rng(22)
    report = check_network(TwoLayerNet(rng, factor=0.5), normal(rng, 6, 4), normal(rng, 6, 3))
    assert report.status == "FAIL" and not message(report, "misplaced")
    assert "W1 is 0.5 times the numerical gradient" in message(report, "scaled")


@pytest.mark.parametrize("make", [lambda rng: check_layer(*_affine(rng, PairsAffine)),
                                  lambda rng: check_layer(*_affine(rng, ParamAffine)),
                                  lambda rng: check_network(TwoLayerNet(rng), normal(rng, 6, 4), normal(rng, 6, 3))])
def test_correct_code_of_those_styles_passes(make):
    report = make(np.random.default_rng(3))
    assert report.status == "PASS", str(report)


# -- some arrays wrong, others right ---------------------------------------------------------------------------------

def _two_layer(rng, bug=None):
    X, y = normal(rng, 6, 4), rng.integers(0, 3, 6)
    stale = np.tanh(normal(rng, 6, 5))

    def loss_and_grads(W1, b1, W2, b2):
        h = np.tanh(X @ W1 + b1)
        s = h @ W2 + b2
        p = np.exp(s - s.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(6), y]).mean()
        ds = p.copy()
        ds[np.arange(6), y] -= 1
        ds /= 6
        dW2 = (stale if bug == "own" else h).T @ ds  # BUG "own": dW2 from another h, what passes down is right
        db2 = ds.sum(axis=0)
        dz = ds @ W2.T * (1 - (stale if bug == "boundary" else h) ** 2)  # BUG "boundary": a stale h
        return loss, X.T @ dz, dz.sum(axis=0), dW2, db2

    return loss_and_grads, [normal(rng, 4, 5), 0.1 * normal(rng, 5), normal(rng, 5, 3), 0.1 * normal(rng, 3)]


def test_a_loss_of_layers_arrays_says_between_which_layers_the_error_enters():
    fn, params = _two_layer(np.random.default_rng(4), bug="boundary")
    report = check_loss(fn, *params)
    assert report.status == "FAIL"
    assert "dW1, db1 are wrong while dW2, db2 agree" in message(report, "located")
    assert "from layer 2 down to layer 1" in message(report, "located")


def test_a_function_of_flat_parameters_in_parts_says_between_which_layers():
    fn, params = _two_layer(np.random.default_rng(5), bug="boundary")
    shapes = [("W1", (4, 5)), ("b1", (5,)), ("W2", (5, 3)), ("b2", (3,))]
    theta = np.concatenate([p.reshape(-1) for p in params])

    def split(th):
        out, k = [], 0
        for _, s in shapes:
            out.append(th[k:k + int(np.prod(s))].reshape(s))
            k += int(np.prod(s))
        return out

    report = check_function(lambda th: fn(*split(th))[0],
                            lambda th: np.concatenate([g.reshape(-1) for g in fn(*split(th))[1:]]), theta, shapes)
    assert report.status == "FAIL"
    assert "W1, b1 are wrong while W2, b2 agree" in message(report, "located")


def test_one_layers_own_formula_wrong_while_the_layers_below_agree():
    fn, params = _two_layer(np.random.default_rng(6), bug="own")
    report = check_loss(fn, *params)
    assert report.status == "FAIL"
    words = message(report, "located")
    assert "dW2 is wrong while dW1, db1, which get their gradient through layer 2, agree" in words


def _pair(bug=False):
    def forward(x, W1, W2):
        h = np.tanh(x @ W1)
        return h @ W2, (x, W1, W2, h)

    def backward(dout, cache):
        x, W1, W2, h = cache
        dh = dout @ W2.T * (1 - (h if bug else h ** 2))  # BUG: 1 - h instead of 1 - h**2
        return dh @ W1.T, x.T @ dh, h.T @ dout

    return forward, backward


def test_a_pair_of_numbered_layers_says_between_which_layers():
    rng = np.random.default_rng(7)
    report = check_pair(*_pair(bug=True), normal(rng, 5, 4), normal(rng, 4, 3), normal(rng, 3, 2))
    assert report.status == "FAIL"
    assert "dW1 is wrong while dW2 agree" in message(report, "located")  # dx, the data, fails beside them
    assert "from layer 2 down to layer 1" in message(report, "located")


@pytest.mark.parametrize("bug", ["boundary", "own"])
def test_a_split_is_not_said_when_every_array_fails(bug):
    fn, params = _two_layer(np.random.default_rng(8), bug=bug)

    def all_wrong(*p):
        loss, *grads = fn(*p)
        return (loss, *(2 * g for g in grads))

    report = check_loss(all_wrong, *params)
    assert report.status == "FAIL" and not message(report, "located") and not message(report, "split")


def test_correct_layers_arrays_pass():
    fn, params = _two_layer(np.random.default_rng(9))
    assert check_loss(fn, *params).status == "PASS"
    assert check_pair(*_pair(), *(normal(np.random.default_rng(9), *s) for s in ((5, 4), (4, 3), (3, 2)))).status \
        == "PASS"


# -- a loss off element by element by a function of its input ---------------------------------------------------------

class BCE:
    """Binary cross-entropy of probabilities y against 0/1 targets, as a loss layer."""

    def __init__(self, logit_form=False):
        self.logit_form = logit_form

    def forward(self, y, t):
        self.y, self.t = y, t
        return -np.mean(t * np.log(y) + (1 - t) * np.log(1 - y))

    def backward(self, dout=1):
        d = self.y - self.t  # BUG when logit_form: the gradient with respect to the logits
        return dout * (d if self.logit_form else d / (self.y * (1 - self.y))) / self.y.size


def bce_loss(p, t, logit_form=False):
    """The same as a function returning (loss, dp), summed over the batch."""
    loss = -np.sum(t * np.log(p) + (1 - t) * np.log(1 - p))
    return loss, (p - t) if logit_form else (p - t) / (p * (1 - p))


def bce_with_logits(z, t, extra_sigmoid=False):
    """BCE on logits: the gradient is s(z) - t; ``extra_sigmoid`` multiplies it by s'(z) once more."""
    s = 1 / (1 + np.exp(-z))
    loss = np.mean(np.logaddexp(0, z) - t * z)
    d = (s - t) / z.size
    return loss, d * s * (1 - s) if extra_sigmoid else d


def _targets(rng, shape):
    return rng.integers(0, 2, shape).astype(float)


def test_a_bce_layer_with_the_logits_gradient_names_the_missing_factor():
    rng = np.random.default_rng(10)
    report = check_layer(BCE(logit_form=True), rng.uniform(0.05, 0.95, (5, 2)), t=_targets(rng, (5, 2)))
    assert report.status == "FAIL"
    assert "yours is the true one times x (1 - x)" in message(report, "derivative")


def test_a_bce_function_with_the_logits_gradient_names_the_missing_factor():
    rng = np.random.default_rng(11)
    report = check_loss(lambda p, t: bce_loss(p, t, logit_form=True), rng.uniform(0.05, 0.95, 8), _targets(rng, 8))
    assert report.status == "FAIL"
    assert "yours is the true one times x (1 - x)" in message(report, "derivative")


def test_bce_on_logits_with_the_sigmoids_derivative_once_more_names_it():
    rng = np.random.default_rng(12)
    report = check_loss(lambda z, t: bce_with_logits(z, t, extra_sigmoid=True), 2 * normal(rng, 4, 3),
                        _targets(rng, (4, 3)))
    assert report.status == "FAIL"
    assert "s(x) (1 - s(x))" in message(report, "derivative")


def test_correct_bce_in_each_style_passes():
    rng = np.random.default_rng(13)
    assert check_layer(BCE(), rng.uniform(0.05, 0.95, (5, 2)), t=_targets(rng, (5, 2))).status == "PASS"
    assert check_loss(bce_loss, rng.uniform(0.05, 0.95, 8), _targets(rng, 8)).status == "PASS"
    assert check_loss(bce_with_logits, 2 * normal(rng, 4, 3), _targets(rng, (4, 3))).status == "PASS"


def test_a_constant_factor_is_not_read_as_a_function_of_x():
    rng = np.random.default_rng(14)
    report = check_loss(lambda p, t: (bce_loss(p, t)[0], 2 * bce_loss(p, t)[1]), rng.uniform(0.05, 0.95, 8),
                        _targets(rng, 8))
    assert report.status == "FAIL" and not message(report, "derivative") and message(report, "scaled")


# -- a term of the backward missing ------------------------------------------------------------------------------------

class HighwayCell:
    """Keras-like gated cell: call(inputs, states) -> z * states + (1 - z) * tanh(inputs @ kernel), z = s(inputs @
    gate); ``direct=False`` forgets the direct path z * states in d(states)."""

    def __init__(self, kernel, gate, direct=True):
        self.kernel, self.gate, self.direct = kernel, gate, direct

    @property
    def trainable_weights(self):
        return [self.kernel, self.gate]

    def call(self, inputs, states):
        self.inputs, self.states = inputs, states
        self.z = 1 / (1 + np.exp(-inputs @ self.gate))
        self.n = np.tanh(inputs @ self.kernel)
        return self.z * states + (1 - self.z) * self.n

    def backward(self, grad):
        dn = grad * (1 - self.z) * (1 - self.n ** 2)
        dz = grad * (self.states - self.n) * self.z * (1 - self.z)
        self.grads = [self.inputs.T @ dn, self.inputs.T @ dz]
        dstates = grad * self.z if self.direct else np.zeros_like(grad)  # BUG when not direct
        return dn @ self.kernel.T + dz @ self.gate.T, dstates

    def get_gradients(self):
        return self.grads


class Residual:
    """Torch-like residual block out = x + tanh(x @ W); ``skip=False`` forgets the identity path in dx."""

    def __init__(self, W, skip=True):
        self.W, self.skip = W, skip
        self.dW = np.zeros_like(W)

    def forward(self, x):
        self.x, self.h = x, np.tanh(x @ self.W)
        return x + self.h

    def backward(self, dout):
        da = dout * (1 - self.h ** 2)
        self.dW = self.x.T @ da
        return da @ self.W.T + (dout if self.skip else 0)  # BUG when not skip: the identity path's dout


def test_a_gated_cells_direct_path_left_out_is_named_with_the_gate():
    rng = np.random.default_rng(15)
    cell = HighwayCell(normal(rng, 3, 4), normal(rng, 3, 4), direct=False)
    report = check_layer(cell, (normal(rng, 5, 3), normal(rng, 5, 4)))
    assert report.status == "FAIL"
    assert "dx[1] misses dout * self.z" in message(report, "missing-term")


def test_a_residual_blocks_skip_path_left_out_is_named():
    rng = np.random.default_rng(16)
    report = check_layer(Residual(normal(rng, 4, 4), skip=False), normal(rng, 5, 4))
    assert report.status == "FAIL"
    assert "dx misses dout itself" in message(report, "missing-term")


def test_correct_gated_and_residual_code_passes():
    rng = np.random.default_rng(17)
    assert check_layer(HighwayCell(normal(rng, 3, 4), normal(rng, 3, 4)), (normal(rng, 5, 3), normal(rng, 5, 4))
                       ).status == "PASS"
    assert check_layer(Residual(normal(rng, 4, 4)), normal(rng, 5, 4)).status == "PASS"


# -- one layer's arrays: the input's gradient right, a parameter's wrong (and the other way) ---------------------------

def conv1d_forward(x, w, stride=2):
    k = w.shape[1]
    steps = (x.shape[1] - k) // stride + 1
    out = np.stack([x[:, i * stride:i * stride + k] @ w.T for i in range(steps)], axis=1)  # (N, steps, F)
    return out, (x, w, stride)


def conv1d_backward(dout, cache, unstrided=False):
    x, w, stride = cache
    k = w.shape[1]
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for i in range(dout.shape[1]):
        at = i if unstrided else i * stride  # BUG when unstrided: dw's window at i, not i * stride
        dw += dout[:, i].T @ x[:, at:at + k]
        dx[:, i * stride:i * stride + k] += dout[:, i] @ w
    return dx, dw


class Scale:
    """A layer class y = x * g (per feature) whose dx forgets g."""

    def __init__(self, g, bug=False):
        self.g, self.bug = g, bug

    def forward(self, x):
        self.x = x
        return x * self.g

    def backward(self, dout):
        self.dg = (dout * self.x).sum(axis=0)
        return dout if self.bug else dout * self.g  # BUG: dx without g


def test_a_pair_whose_weight_gradient_alone_is_wrong_is_located_in_its_formula():
    rng = np.random.default_rng(18)
    report = check_pair(lambda x, w: conv1d_forward(x, w),
                        lambda dout, cache: conv1d_backward(dout, cache, unstrided=True),
                        normal(rng, 3, 9), normal(rng, 2, 3))
    assert report.status == "FAIL"
    assert "dw is wrong while dx agrees: dx, the gradient passed down, is right" in message(report, "split")


def test_a_layer_whose_input_gradient_alone_is_wrong_is_located_in_its_formula():
    rng = np.random.default_rng(19)
    report = check_layer(Scale(rng.uniform(0.5, 2, 4) * rng.choice([-1, 1], 4), bug=True), normal(rng, 5, 4))
    assert report.status == "FAIL"
    assert "dx is wrong while dg agrees: dout reaches the code right" in message(report, "split")


def test_a_split_is_not_said_beside_a_named_bug():
    rng = np.random.default_rng(20)
    report = check_layer(Residual(normal(rng, 4, 4), skip=False), normal(rng, 5, 4))
    assert report.status == "FAIL" and not message(report, "split")


def test_correct_conv_and_scale_pass():
    rng = np.random.default_rng(21)
    assert check_pair(lambda x, w: conv1d_forward(x, w), conv1d_backward, normal(rng, 3, 9), normal(rng, 2, 3)
                      ).status == "PASS"
    assert check_layer(Scale(rng.uniform(0.5, 2, 4)), normal(rng, 5, 4)).status == "PASS"
