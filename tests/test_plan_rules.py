"""The sweep's plan, each rule with the numbers it states (nngrad/sweep/plan.py): a point's expected wall time
counts its timed calls, its untimed ones, its check and 0.25 s of overhead; a planning estimate times 3 calls at
least, 0.02 s in all, 200 calls at most; a declared cost is the sum of its terms and an unpriceable one is timed;
a check costs its passes of the network's Dense layers at the forward pass's price. Literal numbers throughout: a
table looser than the rule must fail these. (Fitting the total: tests/test_result_boundaries.py, test_sweep.py.)"""

from types import SimpleNamespace

import numpy as np
import pytest

from nngrad.methods.cost import Constants
from nngrad.sweep import plan as plan_module
from nngrad.sweep.config import SweepConfig
from nngrad.sweep.plan import PlannedPoint, median_time, predict

MACHINE = Constants(call_s=1e-6, gemm_flop_s=1e10, elementwise_s=1e-8,
                    library_call_s={"torch": 5e-6, "jax": 1e-5, "autograd": 2e-5})


# -- a point's expected wall time ----------------------------------------------------------------------------------

@pytest.mark.parametrize("predicted, check_s, wall", [
    (1.0, 0.5, (3 * 1 + 1) * 1.0 + 0.5 + 0.25),  # slow: 3 rounds of one call, one untimed call
    (0.25, 0.0, (3 * 1 + 1) * 0.25 + 0.25),  # 0.5 s / 0.25 s = 2 rounds: the minimum of 3
    (0.01, 0.125, (50 * 1 + 2) * 0.01 + 0.125 + 0.25),  # fast: 50 rounds (the cap), untimed call and warm-up
    (2.0 ** -14, 0.0, (50 * 33 + 2) * 2.0 ** -14 + 0.25),  # 61 us: 33 calls a round (2 ms), 50 rounds
], ids=["one-second-call-with-its-check", "minimum-3-rounds", "fast-call-capped-at-50-rounds",
        "each-round-counts-its-33-calls"])
def test_a_points_expected_time_is_its_calls_its_check_and_a_quarter_second_of_overhead(predicted, check_s, wall):
    point = PlannedPoint("backprop", 1, 8, 16, 100, 1, 1, predicted, check_s=check_s)
    assert point.expected_wall_s(0.5, 50) == pytest.approx(wall, rel=1e-12)


def test_a_skipped_point_is_expected_to_take_no_time():
    point = PlannedPoint("backprop", 1, 8, 16, 100, 1, 1, 1.0, skip_reason="predicted 1 s > budget", check_s=1.0)
    assert point.expected_wall_s(0.5, 50) == 0.0


# -- the planning estimate of a method without a cost ------------------------------------------------------------

class _Clock:
    """perf_counter that moves only when the timed function runs: each call lasts ``step`` seconds; the clock
    reads ``start`` + calls x step (not a sum: exact where the product is)."""

    def __init__(self, step: float, start: float = 4.0):  # a clock that does not start at 0: elapsed is now - start
        self.start, self.step, self.calls = start, step, 0
        self.now = start

    def __call__(self) -> float:
        return self.now

    def call(self) -> None:
        self.calls += 1
        self.now = self.start + self.calls * self.step


@pytest.mark.parametrize("step, calls", [(2.0 ** -10, 21), (1.0, 3), (0.0, 200), (2.0 ** -7, 3)],
                         ids=["1ms-calls-fill-0.02s-21-calls", "slow-calls-3-at-least", "instant-calls-200-at-most",
                              "8ms-calls-3"])
def test_a_planning_estimate_times_3_calls_at_least_for_0_02_s_and_200_at_most(monkeypatch, step, calls):
    """A call starts while fewer than 3 ran or less than 0.02 s went by, and never a 201st: calls of 2**-10 s
    start at 0, 0.98, ..., 19.5 ms (the 21st) and stop at 20.5 ms."""
    clock = _Clock(step)
    monkeypatch.setattr(plan_module, "time", SimpleNamespace(perf_counter=clock))
    assert median_time(clock.call) == step and clock.calls == calls


def test_a_planning_estimate_stops_once_exactly_0_02_s_went_by(monkeypatch):
    """Calls of 5 ms from 0: after 4 calls exactly 0.02 s went by (4 x 0.005 == 0.02 in floating point): no 5th."""
    clock = _Clock(0.005, start=0.0)
    assert 4 * 0.005 == 0.02
    monkeypatch.setattr(plan_module, "time", SimpleNamespace(perf_counter=clock))
    median_time(clock.call)
    assert clock.calls == 4


def test_a_planning_estimate_is_the_median_call(monkeypatch):
    """Calls of 1, 100, 1 ms (then 1 ms each): the median is 1 ms whatever the outlier."""
    clock, steps = _Clock(0.0), iter([1e-3, 0.1] + [1e-3] * 300)

    def fn():
        clock.now += next(steps)

    monkeypatch.setattr(plan_module, "time", SimpleNamespace(perf_counter=clock))
    assert median_time(fn) == pytest.approx(1e-3)


# -- a point's prediction --------------------------------------------------------------------------------------------

def _net():
    from nngrad.sweep.networks import build_on

    return build_on("cpu", 2, 4, 3)


def _never_timed(*args, **kwargs):
    raise AssertionError("a method with a priceable cost is not timed")


def test_a_declared_cost_is_predicted_as_the_sum_of_its_three_terms_and_not_timed(monkeypatch):
    from nngrad.methods import get
    from nngrad.methods.cost import Network

    monkeypatch.setattr(plan_module, "median_time", _never_timed)
    net, x, y = _net()
    method = get("backprop")
    seconds, terms = predict(method, net, x, y, 3, MACHINE)
    cost = method.cost(Network.of(net, 3))
    assert set(terms) == {"calls", "flops", "elementwise"} and all(t > 0 for t in terms.values())
    assert terms["calls"] == pytest.approx(cost.calls * 1e-6) and terms["flops"] == pytest.approx(cost.flops / 1e10)
    assert terms["elementwise"] == pytest.approx(cost.elementwise * 1e-8)
    assert seconds == pytest.approx(sum(terms.values()), rel=1e-12)


@pytest.mark.parametrize("library_call_s", [{}, {"torch": float("nan")}], ids=["unmeasured", "nan"])
def test_a_cost_the_machine_cannot_price_is_timed_instead_with_no_terms(monkeypatch, library_call_s):
    """A library whose cost per call the run did not measure prices its calls as NaN: the call is timed."""
    from dataclasses import replace

    from nngrad.methods import get
    from nngrad.methods.cost import Cost

    monkeypatch.setattr(plan_module, "median_time", lambda fn: 0.125)
    net, x, y = _net()
    base = get("backprop")
    method = replace(base, cost=lambda network: Cost(10, 1e6, 1e4, 5, "torch"))
    assert predict(method, net, x, y, 3, replace(MACHINE, library_call_s=library_call_s)) == (0.125, {})
    priced = predict(method, net, x, y, 3, MACHINE)  # torch measured: priced, not timed
    assert priced[0] != 0.125 and np.isfinite(priced[0]) and set(priced[1]) == {"calls", "flops", "elementwise"}


def test_a_method_that_declares_no_cost_is_timed(monkeypatch):
    from dataclasses import replace

    from nngrad.methods import get

    monkeypatch.setattr(plan_module, "median_time", lambda fn: 0.125)
    net, x, y = _net()
    assert predict(replace(get("backprop"), cost=None, flops=lambda sizes, batch: 1), net, x, y, 3, MACHINE) == (0.125, {})


# -- a point's check ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [1, 3])
def test_a_points_check_costs_its_passes_of_the_networks_dense_layers_at_the_forward_price(monkeypatch, depth):
    """A network of ``depth`` hidden layers has depth + 1 Dense layers; passes(layers) = 10**layers tells a layer
    more or less from the right count."""
    from dataclasses import replace

    from nngrad.methods import cost, get
    from nngrad.methods.cost import Network
    from nngrad.sweep.networks import build_on

    real = get("backprop")
    checked = replace(real, check=replace(real.check, passes=lambda layers: 10.0 ** layers))
    monkeypatch.setattr(plan_module, "get", lambda name: checked if name == "backprop" else get(name))
    cfg = SweepConfig(depths=(depth,), widths=(4,), methods=("backprop",), classic=None, extra=(), total_s=None)
    (point,) = plan_module.plan(cfg, {"cpu": MACHINE})
    net = build_on("cpu", depth, 4, point.batch, cfg.num_input, cfg.num_output, cfg.seed, cfg.activation, cfg.loss,
                   cfg.dtype)[0]
    forward_s = cost.forward(Network.of(net, point.batch)).seconds(MACHINE)
    assert len(net.sizes) - 1 == depth + 1
    assert point.check_s == pytest.approx(10.0 ** (depth + 1) * forward_s, rel=1e-12)
