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
from . import sanity
from .load import KEY, paired
from .prediction import dominant_share

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
    min_params: int | None = None  # and only at networks of at least this many parameters (None: of any size)
    per_flop: bool = False  # the time ratio over the ratio of the two points' flop counts (1: the algorithm's)
    min_floor_s: float = 0.0  # only where the denominator (the flop floor, FLOOR) is at least this many seconds

    def check(self, ratio: float) -> bool:
        if self.op == "within":  # within ``bound`` (a fraction) of 1 either way
            return 1 / (1 + self.bound) <= ratio <= 1 + self.bound
        return {"<=": operator.le, ">=": operator.ge}[self.op](ratio, self.bound)

    @property
    def text(self) -> str:
        """How the report names it: "backprop-numba / jax <= 0.5", "backprop-numba / flop floor <= 2",
        "numerical-batched-numba / backprop-numba ÷ flops' ±30%" (the time ratio over the flops' ratio, within
        30% of 1)."""
        if self.per_flop:
            return f"{self.numerator} / {self.denominator} ÷ flops' ±{self.bound:.0%}"
        return f"{self.numerator} / {self.denominator} {self.op} {self.bound:g}"


def _classic(batch: int):
    return lambda d, w, b, classic: (d, w) == classic and b == batch


EVERYWHERE = lambda d, w, b, c: True
FLOOR = "flop floor"  # a denominator that is no method: the point's flops / the run's GEMM rate (gemm_flop_s)
FLOOR_MIN_S = 50e-6  # the floor target applies where the flops take at least this long


def _peers_table(d: int, w: int, b: int, classic: tuple[int, int]) -> bool:
    """The peers' table of the benchmark (compiled backprop against JAX): the classic network at batch 1, 16 and 64;
    widths 128 and 256 at batch 64 (sweep/config.py TARGET_NETWORKS, at depth 2)."""
    return ((d, w) == classic and b in (1, 16, 64)) or (b == 64 and w in (128, 256))


# the gradient without the interpreter, compiled (numba) against JAX's jit and the machine's flop rate
COMPILED_TARGETS = [
    Target("backprop-numba", "jax", "<=", 1.0, _peers_table, "peers' table: classic b1-64, w128/256 b64"),
    Target("backprop-numba", "jax", "<=", 0.5, _classic(1), "classic network, batch 1"),
    Target("backprop-numba", FLOOR, "<=", 2.0, EVERYWHERE,
           f"flops of {FLOOR_MIN_S * 1e6:g} µs or more", min_floor_s=FLOOR_MIN_S),
    Target("numerical-batched-numba", "backprop-numba", "within", 0.3, _classic(16), "classic network, batch 16",
           per_flop=True),
]
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
    *COMPILED_TARGETS,
]
# on a GPU (issue 12): the methods against each other on the same device (results/devices.py adds the GPU against
# the CPU and the cost model's share of points)
DEVICE_TARGETS = [
    Target("jax-fd", "numerical-batched", ">=", 5, EVERYWHERE, "N >= 50,000", min_params=50_000),
    Target("backprop", "torch", "<=", 1.0, EVERYWHERE, "every point"),
    Target("backprop-graph", "jax", "<=", 2.0, EVERYWHERE, "every point"),
    Target("forward-mode", "numerical-batched", "<=", 1.0, EVERYWHERE, "every point"),
]


MODEL = ("model_s", "model_calls_s", "model_flops_s", "model_elementwise_s")  # the cost model's prediction, by term


def ratios(points: pd.DataFrame, numerator: str, denominator: str, flops: bool = False) -> pd.DataFrame:
    """Points where both methods were measured: depth, width, batch, device, t(numerator) / t(denominator), with
    ``flops`` the ratio of their flop counts (``flop_ratio``; NaN without a ``flops`` column), the cost model's terms
    of both sides (suffix _a, _b) and ``left_out``: why the ratio rests on a flagged point ("" when neither point is
    flagged; results/sanity.py)."""
    points = sanity.ensured(points)
    extra = tuple(c for c in MODEL if c in points)
    both = paired(points if "flops" in points else points.assign(flops=np.nan), numerator, denominator,
                  ("flag", "flops", *extra))
    return both[[k for k in (*KEY[1:], "n_params") if k in both]].assign(
        median_s_a=both["median_s"], median_s_b=both["median_s_ref"], ratio=both["ratio"],
        **({"flop_ratio": both["flops"] / both["flops_ref"]} if flops else {}),
        left_out=sanity.pair_reasons(both, denominator),
        **{f"{c}_a": both[c] for c in extra}, **{f"{c}_b": both[f"{c}_ref"] for c in extra})


def floor_ratios(points: pd.DataFrame, method: str, gemm_flop_s: float | None) -> pd.DataFrame:
    """Like ratios(), with the flop floor as the denominator: each measured point of ``method`` over its flops / the
    GEMM rate (median_s_b and model_s_b: the floor); no rows without a GEMM rate."""
    points = sanity.ensured(points)
    mine = points[(points["status"] == "ok") & (points["method"] == method)]
    if not gemm_flop_s or gemm_flop_s <= 0:
        mine = mine.iloc[0:0]
    floor = pd.to_numeric(mine.get("flops", np.nan), errors="coerce") / (gemm_flop_s or 1.0)
    extra = {c: mine[c] for c in MODEL if c in mine}
    return mine[[k for k in (*KEY[1:], "n_params") if k in mine]].assign(
        median_s_a=mine["median_s"], median_s_b=floor, ratio=mine["median_s"] / floor,
        left_out=[f"{method} {sanity.kind(f)}" if sanity.kind(f) else "" for f in mine["flag"]],
        **{f"{c}_a": v for c, v in extra.items()}, **({"model_s_b": floor} if extra else {}))


def _at(row) -> str:
    return f"d{int(row['depth'])} w{int(row['width'])} b{int(row['batch'])}"


def why_miss(t: Target, row) -> str:
    """Why the worst ratio ``row`` (of ratios()) misses ``t``, in the cost model's words: the ratio it predicts there,
    and either the term that makes the miss expected ("model says 3.2 too (61% fixed cost per call)": the numerator's
    dominant term and its share of its predicted time) or the side that ran off its prediction ("model says 0.9;
    backprop ran 1.3x the model")."""
    a, b = row.get("model_s_a", np.nan), row.get("model_s_b", np.nan)
    if not (np.isfinite(a) and np.isfinite(b) and a > 0 and b > 0):
        return "no cost model in this run to say why"
    predicted = a / b / (row.get("flop_ratio", np.nan) if t.per_flop else 1.0)  # per flop: over the flops' ratio
    if not t.check(predicted):
        term, share = dominant_share(row, "_a")
        return f"model says {predicted:.3g} too ({share:.0%} {term})"
    off = {t.numerator: row["median_s_a"] / a, t.denominator: row["median_s_b"] / b}
    side = max(off, key=lambda m: abs(np.log(off[m])))
    return f"model says {predicted:.3g}; {side} ran {_times(off[side])} the model"


def _times(x: float) -> str:
    """0.61x, 1.3x, 9.9x under 9.95 (2 significant digits); 10x, 400x, 1,234x from there (whole)."""
    return f"{x:.2g}x" if x < 9.95 else f"{x:,.0f}x"


def _why_not_measured(t: Target, points: pd.DataFrame, gemm_flop_s: float | None = None) -> str:
    measured = set(points.loc[points["status"] == "ok", "method"]) if len(points) else set()
    missing = [m for m in (t.numerator, t.denominator) if m not in measured and m != FLOOR]
    if t.denominator == FLOOR and not missing:
        return "no GEMM rate measured in this run" if not gemm_flop_s else "no point here has flops that long"
    return f"{' and '.join(missing)} not measured in this run" if missing else "no network here measured both"


def limits_table(points: pd.DataFrame, classic: tuple[int, int, int] = CLASSIC,
                 max_bytes: int = DEFAULT_MAX_BYTES, targets: list[Target] = TARGETS,
                 constants: dict | None = None) -> pd.DataFrame:
    """One row per target: what it compares, where, the worst ratio there over the ratios of unflagged points (and at
    which network), how many it judged and left out, "pass", "miss", "not judged" (every ratio there rests on a
    flagged point) or "not measured", and ``why`` (a miss's reason, what was left out). Then the batched method's
    peak memory against its bound. ``constants``: the run's machine constants (the flop floor's GEMM rate)."""
    gemm = (constants or {}).get("gemm_flop_s")
    rows = [_target_row(t, points, classic, gemm) for t in targets]
    return pd.DataFrame(rows + [_memory_row(points, max_bytes)], columns=LIMIT_COLUMNS)


LIMIT_COLUMNS = ["target", "where", "measured", "at", "points", "left_out", "verdict", "why"]


def _target_row(t: Target, points: pd.DataFrame, classic: tuple[int, int, int], gemm: float | None = None) -> dict:
    both = floor_ratios(points, t.numerator, gemm) if t.denominator == FLOOR else ratios(
        points, t.numerator, t.denominator, flops=t.per_flop)
    if t.per_flop:
        both = both.assign(ratio=both["ratio"] / both["flop_ratio"])
    sel = both[[t.where(d, w, b, tuple(classic[:2])) and (t.min_params is None or n >= t.min_params)
                and (not t.min_floor_s or fs >= t.min_floor_s) for d, w, b, n, fs in zip(
                    both["depth"], both["width"], both["batch"], both["n_params"], both["median_s_b"])]]
    row = {"target": t.text, "where": t.where_text}
    return _judged(row, sel, "ratio", lambda kept: _worst(kept["ratio"], t.op),
                   lambda worst: (float(worst["ratio"]), t.check(worst["ratio"]), why_miss(t, worst)),
                   lambda: _why_not_measured(t, points, gemm))


def _worst(ratio: pd.Series, op: str):
    """Index of the ratio that decides a target: a NaN one first (it passes no bound), else the largest for "<=",
    the smallest for ">=" and the farthest from 1 (in log) for "within"."""
    if ratio.isna().any():
        return ratio.index[ratio.isna()][0]
    if op == "within":
        return np.log(ratio.astype(float)).abs().idxmax()
    return ratio.idxmax() if op == "<=" else ratio.idxmin()


def _memory_row(points: pd.DataFrame, max_bytes: int) -> dict:
    points = sanity.ensured(points)
    memory = points[(points["method"] == "numerical-batched") & points["peak_memory_bytes"].notna()]
    memory = memory.assign(left_out=memory["flag"].map(sanity.kind))
    row = {"target": f"numerical-batched peak memory <= {max_bytes / MIB:g} MiB (its bound)", "where": "every point"}
    return _judged(row, memory, "point", lambda kept: kept["peak_memory_bytes"].idxmax(),
                   lambda worst: (worst["peak_memory_bytes"] / MIB, worst["peak_memory_bytes"] <= max_bytes,
                                  f"its chunks are sized to stay within {max_bytes / MIB:g} MiB (methods/prefix.py "
                                  "chunk_size): a chunk outgrew its estimate"),
                   lambda: "numerical-batched not measured in this run")


def _judged(row: dict, sel: pd.DataFrame, noun: str, pick, judge, absent) -> dict:
    """A target's row from its selected rows ``sel`` (with ``left_out``): the worst unflagged one (``pick`` its
    index), judged by ``judge`` -> (measured, passed, why it missed); what was left out said in ``why``."""
    if sel.empty:
        return {**row, "measured": np.nan, "at": "", "points": 0, "left_out": 0, "verdict": "not measured",
                "why": absent()}
    out = sel["left_out"] != ""
    kept, note = sel[~out], sanity.left_out(sel["left_out"], noun, short=True)
    if kept.empty:
        return {**row, "measured": np.nan, "at": "", "points": 0, "left_out": int(out.sum()),
                "verdict": "not judged", "why": sanity.all_flagged(sel["left_out"])}
    worst = kept.loc[pick(kept)]
    measured, passed, why = judge(worst)
    why = "; ".join(w for w in ("" if passed else why, note) if w)
    return {**row, "measured": measured, "at": _at(worst), "points": len(kept), "left_out": int(out.sum()),
            "verdict": "pass" if passed else "miss", "why": why}
