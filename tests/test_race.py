"""nngrad race's rules: held targets, medians with misses, targets from the reference, equal budgets, counts that
do not depend on --jobs or the scheduler, and a resumed race that ends as an uninterrupted one."""

import numpy as np
import pandas as pd
import pytest

from nngrad.train import race as engine
from nngrad.train import race_judge as judge
from nngrad.train.equivalents import Ratios
from nngrad.train.race_plan import TASKS, Contestant, RunSpec, budget_steps, checkpoints, contestants, lr_grid

RATIOS = Ratios(tangent_pass=1.0, backward_pass=1.0)  # fixed: no timing in the counts
MACHINE = ["seconds", "load", "peak_memory_bytes"]  # the only columns measured, not counted


def curve(losses, budget=None, steps=None):
    """A run's curve: train_loss at steps 0, 1, 2, ... (or ``steps``); its budget is the last step unless given."""
    steps = list(range(len(losses))) if steps is None else steps
    return pd.DataFrame({"step": steps, "budget_steps": budget if budget is not None else steps[-1],
                         "loss_evaluations": [2 * s for s in steps], "tangent_passes": 0, "backward_passes": 0,
                         "equivalents": [2.0 * s for s in steps], "seconds": [0.1 * s for s in steps],
                         "train_loss": losses, "test_accuracy": np.nan, "load": 0.0})


def test_a_target_touched_then_lost_is_a_miss():
    assert judge.held_from(curve([1.0, 0.4, 0.6, 0.7]), 0.5) is None


def test_a_held_target_counts_from_the_checkpoint_after_the_last_rise():
    hit = judge.reached(curve([1.0, 0.4, 0.6, 0.45, 0.3]), 0.5)
    assert hit["steps"] == 3 and hit["loss_evaluations"] == 6 and hit["equivalents"] == 6.0


def test_a_run_that_diverged_misses_even_what_it_held_before():
    stopped = curve([1.0, 0.3, 0.2, np.inf], budget=10)
    assert judge.held_from(stopped, 0.5) is None
    short = curve([1.0, 0.3, 0.2], budget=10)  # stopped before its budget, finite
    assert judge.held_from(short, 0.5) is None


def test_medians_over_seeds_count_a_miss_as_infinite():
    hit, late, miss = curve([1.0, 0.4, 0.3, 0.2]), curve([1.0, 0.9, 0.4, 0.3]), curve([1.0, 0.9, 0.8, 0.7])
    one_miss = judge.summarize([hit, late, miss], {"T": 0.5})[0]
    assert one_miss["reached"] == 2 and one_miss["steps"] == 2.0  # median of 1, 2, inf
    two_misses = judge.summarize([hit, miss, miss], {"T": 0.5})[0]
    assert two_misses["reached"] == 1 and two_misses["steps"] == np.inf and two_misses["seeds"] == 3


def test_targets_come_from_the_median_of_the_reference_seeds():
    a, b, c = curve([2.2, 1.0, 0.1]), curve([2.0, 1.2, 0.4]), curve([1.8, 0.5, 0.2])  # medians: 2.0 and 0.2
    t = judge.targets([a, b, c], {"T90": 0.9, "T50": 0.5})
    assert t["T90"] == pytest.approx(2.0 - 0.9 * (2.0 - 0.2)) and t["T50"] == pytest.approx(2.0 - 0.5 * 1.8)


def test_the_reference_is_tuned_on_final_loss_and_the_others_on_equivalents_held():
    ref = {0.1: curve([2.0, 1.0, 0.5]), 0.3: curve([2.0, 0.5, 0.2]), 1.0: curve([2.0, 0.1, np.inf], budget=3)}
    assert judge.tune_reference(ref) == 0.3  # 1.0 went lowest but diverged
    runs = {0.01: curve([2.0, 1.5, 0.9, 0.8]), 0.03: curve([2.0, 0.9, 0.95, 0.7]), 0.1: curve([2.0, 0.5, 2.0, 3.0])}
    assert judge.tune(runs, 1.0) == 0.03  # 0.1 touched first and lost it


def test_step_penalty_is_steps_over_backprop_at_the_same_target_and_width():
    race = pd.DataFrame({"method": ["backprop", "spsa", "spsa", "backprop", "spsa"], "width": [8, 8, 8, 8, 16],
                         "target": ["T90", "T90", "T99", "T99", "T90"], "steps": [10.0, 250.0, 5.0, np.inf, 40.0]})
    assert judge.step_penalty(race).iloc[1] == 25.0
    assert np.isnan(judge.step_penalty(race)).tolist() == [True, False, True, True, True]


def test_every_contestant_gets_the_same_budget_in_equivalents():
    config = engine.new_config("classic", ["backprop", "numerical-batched", "spsa", "forward-gradient"], (1, 4),
                               widths=(8,), max_steps=10**9)
    chosen = [Contestant(m, k) for m, k in config["contestants"]]
    plan = engine.plan_width(config, TASKS["classic"], chosen, 8, RATIOS)
    budget = plan["budget"]
    assert budget == 100 * (plan["n"] + 1)
    for c, per in plan["per"].items():
        spent = per["steps"] * per["per_step"]
        assert budget - per["per_step"] < spent <= budget, c
    assert plan["per"][Contestant("numerical-batched", 0)]["steps"] == 100  # the lesson's 100 epochs


def test_contestants_lr_grids_and_checkpoints_follow_the_stated_rules():
    assert [c.key for c in contestants(None, None, TASKS["digits"])] == [
        "backprop@0", "numerical-batched@0", "forward-gradient@1", "spsa@1", "spsa@16"]
    assert [c.key for c in contestants(("spsa",), None, TASKS["digits"], quick=True)] == ["backprop@0", "spsa@1"]
    grid = lr_grid(TASKS["digits"], Contestant("backprop", 0), 2410)
    assert grid == [0.01, 0.03, 0.1, 0.3, 1.0]
    assert lr_grid(TASKS["digits"], Contestant("spsa", 1), 2410) == [3e-4, 1e-3, 3e-3, 0.01, 0.03]
    marks = checkpoints(1000)
    assert marks[0] == 0 and marks[-1] == 1000 and 45 <= len(marks) <= 62
    assert budget_steps(1000.0, 3.0, 10**6) == 333 and budget_steps(1000.0, 3.0, 50) == 50


def tiny(out, **kw):
    """A tiny race: classic at width 8, a short budget, three contestants, two learning rates, two seeds."""
    config = engine.new_config("classic", ["backprop", "spsa", "forward-gradient"], (1,), (50.0, 90.0), seeds=2,
                               widths=(8,), max_steps=40, grid_size=2, **kw)
    return engine.start(out, config, RATIOS)


def counts_only(frame):
    return frame.drop(columns=[c for c in MACHINE if c in frame]).reset_index(drop=True)


def test_a_tiny_race_writes_its_files_and_sets_targets_from_backprop(tmp_path):
    curves, table, meta = engine.race(tmp_path, tiny(tmp_path))
    assert {p.name for p in tmp_path.iterdir()} >= {"race.json", "curves.csv", "race.csv", "runs"}
    assert meta["finished"] and set(meta["targets"]) == {"T50", "T90"}
    assert len(list((tmp_path / "runs").glob("*.csv"))) == engine.total_runs(meta["config"]) == 3 * (2 + 1)
    assert set(curves["phase"]) == {"tune", "final"} and len(table) == 3 * 2
    ref = curves[(curves["method"] == "backprop") & (curves["phase"] == "final")]
    assert ref["seed"].nunique() == 2 and (ref["lr"] == meta["tuned_lr"]["backprop@0"]).all()
    assert list(table.columns[:10]) == ["task", "width", "N", "method", "k", "lr", "target", "target_loss", "seeds",
                                        "reached"]


def test_counts_are_identical_whatever_jobs(tmp_path):
    one = engine.race(tmp_path / "one", tiny(tmp_path / "one"))
    two = engine.race(tmp_path / "two", tiny(tmp_path / "two"), jobs=2)
    pd.testing.assert_frame_equal(counts_only(one[1]), counts_only(two[1]))
    pd.testing.assert_frame_equal(counts_only(one[0]), counts_only(two[0]))


def test_a_resumed_race_ends_as_an_uninterrupted_one(tmp_path):
    whole = engine.race(tmp_path / "whole", tiny(tmp_path / "whole"))[1]
    meta, seen = tiny(tmp_path / "cut"), []

    def interrupt(n, label):
        seen.append(n)
        if len(seen) == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        engine.race(tmp_path / "cut", meta, done=interrupt)
    assert 0 < len(list((tmp_path / "cut" / "runs").glob("*.csv"))) < engine.total_runs(meta["config"])
    assert not engine.read_meta(tmp_path / "cut")["finished"]
    resumed = engine.race(tmp_path / "cut", engine.read_meta(tmp_path / "cut"))[1]
    pd.testing.assert_frame_equal(counts_only(whole), counts_only(resumed))


def test_a_run_is_the_same_from_its_key_alone():
    spec = RunSpec("classic", 8, "spsa", 1, 0.3, 1, 20)
    a, b = engine.run(spec, RATIOS), engine.run(spec, RATIOS)
    pd.testing.assert_frame_equal(counts_only(a), counts_only(b))
    other = engine.run(RunSpec("classic", 8, "spsa", 1, 0.3, 2, 20), RATIOS)
    assert not np.array_equal(a["train_loss"], other["train_loss"])


def test_counts_are_identical_on_a_local_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    one = engine.race(tmp_path / "one", tiny(tmp_path / "one"))[1]
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        dask = engine.race(tmp_path / "dask", tiny(tmp_path / "dask"), scheduler=client)[1]
    pd.testing.assert_frame_equal(counts_only(one), counts_only(dask))


def test_the_report_says_what_estimators_cost_against_backprop_and_forward_differences():
    from nngrad.train.race_report import verdict

    rows = pd.DataFrame({"method": ["backprop", "numerical-batched", "spsa", "spsa", "forward-gradient"],
                         "k": [0, 0, 1, 16, 1], "target": "T90",
                         "equivalents": [200.0, 300_000.0, 60_000.0, 100_000.0, np.inf]})
    said = verdict(rows, "T90")
    assert "cost 300x-500x backprop's" in said and "3.0x-5.0x fewer than forward differences" in said
    assert "missed (median over seeds): forward-gradient k=1" in said


def test_time_ratios_measured_as_free_are_measured_again(monkeypatch):
    answers = iter([Ratios(0.0, 0.0), Ratios(0.9, 0.0), Ratios(0.9, 0.7)])
    monkeypatch.setattr(engine, "measure_ratios", lambda net, x, y: next(answers))
    assert engine._measure("classic", 8) == Ratios(0.9, 0.7)


def test_quick_is_one_seed_k_1_and_a_smaller_grid_of_the_same_size_for_everyone():
    config = engine.new_config("digits", quick=True)
    assert config["seeds"] == 1 and config["grid_size"] == 3
    assert {k for m, k in config["contestants"] if m in ("spsa", "forward-gradient")} == {1}
    assert engine.total_runs(config) == len(config["contestants"]) * 3
