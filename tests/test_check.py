import numpy as np
import pytest
from conftest import assert_rejected, make_data

from nngrad import DNN, Sigmoid, gradient_check


def test_a_correct_network_passes_and_the_report_has_every_layer(rng):
    net = DNN(3, 6, 4, 2, seed=0)
    x, y = make_data(net, 3, rng)
    report = gradient_check(net, x, y)
    assert report.passed
    assert [(r.layer, r.name) for r in report.rows] == [(k, p) for k in range(4) for p in ("W", "b")]
    assert report.loss_evaluations == 2 * net.num_params and report.scheme == "central"
    assert report.eps == pytest.approx(6.06e-6, rel=1e-2)
    assert report.max_abs_error < 1e-9
    frame = report.to_frame()
    assert len(frame) == 8 and {"max_abs_error", "max_rel_error", "passed"} <= set(frame.columns)


def test_report_string_is_a_table_with_a_verdict(rng):
    net = DNN(1, 3, 2, 2, seed=0)
    x, y = make_data(net, 2, rng)
    text = str(gradient_check(net, x, y, scheme="forward"))
    assert "forward differences" in text and "result: PASS" in text
    assert "max abs err" in text and "3 loss evaluations" not in text
    assert text.count("\n    0 W ") == 1


def test_a_wrong_backward_is_caught_and_located(rng, monkeypatch):
    net = DNN(2, 5, 3, 2, seed=0, init="xavier", output_activation="identity")
    x, y = make_data(net, 4, rng)
    monkeypatch.setattr(Sigmoid, "backward", lambda self, dout: dout * self.out)  # forgot the (1 - out)
    report = gradient_check(net, x, y)
    assert not report.passed
    failing = [r for r in report.rows if not r.passed]
    assert {r.layer for r in failing} == {0, 1}  # the output layer's W, b do not pass through a sigmoid
    worst = failing[0]
    assert abs(worst.analytic - worst.numerical) > report.atol
    assert "FAIL" in str(report)


def test_vanishing_gradients_of_a_deep_sigmoid_network_still_pass(rng):
    net = DNN(8, 16, 5, 2, seed=0)  # N(0, 0.01^2) init: first-layer gradients ~1e-20
    x, y = make_data(net, 2, rng)
    report = gradient_check(net, x, y)
    first = report.rows[0]
    assert abs(first.analytic) < 1e-12 and first.max_rel_error > 1e-3  # relative error alone would fail
    assert report.passed


def test_relu_kinks_are_reported(rng):
    net = DNN(5, 16, 5, 3, activation="relu", loss="softmax_ce", seed=0)  # tiny activations: every input near 0
    x, y = make_data(net, 2, rng)
    report = gradient_check(net, x, y)
    assert report.near_kinks > 0 and "kink" in str(report)


def test_float32_parameters_warn(rng):
    net = DNN(1, 4, 3, 2, seed=0, dtype=np.float32)
    x, y = make_data(net, 2, rng)
    with pytest.warns(UserWarning, match="not float64"):
        report = gradient_check(net, x, y)
    assert report.passed and report.rtol == 1e-2


@pytest.mark.parametrize("kwargs,words", [
    ({"scheme": "left"}, "scheme must be one of"),
    ({"method": "fast"}, "method must be one of"),
    ({"eps": 0}, "eps must be a positive"),
    ({"rtol": -1}, "rtol must be a non-negative number"),
    ({"atol": "1e-8"}, "atol must be a non-negative number"),
])
def test_bad_check_arguments(rng, kwargs, words):
    net = DNN(1, 4, 3, 2, seed=0)
    x, y = make_data(net, 2, rng)
    assert_rejected(lambda: gradient_check(net, x, y, **kwargs), net, ValueError, words)
