"""Peers and limits: is each side of the comparison implemented well? Ratios of two methods' times measured in
the same run, against targets: backprop near the cheap-gradient bound and no slower than the peers bound by
the same products; the batched finite differences far faster than the textbook loop and SciPy; the batched
memory under its bound. Each target states where it applies; the table gives the worst ratio there."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..methods.prefix import DEFAULT_MAX_BYTES
from ..runfiles import CLASSIC
from .load import KEY, paired

MIB = 2.0**20


@dataclass(frozen=True)
class Target:
    """t(numerator) / t(denominator) at the points ``where(depth, width, batch, classic)`` selects must be
    ``<=`` (or ``>=``) ``bound`` at every such point: the worst ratio decides."""

    numerator: str
    denominator: str
    op: str  # "<=" or ">="
    bound: float
    where: Callable[[int, int, int, tuple[int, int]], bool]
    where_text: str
    min_params: int = 0  # and only at networks of at least this many parameters

    def check(self, ratio: float) -> bool:
        return {"<=": operator.le, ">=": operator.ge}[self.op](ratio, self.bound)


def _classic(batch: int):
    return lambda d, w, b, classic: (d, w) == classic and b == batch


TARGETS = [
    Target("backprop", "forward", "<=", 3, lambda d, w, b, c: b >= 64 and w >= 64, "batch >= 64, width >= 64"),
    Target("backprop", "torch", "<=", 1.0, lambda d, w, b, c: True, "every point"),
    Target("backprop", "jax", "<=", 1.0, lambda d, w, b, c: b >= 64 and w >= 256, "batch >= 64, width >= 256"),
    Target("numerical-loop", "numerical-batched", ">=", 50, _classic(1), "classic network, batch 1"),
    Target("numerical-loop", "numerical-batched", ">=", 5, _classic(64), "classic network, batch 64"),
    Target("central-batched", "numerical-batched", "<=", 2.2, lambda d, w, b, c: (d, w) == c, "classic network"),
    Target("forward-mode", "numerical-batched", "<=", 1.0, lambda d, w, b, c: (d, w) == c, "classic network"),
    Target("complex-step", "numerical-batched", "<=", 4.5, lambda d, w, b, c: (d, w) == c, "classic network"),
    Target("scipy", "numerical-batched", ">=", 10, _classic(16), "classic network, batch 16"),
    Target("scipy", "numerical-batched", ">=", 50, _classic(1), "classic network, batch 1"),
]
# on a GPU (issue 12): the methods against each other on the same device (results/devices.py adds the GPU against
# the CPU and the cost model's share of points)
EVERYWHERE = lambda d, w, b, c: True
DEVICE_TARGETS = [
    Target("jax-fd", "numerical-batched", ">=", 5, EVERYWHERE, "N >= 50,000", min_params=50_000),
    Target("backprop", "torch", "<=", 1.0, EVERYWHERE, "every point"),
    Target("backprop-graph", "jax", "<=", 2.0, EVERYWHERE, "every point"),
    Target("forward-mode", "numerical-batched", "<=", 1.0, EVERYWHERE, "every point"),
]


def ratios(points: pd.DataFrame, numerator: str, denominator: str) -> pd.DataFrame:
    """Points where both methods were measured: depth, width, batch, device and t(numerator) / t(denominator)."""
    both = paired(points, numerator, denominator)
    return both[[k for k in (*KEY[1:], "n_params") if k in both]].assign(
        median_s_a=both["median_s"], median_s_b=both["median_s_ref"], ratio=both["ratio"])


def limits_table(points: pd.DataFrame, classic: tuple[int, int, int] = CLASSIC,
                 max_bytes: int = DEFAULT_MAX_BYTES, targets: list[Target] = TARGETS) -> pd.DataFrame:
    """One row per target: what it compares, where, the worst measured ratio there (and at which network),
    and "pass", "miss" or "not measured". Then the batched method's peak memory against its bound."""
    rows = []
    for t in targets:
        both = ratios(points, t.numerator, t.denominator)
        sel = both[[t.where(d, w, b, tuple(classic[:2])) and n >= t.min_params
                    for d, w, b, n in zip(both["depth"], both["width"], both["batch"], both["n_params"])]]
        row = {"target": f"{t.numerator} / {t.denominator} {t.op} {t.bound:g}", "where": t.where_text}
        if sel.empty:
            rows.append({**row, "measured": np.nan, "at": "", "points": 0, "verdict": "not measured"})
            continue
        worst = sel.loc[sel["ratio"].idxmax() if t.op == "<=" else sel["ratio"].idxmin()]
        rows.append({**row, "measured": float(worst["ratio"]), "points": len(sel),
                     "at": f"d{int(worst['depth'])} w{int(worst['width'])} b{int(worst['batch'])}",
                     "verdict": "pass" if t.check(worst["ratio"]) else "miss"})
    memory = points[(points["method"] == "numerical-batched") & points["peak_memory_bytes"].notna()]
    row = {"target": f"numerical-batched peak memory <= {max_bytes / MIB:g} MiB (its bound)", "where": "every point"}
    if memory.empty:
        rows.append({**row, "measured": np.nan, "at": "", "points": 0, "verdict": "not measured"})
    else:
        worst = memory.loc[memory["peak_memory_bytes"].idxmax()]
        rows.append({**row, "measured": worst["peak_memory_bytes"] / MIB, "points": len(memory),
                     "at": f"d{int(worst['depth'])} w{int(worst['width'])} b{int(worst['batch'])}",
                     "verdict": "pass" if worst["peak_memory_bytes"] <= max_bytes else "miss"})
    return pd.DataFrame(rows, columns=["target", "where", "measured", "at", "points", "verdict"])
