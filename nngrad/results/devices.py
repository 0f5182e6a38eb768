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
from . import plots, prediction
from .landscape import landscape_table
from .limits import DEVICE_TARGETS, limits_table
from .load import Run
from .markdown import markdown_table

GAP_METHOD = "numerical-batched"  # the finite difference whose growth with N the knee describes
SPEEDUP = 10  # the GPU's numerical-batched at the classic network: at least this many times the CPU's
MODEL_SHARE = 0.8  # of a GPU's points the cost model predicts within the band


def slug(device: str) -> str:
    """A device label as part of a file name: "cuda:0" -> "cuda-0", "torch@cpu" -> "torch-cpu"."""
    return re.sub(r"[^A-Za-z0-9_]+", "-", device)


def knee(points: pd.DataFrame, method: str = GAP_METHOD) -> tuple[float | None, int | None]:
    """(N from which ``method``'s time grows with N, the depth it was found at), from the measured points of one
    device at the depth with most of them, flagged points left out: t = a + b N fitted by least squares on relative
    residuals, and N = a / b, where the part growing with N equals the flat part (beyond the largest N measured: it
    had not started growing).
    (None, None) with fewer than 3 points; (None, depth) when the fit has no flat part within the measured sizes."""
    ok = points[(points["method"] == method) & (points["status"] == "ok") & ~plots.flagged(points)]
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
    numerical-batched against the CPU's at the classic network, and its cost model's share within the band."""
    mine = run.on(device).points
    classic = tuple(run.config.get("classic") or CLASSIC)
    table = limits_table(mine, classic, targets=DEVICE_TARGETS)
    rows = [{"target": f"{GAP_METHOD} on cpu / on {device} >= {SPEEDUP}", "where": "classic network"}]
    ok = run.points[(run.points["method"] == GAP_METHOD) & (run.points["status"] == "ok")]
    at = ok[(ok["depth"] == classic[0]) & (ok["width"] == classic[1]) & (ok["batch"] == classic[2])]
    times = at.set_index("device")["median_s"]
    if {"cpu", device} <= set(times.index):
        speedup = float(times["cpu"] / times[device])
        rows[0].update(measured=speedup, at="d{} w{} b{}".format(*classic), points=1,
                       verdict="pass" if speedup >= SPEEDUP else "miss")
    else:
        rows[0].update(measured=np.nan, at="", points=0, verdict="not measured")
    share = prediction.fraction_inside(mine)
    rows.append({"target": f"cost model within ±{prediction.BAND:.0%} on {device} >= {MODEL_SHARE:.0%}",
                 "where": "every measured point", "measured": share, "at": "",
                 "points": int(((mine["status"] == "ok") & mine["model_s"].notna()).sum()),
                 "verdict": "not measured" if not np.isfinite(share) else "pass" if share >= MODEL_SHARE else "miss"})
    return pd.concat([table, pd.DataFrame(rows)], ignore_index=True)


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
             table.pipe(markdown_table), "",
             (f"`{GAP_METHOD} grows from N ≈`: t = a + b N fitted to the measured {GAP_METHOD} points of that "
              "device at one depth (the one with most points); N = a / b is where the part that grows with N "
              "equals the flat part (above the largest N measured: it had not started to grow; blank: fewer than three "
              "points, or no flat part within the sizes measured)."), "",
             "![cost gap per device](devices_gap.png)", ""]
    for device in run.devices[1:]:
        lines += [f"### On {device}", ""]
        if is_cuda(device):
            lines += [f"Targets on {device} (ratios of median times in this run; the worst where each applies):", "",
                      targets(run, device).pipe(markdown_table), ""]
        table, (d, w, b) = landscape_table(run.on(device))
        if not table.empty:
            lines += [(f"Every method on {device} at the classic network (depth {d}, width {w}, batch {b}); peak "
                       "memory is the device allocator's (torch's) on a CUDA device:"), "",
                      table.pipe(markdown_table), ""]
        lines += [f"![landscape on {device}](landscape-{slug(device)}.png)", "",
                  f"![cost model on {device}](model-{slug(device)}.png)", "",
                  prediction.by_method(run.on(device).points).pipe(markdown_table), ""]
    return lines
