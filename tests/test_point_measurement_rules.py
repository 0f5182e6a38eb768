"""The benchmark's point check and round schedule, each rule at its boundary with the numbers it states
(nngrad/sweep/point_check.py): a point passes at an error equal to its tolerance and fails just above it; a round
lasts 2 ms at least and holds one call at least; rounds fill the timing budget counting every call of a round;
calls under 0.05 s get a warm-up call. The bounds are literal here, never read back from the module."""

import math
from dataclasses import replace

import numpy as np
import pytest

from nngrad import DNN, GradientResult
from nngrad.methods import get
from nngrad.sweep.plan import PlannedPoint
from nngrad.sweep.point_check import check_point, schedule

TOL = 1e-5  # the tolerance the fake check below declares


def _checked(error: float, tolerance: float = TOL):
    """check_point of backprop whose check reports ``error`` against ``tolerance`` (float64 network)."""
    net = DNN(1, 3, 2, 1, seed=0)
    x, y = net.check_data(np.ones((2, 2)), np.zeros((2, 1)))
    base = get("backprop")
    method = replace(base, check=replace(base.check, tolerance=tolerance, error=lambda *a: (error, [])))
    result = GradientResult(np.zeros(net.num_params), None, "backprop", 1)
    return check_point(method, lambda: result, net, x, y)


@pytest.mark.parametrize("error, passed", [(1e-5, True), (1.0000001e-5, False), (0.9999999e-5, True),
                                           (math.nan, False)],
                         ids=["exactly-at-the-tolerance-passes", "a-hair-over-fails", "a-hair-under-passes",
                              "nan-fails"])
def test_a_point_passes_at_an_error_equal_to_its_tolerance_and_fails_just_above(error, passed):
    check = _checked(error)
    assert check.passed is passed and check.tolerance == TOL


# 2**-14 s = 61 us: 2 ms / 61 us = 32.8, so 33 calls make a round of 2 ms (a round of 0.2 ms would hold 4, of 20 ms 328)
@pytest.mark.parametrize("seconds, iterations", [(2.0 ** -14, 33), (2.0 ** -10, 3), (2.1e-3, 1), (1.9e-3, 2)],
                         ids=["61us-33-calls", "977us-3-calls", "over-2ms-one-call", "just-under-2ms-two-calls"])
def test_a_round_repeats_a_fast_call_until_it_lasts_2_ms(seconds, iterations):
    assert schedule(seconds, 1.0, 10_000)[1] == iterations


def test_rounds_fill_the_timing_budget_counting_every_call_of_a_round():
    """33 calls of 61 us per round: 0.5 s holds 248 rounds of 2.01 ms (not 8192 rounds of one call)."""
    assert schedule(2.0 ** -14, 0.5, 10_000) == (248, 33)


@pytest.mark.parametrize("seconds, rounds", [(math.inf, 3), (1e300, 3), (10.0, 3)],
                         ids=["an-unbounded-call", "a-huge-call", "a-slow-call"])
def test_a_round_is_one_call_at_least_and_a_point_gets_3_rounds_however_slow(seconds, rounds):
    assert schedule(seconds, 0.5, 50) == (rounds, 1)


@pytest.mark.parametrize("predicted, untimed", [(0.04, 2), (0.05, 1), (0.06, 1), (0.004, 2)],
                         ids=["40ms-warmed-up", "exactly-50ms-not", "60ms-not", "4ms-warmed-up"])
def test_a_call_under_50_ms_gets_a_warm_up_call_beside_its_untimed_one(predicted, untimed):
    """expected_wall_s = (rounds x iterations + untimed calls) x seconds + check + 0.25 s of overhead."""
    point = PlannedPoint("backprop", 1, 8, 16, 100, 1, 1, predicted, check_s=0.0)
    rounds, iterations = schedule(predicted, 0.5, 50)
    expected = (rounds * iterations + untimed) * predicted + 0.25
    assert point.expected_wall_s(0.5, 50) == pytest.approx(expected, rel=1e-12)
