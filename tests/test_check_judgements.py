"""gradient_check's findings and counts, each on a fixture where a right rule and a wrong one disagree: a NaN in
backprop's gradient alone is named, one all-zero side is a failure and not a vacuous pass, the kink probe stays
within its bound, the directional probe counts its evaluations, and the float32 warning points at the caller.
(The mutation run's survivors in check/, tools/mutation.)"""

import numpy as np
import pytest
from conftest import make_data

import nngrad
from nngrad import DNN, gradient_check
from nngrad.check import dnn_check
from nngrad.check.probe import directional


def _net(activation: str = "sigmoid", dtype=np.float64):
    net = DNN(2, 4, 3, 2, activation=activation, seed=2, dtype=dtype)
    return (net, *make_data(net, 4, np.random.default_rng(3)))


def _backprop_as(monkeypatch, change) -> None:
    real = dnn_check.backprop_gradient
    monkeypatch.setattr(nngrad.check.dnn_check, "backprop_gradient",
                        lambda *a: (real(*a)[0], change(real(*a)[1].copy())))


def test_a_nan_in_backprops_gradient_alone_is_named_as_nonfinite(monkeypatch):
    """(Mutant: `and` for the second `and` of the finiteness test: a NaN in the analytic gradient with a finite
    reference went unnamed.)"""
    def one_nan(g):
        g[3] = np.nan
        return g

    _backprop_as(monkeypatch, one_nan)
    report = gradient_check(*_net())
    assert report.status == "FAIL" and "nonfinite" in {f.kind for f in report.findings}


def test_an_all_zero_backprop_against_a_nonzero_reference_is_a_failure_not_a_vacuous_pass(monkeypatch):
    """(Mutant: `or` for `and`: "every gradient is exactly zero" said when only one side is.)"""
    _backprop_as(monkeypatch, np.zeros_like)
    report = gradient_check(*_net())
    assert report.status == "FAIL" and "zero-gradient" not in {f.kind for f in report.findings}


def test_the_kink_probe_leaves_rows_with_more_failing_elements_than_its_bound_alone(monkeypatch):
    """(Mutant: `and` for `or`: rows beyond ``most`` failing elements were probed anyway.) With a bound of 0
    nothing is probed: no evaluation, every failing row stays FAIL."""
    net, x, y = _net("relu")
    _backprop_as(monkeypatch, lambda g: 2 * g)
    report = gradient_check(net, x, y)
    failing = [r for r in report.rows if r.verdict == "FAIL"]
    assert any(r.reference != "complex step" for r in failing)  # the fixture: a finite-difference row fails
    rules = dnn_check.Rules(report.eps, 1e-6, 0.0, 0.0, 0.0)
    count, _ = dnn_check._explain(net, *net.check_data(x, y), report.rows, report.analytic, report.numerical, rules,
                                  most=0)
    assert count == 0 and all(r.verdict == "FAIL" for r in failing)


def test_the_directional_probe_counts_two_evaluations_per_direction():
    calls = 0
    flat = np.array([0.3, -1.2, 0.5])

    def f() -> float:
        nonlocal calls
        calls += 1
        return float(np.sum(flat ** 3))

    directions = np.random.default_rng(4).standard_normal((5, 3))
    derivatives, evaluations = directional(f, flat, directions, 1e-5)
    assert evaluations == calls == 2 * len(directions)
    np.testing.assert_allclose(derivatives, directions @ (3 * flat ** 2), rtol=1e-8)


def test_the_float32_warning_points_at_the_callers_line():
    """(Mutant: stacklevel 3: the warning blamed a frame above the caller.)"""
    with pytest.warns(UserWarning, match="not float64") as caught:
        gradient_check(*_net(dtype=np.float32))
    assert [w.filename for w in caught if "not float64" in str(w.message)] == [__file__]


def test_backprops_point_check_on_a_relu_network_passes_its_gradient_and_fails_one_off_by_a_percent():
    """Backprop's benchmark check along random directions takes central differences where the loss has kinks.
    (Mutant: L(p + h v) - L(p + h v), a derivative of 0: the right gradient then failed.)"""
    from dataclasses import replace

    from nngrad.methods import get
    from nngrad.sweep.point_check import check_point

    net = DNN(2, 5, 3, 2, activation="relu", init="he", seed=4)
    x, y = net.check_data(*make_data(net, 6, np.random.default_rng(5)))
    method = get("backprop")
    right = method.prepare(net, x, y)
    check = check_point(method, right, net, x, y)
    assert check.passed and not check.unresolved, check.gradient_error
    off = check_point(method, lambda: replace(right(), grad=right().grad * 1.01), net, x, y)
    assert not off.passed
