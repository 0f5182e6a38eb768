"""A stored run -> tidy pandas tables: one row per point (measured, skipped, failed or not run).

A run is a run folder (benchmark.json, or run.json + points.jsonl when the sweep was interrupted)
or a pytest-benchmark JSON file written by nngrad's suite.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from .. import runfiles
from ..errors import InvalidValue
from ..methods import registered
from ..methods.runtimes import DEFAULT as DEFAULT_RUNTIME
from ..runfiles import point_key
from . import sanity

KEY = ["method", "depth", "width", "batch", "device"]  # device: "cpu" in runs made before devices
OVERHEAD_FLOPS = 5e5  # runs without a cost model: a forward pass under this many flop is overhead-dominated
MODEL_TERMS = ["model_calls_s", "model_flops_s", "model_elementwise_s"]  # the cost model's prediction, by term
COLUMNS = [*KEY, "family", "n_params", "status", "median_s", "iqr_s", "q1_s", "q3_s", "min_s", "rounds",
           "iterations", "loss_evaluations", "tangent_passes", "work", "work_unit", "flops", "gflops",
           "peak_memory_bytes", "gradient_error", "cosine", "reference", "predicted_s", "prepare_s", "compile_s",
           "capture_s", "forward_flops", "overhead_dominated", "message", "round_times_s", *MODEL_TERMS, "model_s",
           "dominant", "others_load", "retimed", "flag", "runtime"]
# cosine: an estimator's estimate (the one checked) against backprop's gradient (NaN: an exact method, or older runs);
# others_load: the share of the machine's CPUs other processes used while the point was timed (NaN: not recorded);
# runtime: where the method's code ran (methods/runtimes.py; older runs: numpy);
# retimed: True for a point that `nngrad bench` timed a second time because it was impossible (older runs: False)
TEXT = ("status", "message", "family", "work_unit", "reference", "overhead_dominated", "dominant", "flag", "runtime")
FLAGS = ("retimed",)  # True or False
RAW = ("round_times_s",)  # a tuple of per-call seconds, one per timed round (None where the run kept none)


class RunError(InvalidValue):
    """A run that cannot be read: the message says which file and why."""


@dataclass
class Run:
    """One benchmark run: its points (tidy), accuracy curve and where it ran."""

    name: str
    points: pd.DataFrame
    accuracy: pd.DataFrame
    machine: dict = field(default_factory=dict)
    created: str = ""
    config: dict = field(default_factory=dict)
    methods: dict = field(default_factory=dict)  # what each method declared (family, work_unit, description ...)
    constants: dict = field(default_factory=dict)  # the machine constants of the cost model (empty: older runs)
    headline: dict = field(default_factory=dict)  # the headline's interleaved timings (sweep/headline.py)
    device_constants: dict = field(default_factory=dict)  # the cost model's constants by device label
    _slices: dict = field(default_factory=dict, init=False, repr=False, compare=False)  # Run.on, by device

    @property
    def devices(self) -> list[str]:
        """The devices of its points, in the order the sweep listed them ("cpu" alone for older runs)."""
        listed = list((self.config or {}).get("devices") or ["cpu"])
        found = list(self.points["device"].unique()) if "device" in self.points else []
        return [d for d in listed if d in found] + [d for d in found if d not in listed] or listed[:1]

    def on(self, device: str) -> Run:
        """This run restricted to the points of ``device``, with that device's constants (the headline is numpy's
        on the CPU: kept only there); sliced once per device, however often it is asked for (a run's points are
        not changed once it is made)."""
        if device not in self._slices:
            self._slices[device] = self._slice(device)
        return self._slices[device]

    def _slice(self, device: str) -> Run:
        points = self.points[self.points["device"] == device].reset_index(drop=True)
        constants = self.device_constants.get(device) or (self.constants if device == self.devices[0] else {})
        return replace(self, name=self.name if device == "cpu" else f"{self.name} on {device}", points=points,
                       constants=constants, headline=self.headline if device == "cpu" else {})

    @property
    def label(self) -> str:
        """Machine and date, for plot captions."""
        m = self.machine
        blas = ", ".join(dict.fromkeys(f"{b.get('internal_api')} {b.get('architecture')}"
                                       for b in m.get("blas", []) or []))  # numpy's, and scipy's or torch's
        parts = [m.get("node", ""), m.get("machine", ""), f"{m.get('cpu_count', '?')} CPUs", blas]
        return f"{self.name}: {', '.join(p for p in parts if p)} — {self.created[:19]}"


def paired(points: pd.DataFrame, method: str | None, reference: str, columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """The measured points of ``method`` (None: of every method but ``reference``) beside ``reference``'s at the same
    network on the same device: their rows, plus the reference's median_s and ``columns`` with the suffix _ref, and
    ``ratio`` = median_s / median_s_ref. The one place two methods' times are paired."""
    ok = points[points["status"] == "ok"]
    key = [k for k in KEY[1:] if k in points]  # older runs: no device column, one device
    ref = ok.loc[ok["method"] == reference, [*key, "median_s", *columns]]
    mine = ok[ok["method"] != reference] if method is None else ok[ok["method"] == method]
    both = mine.merge(ref, on=key, suffixes=("", "_ref"))
    return both.assign(ratio=both["median_s"] / both["median_s_ref"])


def load_run(path: str | Path) -> Run:
    """Read a run folder or a pytest-benchmark JSON of nngrad's suite; RunError says what is wrong."""
    path = Path(path)
    if not path.exists():
        raise RunError(f"{path}: no such file or folder")
    if path.is_dir():
        bench = path / runfiles.BENCHMARK_JSON
        if bench.exists():
            return _from_benchmark_json(bench, name=path.resolve().name)  # "." is named for its folder
        try:
            meta = runfiles.read_run_meta(path)
        except (FileNotFoundError, ValueError) as exc:
            raise RunError(f"{path} holds no results: no {runfiles.BENCHMARK_JSON}, and {exc}") from None
        try:
            records = runfiles.read_points(path)
        except ValueError as exc:
            raise RunError(str(exc)) from None
        if not records and not meta.get("plan"):
            raise RunError(f"{path} holds no results yet: {runfiles.POINTS} is missing or empty")
        return _checked(path, _assemble, path.resolve().name, meta, records, [])
    return _from_benchmark_json(path, name=path.stem)


def _checked(path: Path, build, *args) -> Run:
    """build(*args), with a missing or ill-typed field reported as a RunError naming the file."""
    try:
        return build(*args)
    except (KeyError, TypeError, AttributeError) as exc:
        raise RunError(f"{path} is malformed: a record lacks or mistypes the field {exc}") from None


def _read_json(path: Path) -> dict:
    text = path.read_text()
    if not text.strip():
        raise RunError(f"{path} is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RunError(f"{path} is not valid JSON (truncated? {exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise RunError(f"{path} is not a pytest-benchmark JSON file (no 'benchmarks' list)")
    return data


def _from_benchmark_json(path: Path, name: str) -> Run:
    data = _read_json(path)
    meta = data.get("nngrad") or {}
    for b in data["benchmarks"]:
        if not set(KEY[:4]) <= set(b.get("params") or {}):
            raise RunError(f"{path} is not from nngrad's benchmark suite: benchmark {b.get('name')!r} has no "
                           f"{'/'.join(KEY[:4])} parameters")
    if not data["benchmarks"] and not meta.get("records") and not meta.get("plan"):
        raise RunError(f"{path} holds no results (no benchmarks)")
    machine = {**meta.get("machine", {}), **{k: v for k, v in (data.get("machine_info") or {}).items()
                                           if k in ("node", "machine", "processor", "cpu", "blas")}}
    meta = {**meta, "machine": machine, "created": data.get("datetime", meta.get("created", ""))}
    return _checked(path, _assemble, name, meta, meta.get("records", []), data["benchmarks"])


def _assemble(name: str, meta: dict, records: list[dict], benchmarks: list[dict]) -> Run:
    """Planned points + per-point records + pytest-benchmark entries -> one tidy row per point."""
    rows: dict[tuple, dict] = {}
    for p in meta.get("plan", []):
        rows[point_key(p)] = _row(p, "skipped" if p.get("skip_reason") else "not run", message=p.get("skip_reason"))
    for r in records:
        p = r["point"]
        row = _row(p, r["status"], r.get("extra_info"), r.get("message"))
        if r.get("benchmark"):
            row.update(_stats(r["benchmark"]["stats"]))
        rows[point_key(p)] = row
    for b in benchmarks:  # pytest-benchmark's own entries are authoritative for what was measured
        key = point_key(b["params"])
        planned = {k: v for k, v in rows.get(key, {}).items() if v is not None}
        rows[key] = {**_row({**planned, **b["params"]}, "ok", b.get("extra_info")), **_stats(b["stats"])}
    points = pd.DataFrame(list(rows.values()), columns=COLUMNS)
    methods = _declarations(meta, points["method"].unique())
    if not points.empty:
        points["family"] = points["method"].map(lambda m: methods[m]["family"])
        points["work_unit"] = points["method"].map(lambda m: methods[m]["work_unit"])
        points["runtime"] = points["method"].map(lambda m: methods[m].get("runtime", DEFAULT_RUNTIME))
        order = {m: i for i, m in enumerate(methods)}
        points = _derive(points).sort_values(
            KEY, key=lambda c: c.map(order) if c.name == "method" else c).reset_index(drop=True)
    accuracy = pd.DataFrame(meta.get("accuracy", []))
    return Run(name, points, accuracy, meta.get("machine", {}), str(meta.get("created", "")), meta.get("config", {}),
               methods, meta.get("machine_constants") or {}, meta.get("headline") or {},
               meta.get("device_constants") or {})


def _declarations(meta: dict, names) -> dict[str, dict]:
    """What each method of the run declared: from run.json, else from this nngrad's registry (older runs), in
    the registry's order; a method known to neither is "unknown"."""
    known = {name: {"family": m.family, "work_unit": m.work_unit, "work": m.work_count_label(),
                    "description": m.description, "runtime": m.runtime, "compiles": m.compiles}
             for name, m in registered().items()}
    stored = meta.get("methods") or {}
    out = {n: {**known[n], **stored.get(n, {})} for n in known if n in names or n in stored}
    for n in [*stored, *names]:
        out.setdefault(n, stored.get(n) or {"family": "unknown", "work_unit": "loss evaluations", "work": "?",
                                            "description": "not registered here"})
    return out


def _row(point: dict, status: str, extra: dict | None = None, message: str | None = None) -> dict:
    info = {**point, **(extra or {}), "device": point.get("device", "cpu")}  # older JAX records: extra "device"
    return {**{c: info.get(c) for c in COLUMNS}, "status": status, "message": message}


def _stats(stats: dict) -> dict:
    """pytest-benchmark's stats -> columns. Its ``data`` are already per call (each round's time / iterations),
    like its median, so median(round_times_s) == median_s."""
    data = stats.get("data")
    return {"median_s": stats["median"], "iqr_s": stats["iqr"], "q1_s": stats["q1"], "q3_s": stats["q3"],
            "min_s": stats["min"], "rounds": stats["rounds"], "iterations": stats.get("iterations", 1),
            "round_times_s": tuple(float(t) for t in data) if data else None}


def _derive(points: pd.DataFrame) -> pd.DataFrame:
    points = points.copy()
    for c in COLUMNS:
        if c not in KEY and c not in TEXT and c not in RAW and c not in FLAGS:
            points[c] = pd.to_numeric(points[c], errors="coerce")
    points["retimed"] = points["retimed"].eq(True)  # None (not re-timed, or an older run): False
    points["gflops"] = points["flops"] / points["median_s"] / 1e9
    terms = points[MODEL_TERMS]
    points["model_s"] = terms.sum(axis=1, min_count=len(MODEL_TERMS))
    modelled = points["model_s"].notna()
    points["dominant"] = None
    points.loc[modelled, "dominant"] = terms[modelled].idxmax(axis=1).str.removeprefix("model_").str.removesuffix("_s")
    # per-call overhead dominates where the model's call term is the largest (older runs: by flop count)
    points["overhead_dominated"] = (points["dominant"] == "calls").where(modelled,
                                                                          points["forward_flops"] < OVERHEAD_FLOPS)
    points["flag"] = sanity.flags(points)  # a gradient timed cheaper than one loss evaluation: impossible
    return points
