"""A stored run -> summary.csv, fits.csv, landscape.csv, the plots (PNG) and report.md, without re-running
anything."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import _files
from ..methods import get as get_method
from ..methods.base import REFERENCE, UNIT
from ..methods.runtimes import DEFAULT as DEFAULT_RUNTIME
from ..model.counts import num_params
from . import devices, overhead, plots, prediction, sanity, tables
from .fits import MIN_POINTS, MIN_SPREAD, growth_fits
from .landscape import classic as _classic
from .landscape import landscape_table
from .limits import limits_table
from .load import Run, load_run, paired
from .markdown import markdown_table
from .sanity import BUSY_LOAD  # one threshold for the run's busy warning and its points' busy flag

SUMMARY_COLUMNS = ["method", "device", "family", "depth", "width", "batch", "n_params", "status", "median_s", "iqr_s", "rounds",
                   "iterations", "loss_evaluations", "tangent_passes", "gflops", "peak_memory_bytes", "gradient_error",
                   "cosine", "reference", "predicted_s", "model_s", "dominant", "compile_s", "overhead_dominated",
                   "others_load", "retimed", "flag", "message"]  # others_load, retimed: runs that recorded them
FIGURES = {  # file -> section title, in the report's order
    "landscape.png": "The cost of a gradient in loss evaluations",
    "cost_gap.png": "The cost gap: O(N) gradients (and estimators) / backprop",
    "time_vs_depth.png": "Time per gradient vs depth",
    "time_vs_width.png": "Time per gradient vs width",
    "work.png": "Counted work: loss evaluations and tangent passes",
    "memory_vs_depth.png": "Peak memory of one gradient",
    "accuracy.png": "Accuracy vs step: finite differences and the complex step",
    "overhead.png": "The interpreter's share: backprop in numpy, compiled, torch and JAX against the flop floor",
}
MODEL_FIGURE = "model.png"  # shown in the cost model's own section


def summary_table(points: pd.DataFrame) -> pd.DataFrame:
    """One tidy row per point; skipped points carry their predicted time and the reason."""
    return points[[c for c in SUMMARY_COLUMNS if c in points]].rename(columns={"n_params": "N", "message": "note"})


def middle(values) -> int:
    """The middle of the sorted distinct values (the upper one of two): the fixed size of a 1-D plot."""
    distinct = sorted(set(pd.Series(values).dropna()))
    return int(distinct[len(distinct) // 2])


def figures(run: Run, fits: pd.DataFrame) -> dict[str, object]:
    p, label, cfg = run.points, run.label, run.config
    width, depth = middle(cfg.get("widths") or p["width"]), middle(cfg.get("depths") or p["depth"])
    figs = {
        "landscape.png": plots.landscape(p, label, cfg.get("method_options")),
        "cost_gap.png": plots.cost_gap(p, fits, label),
        "time_vs_depth.png": plots.time_vs_depth(p, width, label),
        "time_vs_width.png": plots.time_vs_width(p, depth, label),
        "work.png": plots.work(p, label, cfg.get("method_options")),
        "memory_vs_depth.png": plots.memory_vs_depth(p, width, label),
    }
    if not run.accuracy.empty:
        figs["accuracy.png"] = plots.accuracy(run.accuracy, label)
    if len(overhead.measured(p)) >= 2:
        figs["overhead.png"] = overhead.figure(p, run.constants, label)
    figs[MODEL_FIGURE] = plots.predicted_vs_measured(p, label, prediction.BAND)
    return figs


def build_report(source: str | Path, out: str | Path | None = None, loaded: Run | None = None) -> Path:
    """Write summary.csv, fits.csv, landscape.csv, *.png and report.md for a run folder or benchmark JSON
    (``loaded``: the run already read from it); returns report.md."""
    source = Path(source)
    whole = loaded or load_run(source)
    run = whole.on(whole.devices[0])  # the report's sections are the first device's; devices.section the rest
    out = Path(out) if out else (source if source.is_dir() else source.with_name(f"{source.stem}-report"))
    out.mkdir(parents=True, exist_ok=True)
    fits = growth_fits(run.points)
    summary = summary_table(run.points)
    landscape, _ = landscape_table(run)
    _files.write_atomic(out / "summary.csv", summary_table(whole.points).to_csv(index=False))
    _files.write_atomic(out / "limits.csv", limits_table(run.points, _classic(run), constants=run.constants
                                                         ).to_csv(index=False))
    _files.write_atomic(out / "fits.csv", fits.to_csv(index=False))
    _files.write_atomic(out / "landscape.csv", landscape.to_csv(index=False))
    if not (shares := overhead.table(run.points, run.methods, run.constants.get("gemm_flop_s"))).empty:
        _files.write_atomic(out / "overhead.csv", shares.to_csv(index=False))
    images = figures(run, fits)
    on_devices = devices.figures(whole) if len(whole.devices) > 1 else {}
    if on_devices:
        _files.write_atomic(out / "devices.csv", devices.constants_table(whole).to_csv(index=False))
    for name, fig in {**images, **on_devices}.items():
        plots.save(fig, out / name)
    _files.write_atomic(out / "report.md", markdown(run, summary, fits, list(images),
                                                    unfinished(whole.points, source)) + "\n".join(
        devices.section(whole)))
    return out / "report.md"


def headline(run: Run) -> str:
    """At the classic network (which every default run measures, whatever the machine): backprop and the textbook
    finite difference in loss evaluations, from the interleaved rounds of the headline study (median and IQR of
    the per-round ratios); from the sweep's unflagged points for a run without that study."""
    if study := headline_ratios(run):
        (d, w, b), n = study["network"], study["n_params"]
        where = f"At the classic network (depth {d}, width {w}, batch {b}, N = {n:,})"
        if (low := study["backprop"]["median"]) < sanity.CHEAPEST:
            return (f"{where} no headline: not judged (the headline study timed backprop at {_count(low)} loss "
                    f"evaluations, cheaper than one: impossible; the machine was busy). Run `nngrad bench` again on a "
                    "quiet machine.")
        parts = [f"**{_count(study[m]['median'])} loss evaluations** for {m} (IQR {_count(study[m]['q1'])} to "
                 f"{_count(study[m]['q3'])})" for m in ("backprop", "numerical-loop")]
        if reasons := busy_reasons(run):  # alternation cancels a slowdown that lasts a round, not one within it
            parts = [p.replace("**", "") for p in parts]
            return (f"{where}: no headline, not judged: the machine was busy ({'; '.join(reasons)}). Timed in "
                    f"alternation all the same, one gradient cost {parts[0]} and {parts[1]} over {study['rounds']} "
                    "rounds; the ratios within a round cancel a slowdown that lasts the round, not one that falls "
                    "within it, so they are indicative only: run `nngrad bench` again on a quiet machine.")
        return (f"{where} one gradient cost "
                f"{parts[0]} and {parts[1]}: medians of the per-round ratios over {study['rounds']} rounds that time "
                "the loss, backprop and the loop in alternation (so that a second run reproduces them; a loss "
                f"evaluation took {study['forward_s'] * 1e3:.3g} ms).")
    return _headline_from_points(run)


def _headline_from_points(run: Run) -> str:
    """The headline from the landscape table's unflagged ratios (landscape.landscape_table leaves a ratio blank where
    its point or the forward pass is flagged)."""
    table, (d, w, b) = landscape_table(run)
    ok = table[table["status"] == "ok"].set_index("method")
    if not {REFERENCE, UNIT} <= set(ok.index):
        return "The classic network was not measured with backprop and the forward pass."
    n = int(run.points.loc[(run.points["depth"] == d) & (run.points["width"] == w), "n_params"].iloc[0])
    where = f"At the classic network (depth {d}, width {w}, batch {b}, N = {n:,})"
    bp = ok.loc[REFERENCE]
    if pd.isna(bp["t / t(forward)"]):
        return (f"{where} no headline: not judged (backprop's point there: {bp['note']}). Run `nngrad bench` again "
                "on a quiet machine.")
    text = (f"{where} one backprop gradient cost **{bp['t / t(forward)']:.2g} loss evaluations** ({_median_iqr(bp)})")
    slow = ok[ok["family"] == "finite-difference"]
    kept = slow[slow["t / t(forward)"].notna()]
    if len(kept):
        name = kept["t / t(forward)"].idxmax()
        text += f"; {name} cost **{kept.loc[name, 't / t(forward)']:,.0f}** ({_median_iqr(kept.loc[name])})"
    if len(left := slow[slow["t / t(forward)"].isna()]):
        text += f" ({sanity.left_out(left['note'].map(sanity.kind))})"
    return text + "."


def reference_check(run: Run) -> str:
    """How backprop's own gradient was checked, in the words of the points table's ``reference`` column (this nngrad's
    registry for a run that does not say)."""
    stored = run.points.loc[run.points["method"] == REFERENCE, "reference"].dropna()
    return str(stored.iloc[0]) if len(stored) else get_method(REFERENCE).check.reference


def headline_against_table(run: Run, table: pd.DataFrame) -> str | None:
    """Under the landscape table: the headline is timed in alternation, the table's ratios are of medians timed in
    separate bursts, and how far the two are apart in this run; None for a run without the headline study."""
    study = headline_ratios(run)
    if not study:
        return None
    ok = table[table["status"] == "ok"].set_index("method")["t / t(forward)"]
    apart = "; ".join(f"{m}: {_count(study[m]['median'])} in the headline, {_count(ok[m])} here"
                      for m in ("backprop", "numerical-loop") if pd.notna(ok.get(m)))
    return ("The headline above and this table can differ" + (f" ({apart})" if apart else "") + ": the headline is "
            f"timed in alternation (each of its {study['rounds']} rounds times one loss evaluation, one backprop and "
            "one textbook loop back to back, and takes the ratios within the round), so whatever slows the machine "
            "slows both sides of its ratio; this table divides two medians, each timed in its own burst at another "
            "moment of the run, so a busy spell that falls on one burst moves the ratio. The headline is the one a "
            "second run reproduces.")


def _count(value: float) -> str:
    """3 significant digits, in full with thousands separators from 1,000 on: 1.97, 4,670."""
    return f"{float(f'{value:.3g}'):,.0f}" if value >= 1000 else f"{value:.3g}"


def headline_ratios(run: Run) -> dict | None:
    """The headline study's per-round ratios to the forward pass: {method: {"median", "q1", "q3"}} with the
    network, N, the rounds and the forward pass's median seconds; None for a run without the study."""
    study = run.headline
    if not study or "seconds" not in study:
        return None
    seconds = {m: np.asarray(v, dtype=float) for m, v in study["seconds"].items()}
    forward = seconds[UNIT]
    out = {"network": study["network"], "rounds": len(forward), "forward_s": float(np.median(forward)),
           "n_params": num_params(_sizes(run, *study["network"][:2]))}
    for method in ("backprop", "numerical-loop"):
        ratio = seconds[method] / forward
        out[method] = {"median": float(np.median(ratio)), "q1": float(np.percentile(ratio, 25)),
                       "q3": float(np.percentile(ratio, 75))}
    return out


def _sizes(run: Run, depth: int, width: int) -> list[int]:
    """Layer sizes of a network of the run's family."""
    cfg = run.config
    return [cfg.get("num_input", 10)] + [width] * depth + [cfg.get("num_output", 2)]


def _median_iqr(row) -> str:
    """'0.123 s, IQR 0.004 s': a time with its spread over the rounds."""
    return f"median {row['time_s']:.3g} s, IQR {row['iqr_s']:.2g} s"


def _largest_gap(points: pd.DataFrame) -> str:
    """The largest ratio of an O(N) gradient to backprop's on the same network and device, over the ratios of two
    unflagged points; what it left out, or "not judged" when every ratio rests on a flagged point; "" for none."""
    both = paired(sanity.ensured(points), None, REFERENCE, ("flag",))
    both = both[both["family"].isin(["finite-difference", "forward-mode"])]
    if both.empty:
        return ""
    reasons = sanity.pair_reasons(both, REFERENCE)
    kept = both[reasons == ""]
    if kept.empty:
        return f"The largest gap measured: {sanity.not_judged(reasons)}."
    top = kept.loc[kept["ratio"].idxmax()]
    where = f" on {top['device']}" if "device" in top and points["device"].nunique() > 1 else ""
    left = f" ({sanity.left_out(reasons, 'ratio')})" if (reasons != "").any() else ""
    return (f"The largest gap measured: {top['method']} at depth {int(top['depth'])}, width {int(top['width'])}, "
            f"batch {int(top['batch'])} (N = {int(top['n_params']):,}){where} took {top['median_s']:.3g} s against "
            f"backprop's {top['median_s_ref']:.3g} s, **{top['ratio']:,.0f}x**{left}.")


def model_section(run: Run) -> list[str]:
    """The cost model: the machine constants, the fraction of points predicted within the band, each method's
    agreement and dominant term, the largest misses."""
    c = run.constants
    lines = ["## The cost model: every timing predicted from three machine constants", ""]
    if not c:
        return lines + ["_This run was made before the cost model: no machine constants were measured._", ""]
    libraries = ", ".join(f"{name} {s * 1e6:.3g} µs" for name, s in (c.get("library_call_s") or {}).items())
    inside = prediction.fraction_inside(run.points)
    left = f"; {text}" if (text := prediction.left_out(run.points)) else ""
    lines += [
        ("Predicted time = numpy calls x (fixed cost of a call) + matrix-product flops / (GEMM rate) + element-wise "
         "work / (element-wise rate). Each method states its work from the code it runs; the constants were "
         "measured at the start of this run, before any point was timed; nothing is fitted to the timings."), "",
        f"- fixed cost of a numpy call on small arrays: **{c['call_s'] * 1e6:.3g} µs**",
        (f"- {run.config.get('dtype', 'float64')} matrix-product rate at the sweep's shapes: "
        f"**{c['gemm_flop_s'] / 1e9:.3g} GFLOP/s**"),
        f"- element-wise rate (nngrad's sigmoid, in place): **{c['elementwise_s'] * 1e9:.3g} ns per element**",
        *([f"- per call of a peer's library (its gradient of a tiny network, per declared call): {libraries}"]
          if libraries else []),
        *([(f"- inside compiled code (numba, its methods priced with these): an operation (np.dot of tiny matrices, "
            f"an array received) **{n['call_s'] * 1e9:.3g} ns**, np.dot **{n['gemm_flop_s'] / 1e9:.3g} GFLOP/s**, "
            f"the compiled sigmoid **{n['elementwise_s'] * 1e9:.3g} ns per element**")]
          if (n := (c.get("runtimes") or {}).get("numba")) else []), "",
        (f"**{inside:.0%}** of the {len(prediction.predicted_points(run.points)):,} measured points are predicted "
         f"within ±{prediction.BAND:.0%} (goal: {prediction.GOAL:.0%}{left})." if np.isfinite(inside)
         else f"_No unflagged measured point has a prediction (goal: {prediction.GOAL:.0%}{left})._"), "",
        f"![predicted against measured]({MODEL_FIGURE})", "",
        prediction.by_method(run.points).pipe(markdown_table), ""]
    misses = prediction.largest_misses(run.points)
    if not misses.empty:
        lines += ["Largest misses of the unflagged points (the dominant term of the prediction is where the model "
                  "and the machine part):", "",
                  misses.pipe(markdown_table), ""]
    return lines


BUSY_CHANGE = 0.3  # a machine constant that moved more than this between the start and the end of a run
CONSTANT_WORDS = {  # a machine constant -> its words, the scale to its unit, the unit
    "call_s": ("fixed cost of a call", 1e6, "µs"),
    "gemm_flop_s": ("GEMM rate", 1e-9, "GFLOP/s"),
    "elementwise_s": ("element-wise cost", 1e9, "ns per element"),
}


def busy_reasons(run: Run) -> list[str]:
    """Why the machine was busy while the run was timed: each machine constant that moved by more than BUSY_CHANGE
    between the start and the end ("GEMM rate 38.6 -> 3.1 GFLOP/s"), and other processes using more than BUSY_LOAD
    of the CPUs just before or just after it (sampled while nngrad slept); empty for a quiet run."""
    m, start = run.machine, run.constants
    end = (m.get("after") or {}).get("constants") or {}
    moved = [f"{words} {start[name] * scale:.3g} -> {end[name] * scale:.3g} {unit}"
             for name, (words, scale, unit) in CONSTANT_WORDS.items()
             if name in start and name in end and abs(end[name] / start[name] - 1) > BUSY_CHANGE]
    loads = {"before": m.get("others_load"), "after": (m.get("after") or {}).get("others_load")}
    return moved + [f"other processes used {v:.0%} of the CPUs {when} it" for when, v in loads.items()
                    if v is not None and v > BUSY_LOAD]


def busy(run: Run) -> str | None:
    """The report's warning when the machine was busy (busy_reasons); None otherwise."""
    if reasons := busy_reasons(run):
        return ("The machine was busy while this run was timed: " + "; ".join(reasons)
                + ". Its timings (and ratios) are not reproducible: run again on a quiet machine.")
    return None


def limits_section(run: Run) -> list[str]:
    """The verdicts: the targets of both sides of the comparison, measured in this run, each miss and each row not
    judged with its reason (``why``)."""
    table = limits_table(run.points, _classic(run), constants=run.constants)
    return ["## Verdicts: peers and limits", "",
            ("Is each side implemented well? Ratios of two methods' median times in this run, the worst one where the "
             "target applies, over the ratios of two unflagged points (a ratio is left out when either point is "
             "flagged); `where`: b batch, w width, classic the classic network. `why` gives a miss's reason in the "
             "cost model's words (the ratio it predicts there, and the share of the dominant term in its numerator's "
             "predicted time, or the side that ran off its prediction) and what was left out; a row whose every "
             "ratio rests on a flagged point is not judged. Every timed call is the computation alone: a peer's "
             "conversion of the weights and JAX's compilation are done before timing and recorded apart. limits.csv "
             "has the same table in full (the points judged and left out, and each `why` uncut)."), "",
            tables.limits(table).pipe(markdown_table), ""]


def precision(run: Run) -> list[str]:
    """For a float32 run, how accurate each method's gradients were (the range of their errors against backprop in
    float64); nothing for float64."""
    if run.config.get("dtype", "float64") == "float64":
        return []
    ok = run.points[(run.points["status"] == "ok") & run.points["gradient_error"].notna()]
    ranges = ok.groupby("method", sort=False)["gradient_error"].agg(["min", "max"])
    errors = "; ".join(f"{m} {r['min']:.1g} to {r['max']:.1g}" for m, r in ranges.iterrows())
    return [(f"**Precision: {run.config['dtype']}.** Every network, batch and gradient of this run is "
             f"{run.config['dtype']}, and every gradient was checked against backprop in float64 on the same weights "
             f"and data. Norm-wise relative errors measured: {errors or 'none measured'}. A float32 finite difference "
             "errs by its truncation and round-off at float32's step (about 1e-3 to 1e-2): it can check a float32 "
             "backward only to that tolerance; the exact methods stay near float32's rounding."), ""]


def unfinished(points: pd.DataFrame, source: Path) -> str | None:
    """"Unfinished run: 79 of 302 points finished (77 measured, 2 failed), 223 not run; 190 left out by the plan;
    resume with ..." (runfiles.PointCounts, the count ``nngrad bench`` says) for a run with points not run
    (interrupted), else None."""
    from ..runfiles import PointCounts

    counts = PointCounts.of(points["status"])
    if not counts.not_run:
        return None
    resume = f"; resume with `nngrad bench --resume {source}`" if source.is_dir() else ""
    return f"Unfinished run: {counts}{resume}."


def markdown(run: Run, summary: pd.DataFrame, fits: pd.DataFrame, images: list[str],
             note: str | None = None) -> str:
    """report.md: the run's state (unfinished, busy, flagged points), the answer (the headline, the cost gap, the
    verdicts with their reasons), then the figures and the tables, each readable on a screen (tables.WIDTH); the
    full data is in the CSVs."""
    table, classic = landscape_table(run)
    lines = [f"# nngrad benchmark: {run.name}", "", f"{run.label}", "",
             *[f"**{state}**\n" for state in (note, busy(run)) if state],
             *([flags, ""] if (flags := sanity.banner(run.points)) else []),
             "## The answer", "", headline(run), ""]
    if "cost_gap.png" in images:
        lines += [f"## {FIGURES['cost_gap.png']}", "", f"![{FIGURES['cost_gap.png']}](cost_gap.png)", ""]
        if gap := _largest_gap(run.points):
            lines += [gap + " (The largest network measured depends on this machine's speed and the budget.)", ""]
    lines += limits_section(run) + overhead_section(run, images)
    for name in (i for i in images if i not in (MODEL_FIGURE, "cost_gap.png", "overhead.png")):
        title = FIGURES.get(name, name)
        lines += [f"## {title}", "", f"![{title}]({name})", ""]
        if name == "landscape.png" and not table.empty:
            lines += landscape_section(run, table, classic)
    return "\n".join(lines + model_section(run) + fits_section(fits) + run_section(run, table, classic, summary))


def overhead_section(run: Run, images: list[str]) -> list[str]:
    """The lesson without the interpreter: the overhead figure (when drawn) and, for each method with a compiled twin,
    its time in numpy and compiled at each network, the interpreter's share of numpy's time and each one's time over
    its flop floor (overhead.table), over unflagged points only; nothing when neither was measured."""
    rows = overhead.table(run.points, run.methods, run.constants.get("gemm_flop_s"))
    if "overhead.png" not in images and rows.empty:
        return []
    title = FIGURES["overhead.png"]
    lines = [f"## {title}", ""] + ([f"![{title}](overhead.png)", ""] if "overhead.png" in images else [])
    if rows.empty:
        compiled = any((m.get("runtime") or DEFAULT_RUNTIME) != DEFAULT_RUNTIME for m in run.methods.values())
        why = "" if compiled else (": this run has no compiled method (they need numba: `pip install 'nngrad[fast]'`, "
                                   "then run again)")
        return lines + [f"_No method was measured both in numpy and compiled at the same network{why}._", ""]
    kept, out = rows[rows["left_out"] == ""], rows["left_out"] != ""
    note = f" ({sanity.left_out(rows['left_out'], 'row')})" if out.any() else ""
    if kept.empty:
        return lines + [f"_The interpreter's share: {sanity.not_judged(rows['left_out'])}._", ""]
    classic = (kept["depth"] == _classic(run)[0]) & (kept["width"] == _classic(run)[1])  # the lesson's network first
    first = kept.assign(other=~classic).sort_values(["other", "batch", "n_params"], kind="stable").groupby(
        "method", sort=False).head(1)
    return lines + [
        ". ".join(overhead.sentence(r) for _, r in first.iterrows()) + ".", "",
        ("The same algorithm in numpy (a Python-level numpy call per operation) and compiled (numba: the whole "
         "gradient in one call), at each network where both were measured: the interpreter's share is 1 - compiled / "
         "numpy; the flop floor is the gradient's flops at this run's matrix-product rate "
         f"({run.constants['gemm_flop_s'] / 1e9:.3g} GFLOP/s, the median over the sweep's shapes: a large network's "
         "products can run faster, and its time fall under 1x), so `/ floor` says how far each one is from the "
         "machine's limit" if run.constants.get("gemm_flop_s") else "the gradient's flops at the run's GEMM rate, "
         "which this run did not measure (blank)") + f"; no row rests on a flagged point{note}. Shown: the lesson's "
        "network, the networks of the targets and the sweep's middle depth; every network: overhead.csv.", "",
        overhead.shown(_overhead_shown(run, kept)).pipe(markdown_table), ""]


def _overhead_shown(run: Run, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of overhead.table the report shows: the lesson's network at every batch, the networks off the main
    batch (the targets'), and the middle depth of the main batch (time_vs_width's)."""
    (d, w, _), main = _classic(run), rows["batch"].value_counts().idxmax()
    depth = middle(run.config.get("depths") or rows["depth"])
    keep = ((rows["depth"] == d) & (rows["width"] == w)) | (rows["batch"] != main) | (rows["depth"] == depth)
    return rows[keep]


def landscape_section(run: Run, table: pd.DataFrame, classic: tuple[int, int, int]) -> list[str]:
    """Every method at the classic network: the table (landscape.csv in full) and how to read it."""
    d, w, b = classic
    return [f"### Every method at the classic network (depth {d}, width {w}, batch {b})", "",
            tables.landscape(table).pipe(markdown_table), "",
            ("`t / t(forward)`: the gradient's time in loss evaluations (blank where the point or the forward pass is "
             "flagged). `error vs backprop`: norm-wise relative error of its gradient against nngrad's backprop "
             f"(backprop's own check, as in the points' `reference` column: {reference_check(run)}); for an "
             "estimator (SPSA, the forward gradient: unbiased, not exact), the cosine of the estimate it checked with "
             "backprop's gradient instead (its check is statistical: methods.md). Peak memory is "
             "what tracemalloc sees: numpy's allocations; torch's and JAX's own allocators are not traced (blank). "
             "IQRs and families: landscape.csv."), "",
            *([note, ""] if (note := headline_against_table(run, table)) else [])]


FIT_TABLES = {  # (model, regime) -> the title of its table in the report
    ("time ~ N^k", "compute-bound"): "Time per call ~ N^k (compute-bound points)",
    ("ratio ~ N^k", "all"): "Time / backprop's ~ N^k (every pair of points)",
}


def fits_section(fits: pd.DataFrame) -> list[str]:
    """Fitted exponents: time ~ N^k and the ratio to backprop ~ N^k, one row per method (every fit, per depth, width
    and batch and per regime: fits.csv)."""
    lines = ["## Fitted exponents", "",
             ("Exponents fitted by least squares in log-log, beside theory: the same fit on the operation counts of "
              "these exact networks, and in brackets the large-network limit by family (a constant number of passes, "
              "reverse mode's or an estimator's, ~ "
              "depth x width^2 ~ N; a pass per parameter ~ N x forward ~ N^2; ratios to backprop ~ N^0 or N^1). Time "
              "fits use only the points where the cost model says the fixed cost per call does not dominate (`left "
              "out`: overhead); no fit uses a flagged point, and a ratio leaves when either of its points is flagged. "
              f"A fit needs at least {MIN_POINTS} points spanning at least {MIN_SPREAD:g}x in each size it fits; else "
              "it is \"not fitted\" and the note says why (the cost model above explains the shape instead). The 95% "
              "interval is a bootstrap over the points. fits.csv has every fit: per depth, width and batch, per "
              "regime, with the least-squares errors."), ""]
    if fits.empty:
        return lines + ["_no fit: not enough measured points_", ""]
    for (model, regime), title in FIT_TABLES.items():
        if not (table := tables.fits(fits, model, regime)).empty:
            lines += [f"### {title}", "", table.pipe(markdown_table), ""]
    return lines


def method_options_lines(cfg: dict) -> list[str]:
    """The options the run gave its methods (`nngrad bench --method-option`), one sentence, or nothing."""
    given = cfg.get("method_options") or {}
    if not given:
        return []
    each = "; ".join(f"{name}: " + ", ".join(f"{k} = {v}" for k, v in opts.items()) for name, opts in given.items())
    return [f"Method options (`--method-option`, given at every point): {each}. An estimator's statistical check "
            "(`reference`) used the same options.", ""]


def run_section(run: Run, table: pd.DataFrame, classic: tuple[int, int, int], summary: pd.DataFrame) -> list[str]:
    """What was run: the sweep, the precision, the methods, the points per method, the failed points."""
    cfg, (d, w, b) = run.config, classic
    extra = f", plus the classic network (depth {d}, width {w}, batch {b})" if not table.empty else ""
    if more := cfg.get("extra"):
        extra += ", and the networks of the targets (depth, width, batch): " + ", ".join(map(str, map(tuple, more)))
    points = run.points
    lines = ["## This run", "",
             (f"Sweep: depths {cfg.get('depths')}, widths {cfg.get('widths')}, batches {cfg.get('batches')}, "
              f"network {cfg.get('activation', 'sigmoid')}/{cfg.get('loss', 'mse')} with {cfg.get('num_input')} inputs "
              f"and {cfg.get('num_output')} outputs{extra}; budget {cfg.get('budget_s')} s per call. Times are medians "
              "of one call; every gradient was checked before it was timed (`reference`), and one that disagreed is a "
              "failed point, never a time."), "", *precision(run), *method_options_lines(cfg)]
    if run.methods:
        lines += [tables.methods(run.methods).pipe(markdown_table), ""]
    lines += ["### Points per method", "", tables.per_method(points).pipe(markdown_table), "",
              ("Every point, with its time, IQR, counted work, error, prediction, flag and note: summary.csv. "
               "Compare another run with this one: `nngrad compare THIS_RUN OTHER_RUN`."), ""]
    if (failed := points["status"] == "failed").any():
        shown = tables.failed(points)
        lines += ["### Failed points", "", shown.pipe(markdown_table), "",
                  *([f"And {int(failed.sum()) - len(shown)} more: summary.csv.", ""]
                    if failed.sum() > len(shown) else [])]
    return lines
