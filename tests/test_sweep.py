import numpy as np
import pytest

from nngrad import DNN
from nngrad.methods import get
from nngrad.methods.cost import Constants, Network
from nngrad.model.counts import forward_flops, num_params
from nngrad.sweep import accuracy
from nngrad.sweep.config import QUICK, SweepConfig
from nngrad.sweep.networks import build
from nngrad.sweep.plan import plan as plan_on

# a fixed machine: plans are deterministic
MACHINE = Constants(call_s=1e-6, gemm_flop_s=1e10, elementwise_s=1e-8,
                    library_call_s={"torch": 5e-6, "jax": 1e-5, "autograd": 2e-5})


def plan(cfg):
    return plan_on(cfg, {"cpu": MACHINE})
from nngrad.sweep.point_check import MIN_ROUND_S, check_point, schedule


def test_operation_counts_of_a_small_network():
    sizes = [2, 3, 1]
    assert num_params(sizes) == DNN(1, 3, 2, 1).num_params == 13
    assert forward_flops(sizes, batch=4) == 2 * 4 * (2 * 3 + 3 * 1)
    # the kept forward pass; each perturbation of layer 0 changes layer 1 by a rank-one (element-wise) update
    assert get("numerical-batched").operations(sizes, 4) == forward_flops(sizes, 4)
    assert get("central-batched").operations(sizes, 4) == forward_flops(sizes, 4)
    assert get("numerical-loop").operations(sizes, 4) == 14 * forward_flops(sizes, 4)
    assert get("backprop").operations(sizes, 4) == 3 * forward_flops(sizes, 4)
    # deeper: a perturbation of layer 0 runs layer 2's full product for its own network
    deep = [2, 3, 3, 1]
    assert get("numerical-batched").operations(deep, 4) == forward_flops(deep, 4) + 9 * 2 * 4 * 3 * 1


def test_points_predicted_over_the_budget_are_skipped_with_their_prediction():
    methods = ("forward", "backprop", "numerical-loop", "numerical-batched", "forward-mode")
    cfg = SweepConfig(depths=(1, 3), widths=(4, 64), methods=methods, budget_s=0.02, timing_s=0.01, classic=None,
                      total_s=None, extra=())
    points = plan(cfg)
    assert len(points) == 2 * 2 * len(methods)
    loop = {(p.depth, p.width): p for p in points if p.method == "numerical-loop"}
    big = loop[(3, 64)]
    net = Network(tuple(cfg.sizes(3, 64)), 16)
    assert big.predicted_s == pytest.approx(get("numerical-loop").cost(net).seconds(MACHINE))
    assert big.model_calls_s > 0 and big.model_flops_s > 0 and big.model_elementwise_s > 0
    assert big.skip_reason and f"{big.predicted_s:.3g} s" in big.skip_reason and big.expected_wall_s(1.0, 50) == 0
    for p in points:
        assert (p.skip_reason is None) == (p.predicted_s <= cfg.budget_s)
        if not p.skip_reason:
            assert p.expected_wall_s(1.0, 50) >= 3 * p.predicted_s


def test_the_costliest_points_are_left_out_to_fit_the_total_but_never_the_landscape():
    methods = ("forward", "backprop", "numerical-loop", "numerical-batched")
    kwargs = {"depths": (1, 2, 3), "widths": (8, 48), "methods": methods, "timing_s": 0.05, "classic": (1, 8, 16),
              "extra": ((1, 8, 4),)}
    everything = plan(SweepConfig(**kwargs, total_s=None))
    cost = {p.key: p.expected_wall_s(0.05, 50) for p in everything}
    slow = sum(c for (method, *_), c in cost.items() if method.startswith("numerical"))
    total = sum(cost.values()) - slow / 2
    fitted = plan(SweepConfig(**kwargs, total_s=total))
    left_out = [p for p in fitted if p.skip_reason and "total" in p.skip_reason]
    kept = [p for p in fitted if not p.skip_reason]
    assert left_out and sum(p.expected_wall_s(0.05, 50) for p in kept) <= total * 1.5  # timings vary between plans
    tiny = plan(SweepConfig(**kwargs, total_s=1e-3))
    kept_tiny = [p for p in tiny if not p.skip_reason]  # only the classic network stays, at each of its batches
    assert sorted((p.method, p.batch) for p in kept_tiny) == sorted((m, b) for m in methods for b in (4, 16))
    assert all((p.depth, p.width) == (1, 8) for p in kept_tiny)
    assert {p.method for p in left_out} <= {"numerical-loop", "numerical-batched"}  # O(N) work goes first
    slow_kept = [p.predicted_s for p in kept if p.method in ("numerical-loop", "numerical-batched")]
    assert min(p.predicted_s for p in left_out) >= np.median(slow_kept)  # and of it the costliest


def test_the_landscape_network_is_planned_for_every_method():
    cfg = SweepConfig(depths=(1,), widths=(4,), methods=("forward", "backprop"), classic=(2, 5, 3), extra=())
    assert {(p.method, p.depth, p.width, p.batch) for p in plan(cfg)} == {
        (m, d, w, b) for m in ("forward", "backprop") for d, w, b in ((1, 4, 16), (2, 5, 3))}


def test_a_method_that_does_not_apply_is_skipped_with_its_reason():
    cfg = SweepConfig(depths=(1,), widths=(4,), methods=("backprop", "complex-step"), activation="relu",
                      classic=None, extra=())
    points = {p.method: p for p in plan(cfg)}
    assert points["backprop"].skip_reason is None
    assert "kink" in points["complex-step"].skip_reason and points["complex-step"].predicted_s is None


def test_planned_points_hold_plain_json_values():
    p = plan(SweepConfig(depths=(1,), widths=(4,), methods=("forward",)))[0]
    assert all(type(v) in (int, float, str, type(None)) for v in p.to_dict().values())


@pytest.mark.parametrize("kwargs,error,words", [
    ({"depths": ()}, ValueError, "depths must list at least one size"),
    ({"widths": (8, 0)}, ValueError, "widths must be a positive integer"),
    ({"methods": ("forward", "adjoint")}, ValueError, "method must be one of"),
    ({"budget_s": 0}, ValueError, "budget_s must be a positive"),
    ({"activation": "softplus"}, ValueError, "activation must be one of 'sigmoid', 'relu', 'tanh'"),
    ({"loss": "hinge"}, ValueError, "loss must be one of 'mse', 'softmax_ce'"),
])
def test_bad_sweep_configurations_are_rejected(kwargs, error, words):
    with pytest.raises(error, match=words):
        SweepConfig(**kwargs)


def test_a_method_whose_package_is_missing_is_refused_with_how_to_install(monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ImportError, match=r"torch needs torch, which is not installed: pip install"):
        SweepConfig(methods=("backprop", "torch"))


def test_quick_sweep_is_smaller_than_the_default_and_measures_every_method_at_several_sizes():
    """With every peer installed too (the classic network's O(N) points took the loop, the complex step, scipy and
    jax-fd down to that one point at a total of 25 s)."""
    assert len(QUICK.networks()) < len(SweepConfig().networks())
    kept = [p for p in plan(QUICK) if not p.skip_reason]  # every method available here, within its total
    assert all(sum(p.method == m for p in kept) >= 3 for m in QUICK.methods)


def test_the_quick_sweep_times_every_method_once_at_the_lessons_network_and_has_its_headline():
    """A first run's report needs the classic network (depth 5, width 32) and the headline study there."""
    from nngrad.runfiles import CLASSIC
    from nngrad.sweep.headline import METHODS

    assert QUICK.classic == CLASSIC and QUICK.batches == (CLASSIC[2],)  # the quick batch
    kept = [p for p in plan(QUICK) if not p.skip_reason and (p.depth, p.width, p.batch) == CLASSIC]
    assert sorted(p.method for p in kept) == sorted(QUICK.methods)  # one point each
    assert set(METHODS) <= set(QUICK.methods)  # what headline_study needs to run


@pytest.mark.parametrize("method", ["backprop", "numerical-loop", "numerical-batched", "central-batched",
                                    "complex-step", "forward-mode"])
def test_each_point_is_checked_against_its_reference(method):
    net, x, y = build(2, 5, 3)
    m = get(method)
    checked = check_point(m, m.prepare(net, x, y), net, x, y)
    assert checked.passed and checked.gradient_error < checked.tolerance and checked.peak_memory_bytes > 0
    assert checked.work == m.work_count(net.num_params)
    assert checked.reference == "backprop" if method != "backprop" else "random directions" in checked.reference
    assert not checked.unresolved


@pytest.mark.parametrize("method", ["backprop", "numerical-loop", "complex-step"])
def test_a_point_whose_gradient_disagrees_fails_its_check(monkeypatch, method):
    net, x, y = build(2, 5, 3)
    m = get(method)
    real = m.prepare(net, x, y)

    def wrong():
        result = real()
        result.grad = result.grad * 1.5
        return result

    before = net.params.copy()
    checked = check_point(m, wrong, net, x, y)
    assert not checked.passed and checked.gradient_error > 0.1
    np.testing.assert_array_equal(net.params, before)


def test_rounds_fill_the_target_time_and_rounds_last_long_enough():
    assert schedule(1.0, 0.5, 50) == (3, 1)  # slow calls: the minimum of 3 rounds
    rounds, iterations = schedule(1e-5, 0.5, 50)
    assert iterations * 1e-5 >= MIN_ROUND_S and rounds == 50
    assert schedule(0.01, 0.5, 50) == (50, 1)


def test_accuracy_is_v_shaped_for_finite_differences_and_flat_for_the_complex_step():
    rows = accuracy.accuracy_curve(["numerical-batched", "central-batched", "complex-step", "forward-mode"],
                                   depth=2, width=6, batch=2)
    assert {r["method"] for r in rows} == {"numerical-batched", "central-batched", "complex-step"}  # those with a step
    for method in ("numerical-batched", "central-batched"):
        errors = np.array([r["error"] for r in rows if r["method"] == method])
        best = int(np.argmin(errors))
        assert 0 < best < len(errors) - 1 and errors[0] > 100 * errors[best] < errors[-1]
    complex_step = {r["eps"]: r["error"] for r in rows if r["method"] == "complex-step"}
    assert all(error < 1e-14 for eps, error in complex_step.items() if eps <= 1e-8)  # no cancellation at any tiny step


def test_a_points_network_is_never_shared_with_another_caller():
    from nngrad.sweep.networks import build

    net, x, _ = build(2, 4, 3)
    net.params[:] = 0.0  # a caller that changes what it was given ...
    x[:] = 0.0
    again, x2, _ = build(2, 4, 3)
    assert again.params.any() and x2.any()  # ... changes nothing of the next one's


def test_a_failure_while_planning_is_not_hidden_by_the_cleanup(tmp_path, monkeypatch):
    from nngrad.sweep import runner
    from nngrad.sweep.config import SweepConfig

    def fails(cfg):
        (run,) = tmp_path.iterdir()
        (run / "leftover").write_text("x")  # the folder is not empty: its rmdir raises OSError
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run_meta", fails)
    with pytest.raises(KeyboardInterrupt):
        runner.start_run(SweepConfig(depths=(1,), widths=(4,), methods=("backprop",)), tmp_path)


# -- the load of other processes while a point is timed (sweep/machine.py, sweep/plugin.py) -------------------------

def _stat(user: int, idle: int, iowait: int = 0) -> str:
    return f"cpu  {user} 0 0 {idle} {iowait} 0 0 0 0 0\n"


def _process(ticks: int) -> str:
    """/proc/PID/stat of a process whose command's name holds spaces and a parenthesis, with ``ticks`` of CPU."""
    return f"42 (python (my tool)) S 1 42 42 0 -1 4194304 100 0 0 0 {ticks - 3} 3 0 0 20 0 1 0 100 1000 10\n"


def test_other_processes_share_is_the_machines_busy_ticks_less_nngrads_over_all_ticks():
    """Kills: nngrad's own ticks (the suite's, its parent's) counted as others'; iowait counted as work; the
    fraction taken of one CPU instead of the machine. 2 CPUs over 1 s = 200 ticks: 160 busy, 20 idle, 20 iowait;
    the suite used 90 ticks, its parent 10: others 60 of 200 = 0.3."""
    from nngrad.sweep.machine import cpu_sample, others_share

    stats = iter([_stat(1000, 5000, 100), _stat(1160, 5020, 120)])
    ticks = {"self": iter([500, 590]), 7: iter([40, 50])}
    sample = lambda: cpu_sample(("self", 7), read=lambda: next(stats),  # noqa: E731
                                read_process=lambda pid: _process(next(ticks[pid])))
    assert others_share(sample(), sample()) == pytest.approx(0.3)


def test_other_processes_share_is_none_without_proc_and_never_below_zero():
    from nngrad.sweep.machine import CpuSample, cpu_sample, others_share

    def missing(*args) -> str:
        raise OSError("no /proc here")

    assert cpu_sample(("self",), read=missing) is None
    assert cpu_sample(("self",), read=lambda: _stat(1, 1), read_process=missing) is None  # the parent is gone
    assert others_share(None, CpuSample(10, 5, 0)) is None
    assert others_share(CpuSample(10, 5, 0), CpuSample(10, 5, 0)) is None  # no tick between the two
    assert others_share(CpuSample(0, 0, 0), CpuSample(100, 50, 52)) == 0.0  # ticks counted apart round apart


def test_the_suite_records_the_load_while_a_points_rounds_are_timed(monkeypatch):
    """Kills: the load not recorded, or sampled around something else than the timed rounds (pedantic)."""
    from nngrad.sweep import plugin
    from nngrad.sweep.machine import CpuSample

    timeline = []
    samples = iter([CpuSample(0, 0, 0), CpuSample(200, 100, 50)])  # others: 50 of 200 ticks
    monkeypatch.setattr(plugin, "cpu_sample", lambda pids: timeline.append("sample") or next(samples))

    class Bench:
        extra_info: dict = {}

        def pedantic(self, fn, **kwargs):
            timeline.append("rounds")
            return fn()

    bench = Bench()
    bench.extra_info = {}
    plugin.watch_load(bench)
    assert bench.pedantic(lambda: 3, rounds=5) == 3
    assert timeline == ["sample", "rounds", "sample"] and bench.extra_info["others_load"] == pytest.approx(0.25)


def test_a_point_timed_in_fewer_ticks_than_the_load_window_is_measured_over_the_window_that_ends_with_it():
    """Kills: a 2 ms point's share read from its own 0-2 ticks (tick noise: 0% or 100%), or the window not ending
    with the point. machine.load_window: the latest sample at least LOAD_WINDOW_TICKS before, else the oldest."""
    from nngrad.sweep.machine import LOAD_WINDOW_TICKS, CpuSample, load_window, others_share

    old, mid, start = CpuSample(0, 0, 0), CpuSample(250, 170, 50), CpuSample(298, 200, 60)
    after = CpuSample(300, 200, 62)  # 2 ticks since the point's own start, both its own
    assert LOAD_WINDOW_TICKS == 100
    assert load_window([old, mid, start], after) is old  # mid is 50 ticks back: under the window
    assert others_share(load_window([old, mid, start], after), after) == pytest.approx((100 - 62) / 300)
    assert load_window([old, CpuSample(200, 130, 50), start], after).total == 200  # the latest far enough back
    assert load_window([mid, start], after) is mid  # nothing far enough back: the oldest
    assert load_window([start], CpuSample(500, 300, 70)) is start  # its own window is long enough
    assert load_window([], after) is None and load_window([old], None) is None
