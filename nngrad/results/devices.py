"""The devices of a run side by side (``nngrad bench --devices cpu,cuda``): each device's machine constants and
how well they predict its points, the cost gap of every device in one figure, each device's landscape, and the N
from which each device's finite difference grows with N (a GPU runs the N + 1 evaluations side by side until
it is full: flat first, proportional to N after)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..backend import is_cuda
from ..runfiles import CLASSIC
from . import plots, prediction, sanity, tables
from .landscape import landscape_table
from .limits import DEVICE_TARGETS, LIMIT_COLUMNS, limits_table
from .load import Run
from .markdown import markdown_table

GAP_METHOD = "numerical-batched"  # the finite difference whose growth with N the knee describes
SPEEDUP = 10  # the GPU's numerical-batched at the classic network: at least this many times the CPU's
MODEL_SHARE = 0.8  # of a GPU's points the cost model predicts within the band


def slug(device: str) -> str:
    """A device label as part of a file name: "cuda:0" -> "cuda-0", "torch@cpu" -> "torch-cpu"."""
    return re.sub(r"[^A-Za-z0-9_]+", "-", device)


def knee(points: pd.DataFrame, method: str = GAP_METHOD) -> tuple[float | None, int | None]:
    """(N from which ``method``'s time grows with N, the depth it was found at), from the unflagged points of one
    device at the depth with most of them: t = a + b N fitted by least squares on relative residuals, and N = a / b,
    where the part growing with N equals the flat part (beyond the largest N measured: it had not started growing).
    (None, None) with fewer than 3 points; (None, depth) when the fit has no flat part within the measured sizes."""
    ok = points[(points["method"] == method) & (points["status"] == "ok") & ~sanity.flagged(points)]  # no fit on a flag
    ok = ok.dropna(subset=["median_s", "n_params"])
    if ok.empty:
        return None, None
    depth = int(ok["depth"].value_counts().sort_index(ascending=False).idxmax())
    rows = ok[ok["depth"] == depth]
    if rows["n_params"].nunique() < 3:
        return None, None
    t, n = rows["median_s"].to_numpy(float), rows["n_params"].to_numpy(float)
    (a, b), *_ = np.linalg.lstsq(np.column_stack([np.ones_like(n), n]) / t[:, None], np.ones_like(t), rcond=None)
    if a <= 0 or b <= 0 or a / b < n.min():  # no flat part within the measured sizes
        return None, depth
    return float(a / b), depth


def constants_table(run: Run) -> pd.DataFrame:
    """One row per device: what it is, its three constants, how many of its points the model predicts within the
    band, and its finite difference's knee."""
    described = {d.get("label"): d for d in run.machine.get("devices") or []}
    rows = []
    for device in run.devices:
        mine, info = run.on(device), described.get(device, {})
        c, (n, depth) = mine.constants, knee(mine.points)
        memory = info.get("memory_bytes")
        rows.append({
            "device": device, "library": f"{info.get('library', '?')} {info.get('version', '')}".strip(),
            "hardware": info.get("name") or run.machine.get("processor") or run.machine.get("machine", ""),  # CPU or GPU
            "memory (GiB)": memory / 2**30 if memory else None,
            "call (µs)": c.get("call_s", np.nan) * 1e6, "GEMM (GFLOP/s)": c.get("gemm_flop_s", np.nan) / 1e9,
            "element-wise (ns/element)": c.get("elementwise_s", np.nan) * 1e9,
            f"within ±{prediction.BAND:.0%}": prediction.fraction_inside(mine.points),
            f"{GAP_METHOD} grows from N ≈": n, "at depth": depth})
    return pd.DataFrame(rows)


def targets(run: Run, device: str) -> pd.DataFrame:
    """The targets of a GPU ``device`` (issue 12): its methods against each other (limits.DEVICE_TARGETS), its
    numerical-batched against the CPU's at the classic network, and its cost model's share within the band; no
    row rests on a flagged point (results/sanity.py), each says what it left out and why it missed."""
    mine = run.on(device).points
    classic = tuple(run.config.get("classic") or CLASSIC)
    table = limits_table(mine, classic, targets=DEVICE_TARGETS)
    return pd.concat([table, pd.DataFrame([_speedup_row(run, device, classic), _model_row(mine, device)],
                                          columns=LIMIT_COLUMNS)], ignore_index=True)


def _speedup_row(run: Run, device: str, classic: tuple[int, int, int]) -> dict:
    """numerical-batched on the CPU / on ``device`` at the classic network, unless either point is flagged."""
    row = {"target": f"{GAP_METHOD} on cpu / on {device} >= {SPEEDUP}", "where": "classic network",
           "measured": np.nan, "at": "", "points": 0, "left_out": 0}
    p = sanity.ensured(run.points)
    ok = p[(p["method"] == GAP_METHOD) & (p["status"] == "ok")]
    at = ok[(ok["depth"] == classic[0]) & (ok["width"] == classic[1]) & (ok["batch"] == classic[2])]
    at = at[at["device"].isin(["cpu", device])].set_index("device")
    if not {"cpu", device} <= set(at.index):
        return {**row, "verdict": "not measured", "why": f"{GAP_METHOD} not measured on both at the classic network"}
    reasons = pd.Series([f"{GAP_METHOD} on {d} {sanity.kind(at.loc[d, 'flag'])}" if sanity.kind(at.loc[d, "flag"])
                         else "" for d in ("cpu", device)])
    if (reasons != "").any():
        return {**row, "left_out": 1, "verdict": "not judged", "why": sanity.all_flagged(reasons)}
    speedup = float(at.loc["cpu", "median_s"] / at.loc[device, "median_s"])
    passed = speedup >= SPEEDUP
    term, share = prediction.dominant_share(at.loc[device])
    why = f"on {device} its predicted time is {share:.0%} {term}" if term else "no cost model on this device to say why"
    return {**row, "measured": speedup, "at": "d{} w{} b{}".format(*classic), "points": 1,
            "verdict": "pass" if passed else "miss", "why": "" if passed else why}


def _model_row(mine: pd.DataFrame, device: str) -> dict:
    """The share of ``device``'s unflagged points the cost model predicts within the band."""
    share, judged = prediction.fraction_inside(mine), len(prediction.predicted_points(mine))
    predicted = sanity.ensured(mine)[(mine["status"] == "ok") & mine["model_s"].notna()]
    reasons = predicted["flag"].map(sanity.kind)
    row = {"target": f"cost model within ±{prediction.BAND:.0%} on {device} >= {MODEL_SHARE:.0%}",
           "where": "every measured point", "measured": share, "at": "", "points": judged,
           "left_out": int((reasons != "").sum())}
    if not np.isfinite(share):
        return {**row, "verdict": "not judged" if row["left_out"] else "not measured",
                "why": sanity.all_flagged(reasons) if row["left_out"] else "no point has a prediction"}
    passed = share >= MODEL_SHARE
    why = "" if passed else f"its largest misses: the cost model on {device} below"
    return {**row, "verdict": "pass" if passed else "miss",
            "why": "; ".join(w for w in (why, sanity.left_out(reasons, short=True)) if w)}


def figures(run: Run) -> dict[str, object]:
    """devices_gap.png, and for every device after the first its landscape and cost-model figures."""
    knees = {d: knee(run.on(d).points)[0] for d in run.devices}
    figs = {"devices_gap.png": plots.device_gap(run.points, knees, run.label)}
    for device in run.devices[1:]:
        mine = run.on(device)
        figs[f"landscape-{slug(device)}.png"] = plots.landscape(mine.points, mine.label)  # the label names the device
        figs[f"model-{slug(device)}.png"] = plots.predicted_vs_measured(mine.points, mine.label, prediction.BAND)
    return figs


def section(run: Run) -> list[str]:
    """The report's section on the devices (nothing for a run on one device)."""
    if len(run.devices) < 2:
        return []
    table = constants_table(run)
    lines = [f"## Devices: {', '.join(run.devices)}", "",
             ("The same networks (same weights and data) on each device; every gradient was checked against numpy's "
              "backprop on the CPU before it was timed, and every timed call ended with the device synchronised. The "
              "report above is the first device's; here the others, and all of them side by side. On a device a "
              "call's fixed cost is a kernel launch, and its rates are measured at sizes that fill it."), "",
             tables.devices(table).pipe(markdown_table), "",
             (f"`knee N`: the N from which {GAP_METHOD} grows with N (devices.csv has every column in full): t = a + "
              f"b N fitted to the unflagged {GAP_METHOD} points of that device at one depth (the one with most "
              "points); N = a / b is where the part that grows with N "
              "equals the flat part (above the largest N measured: it had not started to grow; blank: fewer than three "
              "points, or no flat part within the sizes measured)."), "",
             "![cost gap per device](devices_gap.png)", ""]
    for device in run.devices[1:]:
        lines += [f"### On {device}", ""]
        if is_cuda(device):
            lines += [f"Targets on {device} (ratios of median times in this run; the worst where each applies):", "",
                      tables.limits(targets(run, device)).pipe(markdown_table), ""]
        table, (d, w, b) = landscape_table(run.on(device))
        if not table.empty:
            lines += [(f"Every method on {device} at the classic network (depth {d}, width {w}, batch {b}); peak "
                       "memory is the device allocator's (torch's) on a CUDA device:"), "",
                      tables.landscape(table).pipe(markdown_table), ""]
        lines += [f"![landscape on {device}](landscape-{slug(device)}.png)", "",
                  f"![cost model on {device}](model-{slug(device)}.png)", "",
                  prediction.by_method(run.on(device).points).pipe(markdown_table), ""]
    return lines
