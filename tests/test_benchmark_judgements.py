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
    cfg = SweepConfig(depths=(2,), widths=(8,), methods=("backprop", "numerical-batched"), classic=(5, 32, 16),
                      extra=(), total_s=0.5, timing_s=0.05)
    cheap_o_n, costly_o_1 = _point("numerical-batched", 0.01), _point("backprop", 0.05)
    assert get(cheap_o_n.method).work_exponent > get(costly_o_1.method).work_exponent
    wall = {p.method: p.expected_wall_s(cfg.timing_s, cfg.max_rounds) for p in (cheap_o_n, costly_o_1)}
    assert wall["numerical-batched"] < wall["backprop"] <= 0.5 < sum(wall.values())  # the fixture: one must go
    _fit_total([costly_o_1, cheap_o_n], cfg)
    assert cheap_o_n.skip_reason and "total of 0.5 s" in cheap_o_n.skip_reason
    assert costly_o_1.skip_reason is None


def test_the_classic_network_is_never_dropped_to_fit_the_total():
    cfg = SweepConfig(depths=(2,), widths=(8,), methods=("backprop", "numerical-batched"), classic=(2, 8, 16),
                      extra=(), total_s=0.1, timing_s=0.05)
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


EVERY = lambda d, w, b, c: True


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


# -- the mutation run's survivors in results/ and sweep/ (tools/mutation) ---------------------------------------------

def test_a_report_is_built_from_a_stored_benchmark_json_with_every_file_and_section(tmp_path):
    """build_report writes each table and figure where it says, the report's sections in order, its tables without
    a pandas index column. (Mutants: the output paths, index=True, the figure loop inverted.)"""
    import json

    from conftest import fake_benchmark_json, sweep_points

    from nngrad.results.report import FIGURES, build_report

    source = tmp_path / "laptop.json"
    source.write_text(json.dumps(fake_benchmark_json(sweep_points(depths=(1, 2, 4), widths=(8, 16)))))
    report = build_report(source)
    out = tmp_path / "laptop-report"
    assert report == out / "report.md"
    for name in ("summary.csv", "fits.csv", "limits.csv", "landscape.csv"):
        first = (out / name).read_text().splitlines()[0]
        assert not first.startswith(",") and not first.startswith("Unnamed"), name  # no index column
    text = report.read_text()
    figures = [name for name in FIGURES if (out / name).exists()]
    assert figures and all(f"({name})" in text for name in figures)
    assert text.index("## The answer") < text.index("## Verdicts: peers and limits") < text.index("## The cost model")
    assert "| method" in text or "|:-" in text


def _classic_points(ratio: float = 1.2, memory: float = 3 * 2.0**20) -> pd.DataFrame:
    rows = []
    for method, seconds in (("numerical-batched", 1e-3), ("forward-mode", ratio * 1e-3)):
        rows.append({"method": method, "depth": 5, "width": 32, "batch": 16, "device": "cpu", "n_params": 4642,
                     "status": "ok", "median_s": seconds, "peak_memory_bytes": memory})
    return pd.DataFrame(rows)


def test_a_target_at_the_classic_network_is_measured_there_and_memory_is_stated_in_mib():
    """(Mutants: the classic network compared with (depth, width, batch); bytes multiplied by a MiB.)"""
    table = limits_table(_classic_points(), classic=(5, 32, 16)).set_index("target")
    row = table.loc["forward-mode / numerical-batched <= 1"]
    assert row["verdict"] == "miss" and row["measured"] == pytest.approx(1.2) and row["at"] == "d5 w32 b16"
    memory = table.loc[next(t for t in table.index if "peak memory" in t)]
    assert memory["measured"] == pytest.approx(3.0) and memory["verdict"] == "pass"


def _where_from_text(text: str):
    """The condition a target's where_text states ("batch >= 64, width >= 256", "every point", ...)."""
    import operator

    ops = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "==": operator.eq}
    checks = []
    for part in text.split(", "):
        name, op, value = part.split(" ")
        checks.append((name, ops[op], int(value)))
    return lambda d, w, b: all(op({"batch": b, "width": w, "depth": d}[name], v) for name, op, v in checks)


def test_each_targets_condition_is_the_one_its_text_states_at_the_boundaries():
    """(Mutants: b >= 64 made b >= 65 or b > 64.) Every target whose where_text is a list of bounds holds exactly
    where the text says, at and around each bound."""
    from nngrad.results.limits import DEVICE_TARGETS, TARGETS

    stated = [t for t in TARGETS + DEVICE_TARGETS if all(op in t.where_text for op in (">=",))
              and "N" not in t.where_text]
    assert stated
    for t in stated:
        holds = _where_from_text(t.where_text)
        for b in (1, 16, 63, 64, 65, 128):
            for w in (8, 63, 64, 65, 255, 256, 257, 512):
                assert t.where(5, w, b, (5, 32)) == holds(5, w, b), (t.where_text, w, b)


def test_the_targets_bounds_are_the_documented_ones():
    """(Mutants: a bound made 10 times looser.) docs/reference.md states the targets: backprop no slower than the
    peers (<= 1), the cheap-gradient bound (<= 3), forward mode no slower than the batched differences (<= 1)."""
    from nngrad.results.limits import TARGETS

    bounds = {(t.numerator, t.denominator): (t.op, t.bound) for t in TARGETS}
    assert bounds[("backprop", "torch")] == ("<=", 1.0) and bounds[("backprop", "jax")] == ("<=", 1.0)
    assert bounds[("backprop", "forward")] == ("<=", 3)
    assert bounds[("forward-mode", "numerical-batched")] == ("<=", 1.0)


@pytest.mark.parametrize("measured, inside", [(1.3, True), (1 / 1.3, True), (1.31, False), (1 / 1.31, False)])
def test_a_prediction_at_the_edge_of_the_band_is_inside(measured, inside):
    """The band is closed: measured / predicted in [1 / 1.3, 1.3] is inside. (Mutants: < for <=.)"""
    from nngrad.results.prediction import BAND, predicted_points

    assert BAND == 0.30  # the ±30% of the report
    points = pd.DataFrame([{"status": "ok", "median_s": measured, "model_s": 1.0}])
    assert bool(predicted_points(points)["inside"].iloc[0]) is inside


def test_a_points_interval_holds_the_stated_confidence_of_the_resampled_ratios():
    """ratio_interval is the central CONFIDENCE interval of the bootstrap ratios: 2.5% of them below, 2.5% above.
    (Mutants: the tails doubled, 101 - tail.)"""
    from nngrad.results.compare import CONFIDENCE, bootstrap_medians, ratio_interval

    rng = np.random.default_rng(5)
    a = pd.Series([tuple(rng.lognormal(0, 0.1, 15))])
    b = pd.Series([tuple(1.2 * rng.lognormal(0, 0.1, 11))])
    low, high = ratio_interval(a, b)
    ratios = bootstrap_medians(b, side=1)[0] / bootstrap_medians(a, side=0)[0]
    assert CONFIDENCE == 0.95  # the report's "95% bootstrap interval"
    assert (low[0], high[0]) == (np.percentile(ratios, 2.5), np.percentile(ratios, 97.5))  # equal tails
    assert np.mean((ratios >= low[0]) & (ratios <= high[0])) >= CONFIDENCE


def test_without_the_study_the_headline_states_backprop_and_the_costliest_difference_at_the_classic_network():
    """(Mutant: the sentence's closing period subtracted, a TypeError.) Without the interleaved study the headline
    comes from the classic network's points."""
    from conftest import fake_benchmark_json, sweep_points

    from nngrad.results.load import _assemble

    data = fake_benchmark_json(sweep_points(depths=(5,), widths=(32,)))
    run = _assemble("r", data["nngrad"], data["nngrad"]["records"], data["benchmarks"])
    text = headline(run)
    assert "one backprop gradient cost" in text and "numerical-" in text and text.endswith(".")


def test_the_headlines_spread_is_the_interquartile_range_of_the_per_round_ratios():
    """(Mutant: the 76th percentile for the 75th.) q1 and q3 are the 25th and 75th percentiles of the ratios."""
    forward = [1.0] * 8
    backprop = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    run = Run("r", pd.DataFrame(), pd.DataFrame(), config={"num_input": 10, "num_output": 2},
              headline={"network": [5, 32, 16], "seconds": {"forward": forward, "backprop": backprop,
                                                             "numerical-loop": [100.0] * 8}})
    ratios = headline_ratios(run)["backprop"]
    assert (ratios["q1"], ratios["median"], ratios["q3"]) == (2.75, 4.5, 6.25)  # numpy's linear percentiles


def test_a_load_source_that_fails_on_its_second_sample_gives_no_load():
    """(Mutant: `first is None and second is None`: a failed second sample then crashed.)"""
    samples = iter([_stat(1, 1, 1, 1)])

    def read() -> str:
        try:
            return next(samples)
        except StopIteration:
            raise OSError("gone") from None

    assert machine.others_load(0.0, read=read) is None


def test_two_points_are_too_few_for_a_power_fit_whatever_the_number_of_terms():
    """A fit needs at least MIN_POINTS (5) points and more points than terms. (Mutant: `and` for `or`: two points
    of one term were fitted, a line through two points with a bootstrap interval of nothing.)"""
    from conftest import fake_benchmark_json, sweep_points

    from nngrad.results.fits import MIN_POINTS, growth_fits
    from nngrad.results.load import _assemble

    assert MIN_POINTS == 5
    data = fake_benchmark_json(sweep_points(depths=(1, 2), widths=(64,), methods=("forward", "backprop")))
    points = _assemble("r", data["nngrad"], data["nngrad"]["records"], data["benchmarks"]).points
    fits = growth_fits(points.assign(overhead_dominated=False))
    time_rows = fits[fits["model"].str.startswith("time")]
    assert len(time_rows) and time_rows["note"].str.startswith("not fitted: not enough points").all()
    assert time_rows["exponent"].isna().all()
