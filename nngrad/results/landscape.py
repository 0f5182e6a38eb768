"""Every method at the classic network of a run: time, counted work, t / t(forward), error against backprop,
peak memory, and what was done once before timing (a compilation, a CUDA graph's recording)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..methods.base import REFERENCE, SINGULAR, UNIT
from ..runfiles import CLASSIC  # the landscape network of a run that does not say
from . import sanity
from .load import Run

MIB = 2.0**20


def classic(run: Run) -> tuple[int, int, int]:
    """The run's classic (landscape) network: depth, width, batch."""
    return tuple(run.config.get("landscape") or CLASSIC)


def landscape_table(run: Run) -> tuple[pd.DataFrame, tuple[int, int, int]]:
    """Every method at the classic network (the run's ``landscape`` network): time, counted work, t / t(forward),
    norm-wise relative error against backprop (an estimator: its estimate's cosine with backprop's gradient
    instead), peak memory. The ratio is left out (blank, the note says why) where
    the point or the forward pass is flagged (results/sanity.py). Returns (table, (depth, width, batch))."""
    d, w, b = classic(run)
    p = sanity.ensured(run.points)
    rows = p[(p["depth"] == d) & (p["width"] == w) & (p["batch"] == b)]
    forward = rows[(rows["method"] == UNIT) & (rows["status"] == "ok")]
    t_forward = float(forward["median_s"].iloc[0]) if len(forward) else np.nan
    forward_flag = sanity.kind(forward["flag"].iloc[0]) if len(forward) else ""
    out = sanity.flagged(rows) | (bool(forward_flag) & (rows["method"] != UNIT))
    table = pd.DataFrame({
        "method": rows["method"], "family": rows["family"], "status": rows["status"],
        "time_s": rows["median_s"], "iqr_s": rows["iqr_s"],
        "work": [_work(r) for r in rows.itertuples()],
        "t / t(forward)": (rows["median_s"] / t_forward).where(~out),
        "error vs backprop": [_error(r) for r in rows.itertuples()],
        "cosine vs backprop": [_cosine(r) for r in rows.itertuples()],
        "peak_MiB": rows["peak_memory_bytes"] / MIB,
        "note": [_note(r, forward_flag) for r in rows.itertuples()],
    })
    return table.reset_index(drop=True), (d, w, b)


def _work(row) -> str:
    if row.status != "ok" or pd.isna(row.work):
        return ""
    return f"{int(row.work):,} {row.work_unit if row.work != 1 else SINGULAR.get(row.work_unit, row.work_unit)}"


def _note(row, forward_flag: str = "") -> str:
    """A flagged point's flag (its ratio left out), or why its ratio is left out, or what was done before timing."""
    if isinstance(flag := getattr(row, "flag", None), str) and flag:
        return flag
    if forward_flag and row.method != UNIT and row.status == "ok":
        return f"ratio left out: the forward pass is flagged {forward_flag}"
    if pd.notna(row.compile_s):
        return f"compiled once, in {row.compile_s:.2g} s (not timed)"
    if pd.notna(row.capture_s):
        return f"recorded as a CUDA graph once, in {row.capture_s:.2g} s (not timed)"
    return "" if pd.isna(row.message) else str(row.message)


def _cosine(row) -> str:
    """An estimator's checked estimate: its cosine with backprop's gradient ("" for an exact method)."""
    value = getattr(row, "cosine", np.nan)
    return "" if row.status != "ok" or pd.isna(value) else f"{value:.3f}"


def _error(row) -> str:
    if row.method == REFERENCE:
        return "(reference)"
    if row.status != "ok" or pd.isna(row.gradient_error) or row.reference != REFERENCE:
        return ""
    return f"{row.gradient_error:.1e}"
