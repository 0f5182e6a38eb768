"""dnn_check's own rules at their boundaries (issue 27): which steps cross a ReLU's kink (a ReLU input from > 0
to <= 0 or back, literally at 0), the loss evaluations the element rules count (every forward pass, those that
look for a crossing too), and the rules it hands them (the one-sided round-off at eps / 4).

Planted (each made, this file run, reverted; every one killed): _crossing's signs read >= 0 for > 0; its count
1 + 2 n changed in any term; the crossing passes left out of _explain's count; the round-off taken at eps.
"""

import numpy as np
import pytest

from nngrad import DNN, gradient_check
from nngrad.check import dnn_check
from nngrad.methods.backprop import backprop_gradient
from nngrad.methods.finite_differences import finite_difference

EPS = 6.0554544523933395e-06  # central differences' default step in float64, u^(1/3): literal, not read
U = 2.220446049250313e-16  # float64's machine epsilon


def _relu_net():
    """ReLU hidden layer (4 units) on 3 inputs, sigmoid output (2); W0 is params[0:12], b0 params[12:16]."""
    return DNN(1, 4, 3, 2, activation="relu", output_activation="sigmoid", init="he", seed=1)


@pytest.mark.parametrize("bias, crossed", [(-EPS, False), (EPS, True), (0.5 * EPS, True), (-0.5 * EPS, True),
                                           (-2 * EPS, False), (2 * EPS, False)],
                         ids=["-eps-to-0-stays-off", "eps-to-0-turns-off", "half-eps-up", "half-eps-down",
                              "2eps-below", "2eps-above"])
def test_a_step_crosses_a_relu_kink_when_its_input_leaves_or_reaches_the_positive_side(bias, crossed):
    """An all-zero sample: unit 1's ReLU input is b0[1] exactly. Moving b0[1] by +-eps from -eps reaches exactly 0
    (still off: relu is flat on [-2 eps, 0]): no crossing; from eps it reaches 0 (off): a crossing."""
    net, x = _relu_net(), np.zeros((1, 3))
    net.params[13] = bias
    crossed_, passes = dnn_check._crossing(net, x, np.array([13]), EPS)
    assert bool(crossed_[0]) is crossed and passes == 3
    assert net.params[13] == bias


@pytest.mark.parametrize("wrong", [[0], [0, 5], [0, 5, 13]])
def test_the_element_rules_count_every_forward_pass(monkeypatch, wrong):
    """_explain on a ReLU network whose backprop is wrong by 1e-3 at ``wrong``: the evaluations it returns are its
    forward passes (each loss evaluation one, each look for a ReLU crossing one)."""
    net = _relu_net()
    x = np.random.default_rng(2).standard_normal((5, 3))
    y = np.random.default_rng(3).random((5, 2))
    x, y = net.check_data(x, y)
    _, analytic = backprop_gradient(net, x, y)
    analytic = analytic.copy()
    analytic[wrong] += 1e-3
    numerical = np.empty(net.num_params)
    for a in net.param_arrays():
        numerical[a.start:a.stop] = finite_difference(lambda p: net.evaluate(x, y), net.params[a.start:a.stop],
                                                      "central", EPS)[0].ravel()
    rows = [dnn_check.compare(f"{a.name}{a.layer}", a.shape, analytic[a.start:a.stop], numerical[a.start:a.stop],
                              "central differences", 1e-6, 1e-9) for a in net.param_arrays()]
    assert sum(r.failing.size for r in rows) == len(wrong)
    passes = []
    trace = net.trace
    monkeypatch.setattr(net, "trace", lambda *a: passes.append(1) or trace(*a), raising=False)
    rules = dnn_check.Rules(EPS, 1e-6, 1e-9, 1e-9, 1e-8, 1e-9)
    evaluations, _ = dnn_check._explain(net, x, y, rows, analytic, numerical, rules)
    assert evaluations == len(passes) > 0


def test_the_rules_take_the_one_sided_roundoff_at_eps_over_4(monkeypatch):
    """gradient_check hands the element rules the fine one-sided difference's round-off 10 u |L| / (eps / 4), the
    one-sided slack 10 (u / eps + eps) |L| and the central errors 10 (u / eps + eps^2) |L| at eps and (4 u / eps +
    eps^2 / 16) |L| at eps / 4."""
    net = _relu_net()
    x = np.random.default_rng(2).standard_normal((5, 3))
    y = np.random.default_rng(3).random((5, 2))
    seen = []
    rules = dnn_check.Rules
    monkeypatch.setattr(dnn_check, "Rules", lambda *a: seen.append(rules(*a)) or seen[-1])
    gradient_check(net, x, y)
    (got,) = seen
    loss = net.loss(x, y)
    assert got.eps == pytest.approx(EPS, rel=1e-12)
    assert got.roundoff == pytest.approx(10 * U * loss / (EPS / 4), rel=1e-12)
    assert got.slack == pytest.approx(10 * (U / EPS + EPS) * loss, rel=1e-12)
    assert got.error == pytest.approx(10 * (U / EPS + EPS ** 2) * loss, rel=1e-12)
    assert got.fine_error == pytest.approx(10 * (4 * U / EPS + EPS ** 2 / 16) * loss, rel=1e-12)
