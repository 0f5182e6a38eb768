"""A stored run -> summary.csv, fits.csv, landscape.csv, the plots (PNG) and report.md, without re-running
anything."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import _files
from ..methods import get as get_method
from ..methods.base import REFERENCE, UNIT
from ..model.counts import num_params
from . import devices, plots, prediction, sanity
from .fits import MIN_POINTS, MIN_SPREAD, growth_fits
from .landscape import classic as _classic
from .landscape import landscape_table
from .limits import limits_table
from .load import Run, load_run, paired
from .markdown import markdown_table

SUMMARY_COLUMNS = ["method", "device", "family", "depth", "width", "batch", "n_params", "status", "median_s", "iqr_s", "rounds",
                   "iterations", "loss_evaluations", "tangent_passes", "gflops", "peak_memory_bytes", "gradient_error",
                   "reference", "predicted_s", "model_s", "dominant", "compile_s", "overhead_dominated", "flag", "message"]
FIGURES = {  # file -> section title, in the report's order
    "landscape.png": "The cost of a gradient in loss evaluations",
    "cost_gap.png": "The cost gap: O(N) gradients / backprop",
    "time_vs_depth.png": "Time per gradient vs depth",
    "time_vs_width.png": "Time per gradient vs width",
    "work.png": "Counted work: loss evaluations and tangent passes",
    "memory_vs_depth.png": "Peak memory of one gradient",
    "accuracy.png": "Accuracy vs step: finite differences and the complex step",
}
MODEL_FIGURE = "model.png"  # shown in the cost model's own section


def summary_table(points: pd.DataFrame) -> pd.DataFrame:
    """One tidy row per point; skipped points carry their predicted time and the reason."""
    return points[SUMMARY_COLUMNS].rename(columns={"n_params": "N", "message": "note"})


def middle(values) -> int:
    """The middle of the sorted distinct values (the upper one of two): the fixed size of a 1-D plot."""
    distinct = sorted(set(pd.Series(values).dropna()))
    return int(distinct[len(distinct) // 2])


def figures(run: Run, fits: pd.DataFrame) -> dict[str, object]:
    p, label, cfg = run.points, run.label, run.config
    width, depth = middle(cfg.get("widths") or p["width"]), middle(cfg.get("depths") or p["depth"])
    figs = {
        "landscape.png": plots.landscape(p, label),
        "cost_gap.png": plots.cost_gap(p, fits, label),
        "time_vs_depth.png": plots.time_vs_depth(p, width, label),
        "time_vs_width.png": plots.time_vs_width(p, depth, label),
        "work.png": plots.work(p, label),
        "memory_vs_depth.png": plots.memory_vs_depth(p, width, label),
    }
    if not run.accuracy.empty:
        figs["accuracy.png"] = plots.accuracy(run.accuracy, label)
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
    _files.write_atomic(out / "limits.csv", limits_table(run.points, _classic(run)).to_csv(index=False))
    _files.write_atomic(out / "fits.csv", fits.to_csv(index=False))
    _files.write_atomic(out / "landscape.csv", landscape.to_csv(index=False))
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
    the per-round ratios); from the sweep's points for a run without that study."""
    if study := headline_ratios(run):
        (d, w, b), n = study["network"], study["n_params"]
        parts = [f"**{_count(study[m]['median'])} loss evaluations** for {m} (IQR {_count(study[m]['q1'])} to "
                 f"{_count(study[m]['q3'])})" for m in ("backprop", "numerical-loop")]
        return (f"At the classic network (depth {d}, width {w}, batch {b}, N = {n:,}) one gradient cost "
                f"{parts[0]} and {parts[1]}: medians of the per-round ratios over {study['rounds']} rounds that time "
                "the loss, backprop and the loop in alternation (so that a second run reproduces them; a loss "
                f"evaluation took {study['forward_s'] * 1e3:.3g} ms).")
    table, (d, w, b) = landscape_table(run)
    ok = table[table["status"] == "ok"].set_index("method")
    lines = []
    if {REFERENCE, UNIT} <= set(ok.index):
        n = int(run.points.loc[(run.points["depth"] == d) & (run.points["width"] == w), "n_params"].iloc[0])
        bp = ok.loc[REFERENCE]
        text = (f"At the classic network (depth {d}, width {w}, batch {b}, N = {n:,}) one backprop gradient cost "
                f"**{bp['t / t(forward)']:.2g} loss evaluations** ({_median_iqr(bp)})")
        slow = ok[ok["family"] == "finite-difference"]
        if len(slow):
            name = slow["t / t(forward)"].idxmax()
            text += f"; {name} cost **{slow.loc[name, 't / t(forward)']:,.0f}** ({_median_iqr(slow.loc[name])})"
        lines.append(text + ".")
    return " ".join(lines) or "The classic network was not measured with backprop and the forward pass."


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
                      for m in ("backprop", "numerical-loop") if m in ok.index)
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
    both = paired(points, None, REFERENCE)  # each point against backprop's on the same network and device
    both = both[both["family"].isin(["finite-difference", "forward-mode"])]
    if both.empty:
        return ""
    top = both.loc[both["ratio"].idxmax()]
    where = f" on {top['device']}" if "device" in top and points["device"].nunique() > 1 else ""
    return (f"The largest gap measured: {top['method']} at depth {int(top['depth'])}, width {int(top['width'])}, "
            f"batch {int(top['batch'])} (N = {int(top['n_params']):,}){where} took {top['median_s']:.3g} s against "
            f"backprop's {top['median_s_ref']:.3g} s, **{top['ratio']:,.0f}x**.")


def model_section(run: Run) -> list[str]:
    """The cost model: the machine constants, the fraction of points predicted within the band, each method's
    agreement and dominant term, the largest misses."""
    c = run.constants
    lines = ["## The cost model: every timing predicted from three machine constants", ""]
    if not c:
        return lines + ["_This run was made before the cost model: no machine constants were measured._", ""]
    libraries = ", ".join(f"{name} {s * 1e6:.3g} µs" for name, s in (c.get("library_call_s") or {}).items())
    inside = prediction.fraction_inside(run.points)
    lines += [
        ("Predicted time = numpy calls x (fixed cost of a call) + matrix-product flops / (GEMM rate) + element-wise "
         "work / (element-wise rate). Each method states its work from the code it runs; the constants were "
         "measured at the start of this run, before any point was timed; nothing is fitted to the timings."), "",
        f"- fixed cost of a numpy call on small arrays: **{c['call_s'] * 1e6:.3g} µs**",
        (f"- {run.config.get('dtype', 'float64')} matrix-product rate at the sweep's shapes: "
        f"**{c['gemm_flop_s'] / 1e9:.3g} GFLOP/s**"),
        f"- element-wise rate (nngrad's sigmoid, in place): **{c['elementwise_s'] * 1e9:.3g} ns per element**",
        *([f"- per call of a peer's library (its gradient of a tiny network, per declared call): {libraries}"]
          if libraries else []), "",
        (f"**{inside:.0%}** of the measured points are predicted within ±{prediction.BAND:.0%} (goal: "
         f"{prediction.GOAL:.0%})." if np.isfinite(inside) else "_No measured point has a prediction._"), "",
        f"![predicted against measured]({MODEL_FIGURE})", "",
        prediction.by_method(run.points).pipe(markdown_table), ""]
    misses = prediction.largest_misses(run.points)
    if not misses.empty:
        lines += ["Largest misses (the dominant term of the prediction is where the model and the machine part):", "",
                  misses.pipe(markdown_table), ""]
    return lines


BUSY_CHANGE = 0.3  # a machine constant that moved more than this between the start and the end of a run
CONSTANT_WORDS = {  # a machine constant -> its words, the scale to its unit, the unit
    "call_s": ("fixed cost of a call", 1e6, "µs"),
    "gemm_flop_s": ("GEMM rate", 1e-9, "GFLOP/s"),
    "elementwise_s": ("element-wise cost", 1e9, "ns per element"),
}
BUSY_LOAD = 0.25  # other processes using more than this fraction of the CPUs before or after a run


def busy(run: Run) -> str | None:
    """A warning when the machine was busy while the run was timed: a constant that moved by more than BUSY_CHANGE
    between the start and the end, or other processes using more than BUSY_LOAD of the CPUs just before or just
    after it (sampled while nngrad slept); None otherwise."""
    m, start = run.machine, run.constants
    end = (m.get("after") or {}).get("constants") or {}
    moved = [f"{words} {start[name] * scale:.3g} -> {end[name] * scale:.3g} {unit}"
             for name, (words, scale, unit) in CONSTANT_WORDS.items()
             if name in start and name in end and abs(end[name] / start[name] - 1) > BUSY_CHANGE]
    loads = {"before": m.get("others_load"), "after": (m.get("after") or {}).get("others_load")}
    loaded = [f"other processes used {v:.0%} of the CPUs {when} it" for when, v in loads.items()
              if v is not None and v > BUSY_LOAD]
    if moved or loaded:
        return ("The machine was busy while this run was timed: " + "; ".join(moved + loaded)
                + ". Its timings (and ratios) are not reproducible: run again on a quiet machine.")
    return None


def limits_section(run: Run) -> list[str]:
    """The targets of both sides of the comparison, measured in this run."""
    table = limits_table(run.points, _classic(run))
    return ["## Peers and limits", "",
            ("Is each side implemented well? Ratios of two methods' median times in this run, the worst one where the "
             "target applies. Every timed call is the computation alone: inputs are checked once before timing, for "
             "nngrad's methods and the peers alike; a peer's conversion of the weights and JAX's compilation are "
             "done before timing and recorded apart."), "",
            table.pipe(markdown_table), ""]


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
    summary = summary.drop(columns=["device"])  # one device's: the devices section names it
    skipped = summary[summary["status"] == "skipped"]
    failed = summary[summary["status"].isin(["failed", "not run"])]
    cfg = run.config
    table, (d, w, b) = landscape_table(run)
    classic = f", plus the classic network (depth {d}, width {w}, batch {b})" if not table.empty else ""
    if extra := cfg.get("extra"):
        classic += ", and the networks of the targets (depth, width, batch): " + ", ".join(map(str, map(tuple, extra)))
    methods = pd.DataFrame([{"method": name, "family": m.get("family"), "work per gradient": m.get("work"),
                             "what it is": m.get("description")} for name, m in run.methods.items()])
    lines = [
        f"# nngrad benchmark: {run.name}", "",
        f"{run.label}", "",
        *([f"**{note}**", ""] if note else []),
        *([f"**{warning}**", ""] if (warning := busy(run)) else []),
        *([f"**{note}**", ""] if (note := sanity.banner(run.points)) else []),
        (f"Sweep: depths {cfg.get('depths')}, widths {cfg.get('widths')}, batches {cfg.get('batches')}, "
         f"network {cfg.get('activation', 'sigmoid')}/{cfg.get('loss', 'mse')} with {cfg.get('num_input')} inputs and "
         f"{cfg.get('num_output')} outputs{classic}; budget "
         f"{cfg.get('budget_s')} s per call. Times are medians of one call (IQR in the tables); every gradient "
         "was checked before it was timed (`reference`), and one that disagreed is a failed point, never a time."), "",
        *precision(run),
        headline(run), "",
        "## The methods", "", methods.pipe(markdown_table) if not methods.empty else "", "",
    ]
    for name in (i for i in images if i != MODEL_FIGURE):
        title = FIGURES.get(name, name)
        lines += [f"## {title}", "", f"![{title}]({name})", ""]
        if name == "cost_gap.png" and (gap := _largest_gap(run.points)):
            lines += [gap + " (The largest network measured depends on this machine's speed and the budget.)", ""]
        if name == "landscape.png" and not table.empty:
            lines += [f"### Every method at the classic network (depth {d}, width {w}, batch {b})", "",
                      table.pipe(markdown_table)
                      if not table.empty
                      else "_not in this run_", "",
                      ("`t / t(forward)`: the gradient's time in loss evaluations. `error vs backprop`: norm-wise "
                       "relative error of its gradient against nngrad's backprop (backprop's own check, as in "
                       f"the points' `reference` column: {reference_check(run)}). Peak memory is what tracemalloc sees: "
                       "numpy's allocations; torch's and JAX's own allocators are not traced (blank)."), "",
                      *([note, ""] if (note := headline_against_table(run, table)) else [])]
    lines += model_section(run) + limits_section(run) + [
        "## Fitted exponents", "",
        ("Exponents of time per call, fitted by least squares in log-log, beside theory: `theory_sizes` is the "
         "same fit on the operation counts of these exact networks, `theory_asymptotic` the large-network limit "
         "by family (a constant number of passes ~ depth x width^2 ~ N; a pass per parameter ~ N x forward ~ "
         "N^2; ratios to backprop ~ N^0 or N^1). Time fits use only the points where the cost model says the "
         "fixed cost per call does not dominate (`excluded_overhead` counts the others). A fit needs at least "
         f"{MIN_POINTS} points spanning at least {MIN_SPREAD:g}x in each size it fits; else it is \"not fitted\" and "
         "the note says why (the cost model above explains the shape instead). `stderr` is the ordinary "
         "least-squares error, which assumes independent noise; `ci_low`..`ci_high`, a 95% bootstrap interval "
         "over the points, is the one to trust. The ratio is also fitted per regime."), "",
        fits.drop(columns=["intercept"]).pipe(markdown_table) if not fits.empty
        else "_no fit: not enough measured points_", ""]
    if not skipped.empty:
        lines += ["## Skipped (predicted, not run, or not applicable)", "",
                  skipped[["method", "depth", "width", "batch", "N", "predicted_s", "note"]]
                  .pipe(markdown_table), ""]
    if not failed.empty:
        lines += ["## Failed or not run", "",
                  failed[["method", "depth", "width", "batch", "N", "status", "note"]].pipe(markdown_table), ""]
    measured = summary[summary["status"] == "ok"].drop(columns=["status", "note"])
    lines += ["## Measured points", "", measured.pipe(markdown_table), "",
              "Compare another run with this one: `nngrad compare THIS_RUN OTHER_RUN`.", ""]
    return "\n".join(lines)
