import numpy as np
import pytest
from conftest import assert_rejected, make_data
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nngrad import DNN, backprop_gradient, default_eps, finite_difference, gradient_check, numerical_gradient
from nngrad.model.activations import ACTIVATIONS, hidden_activations
from nngrad.model.losses import LOSSES


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Norm-wise relative error ||a - b|| / ||b|| (0 when both are 0: a dead ReLU network has no gradient)."""
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), np.finfo(float).tiny))


def relu_margin(net: DNN, x: np.ndarray) -> float:
    """Smallest |input| of any ReLU on x: below the finite difference's reach, a kink can be crossed."""
    margin, h = np.inf, x
    for dense, act in zip(net.dense_layers, net.activations):
        z = h @ dense.W + dense.b
        if not act.analytic:  # a kink (ReLU, leaky ReLU) within reach of the step
            margin = min(margin, float(np.abs(z).min()))
        h = act.function(z)
    return margin


architectures = st.fixed_dictionaries({
    "depth": st.integers(1, 6),
    "width": st.integers(1, 40),
    "batch": st.integers(1, 16),
    "activation": st.sampled_from(hidden_activations()),  # every registered one: a new unit is tested here
    "loss": st.sampled_from(list(LOSSES)),
    "outputs": st.integers(2, 5),
    "seed": st.integers(0, 2**32 - 1),
})


def build(arch: dict) -> tuple[DNN, np.ndarray, np.ndarray]:
    """The network as a user would build it: the activation's own init (He for ReLU, the classic N(0, 0.01^2) for
    sigmoid)."""
    net = DNN(arch["depth"], arch["width"], 7, arch["outputs"], activation=arch["activation"], loss=arch["loss"],
              init=ACTIVATIONS[arch["activation"]].init, seed=arch["seed"])
    x, y = make_data(net, arch["batch"], np.random.default_rng(arch["seed"] + 1))
    assume(relu_margin(net, x) > 1e-4)  # no ReLU kink within reach of the step
    return net, x, y


@pytest.mark.parametrize("method", ["loop", "batched"])
@settings(suppress_health_check=[HealthCheck.filter_too_much])
@given(arch=architectures)
def test_backprop_matches_central_differences_over_random_architectures(arch, method):
    net, x, y = build(arch)
    report = gradient_check(net, x, y, scheme="central", variant=method, reference="finite-differences")
    assert report.status != "FAIL", str(report)  # arrays below the differences' resolution are inconclusive
    assert all(r.verdict != "ok" or r.scale > 0 for r in report.rows)
    assert rel_error(report.numerical, report.analytic) < 1e-6


@settings(suppress_health_check=[HealthCheck.filter_too_much])
@given(arch=architectures)
def test_backprop_passes_its_check_at_every_scale_over_random_architectures(arch):
    net, x, y = build(arch)
    report = gradient_check(net, x, y)  # the complex step wherever the loss is analytic
    assert report.status != "FAIL", str(report)
    if arch["activation"] == "sigmoid":  # analytic everywhere: every array verified, whatever its scale
        assert report.passed, str(report)


@settings(suppress_health_check=[HealthCheck.filter_too_much])
@given(arch=architectures)
def test_batched_agrees_with_loop_to_1e_9(arch):
    net, x, y = build(arch)
    for scheme in ("forward", "central"):
        loop = numerical_gradient(net, x, y, scheme=scheme, eps=1e-4, variant="loop")  # the same step for both:
        batched = numerical_gradient(net, x, y, scheme=scheme, eps=1e-4, variant="batched", max_bytes=50_000)
        assert rel_error(batched.grad, loop.grad) < 1e-9
        assert batched.loss_evaluations == loop.loss_evaluations
        assert batched.loss == loop.loss


def test_backprop_returns_the_loss_and_leaves_dW_db_on_each_layer(rng):
    net = DNN(2, 5, 3, 2, seed=0)
    x, y = make_data(net, 4, rng)
    loss, grad = backprop_gradient(net, x, y)
    assert loss == net.loss(x, y) and grad.shape == (net.num_params,)
    np.testing.assert_array_equal(grad, np.concatenate([p.ravel() for d in net.dense_layers for p in (d.dW, d.db)]))


def test_backprop_on_a_single_sample_equals_a_batch_of_one(rng):
    net = DNN(3, 5, 3, 2, loss="softmax_ce", seed=0)
    x = rng.standard_normal(3)
    _, g1 = backprop_gradient(net, x, 1)
    _, g2 = backprop_gradient(net, x[None], np.array([1]))
    np.testing.assert_allclose(g1, g2, rtol=1e-14)


class CountingLoss:
    """Wraps a loss layer's forward and counts every call."""

    def __init__(self, layer):
        self.forward_fn, self.calls = layer.forward, 0
        layer.forward = self

    def __call__(self, *args):
        self.calls += 1
        return self.forward_fn(*args)


@pytest.mark.parametrize("scheme,expected", [("forward", lambda n: n + 1), ("central", lambda n: 2 * n + 1)])
def test_loop_performs_exactly_n_plus_1_or_2n_plus_1_loss_evaluations(rng, scheme, expected):
    net = DNN(2, 6, 4, 3, seed=0)
    x, y = make_data(net, 3, rng)
    counter = CountingLoss(net.loss_layer)
    result = numerical_gradient(net, x, y, scheme=scheme, variant="loop")
    assert counter.calls == expected(net.num_params) == result.loss_evaluations


@pytest.mark.parametrize("scheme,expected", [("forward", lambda n: n + 1), ("central", lambda n: 2 * n + 1)])
@pytest.mark.parametrize("loss", ["mse", "softmax_ce"])
def test_batched_performs_exactly_n_plus_1_or_2n_plus_1_loss_evaluations(rng, monkeypatch, scheme, expected, loss):
    net = DNN(2, 6, 4, 3, loss=loss, seed=0)
    x, y = make_data(net, 3, rng)
    evaluated = []
    original = net.loss_layer.function  # the loss of stacked outputs: count how many it evaluates
    monkeypatch.setattr(net.loss_layer, "function", lambda out, t: evaluated.append(np.size(original(out, t)))
                        or original(out, t))
    unperturbed = CountingLoss(net.loss_layer)
    result = numerical_gradient(net, x, y, scheme=scheme, variant="batched", max_bytes=2000)
    assert len(evaluated) > 2  # several chunks
    assert sum(evaluated) + unperturbed.calls == expected(net.num_params) == result.loss_evaluations


@pytest.mark.parametrize("variant", ["loop", "batched"])
@pytest.mark.parametrize("scheme", ["forward", "central"])
def test_every_scheme_and_variant_reports_the_unperturbed_loss(rng, scheme, variant):
    net = DNN(2, 4, 3, 2, seed=0)
    x, y = make_data(net, 2, rng)
    result = numerical_gradient(net, x, y, scheme=scheme, variant=variant)
    assert result.loss == pytest.approx(net.loss(x, y), rel=1e-12, abs=0)


@pytest.mark.parametrize("scheme", ["forward", "central"])
@pytest.mark.parametrize("method", ["loop", "batched"])
def test_parameters_are_exactly_restored(rng, scheme, method):
    net = DNN(3, 5, 4, 2, seed=3)
    x, y = make_data(net, 3, rng)
    net.params[:] += rng.standard_normal(net.num_params)  # values whose +eps-eps would not round-trip
    before = net.params.copy()
    numerical_gradient(net, x, y, scheme=scheme, variant=method, eps=1e-3)
    np.testing.assert_array_equal(net.params, before)


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_parameters_are_restored_when_an_exception_interrupts_the_loop(rng, error):
    net = DNN(2, 5, 4, 2, seed=0)
    x, y = make_data(net, 3, rng)
    before = net.params.copy()
    counter = CountingLoss(net.loss_layer)

    def failing(*args):
        counter.calls += 1
        if counter.calls == 17:  # in the middle of the loop, with a parameter perturbed
            raise error("interrupted")
        return counter.forward_fn(*args)

    net.loss_layer.forward = failing
    with pytest.raises(error):
        numerical_gradient(net, x, y, scheme="central", variant="loop")
    np.testing.assert_array_equal(net.params, before)


def test_finite_difference_of_a_known_function():
    theta = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad, base, count = finite_difference(lambda t: float(np.sum(t ** 3)), theta, scheme="forward", eps=1e-7)
    np.testing.assert_allclose(grad, 3 * theta ** 2, rtol=1e-6)
    assert base == pytest.approx(1 - 8 + 0.125 + 27) and count == 5
    grad, base, count = finite_difference(lambda t: float(np.sum(t ** 3)), theta)
    np.testing.assert_allclose(grad, 3 * theta ** 2, rtol=1e-9)
    assert base is None and count == 8


def test_default_steps_balance_truncation_and_round_off():
    assert default_eps("forward") == pytest.approx(1.49e-8, rel=1e-2)
    assert default_eps("central") == pytest.approx(6.06e-6, rel=1e-2)
    assert default_eps("central", np.float32) == pytest.approx(4.92e-3, rel=1e-2)


@pytest.mark.parametrize("kwargs,error,words", [
    ({"eps": 0.0}, ValueError, "eps must be a positive"),
    ({"eps": -1e-4}, ValueError, "eps must be a positive"),
    ({"scheme": "backward"}, ValueError, "scheme must be one of 'forward', 'central'"),
    ({"variant": "vectorised"}, ValueError, "variant must be one of 'loop', 'batched'"),
    ({"max_bytes": 0}, ValueError, "max_bytes must be a positive integer"),
])
def test_bad_numerical_arguments_are_rejected_and_nothing_changes(rng, kwargs, error, words):
    net = DNN(1, 3, 2, 2, seed=0)
    x, y = make_data(net, 2, rng)
    assert_rejected(lambda: numerical_gradient(net, x, y, **kwargs), net, error, words)


def test_gradients_reject_wrong_shapes_and_nan(rng):
    net = DNN(1, 3, 2, 2, seed=0)
    x, y = make_data(net, 2, rng)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 2\)"):
        backprop_gradient(net, x[:, :1], y)
    y[0, 0] = np.nan
    with pytest.raises(ValueError, match="y must be finite"):
        numerical_gradient(net, x, y)


@pytest.mark.parametrize("call", [
    lambda net, x, y: numerical_gradient(net, x, y, eps=1e-300),
    lambda net, x, y: numerical_gradient(net, x, y, eps=1e-300, variant="batched"),
    lambda net, x, y: gradient_check(net, x, y, eps=1e-300),
])
def test_a_step_lost_against_the_parameters_is_refused(rng, call):
    net = DNN(1, 3, 2, 2, seed=0)
    x, y = make_data(net, 2, rng)
    assert_rejected(lambda: call(net, x, y), net, ValueError, r"eps=1e-300 is lost against \d+ of 17 parameters")


def test_finite_difference_refuses_an_integer_array():
    with pytest.raises(TypeError, match="theta must be a floating-point numpy array"):
        finite_difference(lambda t: float(t.sum()), np.arange(4))


def test_the_default_step_is_the_schemes_optimal_one_for_the_dtype(rng):
    net = DNN(2, 5, 3, 2, seed=0, dtype=np.float32)
    x, y = make_data(net, 3, rng)
    for scheme in ("forward", "central"):
        assert numerical_gradient(net, x, y, scheme=scheme).eps == default_eps(scheme, np.float32)


def test_the_old_keyword_for_the_variant_still_works_with_a_warning(rng):
    net = DNN(1, 3, 2, 2, seed=0)
    x, y = make_data(net, 2, rng)
    with pytest.warns(DeprecationWarning, match="method= is now variant="):
        old = numerical_gradient(net, x, y, method="batched")
    np.testing.assert_array_equal(old.grad, numerical_gradient(net, x, y, variant="batched").grad)
    with pytest.warns(DeprecationWarning, match="method= is now variant="):
        assert gradient_check(net, x, y, method="batched").variant == "batched"
    with pytest.raises(ValueError, match="method= and variant= are one option"):
        numerical_gradient(net, x, y, variant="batched", method="loop")
