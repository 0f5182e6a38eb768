"""The mechanisms round 2 of first-contact code asked for, each on learner code written here in two styles (none of
it the zoo's): layers of several outputs, a parameter's gradient read part by part (a condition on x, the wrong
axis), a chain of named links, a reset that misses a link, a factor the code holds, a data part wrong beside a
right weight decay, a constant offset, a term along x, and a flat parameter vector that is not a batch."""

import numpy as np
import pytest

from nngrad import check_layer, check_loss


def _kinds(report):
    return {f.kind for f in report.findings}


def _said(report, kind):
    return " ".join(f.message for f in report.findings if f.kind == kind)


# -- a forward of several outputs: one dout each ------------------------------------------------------------------


class GatedStep:
    """Keras-like: call(x, s) -> (y, s_new), backward(dy, ds) -> (dx, ds_prev), get_gradients() of [U]."""

    def __init__(self, rng, bug=False):
        self.U = rng.standard_normal((3, 3))
        self.bug = bug

    def __call__(self, x, s):
        return self.call(x, s)

    def call(self, x, s):
        self.x, self.s = x, s
        self.a = np.tanh(x @ self.U)
        return self.a * s, self.a + s

    def backward(self, dy, ds):
        da = dy * self.s + (0 if self.bug else ds)  # BUG (bug=True): the second output's path left out
        dz = da * (1 - self.a ** 2)
        self.U_grad = self.x.T @ dz
        return dz @ self.U.T, dy * self.a + ds

    def get_gradients(self):
        return [self.U_grad]

    @property
    def trainable_weights(self):
        return [self.U]


class Split:
    """dlfs-like: forward(x) -> (first half, second half squared), backward(grad_a, grad_b) -> dx."""

    def __init__(self, bug=False):
        self.bug = bug

    def forward(self, x):
        self.x = x
        return x[:, :2], x[:, 2:] ** 2

    def backward(self, grad_a, grad_b):
        dx = np.zeros_like(self.x)
        dx[:, :2] = grad_a
        dx[:, 2:] = grad_b * (1 if self.bug else 2 * self.x[:, 2:])  # BUG: the square's 2x left out
        return dx


@pytest.mark.parametrize("make, x", [
    (lambda rng, bug: GatedStep(rng, bug), lambda rng: (rng.standard_normal((4, 3)), rng.standard_normal((4, 3)))),
    (lambda rng, bug: Split(bug), lambda rng: rng.standard_normal((4, 5))),
])
def test_a_forward_of_several_outputs_gets_one_dout_each(make, x):
    rng = np.random.default_rng(3)
    inputs = x(rng)
    right = check_layer(make(np.random.default_rng(4), False), inputs)
    assert right.status == "PASS", right
    assert "2 outputs" in right.how and "in order" in right.how
    wrong = check_layer(make(np.random.default_rng(4), True), inputs)
    assert wrong.status == "FAIL", wrong


# -- a parameter's gradient part by part ---------------------------------------------------------------------------


class SlopeTorch:
    """torch-like: a learnable negative slope per channel, parameter objects with .data and .grad, zero_grad()."""

    class P:
        def __init__(self, data):
            self.data, self.grad = data, np.zeros_like(data)

    def __init__(self, rng, bug):
        self.a = self.P(0.2 + 0.1 * rng.random(3))
        self.bug = bug

    def zero_grad(self):
        self.a.grad = np.zeros_like(self.a.data)

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.a.data * x)

    def backward(self, dout):
        local = self.x if self.bug else np.where(self.x > 0, 0.0, self.x)  # BUG: x where x > 0 as well
        self.a.grad += (dout * local).sum(axis=0)
        return dout * np.where(self.x > 0, 1.0, self.a.data)


class GatedScale:
    """dlfs-like: out = x * g where x < 0... a per-column gain applied only to positive inputs, self.dg."""

    def __init__(self, rng, bug):
        self.g = 1 + rng.random(4)
        self.bug = bug

    def forward(self, x):
        self.x = x
        return np.where(x < 0, x, self.g * x)

    def backward(self, dout):
        self.dg = (dout * (self.x if self.bug else np.where(self.x < 0, 0.0, self.x))).sum(axis=0)  # BUG: every x
        return dout * np.where(self.x < 0, 1.0, self.g)


@pytest.mark.parametrize("make, n", [(lambda rng, bug: SlopeTorch(rng, bug), 3), (lambda rng, bug: GatedScale(rng, bug), 4)])
def test_a_parameter_wrong_only_from_one_side_of_x_is_located(make, n):
    x = np.random.default_rng(5).standard_normal((6, n))
    assert check_layer(make(np.random.default_rng(1), False), x).status == "PASS"
    report = check_layer(make(np.random.default_rng(1), True), x)
    assert report.status == "FAIL"
    assert "contribute" in _said(report, "located"), report


class NormTorch:
    """torch-like layer normalisation with gamma, beta parameter objects."""

    class P:
        def __init__(self, data):
            self.data, self.grad = data, None

    def __init__(self, rng, bug, d=4):
        self.gamma, self.beta = self.P(1 + 0.3 * rng.standard_normal(d)), self.P(0.3 * rng.standard_normal(d))
        self.bug = bug

    def forward(self, x):
        mu, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
        self.std = np.sqrt(var + 1e-5)
        self.xhat = (x - mu) / self.std
        return self.gamma.data * self.xhat + self.beta.data

    def backward(self, dout):
        self.gamma.grad = (dout * self.xhat).sum(axis=1 if self.bug else 0)  # BUG: the features' axis
        self.beta.grad = dout.sum(axis=0)
        g = dout * self.gamma.data
        d = g.shape[1]
        return (d * g - g.sum(1, keepdims=True) - self.xhat * (g * self.xhat).sum(1, keepdims=True)) / (d * self.std)


class ScaleDict:
    """cs231n-like dict params: out = x * params['w'] (a per-column scale), grads['w']."""

    def __init__(self, rng, bug, d=3):
        self.params, self.grads, self.bug = {"w": 1 + rng.random(d)}, {}, bug

    def forward(self, x):
        self.x = x
        return np.tanh(x) * self.params["w"]

    def backward(self, dout):
        self.grads["w"] = (dout * np.tanh(self.x)).sum(axis=1 if self.bug else 0)  # BUG: per sample
        return dout * self.params["w"] * (1 - np.tanh(self.x) ** 2)


@pytest.mark.parametrize("make, n", [(lambda rng, bug: NormTorch(rng, bug), 4), (lambda rng, bug: ScaleDict(rng, bug), 3)])
def test_a_parameter_summed_over_the_wrong_axis_is_named(make, n):
    x = np.random.default_rng(6).standard_normal((n, n))
    assert check_layer(make(np.random.default_rng(2), False), x).status == "PASS"
    report = check_layer(make(np.random.default_rng(2), True), x)
    assert report.status == "FAIL"
    assert "wrong axis" in _said(report, "batch"), report


# -- a chain of named links; a reset that does not reach one of them ---------------------------------------------


class Lin:
    def __init__(self, rng, n):
        self.W, self.dW = rng.standard_normal((n, n)), np.zeros((n, n))

    def zero_grad(self):
        self.dW = np.zeros_like(self.W)

    def forward(self, x):
        self.x = x
        return x @ self.W

    def backward(self, dout):
        self.dW += self.x.T @ dout
        return dout @ self.W.T


class Tanh:
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        return dout * (1 - self.y ** 2)


class TwoLinks:
    """torch-like: named sub-modules fc1, fc2 with zero_grad(); ``shared``: one Tanh object after both."""

    def __init__(self, rng, shared=False, clears_one=False, n=3):
        self.fc1, self.fc2, self.act1 = Lin(rng, n), Lin(rng, n), Tanh()
        self.act2 = self.act1 if shared else Tanh()  # BUG (shared): its cached y is the second use's
        self.clears_one = clears_one

    def zero_grad(self):
        for m in ((self.fc1,) if self.clears_one else (self.fc1, self.fc2)):  # BUG (clears_one): fc2 never cleared
            m.zero_grad()

    def forward(self, x):
        return self.act2.forward(self.fc2.forward(self.act1.forward(self.fc1.forward(x))))

    def backward(self, dout):
        return self.fc1.backward(self.act1.backward(self.fc2.backward(self.act2.backward(dout))))


class LayerList:
    """A Sequential-like list of blocks named block1, block2 (each a dict-holding object)."""

    class Block:
        def __init__(self, rng, n):
            self.params, self.grads = {"W": rng.standard_normal((n, n))}, {"W": None}

        def clear_grads(self):
            self.grads["W"] = None

        def forward(self, x):
            self.x = x
            self.y = np.tanh(x @ self.params["W"])
            return self.y

        def backward(self, dout):
            dz = dout * (1 - self.y ** 2)
            g = self.x.T @ dz
            self.grads["W"] = g if self.grads["W"] is None else self.grads["W"] + g
            return dz @ self.params["W"].T

    def __init__(self, rng, clears_one=False, n=3):
        self.block1, self.block2 = self.Block(rng, n), self.Block(rng, n)
        self.clears_one = clears_one

    def clear_grads(self):
        self.block1.clear_grads()
        if not self.clears_one:  # BUG (clears_one): block2 never cleared
            self.block2.clear_grads()

    def forward(self, x):
        return self.block2.forward(self.block1.forward(x))

    def backward(self, dout):
        return self.block1.backward(self.block2.backward(dout))


def test_a_chain_of_named_links_says_between_which_links_the_error_enters():
    x = np.random.default_rng(7).standard_normal((5, 3))
    assert check_layer(TwoLinks(np.random.default_rng(1)), x).status == "PASS"
    report = check_layer(TwoLinks(np.random.default_rng(1), shared=True), x)
    assert report.status == "FAIL"
    assert "from layer 2 down to layer 1" in _said(report, "located"), report


class Block:
    def __init__(self, rng, n, bug=False):
        self.W, self.bug = rng.standard_normal((n, n)), bug

    def forward(self, x):
        self.x, self.y = x, np.tanh(x @ self.W)
        return self.y

    def backward(self, dout):
        dz = dout * (1 - (self.x if self.bug else self.y) ** 2)  # BUG: the derivative taken of the input
        self.dW = self.x.T @ dz
        return dz @ self.W.T


class Stacked:
    """dlfs-like sub-modules conv1-style names (enc1, enc2), the first's derivative wrong."""

    def __init__(self, rng, bug=False, n=3):
        self.enc1, self.enc2 = Block(rng, n, bug), Block(rng, n)

    def forward(self, x):
        return self.enc2.forward(self.enc1.forward(x))

    def backward(self, dout):
        return self.enc1.backward(self.enc2.backward(dout))


def test_links_numbered_by_their_names_locate_a_wrong_first_link():
    x = np.random.default_rng(8).standard_normal((4, 3))
    assert check_layer(Stacked(np.random.default_rng(1)), x).status == "PASS"
    report = check_layer(Stacked(np.random.default_rng(1), bug=True), x)
    assert report.status == "FAIL"
    assert "enc1.dW" in _said(report, "located") and "enc2.dW" in _said(report, "located"), report


@pytest.mark.parametrize("make, link", [(lambda rng, bug: TwoLinks(rng, clears_one=bug), "fc2"),
                                        (lambda rng, bug: LayerList(rng, clears_one=bug), "block2")])
def test_a_reset_that_misses_a_link_says_which(make, link):
    x = np.random.default_rng(9).standard_normal((4, 3))
    right = check_layer(make(np.random.default_rng(1), False), x)
    assert right.status == "PASS" and "leaves" not in _said(right, "reset")
    report = check_layer(make(np.random.default_rng(1), True), x)
    assert "not-repeatable" in _kinds(report)
    assert f"does not reach {link}" in _said(report, "reset"), report


# -- a factor the code holds ----------------------------------------------------------------------------------------


def soft_loss(x, y, tau, bug=False):
    """cs231n-like (loss, dx) of a softmax at temperature tau."""
    z = x / tau
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    n = len(y)
    loss = -np.log(p[np.arange(n), y]).mean()
    dx = p.copy()
    dx[np.arange(n), y] -= 1
    return loss, dx / (n if bug else n * tau)  # BUG: the 1/tau of the chain rule left out


class SumPool:
    """Keras-like mean over time, self.window = T; bug: the 1/T left out."""

    def __init__(self, bug=False):
        self.bug = bug

    def call(self, x):
        self.window = x.shape[1]
        return x.mean(axis=1)

    def backward(self, grad):
        return np.repeat(grad[:, None], self.window, axis=1) / (1 if self.bug else self.window)


def test_a_factor_equal_to_a_number_the_code_holds_is_named():
    rng = np.random.default_rng(10)
    x, y = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    assert check_loss(lambda x, y, tau: soft_loss(x, y, tau), x, y, 3.0).status == "PASS"
    report = check_loss(lambda x, y, tau: soft_loss(x, y, tau, True), x, y, 3.0)
    assert "tau = 3" in _said(report, "scaled") and "1/2" not in _said(report, "scaled"), report
    report = check_layer(SumPool(True), rng.standard_normal((2, 4, 3)))
    assert "self.window = 4" in _said(report, "scaled"), report


def test_a_factor_2_is_given_as_one_of_several_causes():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((4, 3))
    report = check_loss(lambda x: (np.sum(x ** 2) / 2, 2 * x), x)
    words = _said(report, "scaled")
    assert "2 times" in words and "or" in words and "(h - y)" not in words, report


# -- two parts: data wrong, decay right ------------------------------------------------------------------------------


def ridge(theta, X, y, lam, flipped=False):
    """Ng-like (J, grad): theta[0] not decayed."""
    m = len(y)
    r = X @ theta - y
    J = r @ r / (2 * m) + lam / (2 * m) * theta[1:] @ theta[1:]
    grad = ((-r if flipped else r) @ X) / m  # BUG (flipped): the data term's sign
    grad[1:] += lam / m * theta[1:]
    return J, grad


def logistic_l2(w, X, y, lam, half=False):
    """sklearn-like (loss, grad) of an L2-penalised logistic regression, every weight decayed."""
    p = 1 / (1 + np.exp(-X @ w))
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) + 0.5 * lam * w @ w
    data = X.T @ (p - y) / len(y)
    return loss, (0.5 * data if half else data) + lam * w  # BUG (half): the data part halved


@pytest.mark.parametrize("fn, p", [(ridge, "its sign flipped"), (logistic_l2, "0.5 times")])
def test_the_data_part_wrong_and_the_decay_right_are_told_apart(fn, p):
    rng = np.random.default_rng(12)
    theta, X, y = rng.standard_normal(4), rng.standard_normal((7, 4)), (rng.random(7) > 0.5).astype(float)
    assert check_loss(lambda t: fn(t, X, y, 0.7), theta).status == "PASS"
    report = check_loss(lambda t: fn(t, X, y, 0.7, True), theta)
    words = _said(report, "scaled")
    assert p in words and "the decay's is not" in words, report


# -- a constant offset, a term along x, a flat vector that is not a batch -------------------------------------------


def smoothed(x, y, eps, bug=False):
    n, c = x.shape
    p = np.exp(x - x.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    target = np.full((n, c), eps / c)
    target[np.arange(n), y] += 1 - eps
    dx = p - (target if not bug else np.eye(c)[y] * (1 - eps))  # BUG: the uniform eps / c left out
    return -np.sum(target * np.log(p)) / n, dx / n


def shifted_mse(pred, target, bug=False):
    d = pred - target
    return np.mean(d ** 2 + 0.3 * pred), (2 * d + (0.0 if bug else 0.3)) / d.size  # BUG: the constant 0.3 left out


def test_an_offset_the_same_at_every_element_is_located():
    rng = np.random.default_rng(13)
    x, y = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    assert check_loss(smoothed, x, y, 0.2).status == "PASS"
    words = _said(check_loss(lambda x, y, eps: smoothed(x, y, eps, True), x, y, 0.2), "located")
    assert "the same" in words and "eps" in words, words
    p, t = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    words = _said(check_loss(lambda p, t: shifted_mse(p, t, True), p, t), "located")
    assert "the same" in words, words


def cosine(a, b, bug=False):
    na, nb = np.linalg.norm(a, axis=1, keepdims=True), np.linalg.norm(b, axis=1, keepdims=True)
    cos = np.sum(a * b, 1, keepdims=True) / (na * nb)
    da = b / (na * nb) - (0 if bug else cos * a / na ** 2)  # BUG: |a| treated as a constant
    return np.sum(cos), da


def unit_norm_loss(v, w, bug=False):
    """A loss of v normalised to unit rows: sum(w * v / |v|)."""
    n = np.linalg.norm(v, axis=1, keepdims=True)
    u = v / n
    dv = w / n - (0 if bug else u * np.sum(w * u, 1, keepdims=True) / n)  # BUG: the norm's derivative left out
    return np.sum(w * u), dv


@pytest.mark.parametrize("fn", [lambda a, w, bug: cosine(a, w, bug), lambda a, w, bug: unit_norm_loss(a, w, bug)])
def test_a_term_along_x_in_each_row_is_located(fn):
    rng = np.random.default_rng(14)
    a, w = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    assert check_loss(lambda a, w: fn(a, w, False), a, w).status == "PASS"
    words = _said(check_loss(lambda a, w: fn(a, w, True), a, w), "located")
    assert "multiple k_i of that row of a itself" in words, words


def unrolled(params, X, y, bug=False):
    """Ng's ex4 in miniature: Theta1 (3, 3), Theta2 (1, 4) unrolled; bug: g'(a) for g'(z) in layer 1."""
    T1, T2 = params[:9].reshape(3, 3), params[9:].reshape(1, 4)
    m = len(y)
    a1 = np.c_[np.ones(m), X]
    z2 = a1 @ T1.T
    a2 = np.c_[np.ones(m), np.tanh(z2)]
    h = a2 @ T2.T
    J = np.sum((h[:, 0] - y) ** 2) / (2 * m)
    d3 = (h - y[:, None]) / m
    d2 = (d3 @ T2)[:, 1:] * (1 - np.tanh(a2[:, 1:] if bug else z2) ** 2)  # BUG: g'(a) of the activation, not g'(z)
    return J, np.concatenate([(d2.T @ a1).ravel(), (d3.T @ a2).ravel()])


def packed_linear(theta, X, y, bug=False):
    """A linear model whose W (3, 2) and b (2,) are unrolled into theta; the bias's gradient halved by the bug."""
    W, b = theta[:6].reshape(3, 2), theta[6:]
    r = X @ W + b - y
    gb = r.sum(0) / len(X)
    return np.sum(r ** 2) / (2 * len(X)), np.concatenate([(X.T @ r).ravel() / len(X), gb / 2 if bug else gb])


@pytest.mark.parametrize("fn, y_shape, size, stretch", [(unrolled, (6,), 13, "elements 0 to 8"),
                                                        (packed_linear, (6, 2), 8, "elements 6 to 7")])
def test_a_flat_parameter_vector_is_not_read_as_samples(fn, y_shape, size, stretch):
    rng = np.random.default_rng(15)
    params, X, y = 0.5 * rng.standard_normal(size), rng.standard_normal((6, 2 if fn is unrolled else 3)), \
        rng.standard_normal(y_shape)
    assert check_loss(lambda p: fn(p, X, y), params).status == "PASS"
    words = _said(check_loss(lambda p: fn(p, X, y, True), params), "located")
    assert stretch in words and "sample" not in words, words
