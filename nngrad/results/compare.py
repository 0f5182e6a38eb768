"""Two runs side by side: per-point time ratios B/A, flagged only when they exceed the runs' own noise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import _files
from ..errors import InvalidValue
from . import plots
from .load import KEY, load_run

MIN_NOISE = 0.05  # never call a change under 5% significant, however steady both runs were


def ratio_table(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Points measured in both runs: median_s of each, ratio B/A, the noise and the verdict.

    noise = IQR/median of A + IQR/median of B (at least MIN_NOISE); "slower" when ratio > 1 + noise,
    "faster" when ratio < 1 / (1 + noise), else "same".
    """
    cols = [*KEY, "n_params", "median_s", "iqr_s"]
    ok_a, ok_b = a[a["status"] == "ok"][cols], b[b["status"] == "ok"][cols]
    both = ok_a.merge(ok_b, on=[*KEY, "n_params"], suffixes=("_a", "_b"))
    both["ratio_b_over_a"] = both["median_s_b"] / both["median_s_a"]
    noise = both["iqr_s_a"] / both["median_s_a"] + both["iqr_s_b"] / both["median_s_b"]
    both["noise"] = noise.clip(lower=MIN_NOISE)
    both["verdict"] = np.select([both["ratio_b_over_a"] > 1 + both["noise"],
                                 both["ratio_b_over_a"] < 1 / (1 + both["noise"])], ["slower", "faster"], "same")
    return both.reset_index(drop=True)


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
    same = Path(path_a).resolve() == Path(path_b).resolve()
    table, only = ratio_table(run_a.points, run_b.points), only_in_one(run_a.points, run_b.points)
    if table.empty:
        raise InvalidValue(f"{path_a} and {path_b} have no measured point in common (same method, depth, width, batch)")
    out = Path(out) if out else Path(path_b if Path(path_b).is_dir() else Path(path_b).parent) / f"compare-{run_a.name}"
    out.mkdir(parents=True, exist_ok=True)
    _files.write_atomic(out / "compare.csv", pd.concat([table, only], ignore_index=True).to_csv(index=False))
    label = f"A = {run_a.label}\nB = {run_b.label}"
    plots.save(plots.overlay(run_a.points, run_b.points, run_a.name, run_b.name, label), out / "compare.png")
    plots.save(plots.overlay_gap(run_a.points, run_b.points, run_a.name, run_b.name, label), out / "compare_gap.png")
    changed = table[table["verdict"] != "same"]
    text = "\n".join([
        f"# {run_b.name} (B) against {run_a.name} (A)", "",
        f"A: {run_a.label}  ", f"B: {run_b.label}", "",
        *(["**A and B are the same run**: every ratio is 1 by construction.", ""] if same else []),
        (f"{len(table)} points measured in both; median ratio B/A = {table['ratio_b_over_a'].median():.3g}; "
        f"{(table['verdict'] == 'slower').sum()} slower, {(table['verdict'] == 'faster').sum()} faster beyond the "
        f"noise (IQR/median of A + of B, at least {MIN_NOISE:.0%})."), "",
        "![time per call, A and B](compare.png)", "", "![cost gap, A and B](compare_gap.png)", "",
        "## Changed beyond the noise", "",
        changed.to_markdown(index=False, floatfmt=".3g") if not changed.empty else "_none_", "",
        "## Measured in only one run", "",
        only.to_markdown(index=False, floatfmt=".3g") if not only.empty else "_none_", "",
        "## All points", "", table.to_markdown(index=False, floatfmt=".3g"), ""])
    _files.write_atomic(out / "compare.md", text)
    return pd.concat([table, only], ignore_index=True), out / "compare.md"
