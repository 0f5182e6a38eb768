"""The estimators (SPSA, the forward gradient) are right: the mean of many estimates points where backprop's
gradient does, as predicted; one tangent is backprop's gradient dotted with the direction; SPSA is the directional
central difference; the work is counted exactly; directions are reproducible from a seed; the in-place SPSA gives
its weights back; bad input is refused in one line, nothing changed."""

import numpy as np
import pytest
from conftest import assert_rejected
from hypothesis import HealthCheck, given, settings
from test_gradients import architectures, build

from nngrad import gradient
from nngrad.errors import UserError
from nngrad.methods import get
from nngrad.methods.backprop import backprop
from nngrad.methods.checks import mean_of_estimates
from nngrad.methods.estimators import draw, spsa_projections, tangents
from nngrad.sweep.networks import build as build_point

SMALL = (1, 8, 4, 10, 2, 0, "sigmoid", "mse", "float64")  # N = 106
RELU = (2, 16, 8, 10, 3, 0, "relu", "softmax_ce", "float64")  # N = 531


@pytest.mark.parametrize("method", ["spsa", "forward-gradient"])
@pytest.mark.parametrize("network", [SMALL, RELU], ids=["sigmoid mse", "relu softmax_ce"])
def test_the_mean_of_m_estimates_has_its_predicted_cosine_and_is_unbiased_within_3_standard_errors(method, network):
    """The mean of M = 256 estimates (fixed seed: deterministic): its cosine with backprop's gradient within 3
    standard errors (jackknife) of sqrt(kM / (kM + N + 1)), and its projection on the gradient within 3 standard
    errors of 1. False-failure probability of a right estimator at a fresh seed: ~0.7% per statistic (the
    projection's studentised mean is skewed: simulated 2e5 times, methods/checks.py), ~1.5% for both."""
    net, x, y = build_point(*network)
    exact = backprop(net, x, y)[1]
    stats = mean_of_estimates(get(method), net, x, y, exact, {}, estimates=256, seed=3)
    assert stats.cosine_sigmas <= 3 and stats.projection_sigmas <= 3
    assert stats.predicted == pytest.approx(np.sqrt(256 / (256 + net.num_params + 1)))


def _dot_scale(g: np.ndarray, v: np.ndarray) -> np.ndarray:
    """sum |g_i v_i| per direction: the scale a dot product's rounding is relative to."""
    return np.abs(v) @ np.abs(g)


@settings(max_examples=40, suppress_health_check=[HealthCheck.filter_too_much])
@given(arch=architectures)
def test_a_tangent_is_backprops_gradient_dotted_with_the_direction_to_1e_12(arch):
    net, x, y = build(arch)
    x, y = net.check_data(x, y)
    g = backprop(net, x, y)[1]
    v = draw(np.random.default_rng(arch["seed"]), 3, net.num_params, "gaussian", np.float64)
    loss, derivatives = tangents(net, x, y, v)
    assert np.all(np.abs(derivatives - v @ g) <= 1e-12 * np.maximum(_dot_scale(g, v), 1e-300))
    assert loss == pytest.approx(net.evaluate(x, y), rel=1e-14)


def test_spsa_at_small_eps_is_the_directional_central_difference_to_order_eps_squared():
    """Halving eps quarters the gap to the exact directional derivative g . z (within a factor 1.5)."""
    net, x, y = build_point(*SMALL)
    g = backprop(net, x, y)[1]
    z = draw(np.random.default_rng(0), 1, net.num_params, "gaussian", np.float64)
    gaps = [abs(float(spsa_projections(net, x, y, z, eps)[0][0]) - float(z[0] @ g)) for eps in (0.08, 0.04, 0.02)]
    for coarse, fine in zip(gaps, gaps[1:]):
        assert 4 / 1.5 <= coarse / fine <= 4 * 1.5
    assert gaps[-1] <= 1e-3 * abs(float(z[0] @ g))  # and it is close


@pytest.mark.parametrize("k", [1, 3, 16])
def test_spsa_counts_exactly_2k_loss_evaluations_and_the_forward_gradient_k_tangent_passes(k):
    net, x, y = build_point(*SMALL)
    spsa = gradient(net, x, y, "spsa", k=k)
    assert (spsa.loss_evaluations, spsa.tangent_passes, spsa.backward_passes) == (2 * k, 0, 0)
    forward = gradient(net, x, y, "forward-gradient", k=k)
    assert (forward.loss_evaluations, forward.tangent_passes, forward.backward_passes) == (1, k, 0)
    assert gradient(net, x, y, "spsa", k=k, in_place=True).loss_evaluations == 2 * k


def test_rademacher_directions_are_plus_or_minus_one_with_mean_near_zero():
    """Mean of 2e5 signs within 5 / sqrt(n) of 0 (false failure: 6e-7)."""
    signs = draw(np.random.default_rng(0), 4, 50_000, "rademacher", np.float64)
    assert set(np.unique(signs)) == {-1.0, 1.0}
    assert abs(signs.mean()) <= 5 / np.sqrt(signs.size)


@pytest.mark.parametrize("method", ["spsa", "forward-gradient"])
def test_the_same_seed_gives_the_same_estimate_and_a_generator_advances(method):
    net, x, y = build_point(*SMALL)
    once, again = (gradient(net, x, y, method, rng=7).grad for _ in range(2))
    np.testing.assert_array_equal(once, again)
    gen = np.random.default_rng(7)
    first, second = gradient(net, x, y, method, rng=gen).grad, gradient(net, x, y, method, rng=gen).grad
    np.testing.assert_array_equal(first, once)  # a Generator seeded 7 starts where seed 7 does
    assert not np.array_equal(first, second)
    call = get(method).prepare(net, *net.check_data(x, y))  # one prepared call draws afresh each time
    assert not np.array_equal(call().grad, call().grad)


def test_in_place_spsa_gives_the_weights_back_within_1e_15_relative():
    """One call of 4 directions (12 in-place moves): rounding, not bit for bit; the drift is a random walk of a
    few units in the last place per move (80 moves: ~1e-15)."""
    net, x, y = build_point(*RELU)
    before = net.params.copy()
    get("spsa").prepare(net, *net.check_data(x, y), k=4, in_place=True)()
    assert np.linalg.norm(net.params - before) <= 1e-15 * np.linalg.norm(before)


BAD = {"k=0": ({"k": 0}, "k must be a positive integer"),
       "eps=0": ({"eps": 0.0}, "eps must be a positive"),
       "eps<0": ({"eps": -1e-3}, "eps must be a positive"),
       "directions='x'": ({"directions": "x"}, "directions must be one of"),
       "rng=-1": ({"rng": -1}, "rng must be a non-negative integer seed"),
       "in_place='yes'": ({"in_place": "yes"}, "in_place must be True or False")}


@pytest.mark.parametrize("bad", BAD)
def test_bad_options_are_refused_in_one_line_naming_the_argument_params_unchanged(bad):
    options, words = BAD[bad]
    net, x, y = build_point(*SMALL)
    for method in ("spsa", "forward-gradient"):
        if set(options) - set(get(method).options):
            continue
        assert_rejected(lambda: gradient(net, x, y, method, **options), net, UserError, words)
        try:
            gradient(net, x, y, method, **options)
        except UserError as exc:
            assert "\n" not in str(exc)
