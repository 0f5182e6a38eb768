import numpy as np
import pytest
from conftest import assert_rejected, make_data

from nngrad import DNN, Sigmoid, gradient_check
from nngrad.methods import get
from nngrad.sweep.networks import build
from nngrad.sweep.point_check import check_point


def test_a_correct_network_passes_and_the_report_has_every_array(rng):
    net = DNN(3, 6, 4, 2, seed=0)
    x, y = make_data(net, 3, rng)
    report = gradient_check(net, x, y)
    assert report.passed and report.status == "PASS" and not report.findings
    assert [(r.layer, r.name) for r in report.rows] == [(k, f"{p}{k}") for k in range(4) for p in ("W", "b")]
    assert {r.reference for r in report.rows} == {"complex step"}  # sigmoid and MSE: analytic everywhere
    assert report.loss_evaluations == net.num_params  # one complex evaluation a parameter
    assert report.max_rel_error < 1e-12
    frame = report.to_frame()
    assert len(frame) == 8 and {"max_abs_error", "max_rel_error", "reference", "verdict", "passed"} <= set(frame)


def test_report_string_is_a_table_with_references_and_a_verdict(rng):
    net = DNN(1, 3, 2, 2, seed=0)
    x, y = make_data(net, 2, rng)
    text = str(gradient_check(net, x, y, scheme="forward", reference="finite-differences"))
    assert "forward differences" in text and "result: PASS" in text
    assert "max abs err" in text and text.count("\nW0 ") == 1


def test_a_wrong_backward_is_caught_and_located(rng, monkeypatch):
    net = DNN(2, 5, 3, 2, seed=0, init="xavier", output_activation="identity")
    x, y = make_data(net, 4, rng)
    monkeypatch.setattr(Sigmoid, "backward", lambda self, dout: dout * self.out)  # forgot the (1 - out)
    report = gradient_check(net, x, y)
    assert report.status == "FAIL"
    assert {r.layer for r in report.rows if r.verdict == "FAIL"} == {0, 1}  # the output layer passes no sigmoid
    worst = next(r for r in report.rows if r.verdict == "FAIL")
    assert abs(worst.analytic - worst.numerical) > worst.tolerance and "FAIL" in str(report)


@pytest.mark.parametrize("depth", range(1, 9))
def test_doubling_any_one_array_of_backprop_fails_both_checks_at_every_depth(depth, monkeypatch):
    """The first layer of a deep sigmoid network (gradients ~1e-15 at N(0, 0.01^2)) is checked at its own scale:
    a wrong dW or db anywhere fails gradient_check and the benchmark's per-point check; correct ones pass."""
    net, x, y = build(depth, 8, 4)
    backprop = get("backprop")
    assert gradient_check(net, x, y).passed and check_point(backprop, backprop.prepare(net, x, y), net, x, y).passed
    for a in net.param_arrays():
        dense = net.dense_layers[a.layer]
        real = type(dense).backward

        def doubled(self, dout, real=real, a=a, dense=dense):
            dx = real(self, dout)
            if self is dense:
                setattr(self, f"d{a.name}", 2 * getattr(self, f"d{a.name}"))
            return dx

        monkeypatch.setattr(type(dense), "backward", doubled)
        report = gradient_check(net, x, y)
        assert [r.name for r in report.rows if r.verdict == "FAIL"] == [f"{a.name}{a.layer}"], str(report)
        assert not check_point(backprop, backprop.prepare(net, x, y), net, x, y).passed
        monkeypatch.setattr(type(dense), "backward", real)


def test_a_finite_difference_reference_says_which_arrays_it_cannot_resolve(rng):
    net = DNN(8, 16, 5, 2, seed=0)  # N(0, 0.01^2) init: first-layer gradients ~1e-18
    x, y = make_data(net, 2, rng)
    report = gradient_check(net, x, y, reference="finite-differences")
    assert report.status == "INCONCLUSIVE" and not report.passed
    assert report.rows[0].verdict == "unresolvable" and report.rows[-1].verdict == "ok"
    assert "unresolvable: W0, b0" in str(report)
    assert gradient_check(net, x, y).passed  # the complex step verifies the same arrays


def test_a_relu_network_checks_its_hidden_layers_by_finite_differences_and_its_output_by_the_complex_step(rng):
    net = DNN(3, 16, 5, 3, activation="relu", loss="softmax_ce", init="he", seed=0)
    x, y = make_data(net, 4, rng)
    report = gradient_check(net, x, y)
    assert report.passed
    assert [r.reference for r in report.rows] == ["central differences"] * 6 + ["complex step"] * 2


def test_relu_kinks_are_reported(rng):
    net = DNN(5, 16, 5, 3, activation="relu", loss="softmax_ce", seed=0)  # tiny activations: every input near 0
    x, y = make_data(net, 2, rng)
    report = gradient_check(net, x, y)
    assert report.near_kinks > 0 and any(f.kind == "kink" for f in report.findings) and "kink" in str(report)


def test_a_dead_relu_network_is_inconclusive_not_a_pass(rng):
    net = DNN(2, 4, 3, 2, activation="relu", seed=0)
    net.params[:] = -1.0  # every unit dead: every gradient is exactly zero
    x, y = make_data(net, 3, rng)
    report = gradient_check(net, x, y)
    assert report.status == "INCONCLUSIVE" and not report.passed
    assert any(f.kind == "zero-gradient" for f in report.findings) and "proves nothing" in str(report)


def test_float32_parameters_warn_and_widen_the_tolerances(rng):
    net = DNN(1, 4, 3, 2, seed=0, dtype=np.float32)
    x, y = make_data(net, 2, rng)
    with pytest.warns(UserWarning, match="not float64"):
        report = gradient_check(net, x, y)
    assert report.passed and report.rtols == {"complex step": 1e-4}
    assert any(f.kind == "float32" for f in report.findings)


@pytest.mark.parametrize("kwargs,words", [
    ({"scheme": "left"}, "scheme must be one of"),
    ({"variant": "fast"}, "variant must be one of"),
    ({"reference": "oracle"}, "reference must be one of"),
    ({"eps": 0}, "eps must be a positive"),
    ({"rtol": -1}, "rtol must be a non-negative number"),
    ({"atol": "1e-8"}, "atol must be a non-negative number"),
])
def test_bad_check_arguments(rng, kwargs, words):
    net = DNN(1, 4, 3, 2, seed=0)
    x, y = make_data(net, 2, rng)
    assert_rejected(lambda: gradient_check(net, x, y, **kwargs), net, ValueError, words)


def test_the_complex_step_reference_refuses_a_relu_network(rng):
    net = DNN(1, 4, 3, 2, activation="relu", seed=0)
    x, y = make_data(net, 2, rng)
    assert_rejected(lambda: gradient_check(net, x, y, reference="complex-step"), net, ValueError, "kink")


def test_a_relu_network_with_pre_activations_exactly_at_zero_passes():
    """A sample whose units all died, with zero biases, puts the next layer's pre-activations at exactly 0: the
    left and right differences there err by O(eps) and must be allowed to (they once failed correct backprop)."""
    net = DNN(2, 5, 3, 3, activation="relu", loss="softmax_ce", init="he", seed=0)
    x, y = np.random.default_rng(0).standard_normal((4, 3)), np.array([0, 1, 2, 1])
    assert float(np.abs(net.trace(x)[1][1]).min()) == 0.0  # the fixture has its exact zeros
    report = gradient_check(net, x, y)
    assert report.passed and "kink" in {r.verdict for r in report.rows}
