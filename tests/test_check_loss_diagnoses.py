"""Where a loss's gradient is wrong, said in words (issue 25, item 8): per sample, per class, only at the label,
only away from it, only on one side of a threshold (a margin, Huber's delta), from the numbers, the inputs and the
targets alone, in three styles (a function returning (loss, dx), a loss layer, a forward/backward pair); a fast check
says it was directional; no diagnosis explains a difference at the level of the check's own noise, and correct code
of any style gives no failing finding at any seed."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nngrad import check_layer, check_loss, check_pair
from nngrad.check.findings import KINDS

N, C = 6, 5


def message(report, kind: str) -> str:
    return " ".join(f.message for f in report.findings if f.kind == kind)


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# -- learner code: functions returning (loss, dx) ---------------------------------------------------------------------

def softmax_loss(x, y):
    n = len(x)
    p = softmax(x)
    dx = p.copy()
    dx[np.arange(n), y] -= 1
    return -np.log(p[np.arange(n), y]).mean(), dx / n


def softmax_loss_no_mean(x, y):
    n = len(x)
    p = softmax(x)
    dx = p.copy()
    dx[np.arange(n), y] -= 1
    return -np.log(p[np.arange(n), y]).mean(), dx  # BUG: the loss is a mean, dx forgets the 1/N


def softmax_loss_no_one_hot(x, y):
    n = len(x)
    p = softmax(x)
    return -np.log(p[np.arange(n), y]).mean(), p / n  # BUG: the one-hot is never subtracted


def softmax_loss_naive_skipping_the_first(x, y):
    n = len(x)
    p = softmax(x)
    loss, dx = 0.0, np.zeros_like(x)
    for i in range(n):
        loss -= np.log(p[i, y[i]])
    for i in range(1, n):  # BUG: the loop over the batch starts at 1
        dx[i] = p[i]
        dx[i, y[i]] -= 1
    return loss / n, dx / n


def svm_loss(x, y):
    n = len(x)
    margins = np.maximum(0, x - x[np.arange(n), y][:, None] + 1)
    margins[np.arange(n), y] = 0
    counted = (margins > 0).astype(float)
    counted[np.arange(n), y] = -counted.sum(axis=1)
    return margins.sum() / n, counted / n


def svm_loss_every_margin(x, y):
    n, c = x.shape
    margins = np.maximum(0, x - x[np.arange(n), y][:, None] + 1)
    margins[np.arange(n), y] = 0
    counted = np.ones((n, c))  # BUG: every margin counted, active or not
    counted[np.arange(n), y] = -(c - 1)
    return margins.sum() / n, counted / n


def hinge(x, t):
    """Binary hinge, t in {-1, +1}: mean(max(0, 1 - t x))."""
    margin = 1 - t * x
    return np.maximum(0, margin).mean(), np.where(margin > 0, -t, 0.0) / x.size


def hinge_unmasked(x, t):
    margin = 1 - t * x
    return np.maximum(0, margin).mean(), -t / x.size  # BUG: the margin's mask forgotten


def huber_loss(x, t, delta=1.0):
    r = x - t
    loss = np.where(np.abs(r) <= delta, 0.5 * r ** 2, delta * (np.abs(r) - 0.5 * delta)).mean()
    return loss, np.where(np.abs(r) <= delta, r, delta * np.sign(r)) / r.size


def huber_loss_wrong_branch(x, t, delta=1.0):
    r = x - t
    loss = np.where(np.abs(r) <= delta, 0.5 * r ** 2, delta * (np.abs(r) - 0.5 * delta)).mean()
    return loss, np.where(r <= delta, r, delta * np.sign(r)) / r.size  # BUG: r <= delta, not |r| <= delta


def bce(p, t):
    return -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)), -(t / p - (1 - t) / (1 - p)) / p.size


def bce_sign(p, t):
    return -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)), -(t / p + (1 - t) / (1 - p)) / p.size  # BUG: + for -


def weighted_mse(x, t, w):
    return np.mean(w[:, None] * (x - t) ** 2), 2 * w[:, None] * (x - t) / x.size


def weighted_mse_no_weight(x, t, w):
    return np.mean(w[:, None] * (x - t) ** 2), 2 * (x - t) / x.size  # BUG: the sample weights left out


def class_weighted_mse_no_weight(x, t, class_w):
    return np.mean(class_w * (x - t) ** 2), 2 * (x - t) / x.size  # BUG: the class weights left out


# -- learner code: loss layers (forward(x, t) -> loss; backward(dout=1) -> dx) ----------------------------------------

class SoftmaxWithLoss:
    def forward(self, x, t):
        self.t, self.p = t, softmax(x)
        return -np.log(self.p[np.arange(len(x)), self.t]).mean()

    def backward(self, dout=1):
        dx = self.p.copy()
        dx[np.arange(len(dx)), self.t] -= 1
        return dout * dx / len(dx)


class SoftmaxWithLossNoOneHot(SoftmaxWithLoss):
    def backward(self, dout=1):
        return dout * self.p / len(self.p)  # BUG


class SoftmaxWithLossLastSkipped(SoftmaxWithLoss):
    def backward(self, dout=1):
        dx = np.zeros_like(self.p)
        for i in range(len(dx) - 1):  # BUG: the last sample is never reached
            dx[i] = self.p[i]
            dx[i, self.t[i]] -= 1
        return dout * dx / len(dx)


class SVMLoss:
    def forward(self, x, y):
        n = len(x)
        self.shape, self.y = x.shape, y
        self.margins = np.maximum(0, x - x[np.arange(n), y][:, None] + 1)
        self.margins[np.arange(n), y] = 0
        return self.margins.sum() / n

    def backward(self, dout=1):
        n = self.shape[0]
        counted = (self.margins > 0).astype(float)
        counted[np.arange(n), self.y] = -counted.sum(axis=1)
        return dout * counted / n


class SVMLossEveryMargin(SVMLoss):
    def backward(self, dout=1):
        n, c = self.shape
        counted = np.ones((n, c))  # BUG
        counted[np.arange(n), self.y] = -(c - 1)
        return dout * counted / n


class Huber:
    delta = 2.0

    def forward(self, x, t):
        self.r, d = x - t, self.delta
        return np.where(np.abs(self.r) <= d, 0.5 * self.r ** 2, d * (np.abs(self.r) - 0.5 * d)).mean()

    def backward(self, dout=1):
        return dout * np.clip(self.r, -self.delta, self.delta) / self.r.size


class HuberNoDelta(Huber):
    def backward(self, dout=1):
        return dout * np.where(np.abs(self.r) <= self.delta, self.r, np.sign(self.r)) / self.r.size  # BUG: no delta


class BinaryCrossEntropy:
    def forward(self, p, t):
        self.p, self.t = p, t
        return -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))

    def backward(self, dout=1):
        return dout * -(self.t / self.p - (1 - self.t) / (1 - self.p)) / self.p.size


class BinaryCrossEntropySign(BinaryCrossEntropy):
    def backward(self, dout=1):
        return dout * -(self.t / self.p + (1 - self.t) / (1 - self.p)) / self.p.size  # BUG


# -- learner code: forward/backward pairs -----------------------------------------------------------------------------

def softmax_forward(x, y):
    p = softmax(x)
    return -np.log(p[np.arange(len(x)), y]).mean(), (p, y)


def softmax_backward(dout, cache):
    p, y = cache
    dx = p.copy()
    dx[np.arange(len(p)), y] -= 1
    return dout * dx / len(p)


def softmax_backward_no_one_hot(dout, cache):
    p, y = cache
    return dout * p / len(p)  # BUG


def svm_forward(x, y):
    return svm_loss(x, y)[0], (x, y)


def svm_backward_every_margin(dout, cache):
    return dout * svm_loss_every_margin(*cache)[1]


def wmse_forward(x, t, w):
    return np.mean(w[:, None] * (x - t) ** 2), (x, t, w)


def wmse_backward_no_weight(dout, cache):
    x, t, w = cache
    return dout * 2 * (x - t) / x.size, None, None  # BUG


# -- the data ---------------------------------------------------------------------------------------------------------

@pytest.fixture
def data(rng):
    """Scores spread wide enough that some margins are active and some not; labels, ±1 targets, regression targets,
    probabilities and binary targets, sample and class weights."""
    return {"x": 2 * rng.standard_normal((N, C)), "y": rng.integers(0, C, N), "pm": rng.choice([-1.0, 1.0], (N, C)),
            "t": 1.5 * rng.standard_normal((N, C)), "p": rng.uniform(0.05, 0.95, (N, C)),
            "b": rng.integers(0, 2, (N, C)).astype(float), "w": rng.uniform(0.5, 2.0, N),
            "cw": rng.uniform(0.5, 2.0, C)}


# -- item 8 for losses ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("run", [lambda d: check_loss(softmax_loss_no_one_hot, d["x"], d["y"]),
                                 lambda d: check_layer(SoftmaxWithLossNoOneHot(), d["x"], t=d["y"]),
                                 lambda d: check_pair(softmax_forward, softmax_backward_no_one_hot, d["x"], d["y"])],
                         ids=["function", "layer", "pair"])
def test_a_softmax_without_the_one_hot_is_wrong_only_at_the_label_by_one_over_n(data, run):
    report = run(data)
    words = message(report, "located")
    assert report.status == "FAIL" and KINDS["located"] is True
    assert "only at each sample's correct class" in words and f"(= 1/N for the batch of {N})" in words, str(report)


@pytest.mark.parametrize("run, sample", [
    (lambda d: check_loss(softmax_loss_naive_skipping_the_first, d["x"], d["y"]), 0),
    (lambda d: check_layer(SoftmaxWithLossLastSkipped(), d["x"], t=d["y"]), N - 1)], ids=["function", "layer"])
def test_a_sample_the_backward_never_reaches_is_named(data, run, sample):
    report = run(data)
    words = message(report, "located")
    assert report.status == "FAIL" and f"wrong only for sample {sample} (of {N}: its row)" in words, str(report)
    assert "there it is 0: never computed" in words


@pytest.mark.parametrize("run", [lambda d: check_loss(softmax_loss_no_mean, d["x"], d["y"]),
                                 lambda d: check_pair(softmax_forward, lambda g, c: softmax_backward(g, c) * N,
                                                      d["x"], d["y"])], ids=["function", "pair"])
def test_a_softmax_without_the_mean_is_scaled_by_the_batch(data, run):
    report = run(data)
    assert report.status == "FAIL"
    assert f"{N} times the numerical gradient at every element: a sum over the batch" in message(report, "scaled")


@pytest.mark.parametrize("run", [lambda d: check_loss(svm_loss_every_margin, d["x"], d["y"]),
                                 lambda d: check_layer(SVMLossEveryMargin(), d["x"], t=d["y"]),
                                 lambda d: check_pair(svm_forward, svm_backward_every_margin, d["x"], d["y"])],
                         ids=["function", "layer", "pair"])
def test_a_multiclass_margin_counted_where_it_is_not_active_is_located_away_from_the_label_and_at_it(data, run):
    report = run(data)
    words = message(report, "located")
    assert report.status == "FAIL"
    assert "away from the correct classes only where x - x[label]" in words and "< -1 " in words, str(report)
    assert "at the label of the same samples" in words and "not active" in words


def test_a_binary_hinge_counted_where_its_margin_is_not_active(data):
    report = check_loss(hinge_unmasked, data["x"], data["pm"])
    words = message(report, "located")
    assert report.status == "FAIL" and "only where t * x > 1 " in words, str(report)
    assert "the loss is flat (the numerical gradient is 0) and yours is not" in words
    assert check_loss(hinge, data["x"], data["pm"]).passed


@pytest.mark.parametrize("run, where, there", [
    (lambda d: check_loss(huber_loss_wrong_branch, d["x"], d["t"]), "only where x - t < -1 ", ""),
    (lambda d: check_layer(HuberNoDelta(), d["x"], t=d["t"]), "only where |x - t| > 2 ",
     "there it is 0.5 times the numerical gradient")], ids=["function", "layer"])
def test_a_huber_loss_wrong_on_one_side_of_its_threshold_says_which_side(data, run, where, there):
    report = run(data)
    words = message(report, "located")
    assert report.status == "FAIL" and where in words and there in words, str(report)


@pytest.mark.parametrize("run", [lambda d: check_loss(bce_sign, d["p"], d["b"]),
                                 lambda d: check_layer(BinaryCrossEntropySign(), d["p"], t=d["b"])],
                         ids=["function", "layer"])
def test_binary_cross_entropy_with_a_wrong_sign_is_wrong_only_where_the_target_is_0(data, run):
    report = run(data)
    words = message(report, "located")
    assert report.status == "FAIL" and "only where " in words and "= 0 (the term of the loss for" in words, str(report)
    assert "there it is -1 times the numerical gradient" in words and "correct class" not in words


def test_a_sample_weight_left_out_is_named_with_the_weights_array(data):
    report = check_loss(weighted_mse_no_weight, data["x"], data["t"], data["w"])
    words = message(report, "located")
    assert report.status == "FAIL" and "wrong per sample" in words and "divided by w" in words, str(report)
    assert check_loss(weighted_mse, data["x"], data["t"], data["w"]).passed


def test_a_class_weight_left_out_is_per_class(data):
    report = check_loss(class_weighted_mse_no_weight, data["x"], data["t"], data["cw"])
    words = message(report, "located")
    assert report.status == "FAIL" and "wrong per class" in words and "divided by class_w" in words, str(report)


def test_a_sample_weight_left_out_of_a_pair_is_wrong_sample_by_sample(data):
    """In the pair style the weights are checked arrays (their gradients unchecked): each row its own factor."""
    report = check_pair(wmse_forward, wmse_backward_no_weight, data["x"], data["t"], data["w"])
    assert report.status == "FAIL" and "wrong sample by sample" in message(report, "located"), str(report)


@pytest.mark.parametrize("run", [lambda d: check_loss(softmax_loss, d["x"], d["y"]),
                                 lambda d: check_loss(svm_loss, d["x"], d["y"]),
                                 lambda d: check_loss(huber_loss, d["x"], d["t"]),
                                 lambda d: check_loss(bce, d["p"], d["b"]),
                                 lambda d: check_layer(SoftmaxWithLoss(), d["x"], t=d["y"]),
                                 lambda d: check_layer(SVMLoss(), d["x"], t=d["y"]),
                                 lambda d: check_layer(Huber(), d["x"], t=d["t"]),
                                 lambda d: check_layer(BinaryCrossEntropy(), d["p"], t=d["b"]),
                                 lambda d: check_pair(softmax_forward, softmax_backward, d["x"], d["y"])])
def test_the_correct_twins_pass(data, run):
    report = run(data)
    assert report.passed, str(report)


# -- the fast mode's worst index --------------------------------------------------------------------------------------

class Sine:
    def forward(self, x):
        self.x = x
        return np.sin(x)

    def backward(self, dout):
        return dout * np.cos(self.x) * 1.01


@pytest.mark.parametrize("run", [
    lambda x: check_pair(lambda v: (np.sin(v), v), lambda d, v: d * np.cos(v) * 1.01, x),
    lambda x: check_layer(Sine(), x)], ids=["pair", "layer"])
def test_a_fast_check_says_it_was_directional_and_its_worst_is_a_direction(run):
    report = run(np.random.default_rng(1).standard_normal((101, 100)))
    text = str(report)
    row = next(line for line in text.splitlines() if line.startswith("dx ") or line.startswith("dv "))
    assert "101x100" in row and "direction " in row and "(" not in row.split("directions")[1], text
    assert "a directional check" in text and "worst index the number of a direction" in text


# -- noise is not explained -------------------------------------------------------------------------------------------

def noisy_sine(rtol: float, floor: float, batch_only: bool = False):
    """sin's backward, off by 1.5 times each element's allowance (rtol (|a| + |n|) + floor): a FAIL at the level
    of the check's own noise. Kept at dout = 0 (the probe at dout = 0 would say dout is forgotten), or
    ``batch_only``: only for a batch of more than one sample, and none where dout is 0 (the first sample alone is
    right: the batch probe would say so)."""

    def backward(dout, x):
        g = dout * np.cos(x)
        off = 1.5 * (2 * rtol * np.abs(g) + floor)
        if batch_only:
            off *= (dout != 0) * (len(x) > 1)
        return g + off

    return backward


def sine_forward(x):
    return np.sin(x), x


class NoisySine:
    def __init__(self, backward):
        self.b = backward

    def forward(self, x):
        self.x = x
        return np.sin(x)

    def backward(self, dout):
        return self.b(dout, self.x)


def allowance(report) -> tuple[float, float]:
    """(rtol, floor) of a report's first row: the floor read off its worst element's tolerance."""
    r = report.rows[0]
    rtol = report.rtols["central differences"]
    return rtol, r.tolerance - rtol * (abs(r.analytic) + abs(r.numerical))


DIAGNOSING = {k for k, fails in KINDS.items() if fails} - {"shape", "unchecked", "dtype", "nonfinite"}


@pytest.mark.parametrize("style", ["pair", "layer"])
@pytest.mark.parametrize("batch_only", [False, True], ids=["everywhere", "batch-only"])
def test_a_difference_at_the_level_of_the_noise_fails_unexplained(rng, style, batch_only):
    x = rng.standard_normal((4, 3))

    def run(backward):
        if style == "pair":
            return check_pair(sine_forward, backward, x)
        return check_layer(NoisySine(backward), x)

    rtol, floor = allowance(run(lambda d, v: d * np.cos(v)))
    report = run(noisy_sine(rtol, floor, batch_only))
    assert report.status == "FAIL"
    assert not {f.kind for f in report.findings} & DIAGNOSING, str(report)


# -- correct code at any seed -----------------------------------------------------------------------------------------

def affine_forward(x, w, b):
    return x @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


class Tanh:
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        return dout * (1 - self.y ** 2)


STYLES = {
    "softmax function": lambda g: check_loss(softmax_loss, 2 * g.standard_normal((N, C)), g.integers(0, C, N)),
    "svm layer": lambda g: check_layer(SVMLoss(), 2 * g.standard_normal((N, C)), t=g.integers(0, C, N)),
    "huber layer": lambda g: check_layer(Huber(), 2 * g.standard_normal((N, C)), t=g.standard_normal((N, C))),
    "bce function": lambda g: check_loss(bce, g.uniform(0.05, 0.95, (N, C)), g.integers(0, 2, (N, C)) * 1.0),
    "weighted mse function": lambda g: check_loss(weighted_mse, g.standard_normal((N, C)),
                                                  g.standard_normal((N, C)), g.uniform(0.5, 2, N)),
    "softmax pair": lambda g: check_pair(softmax_forward, softmax_backward, g.standard_normal((N, C)),
                                         g.integers(0, C, N)),
    "affine pair": lambda g: check_pair(affine_forward, affine_backward, g.standard_normal((N, 4)),
                                        g.standard_normal((4, 3)), g.standard_normal(3)),
    "tanh layer": lambda g: check_layer(Tanh(), g.standard_normal((N, C))),
}


@given(seed=st.integers(0, 2 ** 32 - 1), style=st.sampled_from(sorted(STYLES)))
def test_correct_code_of_any_style_gives_no_failing_finding_at_any_seed(seed, style):
    report = STYLES[style](np.random.default_rng(seed))
    assert report.status == "PASS" and not any(f.fails for f in report.findings), str(report)


@given(seed=st.integers(0, 2 ** 32 - 1), style=st.sampled_from(["pair", "layer"]), batch_only=st.booleans())
def test_a_difference_at_the_level_of_the_noise_is_never_explained_at_any_seed(seed, style, batch_only):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((int(rng.integers(2, 6)), int(rng.integers(1, 5))))

    def run(backward):
        return check_pair(sine_forward, backward, x) if style == "pair" else check_layer(NoisySine(backward), x)

    rtol, floor = allowance(run(lambda d, v: d * np.cos(v)))
    report = run(noisy_sine(rtol, floor, batch_only))
    assert not {f.kind for f in report.findings} & DIAGNOSING, str(report)
