"""One judge: nngrad's own DNN check (gradient_check) and the checks of users' code make the findings of every check
(NaN, all zeros, unresolvable, kinks, float32) through the same registered detectors (diagnostics.DIAGNOSES), so a
change to one finding reaches both; a style adds only its own remedy words (Subject.remedy)."""

from dataclasses import replace

import numpy as np
from conftest import make_data

from nngrad import DNN, check_layer, check_pair, gradient_check
from nngrad.check import diagnostics
from nngrad.check.findings import Finding

SHARED = ("nonfinite", "zero-gradient", "unresolvable", "kink", "float32")


class Tanh:
    """A user's element-wise layer, right."""

    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        return dout * (1 - self.y ** 2)


class Relu:
    """A user's ReLU layer, right: on inputs all below 0 every gradient is exactly zero."""

    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class Faint:
    """A user's layer whose parameter moves the output by 1e-11 of what x does: dW is below what central
    differences resolve."""

    def __init__(self):
        self.W, self.dW = np.random.default_rng(0).standard_normal((3, 4)), None

    def forward(self, x):
        return x + 1e-11 * self.W

    def backward(self, dout):
        self.dW = 1e-11 * dout
        return dout


def _planted(monkeypatch) -> None:
    """Each shared kind's registered detector replaced, once, by one that always speaks (in planted words)."""
    def speaks(kind: str):
        return lambda e: [Finding(kind, f"planted {kind}")]

    planted = tuple(replace(k, detect=speaks(k.name)) if k.name in SHARED else k for k in diagnostics.DIAGNOSES)
    monkeypatch.setattr(diagnostics, "DIAGNOSES", planted)


def _said(report) -> set[str]:
    return {f.kind for f in report.findings if f.message == f"planted {f.kind}"}


def test_a_registered_detector_changed_once_reaches_the_dnn_check_and_users_code(monkeypatch):
    """(Planted: the DNN check spelling its own findings beside the registry: none of the planted words reached
    it.)"""
    _planted(monkeypatch)
    net = DNN(2, 4, 3, 2, seed=2)
    x, y = make_data(net, 4, np.random.default_rng(3))
    assert _said(gradient_check(net, x, y)) == set(SHARED)
    assert _said(check_layer(Tanh(), np.random.default_rng(0).standard_normal((3, 4)))) == set(SHARED)
    assert _said(check_pair(lambda x: (np.tanh(x), x), lambda dout, x: dout * (1 - np.tanh(x) ** 2),
                            np.random.default_rng(1).standard_normal((2, 3)))) == set(SHARED)


def test_a_dead_network_and_a_users_dead_relu_say_the_same_with_their_own_remedy():
    """The statement is the registered detector's; only the remedy is the style's. (Planted: the DNN's own
    wording of zero-gradient, which named dead ReLUs but not all-zero inputs.)"""
    net = DNN(2, 4, 3, 2, activation="relu", seed=0)
    net.params[:] = -1.0
    x, y = make_data(net, 3, np.random.default_rng(0))
    dnn = next(f.message for f in gradient_check(net, x, y).findings if f.kind == "zero-gradient")
    layer = next(f.message for f in check_layer(Relu(), -1 - np.random.default_rng(0).random((3, 4))).findings
                 if f.kind == "zero-gradient")
    statement = "every gradient is exactly zero, so their agreement proves nothing (dead ReLUs? all-zero inputs?): "
    assert dnn.startswith(statement) and layer.startswith(statement)
    assert "init (he)" in dnn and "init (he)" not in layer  # the DNN's remedy speaks of its own arguments


def test_the_unresolvable_finding_names_the_scale_and_step_for_the_dnn_and_for_users_code():
    """One detector, one wording: the largest gradient and the step it was judged at, then the style's remedy."""
    net = DNN(8, 16, 5, 2, seed=0)  # N(0, 0.01^2) init: first-layer gradients ~1e-18
    x, y = make_data(net, 2, np.random.default_rng(0))
    dnn = next(f.message for f in gradient_check(net, x, y, reference="finite-differences").findings
               if f.kind == "unresolvable")
    assert "lie within what central differences at eps=" in dnn and "reference='auto'" in dnn
    faint = check_layer(Faint(), np.random.default_rng(1).standard_normal((3, 4)))
    words = next(f.message for f in faint.findings if f.kind == "unresolvable")
    assert words.startswith("dW: gradients up to 1.") and "lie within what central differences at eps=" in words
    assert "scale the inputs up" in words


# -- one notion of passing: a row the step refinement excused passes wherever rows are read -------------------------

class SquashedSquare:
    """tanh(x |x|) (smooth once, not twice, at x = 0), backward with tanh's derivative left out."""

    def forward(self, x):
        self.x = x
        return np.tanh(x * np.abs(x))

    def backward(self, dout):
        return dout * 2 * np.abs(self.x)


def _at_zeros() -> np.ndarray:
    x = np.random.default_rng(0).standard_normal((3, 4))
    x[0, :2] = x[2, 3] = 0.0  # where x |x| is smooth once only: its central difference errs like eps
    return x


def test_a_known_derivative_mistake_is_named_where_its_replay_passes_only_after_step_refinement():
    """The replay of 'tanh's derivative left out' agrees with the claim once the elements at x = 0 are refined
    (verdict "refined"), which is a pass. (Planted: experiments._matches listing "ok", "kink", "zero" by hand: the
    mistake went unnamed.)"""
    layer = check_layer(SquashedSquare(), _at_zeros())
    pair = check_pair(lambda x: (np.tanh(x * np.abs(x)), x), lambda dout, x: dout * 2 * np.abs(x), _at_zeros())
    for report in (layer, pair):
        assert report.status == "FAIL"
        assert any(f.kind == "known-mistake" and "tanh's derivative left out" in f.message
                   for f in report.findings), str(report)
