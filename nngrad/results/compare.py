"""Two runs side by side: per-point time ratios B/A, flagged only when a bootstrap interval over the rounds
lies wholly beyond a minimum effect."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from .. import _files
from ..errors import InvalidValue
from . import plots
from .load import KEY, load_run
from .markdown import markdown_table

MIN_EFFECT = 0.05  # never call a change under 5% a change, however steady both runs were
MIN_ROUNDS = 3  # fewer raw rounds in either run: no interval, verdict "same (too few rounds)"
RESAMPLES = 2000  # bootstrap resamples of each run's rounds
CONFIDENCE = 0.95  # percentile interval of the ratio of medians
SEED = 0  # fixed: the same two runs always give the same table
TOO_FEW = "same (too few rounds)"
SAME_WITHIN = 1.5  # a method is "same" only when its whole interval lies within a factor of this of 1
INCONCLUSIVE = "inconclusive"  # neither beyond the minimum effect nor within SAME_WITHIN: the interval is too wide
EXPERIMENT = {"activation": "sigmoid", "loss": "mse", "dtype": "float64"}  # what a point's key leaves out: its
# network's activation, loss and precision, and the default of a run that does not say


def experiment(config: dict) -> dict[str, str]:
    """The experiment a run's points belong to: activation, loss and dtype (EXPERIMENT's defaults for older runs)."""
    return {k: str((config or {}).get(k) or default) for k, default in EXPERIMENT.items()}


def same_experiment(config_a: dict, config_b: dict) -> None:
    """Raise naming what differs when two runs are of different experiments: their points are not comparable."""
    a, b = experiment(config_a), experiment(config_b)
    if differs := [f"{k} {a[k]} (A) against {b[k]} (B)" for k in EXPERIMENT if a[k] != b[k]]:
        raise InvalidValue(f"A and B are different experiments: {'; '.join(differs)}; their points are not "
                           "comparable (compare runs made with the same --activation, --loss and --dtype)")


def method_verdict(low: float, high: float) -> str:
    """slower / faster when the interval lies wholly beyond MIN_EFFECT, same when it lies within SAME_WITHIN of 1,
    else INCONCLUSIVE."""
    if low > 1 + MIN_EFFECT:
        return "slower"
    if high < 1 / (1 + MIN_EFFECT):
        return "faster"
    return "same" if 1 / SAME_WITHIN <= low and high <= SAME_WITHIN else INCONCLUSIVE


def ratio_table(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Points measured in both runs: median_s and rounds of each, ratio B/A, its interval and the verdict.

    ratio_b_over_a = median_s_b / median_s_a; [ratio_ci_low, ratio_ci_high] is the CONFIDENCE percentile interval
    of median(B*) / median(A*) over RESAMPLES bootstrap resamples A*, B* of each run's per-call round times
    (resampled with replacement, independently, SEED fixed). "slower" when ratio_ci_low > 1 + MIN_EFFECT,
    "faster" when ratio_ci_high < 1 / (1 + MIN_EFFECT), else "same". Where either run kept fewer than MIN_ROUNDS
    raw rounds (or none: hand-made files) the interval is NaN and the verdict TOO_FEW: the spread of so few
    rounds says nothing of the median's uncertainty, and the old IQR rule-of-thumb is what this replaced.
    """
    cols = [*KEY, "n_params", "median_s", "iqr_s", "round_times_s"]
    ok_a, ok_b = a[a["status"] == "ok"].reindex(columns=cols), b[b["status"] == "ok"].reindex(columns=cols)
    both = ok_a.merge(ok_b, on=[*KEY, "n_params"], suffixes=("_a", "_b")).reset_index(drop=True)
    both["rounds_a"], both["rounds_b"] = _count(both["round_times_s_a"]), _count(both["round_times_s_b"])
    both["ratio_b_over_a"] = both["median_s_b"] / both["median_s_a"]
    low, high = ratio_interval(both["round_times_s_a"], both["round_times_s_b"])
    both["ratio_ci_low"], both["ratio_ci_high"] = low, high
    tested = (both["rounds_a"] >= MIN_ROUNDS) & (both["rounds_b"] >= MIN_ROUNDS)
    both["verdict"] = np.select([~tested, low > 1 + MIN_EFFECT, high < 1 / (1 + MIN_EFFECT)],
                                [TOO_FEW, "slower", "faster"], "same")
    return both.drop(columns=["round_times_s_a", "round_times_s_b"])


def _count(rounds: pd.Series) -> np.ndarray:
    """Number of raw rounds of each point (0 where none was kept): (P,)."""
    return np.array([len(r) if isinstance(r, (tuple, list, np.ndarray)) else 0 for r in rounds], dtype=int)


def ratio_interval(rounds_a: pd.Series, rounds_b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap interval of median(B) / median(A) per point: (low, high), each (P,); NaN where a side has
    fewer than MIN_ROUNDS rounds. rounds_a, rounds_b: P sequences of per-call seconds."""
    med_a, med_b = bootstrap_medians(rounds_a, side=0), bootstrap_medians(rounds_b, side=1)  # (P, RESAMPLES)
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = np.percentile(med_b / med_a, [tail, 100 - tail], axis=1)
    return low, high


def bootstrap_medians(rounds: pd.Series, side: int) -> np.ndarray:
    """Medians of RESAMPLES resamples with replacement of each point's rounds: (P, RESAMPLES); rows of NaN where
    a point has fewer than MIN_ROUNDS rounds. Points with the same number of rounds n share one draw of indices,
    seeded by (SEED, side, n): a point's interval depends on its own rounds only, not on the rest of the table."""
    counts = _count(rounds)
    out = np.full((len(counts), RESAMPLES), np.nan)
    for n in np.unique(counts[counts >= MIN_ROUNDS]):
        rows = np.flatnonzero(counts == n)
        x = np.sort(np.array([rounds.iloc[i] for i in rows], dtype=float), axis=1)  # (p, n), each row ascending
        idx = np.sort(np.random.default_rng([SEED, side, int(n)]).integers(0, n, (RESAMPLES, n)), axis=1)
        # x sorted and idx sorted make x[idx] sorted: its median is the mean of its middle two order statistics
        out[rows] = (x[:, idx[:, (n - 1) // 2]] + x[:, idx[:, n // 2]]) / 2
    return out


def method_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per method: its points, the median of their ratios B/A and its CONFIDENCE bootstrap interval over the
    points (resampled with replacement, SEED fixed), and the verdict by the same MIN_EFFECT rule. A point's own
    interval covers only the noise within its rounds, timed in one burst; the spread between a method's points
    also holds what moves between two runs (a busy spell, the CPU's clock), so a method's verdict is the one a
    second run of the same two versions reproduces. "same" needs the interval within SAME_WITHIN of 1: a wider one
    that holds 1 (1.03 to 451) is INCONCLUSIVE."""
    rows = []
    rng = np.random.default_rng(SEED)
    tail = 100 * (1 - CONFIDENCE) / 2
    for method, sel in table.groupby("method", sort=False):
        ratios = sel["ratio_b_over_a"].to_numpy(dtype=float)
        medians = np.median(ratios[rng.integers(0, len(ratios), (RESAMPLES, len(ratios)))], axis=1)
        low, high = np.percentile(medians, [tail, 100 - tail])
        verdict = method_verdict(low, high)
        rows.append({"method": method, "points": len(ratios), "median ratio B/A": float(np.median(ratios)),
                     "ci_low": low, "ci_high": high, "verdict": verdict})
    return pd.DataFrame(rows, columns=["method", "points", "median ratio B/A", "ci_low", "ci_high", "verdict"])


def only_in_one(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Points measured in one run and not the other: key, N, its median_s_a or median_s_b, "only in A" or "B"."""
    cols = [*KEY, "n_params", "median_s"]
    ok_a, ok_b = a[a["status"] == "ok"][cols], b[b["status"] == "ok"][cols]
    frames = []
    for mine, other, side in ((ok_a, ok_b, "A"), (ok_b, ok_a, "B")):
        alone = mine.merge(other[KEY], on=KEY, how="left", indicator=True)
        alone = alone[alone["_merge"] == "left_only"].drop(columns="_merge")
        frames.append(alone.rename(columns={"median_s": f"median_s_{side.lower()}"}).assign(verdict=f"only in {side}"))
    return pd.concat(frames, ignore_index=True)


def compare(path_a: str | Path, path_b: str | Path, out: str | Path | None = None) -> tuple[pd.DataFrame, Path]:
    """Write compare.csv, compare.png, compare_gap.png and compare.md into ``out``; returns the table and the
    markdown path."""
    run_a, run_b = load_run(path_a), load_run(path_b)
    same_experiment(run_a.config, run_b.config)
    same = Path(path_a).resolve() == Path(path_b).resolve()
    device_a, device_b = run_a.devices[0], run_b.devices[0]
    across = len(run_a.devices) == len(run_b.devices) == 1 and device_a != device_b
    if across:  # one device each, two devices: the comparison is between the devices, point by point
        run_b = replace(run_b, points=run_b.points.assign(device=device_a))
    table, only = ratio_table(run_a.points, run_b.points), only_in_one(run_a.points, run_b.points)
    if table.empty:
        raise InvalidValue(f"{path_a} and {path_b} have no measured point in common (same method, depth, width, batch)")
    out = Path(out) if out else Path(path_b if Path(path_b).is_dir() else Path(path_b).parent) / f"compare-{run_a.name}"
    out.mkdir(parents=True, exist_ok=True)
    _files.write_atomic(out / "compare.csv", pd.concat([table, only], ignore_index=True).to_csv(index=False))
    label = f"A = {run_a.label}\nB = {run_b.label}"
    plots.save(plots.overlay(run_a.points, run_b.points, run_a.name, run_b.name, label), out / "compare.png")
    plots.save(plots.overlay_gap(run_a.points, run_b.points, run_a.name, run_b.name, label), out / "compare_gap.png")
    changed = table[table["verdict"].isin(["slower", "faster"])]
    few = (table["verdict"] == TOO_FEW).sum()
    text = "\n".join([
        f"# {run_b.name} (B) against {run_a.name} (A)", "",
        f"A: {run_a.label}  ", f"B: {run_b.label}", "",
        "Both: " + ", ".join(f"{k} {v}" for k, v in experiment(run_a.config).items())
        + " (points are matched by method, depth, width and batch within one experiment).", "",
        *(["**A and B are the same run**: every ratio is 1 by construction.", ""] if same else []),
        *([(f"**A ran on {device_a}, B on {device_b}**: the points are matched by method, depth, width and batch "
            "across the two devices."), ""] if across else []),
        (f"{len(table)} points measured in both; median ratio B/A = {table['ratio_b_over_a'].median():.3g}; "
        f"{(table['verdict'] == 'slower').sum()} slower, {(table['verdict'] == 'faster').sum()} faster."
        + (f" {few} not tested (fewer than {MIN_ROUNDS} raw rounds in A or B)." if few else "")), "",
        (f"The test: the {CONFIDENCE:.0%} bootstrap interval of the ratio of medians B/A over the rounds of each run "
         f"({RESAMPLES:,} resamples); flagged when the whole interval lies beyond ±{MIN_EFFECT:.0%} "
         f"(above {1 + MIN_EFFECT:.3g}: slower; below 1/{1 + MIN_EFFECT:.3g}: faster)."), "",
        "## Per method", "",
        (f"The median of each method's ratios B/A over its points, with a {CONFIDENCE:.0%} bootstrap interval over "
         "the points: a point's rounds are timed in one burst, so its own interval misses what changes between two "
         "runs (on the 2-core development machine two default runs of the same code differed by more than 10% at "
         "about 40% of the points, both ways); a method's verdict is what a second comparison reproduces. "
         f"\"same\" needs the whole interval within {1 / SAME_WITHIN:.3g} to {SAME_WITHIN:.3g}; a wider interval "
         f"that is not beyond ±{MIN_EFFECT:.0%} is \"{INCONCLUSIVE}\": more points or rounds would decide it."), "",
        method_table(table).pipe(markdown_table), "",
        "![time per call, A and B](compare.png)", "", "![cost gap, A and B](compare_gap.png)", "",
        f"## Changed points (the whole interval beyond ±{MIN_EFFECT:.0%})", "",
        changed.pipe(markdown_table) if not changed.empty else "_none_", "",
        "## Measured in only one run", "",
        only.pipe(markdown_table) if not only.empty else "_none_", "",
        "## All points", "", table.pipe(markdown_table), ""])
    _files.write_atomic(out / "compare.md", text)
    return pd.concat([table, only], ignore_index=True), out / "compare.md"
