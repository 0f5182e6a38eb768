"""How much of a gradient's time is the interpreter's: the same algorithm in numpy (one Python-level numpy call per
operation) and compiled (numba: one call per gradient), against the flop floor (the gradient's flops / the run's
GEMM rate, ``gemm_flop_s``: the time its arithmetic takes at the machine's matrix-product rate), and beside the peers
(torch, JAX). Flagged points (results/sanity.py) are ringed in the figure and left out of the table."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .._figures import figure as _figure
from .._figures import finish as _finish
from .._figures import positive as _positive
from .._figures import require as _require
from ..methods.base import REFERENCE
from ..methods.runtimes import RUNTIMES
from . import sanity
from .load import paired
from .plots import _N_LABEL, _log_log, _main_batch, _ordered, _ring, _ring_label, _style

PEERS = ("torch", "jax")  # the peers' reverse mode on the CPU: one library call per gradient (jax: jit-compiled)
METHODS = (*dict.fromkeys(r.backprop for r in RUNTIMES.values()), *PEERS)  # backprop in each runtime, the peers
FAMILY = "reverse-mode"
_Y_LABEL = "time per gradient (s)"

__all__ = ["METHODS", "figure", "floor_s", "measured", "table"]


def measured(points: pd.DataFrame) -> list[str]:
    """The reverse-mode methods of METHODS with a measured point in ``points``, in registry order."""
    ok = points[(points["status"] == "ok") & points["method"].isin(METHODS)]
    if "family" in ok:
        ok = ok[ok["family"].isin([FAMILY]) | ok["family"].isna()]
    return _ordered(ok["method"])


def floor_s(flops: pd.Series, gemm_flop_s: float | None) -> pd.Series:
    """The flop floor of each point: its flops / the GEMM rate (s); NaN without a rate or a flop count."""
    flops = pd.to_numeric(flops, errors="coerce").astype(float)
    if not gemm_flop_s or gemm_flop_s <= 0:
        return flops * np.nan
    return flops / float(gemm_flop_s)


def figure(points: pd.DataFrame, constants: dict | None, label: str) -> Figure:
    """Time per gradient vs N, log-log, at the batch with most points: backprop in numpy and compiled, torch and JAX
    (those of METHODS measured), and the flop floor (backprop's flops / the run's GEMM rate, from ``constants``) as
    a dashed line; flagged points ringed."""
    _require("points", points, ("method", "depth", "width", "batch", "n_params", "status", "median_s", "flops"))
    fig, ax = _figure("How much of a gradient's time is the interpreter's: backprop against its flop floor", label,
                      (9, 5.5))
    rows = points[points["method"].isin(measured(points)) & (points["status"] == "ok")
                  & _positive(points["median_s"]) & _positive(points["n_params"])]
    rows = _main_batch(rows)
    if rows.empty:
        return _finish(fig, ax, _N_LABEL, _Y_LABEL, "no reverse-mode gradient measured")
    for method in _ordered(rows["method"]):
        mine = rows[rows["method"] == method].sort_values("n_params")
        ax.plot(mine["n_params"], mine["median_s"], ls="none", ms=6, label=method, **_style(method))
    gemm = (constants or {}).get("gemm_flop_s")
    base = rows[rows["method"] == (REFERENCE if REFERENCE in set(rows["method"]) else rows["method"].iloc[0])]
    floor = base.assign(floor=floor_s(base["flops"], gemm)).dropna(subset=["floor"]).sort_values("n_params")
    floor = floor[floor["floor"] > 0].drop_duplicates("n_params")
    if len(floor):
        ax.plot(floor["n_params"], floor["floor"], ls="--", color="0.15", lw=1.4,
                label=f"flop floor: backprop's flops / GEMM rate\n({gemm / 1e9:.3g} GFLOP/s, measured in this run)")
    else:
        ax.plot([], [], ls="none", label="no flop floor: this run measured no GEMM rate")
    bad = rows[sanity.flagged(rows)]
    _ring(ax, bad["n_params"], bad["median_s"], _ring_label(len(bad), of=int(sanity.flagged(points).sum())))
    _log_log(ax)
    batch = int(rows["batch"].iloc[0])
    return _finish(fig, ax, f"{_N_LABEL}; batch {batch}", _Y_LABEL, outside=True)


TABLE_COLUMNS = ["method", "compiled", "depth", "width", "batch", "n_params", "numpy_s", "compiled_s",
                 "interpreter_share", "numpy_over_floor", "compiled_over_floor", "left_out"]


def table(points: pd.DataFrame, methods: dict[str, dict], gemm_flop_s: float | None) -> pd.DataFrame:
    """One row per compiled method (``methods``: the run's declarations; those with ``compiles``) and network where it
    and its numpy twin were measured: both times, the interpreter's share of numpy's time (1 - compiled / numpy) and
    each one's time over its flop floor (its flops / ``gemm_flop_s``; NaN without a rate); ``left_out``: why the
    row rests on a flagged point ("" when it does not: a row with a reason is no result)."""
    rows = []
    for compiled, declared in methods.items():
        twin = (declared or {}).get("compiles")
        if not twin:
            continue
        both = paired(sanity.ensured(points), compiled, twin, ("flag", "flops"))
        rows.append(pd.DataFrame({
            "method": twin, "compiled": compiled, "depth": both["depth"], "width": both["width"],
            "batch": both["batch"], "n_params": both["n_params"], "numpy_s": both["median_s_ref"],
            "compiled_s": both["median_s"], "interpreter_share": 1 - both["ratio"],
            "numpy_over_floor": both["median_s_ref"] / floor_s(both["flops_ref"], gemm_flop_s),
            "compiled_over_floor": both["median_s"] / floor_s(both["flops"], gemm_flop_s),
            "left_out": sanity.pair_reasons(both, twin)}))
    if not rows:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    return pd.concat(rows, ignore_index=True)[TABLE_COLUMNS].sort_values(
        ["method", "batch", "n_params"], kind="stable").reset_index(drop=True)


def sentence(row: pd.Series) -> str:
    """A row of table() in a learner's words: "At depth 5, width 32, batch 1, 89% of numpy backprop's time is the
    interpreter; compiled (backprop-numba) it runs at 3.1x its flop floor"."""
    text = (f"At depth {int(row['depth'])}, width {int(row['width'])}, batch {int(row['batch'])}, "
            f"**{row['interpreter_share']:.0%}** of numpy {row['method']}'s time is the interpreter")
    if np.isfinite(row["compiled_over_floor"]):
        text += f"; compiled ({row['compiled']}) it runs at **{row['compiled_over_floor']:.2g}x** its flop floor"
    return text


def shown(rows: pd.DataFrame) -> pd.DataFrame:
    """table()'s unflagged rows as the report shows them: times in µs, the share in %, the floors' multiples."""
    def us(s):  # 3 significant digits, whole from 1,000 on; with its unit (a bare number would be reformatted)
        return s.map(lambda v: (f"{float(f'{v * 1e6:.3g}'):,.0f}" if v * 1e6 >= 1000 else f"{v * 1e6:.3g}") + " µs")

    def times(s):
        return s.map(lambda v: "" if not np.isfinite(v) else f"{v:.2g}x" if v < 9.95 else f"{v:,.0f}x")

    return pd.DataFrame({"method": rows["method"], "network": [f"d{d} w{w} b{b}" for d, w, b in zip(
        rows["depth"], rows["width"], rows["batch"])], "N": rows["n_params"].map(lambda n: f"{int(n):,}"),
        "numpy": us(rows["numpy_s"]), "compiled": us(rows["compiled_s"]),
        "interpreter's share": rows["interpreter_share"].map(lambda v: f"{v:.0%}"),
        "numpy / floor": times(rows["numpy_over_floor"]), "compiled / floor": times(rows["compiled_over_floor"])})
