"""A run folder on disk: run.json (config, methods, plan, accuracy, machine), points.jsonl (each finished point,
appended as it finishes), benchmark.json (pytest-benchmark's JSON). Whole files are written atomically.
Reading a run needs nothing but this module: no sweep, no methods (it sits below both, and results/)."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import socket
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from ._files import plain, write_atomic, write_json
from ._words import plural
from .errors import InvalidValue

RUN_META = "run.json"
POINTS = "points.jsonl"
BENCHMARK_JSON = "benchmark.json"
PHASE = "phase.txt"  # what the suite is doing now ("checking the gradient of ID"), for the progress line
DONE = ("ok", "skipped")  # statuses of finished points: a resumed sweep reruns failed and missing ones
BUSY_LOAD = 0.25  # other processes using more than this fraction of the CPUs (others_load): the machine is busy
CLASSIC = (5, 32, 16)  # depth, width, batch of the classic network: every method is measured there, and it is the
# network of the landscape (every method at one network) of a run that does not name one


def new_run_dir(root: Path, prefix: str = "run") -> Path:
    """results/<prefix>-YYYYmmdd-HHMMSS-host, with -2, -3, ... appended rather than reuse an existing folder."""
    root.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = f"{prefix}-{stamp}-{socket.gethostname().split('.')[0] or 'host'}"
    for k in range(1, 1000):
        path = root / (base if k == 1 else f"{base}-{k}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"could not make a new run folder under {root}")


def blas_info() -> list[dict]:
    """Which BLAS numpy runs (library, kernel architecture, threads), from threadpoolctl."""
    from threadpoolctl import threadpool_info

    keys = ("internal_api", "version", "architecture", "num_threads", "threading_layer")
    return [{k: info.get(k) for k in keys} for info in threadpool_info() if info.get("user_api") == "blas"]


def machine_summary() -> dict:
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS") if k in os.environ}
    return {"node": socket.gethostname(), "system": platform.system(), "machine": platform.machine(),
            "processor": platform.processor(), "cpu_count": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "blas": blas_info(), "blas_env": env}


def new_run_meta(config: dict, methods: dict[str, dict], plan: list[dict], accuracy: list[dict],
                 constants: dict) -> dict:
    """The content of run.json: the sweep's config, what each method declared (family, work, module), the
    plan, the accuracy study, the machine and its constants for the cost model."""
    try:
        version = metadata.version("nngrad")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {"format": "nngrad-run/2", "created": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "nngrad_version": version, "config": config, "methods": methods, "plan": plan, "accuracy": accuracy,
            "machine": machine_summary(), "machine_constants": constants}


RENAMED = {"landscape": "classic", "target_s": "timing_s"}  # config keys of runs written by nngrad 0.1.0


def read_run_meta(run: Path) -> dict:
    """run.json of the run folder ``run``, its config under today's names (RENAMED)."""
    path = run / RUN_META
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{run} has no {RUN_META}: not a run folder made by 'nngrad bench'") from None
    except json.JSONDecodeError as exc:
        raise InvalidValue(f"{path} is not valid JSON ({exc})") from None
    if isinstance(meta.get("config"), dict):
        meta["config"] = {RENAMED.get(key, key): value for key, value in meta["config"].items()}
    return meta


def test_id(point: dict) -> str:
    """The suite's id of a point: "method-dD-wW-bB", with "-DEVICE" off numpy's CPU."""
    device = point.get("device", "cpu")
    return f"{point['method']}-d{point['depth']}-w{point['width']}-b{point['batch']}" + (
        "" if device == "cpu" else f"-{device}")


def write_phase(run: Path | None, text: str) -> None:
    """Say what the suite is doing now (an empty text: timing); nothing without a run folder."""
    if run is not None:
        (run / PHASE).write_text(text)


def read_phase(run: Path) -> str:
    """What the suite said it is doing now ('' when nothing, or the file is not there)."""
    try:
        return (run / PHASE).read_text()
    except OSError:
        return ""


def point_key(point: dict) -> tuple:
    """(method, depth, width, batch, device): what identifies a point of a sweep (older runs: device "cpu")."""
    return (point["method"], point["depth"], point["width"], point["batch"], point.get("device", "cpu"))


def append_point(run: Path, record: dict) -> None:
    """Append one finished point as a line of JSON, flushed to disk before returning (after a line cut short
    by a crash, the new record starts on a line of its own)."""
    path = run / POINTS
    with open(path, "a+b") as f:
        f.seek(0, os.SEEK_END)
        if f.tell():
            f.seek(-1, os.SEEK_END)
            cut_short = f.read(1) != b"\n"
        else:
            cut_short = False
        f.write((("\n" if cut_short else "") + json.dumps(record, default=plain) + "\n").encode())
        f.flush()
        os.fsync(f.fileno())


def forget(run: Path, keys: set[tuple]) -> int:
    """Remove the records of the points ``keys`` (point_key) from points.jsonl, written whole and atomically, so
    that a resumed suite times them again; returns how many records went."""
    records = read_points(run)
    kept = [r for r in records if point_key(r["point"]) not in keys]
    write_atomic(run / POINTS, "".join(json.dumps(r, default=plain) + "\n" for r in kept))
    return len(records) - len(kept)


def read_points(run: Path) -> list[dict]:
    """The finished points of a run. A last line cut short by a crash is ignored (so is a line cut short before
    a newer record: append_point starts a new line after it); any other line that is not a record is damage,
    and raises ValueError naming the file and the line."""
    path = run / POINTS
    if not path.exists():
        return []
    text = path.read_text()
    lines = text.splitlines()
    records = []
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if line.startswith("{"):  # a record cut short by a crash (append_point starts the next on a new line)
                continue
            raise InvalidValue(f"{path} line {number} is not a record of a point (damaged file?): "
                             f"{line[:60]!r}") from None
        if not isinstance(record, dict) or "point" not in record or "status" not in record:
            raise InvalidValue(f"{path} line {number} is not a record of a point (damaged file?): {line[:60]!r}")
        records.append(record)
    return records


def trim_cut_line(run: Path) -> bool:
    """Remove a last line of points.jsonl cut short by a crash (a record that never finished); True if there was
    one."""
    path = run / POINTS
    if not path.exists():
        return False
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return False
    path.write_bytes(data[:data.rfind(b"\n") + 1])
    return True


def not_done(run: Path, plan: list[dict]) -> list[dict]:
    """The points of ``plan`` with no finished record in the run (measured or skipped: DONE); a failed point and
    a missing one are not done, so a resumed sweep runs them again. The one place "finished" is decided."""
    finished = {point_key(r["point"]) for r in read_points(run) if r["status"] in DONE}
    return [p for p in plan if point_key(p) not in finished]


def unfinished(run: Path) -> list[dict]:
    """The planned points of a run that are neither finished nor skipped by the plan: what is left to run."""
    return [p for p in not_done(run, read_run_meta(run)["plan"]) if not p["skip_reason"]]


@dataclass(frozen=True)
class PointCounts:
    """How far a run got, each planned point counted once: measured (ok), failed, left out by the plan (skipped:
    predicted over the budget or the total, or not applicable) or not run. The one count that ``nngrad bench``, its
    progress line, ``nngrad report`` and report.md's "Unfinished run" say."""

    measured: int = 0
    failed: int = 0
    left_out: int = 0
    not_run: int = 0

    @classmethod
    def of(cls, statuses: Iterable[str]) -> PointCounts:
        """From each point's status: "ok", "failed", "skipped" or "not run" (point_statuses, load_run's points)."""
        counted = Counter(statuses)
        if unknown := set(counted) - {"ok", "failed", "skipped", "not run"}:
            raise InvalidValue(f"a point's status is one of ok, failed, skipped, not run; got {sorted(unknown)}")
        return cls(counted["ok"], counted["failed"], counted["skipped"], counted["not run"])

    @property
    def finished(self) -> int:
        """Points timed to the end: measured or failed."""
        return self.measured + self.failed

    @property
    def to_time(self) -> int:
        """Points the plan times (every one but those it left out)."""
        return self.finished + self.not_run

    def __str__(self) -> str:
        """'79 of 302 points finished (77 measured, 2 failed), 223 not run; 190 left out by the plan'."""
        how = f"{self.measured:,} measured" + (f", {self.failed:,} failed" if self.failed else "")
        text = f"{self.finished:,} of {plural(self.to_time, 'point')} finished ({how})"
        text += f", {self.not_run:,} not run" if self.not_run else ""
        return text + (f"; {self.left_out:,} left out by the plan" if self.left_out else "")


def point_statuses(run: Path) -> dict[tuple, str]:
    """Each planned point's status by point_key: its latest record's ("ok", "failed", "skipped"), else "skipped"
    where the plan left it out, else "not run"."""
    statuses = {point_key(p): "skipped" if p.get("skip_reason") else "not run" for p in read_run_meta(run)["plan"]}
    for record in read_points(run):
        if (key := point_key(record["point"])) in statuses:
            statuses[key] = record["status"]
    return statuses


def count_points(run: Path) -> PointCounts:
    """How far the run in folder ``run`` got (PointCounts)."""
    return PointCounts.of(point_statuses(run).values())


def mark_retimed(run: Path, keys: set[tuple]) -> None:
    """Note in run.json that the points ``keys`` (point_key) are timed a second time (the suite records them with
    ``retimed``: True)."""
    meta = read_run_meta(run)
    known = {tuple(k) for k in meta.get("retimed", [])}
    write_json(run / RUN_META, {**meta, "retimed": sorted(known | set(keys))})


def retimed(meta: dict) -> set[tuple]:
    """The point_keys of the points run.json says are timed a second time (mark_retimed)."""
    return {tuple(k) for k in meta.get("retimed", [])}
