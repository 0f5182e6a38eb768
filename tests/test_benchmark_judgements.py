"""The benchmark's judgements, each on a fixture where the right rule and a plausible wrong one give different
answers: a method's verdict in a comparison, the busy warning and the load it reads, the headline's per-round
ratios, which points the planner drops to fit the total, and which ratio decides a target. (Issue 20: M11, M12,
M13, M14, M16, M19.)"""

import numpy as np
import pandas as pd
import pytest

from nngrad.methods import get
from nngrad.results.compare import MIN_EFFECT, method_table
from nngrad.results.limits import Target, limits_table
from nngrad.results.load import Run
from nngrad.results.report import busy, headline, headline_ratios
from nngrad.sweep import machine
from nngrad.sweep.config import SweepConfig
from nngrad.sweep.plan import PlannedPoint, _fit_total

# -- M11: a method's verdict in a comparison --------------------------------------------------------------------------


def _ratios(**by_method: list[float]) -> pd.DataFrame:
    return pd.DataFrame([{"method": m, "ratio_b_over_a": r} for m, rs in by_method.items() for r in rs])


def test_a_method_a_few_percent_faster_is_the_same_not_faster():
    """Kills: any interval below 1 called "faster". Ratios at 0.96 lie below 1 but within the minimum effect
    (1 / 1.05 = 0.952): "same"; the mirror at 1.04 is "same" too; beyond the effect on either side, the verdict
    is a change."""
    table = _ratios(backprop=[0.958, 0.96, 0.962, 0.959, 0.961, 0.96, 0.963],
                    forward=[1.038, 1.04, 1.042, 1.041, 1.039],
                    loop=[0.90, 0.91, 0.905, 0.9], batched=[1.10, 1.12, 1.11, 1.1])
    verdicts = method_table(table).set_index("method")
    assert verdicts.loc["backprop", "ci_high"] < 1 and verdicts.loc["backprop", "ci_low"] > 1 / (1 + MIN_EFFECT)
    assert verdicts["verdict"].to_dict() == {"backprop": "same", "forward": "same", "loop": "faster",
                                             "batched": "slower"}


# -- M12: the busy warning reads the load before and after the run ---------------------------------------------------

START = {"call_s": 1e-6, "gemm_flop_s": 3e10, "elementwise_s": 7e-9}


def _run(before: float | None, after: float | None) -> Run:
    machine_info = {"cpu_count": 2, "others_load": before, "after": {"constants": dict(START), "others_load": after}}
    return Run("r", pd.DataFrame(), pd.DataFrame(), machine=machine_info, constants=dict(START))


@pytest.mark.parametrize("before, after, words", [(0.6, 0.0, "60% of the CPUs before it"),
                                                  (0.0, 0.7, "70% of the CPUs after it"),
                                                  (None, 0.4, "40% of the CPUs after it")])
def test_the_busy_warning_reads_the_load_measured_before_and_after_the_run(before, after, words):
    """Kills: the warning ignoring the load measured after the run (the constants did not move: only the load
    says the machine was busy)."""
    assert words in busy(_run(before, after))
    assert busy(_run(0.1, 0.2)) is None  # both under BUSY_LOAD


# -- M13: the load of other processes, from an injected /proc/stat ---------------------------------------------------

def _stat(user: int, system: int, idle: int, iowait: int) -> str:
    return f"cpu  {user} 0 {system} {idle} {iowait} 0 0 0 0 0\n"


def test_time_waiting_for_the_disk_is_not_other_processes_work():
    """Kills: iowait counted as other processes' work. Over the interval: 10 user + 0 system ticks, 40 idle, 50
    iowait: 10% busy (counting iowait as work would say 60%)."""
    samples = iter([_stat(100, 100, 1000, 200), _stat(110, 100, 1040, 250)])
    assert machine.others_load(0.0, read=lambda: next(samples)) == pytest.approx(0.10)


def test_the_load_is_the_busy_fraction_of_all_ticks_and_none_without_a_source():
    samples = iter([_stat(0, 0, 0, 0), _stat(30, 20, 50, 0)])
    assert machine.others_load(0.0, read=lambda: next(samples)) == pytest.approx(0.5)

    def missing() -> str:
        raise OSError("no /proc/stat here")

    assert machine.others_load(0.0, read=missing) is None
    same = _stat(5, 5, 5, 5)
    assert machine.others_load(0.0, read=lambda: same) is None  # no tick passed: nothing to say


# -- M14: the headline's ratios, per round ---------------------------------------------------------------------------

def test_a_slow_spell_starting_inside_a_round_moves_one_ratio_not_the_headline():
    """Kills: the headline as a ratio of medians. The machine slows down after round 4's forward pass was timed:
    from then on everything takes twice as long. Per round, the ratios are 2 and 100 in every round but the 4th;
    medians over the rounds would say median(backprop) / median(forward) = 4 / 1 = 4 and 200 / 1 = 200."""
    forward = [1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0]  # round 4 (index 3) timed before the spell began
    backprop = [2.0, 2.0, 2.0, 4.0, 4.0, 4.0, 4.0]
    loop = [100.0, 100.0, 100.0, 200.0, 200.0, 200.0, 200.0]
    run = Run("r", pd.DataFrame(), pd.DataFrame(), config={"num_input": 10, "num_output": 2},
              headline={"network": [5, 32, 16], "seconds": {"forward": forward, "backprop": backprop,
                                                             "numerical-loop": loop}})
    ratios = headline_ratios(run)
    assert ratios["backprop"]["median"] == 2.0 and ratios["numerical-loop"]["median"] == 100.0
    assert ratios["backprop"]["q3"] == 2.0  # one round of seven at 4: above the upper quartile
    text = headline(run)
    assert "**2 loss evaluations** for backprop" in text and "**100 loss evaluations** for numerical-loop" in text


# -- M16: the planner drops the O(N) methods' points first -----------------------------------------------------------

def _point(method: str, predicted_s: float, depth: int = 2) -> PlannedPoint:
    return PlannedPoint(method, depth, 8, 16, 200, 1000, 100, predicted_s)


def test_to_fit_the_total_a_cheap_o_n_point_goes_before_a_costlier_o_1_one():
    """Kills: the planner dropping the costliest point first, whatever its method's work exponent. The O(N) point
    is the cheaper; dropping it alone fits the total, and the O(1) point stays."""
    cfg = SweepConfig(depths=(2,), widths=(8,), methods=("backprop", "numerical-batched"), landscape=(5, 32, 16),
                      extra=(), total_s=0.5, target_s=0.05)
    cheap_o_n, costly_o_1 = _point("numerical-batched", 0.01), _point("backprop", 0.05)
    assert get(cheap_o_n.method).work_exponent > get(costly_o_1.method).work_exponent
    wall = {p.method: p.expected_wall_s(cfg.target_s, cfg.max_rounds) for p in (cheap_o_n, costly_o_1)}
    assert wall["numerical-batched"] < wall["backprop"] <= 0.5 < sum(wall.values())  # the fixture: one must go
    _fit_total([costly_o_1, cheap_o_n], cfg)
    assert cheap_o_n.skip_reason and "total of 0.5 s" in cheap_o_n.skip_reason
    assert costly_o_1.skip_reason is None


def test_the_classic_network_is_never_dropped_to_fit_the_total():
    cfg = SweepConfig(depths=(2,), widths=(8,), methods=("backprop", "numerical-batched"), landscape=(2, 8, 16),
                      extra=(), total_s=0.1, target_s=0.05)
    points = [_point("numerical-batched", 0.01), _point("backprop", 0.05)]
    _fit_total(points, cfg)
    assert all(p.skip_reason is None for p in points)


# -- M19: the worst ratio decides a target ---------------------------------------------------------------------------

def _pair_points(numerator: str, denominator: str, ratios: list[float]) -> pd.DataFrame:
    rows = []
    for k, r in enumerate(ratios):
        net = {"depth": k + 1, "width": 8, "batch": 16, "device": "cpu", "n_params": 100 * (k + 1), "status": "ok",
               "peak_memory_bytes": np.nan}
        rows += [{**net, "method": denominator, "median_s": 1e-3}, {**net, "method": numerator, "median_s": r * 1e-3}]
    return pd.DataFrame(rows)


EVERY = lambda d, w, b, c: True  # noqa: E731


@pytest.mark.parametrize("op, bound, ratios, worst, verdict", [
    ("<=", 1.0, [0.6, 1.3, 0.9], 1.3, "miss"),  # the best (0.6) would pass it
    (">=", 5.0, [40.0, 3.0, 60.0], 3.0, "miss"),  # the best (60) would pass it
    ("<=", 1.0, [0.6, 0.95, 0.9], 0.95, "pass"),
    (">=", 5.0, [40.0, 7.0, 60.0], 7.0, "pass"),
])
def test_the_worst_ratio_decides_a_target(op, bound, ratios, worst, verdict):
    """Kills: the best ratio deciding a target instead of the worst. The points differ: one of them misses."""
    target = Target("backprop", "torch", op, bound, EVERY, "every point")
    row = limits_table(_pair_points("backprop", "torch", ratios), targets=[target]).iloc[0]
    assert row["measured"] == pytest.approx(worst) and row["verdict"] == verdict and row["points"] == len(ratios)
    assert row["at"] == f"d{ratios.index(worst) + 1} w8 b16"
