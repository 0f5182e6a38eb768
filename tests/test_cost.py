"""The cost model: machine constants measured by microbenchmarks, each method's stated work, and the report's
comparison of predicted and measured times."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from nngrad.methods import get, registered
from nngrad.methods.cost import Constants, Cost, Network
from nngrad.results import prediction
from nngrad.sweep import machine

MACHINE = Constants(call_s=1e-6, gemm_flop_s=1e10, elementwise_s=1e-8,
                    library_call_s={"torch": 5e-6, "jax": 1e-5, "autograd": 2e-5})
COSTED = [name for name, m in registered().items() if m.cost is not None]


def test_the_microbenchmarks_return_positive_finite_constants():
    c = machine.measure()
    for value in (c.call_s, c.gemm_flop_s, c.elementwise_s):
        assert np.isfinite(value) and value > 0
    assert 1e-8 < c.call_s < 1e-3 and 1e7 < c.gemm_flop_s < 1e13 and 1e-11 < c.elementwise_s < 1e-6  # sane units
    assert c.library_call_s == {}  # no peer named: none measured


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_constants_are_measured_in_the_runs_dtype(monkeypatch, dtype):
    """Every microbenchmark (a call, a product, the sigmoid, a peer's tiny gradient) runs on arrays of the dtype
    asked for: a float32 run is priced with float32's constants."""
    pytest.importorskip("torch")
    seen = []

    def once(fn, *args, **kwargs):  # no timing: the dtype each microbenchmark computes in
        out = fn()
        seen.append(str(getattr(out, "grad", out).dtype).removeprefix("torch."))
        return 1e-6

    monkeypatch.setattr(machine, "best_of", once)
    monkeypatch.setattr(machine, "warm_up", lambda: None)
    machine.measure(("torch",), dtype=dtype)
    assert len(seen) > 3 * machine.TRIALS and set(seen) == {dtype}


def test_constants_in_an_unknown_dtype_are_refused():
    with pytest.raises(ValueError, match="dtype must be one of 'float64', 'float32'; got 'float16'"):
        machine.measure(dtype="float16")


def test_no_method_describes_itself_in_one_precision():
    """A float32 run lists the methods' descriptions: none may say float64 (or float32) of a method that follows
    the network's precision."""
    assert not [m.name for m in registered().values() if "float64," in m.description or m.description.endswith(
        ("float64", "float32"))]


@pytest.mark.parametrize("library,method", [("torch", "torch"), ("jax", "jax"), ("autograd", "autograd")])
def test_a_peers_cost_per_call_is_measured_when_it_is_in_the_run(library, method):
    pytest.importorskip(library)
    c = machine.measure((method,))
    assert set(c.library_call_s) == {library} and 0 < c.library_call_s[library] < 1e-2


def test_off_numpy_each_methods_own_cost_per_call_is_measured_and_prices_its_calls():
    """The CALLS table is numpy's: on another library each of nngrad's methods gets its own cost per declared call
    (its gradient of a tiny network there), and a prediction uses it; numpy's constants have none."""
    from nngrad.backend import from_label
    from nngrad.sweep.networks import build_on
    from nngrad.sweep.plan import predict

    assert machine.measure(("backprop",)).method_call_s == {}
    strict = machine.measure(("backprop", "forward-mode", "numerical-loop"), from_label("array_api_strict@cpu"))
    assert set(strict.method_call_s) == {"backprop", "forward-mode"}  # numerical-loop does not run there
    assert all(0 < s < 1e-2 for s in strict.method_call_s.values())
    net, x, y = build_on("array_api_strict@cpu", 2, 4, 3)
    cheap = dataclasses.replace(strict, method_call_s={"forward-mode": 1e-9})
    dear = dataclasses.replace(strict, method_call_s={"forward-mode": 1e-3})
    method = get("forward-mode")
    calls = method.cost(Network.of(net, 3)).calls
    assert predict(method, net, x, y, 3, dear)[1]["calls"] == pytest.approx(calls * 1e-3)
    assert predict(method, net, x, y, 3, cheap)[1]["calls"] == pytest.approx(calls * 1e-9)
    assert MACHINE.of("forward-mode") is MACHINE  # nothing measured for it: the machine's call constant


@pytest.mark.parametrize("term", ["calls", "flops", "elementwise", "library_calls"])
def test_predicted_time_grows_with_each_count(term):
    base = Cost(10, 1e6, 1e4, 5, "torch")
    more = dataclasses.replace(base, **{term: getattr(base, term) * 2})
    assert more.seconds(MACHINE) > base.seconds(MACHINE)
    assert (base * 3).seconds(MACHINE) == pytest.approx(3 * base.seconds(MACHINE))
    assert (base + base).seconds(MACHINE) == pytest.approx(2 * base.seconds(MACHINE))


def test_the_terms_price_each_count_by_its_constant():
    terms = Cost(calls=100, flops=2e10, elementwise=1e6).terms(MACHINE)
    assert terms == pytest.approx({"calls": 1e-4, "flops": 2.0, "elementwise": 1e-2})


def test_a_library_the_machine_did_not_measure_makes_the_prediction_nan_not_zero():
    assert np.isnan(Cost(library_calls=3, library="tensorflow").seconds(MACHINE))


@pytest.mark.parametrize("method", COSTED)
def test_every_methods_stated_work_grows_with_depth_width_and_batch(method):
    cost = get(method).cost

    def seconds(depth, width, batch):
        return cost(Network((10, *[width] * depth, 2), batch)).seconds(MACHINE)

    small = seconds(2, 8, 4)
    assert 0 < small < seconds(3, 8, 4) and small < seconds(2, 16, 4) and small < seconds(2, 8, 8)


@pytest.mark.parametrize("method", ["numerical-loop", "numerical-batched", "central-batched", "forward-mode"])
def test_the_work_of_an_o_n_method_grows_faster_than_backprops(method):
    def ratio(width):
        net = Network((10, width, width, 2), 16)
        return get(method).cost(net).seconds(MACHINE) / get("backprop").cost(net).seconds(MACHINE)

    assert ratio(64) > 2 * ratio(16)


def test_the_loop_states_n_plus_one_forward_passes():
    net = Network((3, 5, 2), 4)
    loop, forward = get("numerical-loop").cost(net), get("forward").cost(net)
    assert loop.flops == (net.n_params + 1) * forward.flops
    assert loop.elementwise == pytest.approx((net.n_params + 1) * forward.elementwise)


def test_central_differences_state_twice_the_perturbed_work_of_forward_differences():
    net = Network((10, 32, 32, 2), 16)
    fwd, central = get("numerical-batched").cost(net), get("central-batched").cost(net)
    assert 1.8 < central.elementwise / fwd.elementwise < 2.05


def test_a_smaller_memory_bound_costs_more_calls_not_more_arithmetic():
    from nngrad.methods.cost import perturbed_losses
    from nngrad.methods.prefix import chunked_cost

    net = Network((10, 32, 32, 2), 16)
    big = chunked_cost(net, lambda l, k: perturbed_losses(net, l, k), 8, max_bytes=64 * 2**20)
    small = chunked_cost(net, lambda l, k: perturbed_losses(net, l, k), 8, max_bytes=2**16)
    assert small.calls > 10 * big.calls
    assert small.flops == pytest.approx(big.flops) and small.elementwise == pytest.approx(big.elementwise)


def synthetic_points(seconds: list[float], model: list[float]) -> pd.DataFrame:
    n = len(seconds)
    return pd.DataFrame({"method": ["backprop"] * n, "depth": range(1, n + 1), "width": 8, "batch": 16,
                         "n_params": [100 * (i + 1) for i in range(n)], "status": "ok", "median_s": seconds,
                         "model_s": model, "dominant": "calls"})


def test_times_generated_from_the_model_are_all_predicted_exactly():
    model = [1e-4, 3e-4, 2e-3, 5e-2]
    points = synthetic_points(model, model)
    assert prediction.fraction_inside(points) == 1.0
    assert (prediction.predicted_points(points)["error"] == 1.0).all()
    assert prediction.largest_misses(points).empty


def test_a_point_outside_the_band_is_counted_and_named_as_a_miss():
    model = [1e-4, 3e-4, 2e-3, 5e-2]
    points = synthetic_points([1e-4, 3e-4 * 1.29, 2e-3 / 1.31, 5e-2 * 3], model)
    assert prediction.fraction_inside(points) == 0.5  # 1.29 is inside +-30%, 1/1.31 and 3 are not
    misses = prediction.largest_misses(points)
    assert list(misses["depth"]) == [4, 3] and misses["measured/predicted"].iloc[0] == pytest.approx(3)
    table = prediction.by_method(points)
    assert table.loc[0, "points"] == 4 and table.loc[0, "inside"] == 0.5


def test_points_without_a_prediction_are_left_out_of_the_fraction():
    points = synthetic_points([1e-3, 1e-3], [1e-3, np.nan])
    assert prediction.fraction_inside(points) == 1.0 and len(prediction.predicted_points(points)) == 1
    assert np.isnan(prediction.fraction_inside(synthetic_points([1e-3], [np.nan])))


def run_with(machine: dict, constants: dict):
    from nngrad.results.load import Run

    return Run("r", pd.DataFrame(), pd.DataFrame(), machine=machine, constants=constants)


def test_a_quiet_run_gets_no_warning_and_a_busy_one_says_what_moved_in_words_and_units():
    from nngrad.results.report import busy

    start = {"call_s": 1e-6, "gemm_flop_s": 3e10, "elementwise_s": 7e-9}
    quiet = {"cpu_count": 2, "others_load": 0.05, "after": {"constants": {**start, "gemm_flop_s": 2.8e10},
                                                            "others_load": 0.1}}
    assert busy(run_with(quiet, start)) is None
    moved = {**quiet, "after": {"constants": {**start, "gemm_flop_s": 1e9}, "others_load": 0.0}}
    assert "GEMM rate 30 -> 1 GFLOP/s" in busy(run_with(moved, start)) and "gemm_flop_s" not in busy(run_with(moved, start))
    slow_calls = {**quiet, "after": {"constants": {**start, "call_s": 2e-6}, "others_load": 0.0}}
    assert "fixed cost of a call 1 -> 2 µs" in busy(run_with(slow_calls, start))
    loaded = {**quiet, "others_load": 0.6}
    assert "other processes used 60% of the CPUs before it" in busy(run_with(loaded, start))
    assert busy(run_with({}, {})) is None  # a run from before: nothing to say


def test_the_load_of_other_processes_is_a_fraction_of_the_cpus():
    load = machine.others_load(0.2)
    assert load is None or 0.0 <= load <= 1.0
