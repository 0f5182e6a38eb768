"""The race (issue 28, item 3): every contestant trained to a target loss set by the tuned reference, fair by
construction (MLPerf Training, AlgoPerf): the same budget in loss-evaluation equivalents, the same number of
learning rates, tuned on seed 0 and run on every seed, held targets only, misses infinite, medians over seeds.
The rules are in race_plan (tasks, grids, budgets), race_run (one run) and race_judge (targets, held, medians).

A race folder holds race.json (written first: the config, the measured ratios; ``finished`` once done),
runs/<key>.csv (each finished run, written atomically as it finishes: a resumed race skips them), then
curves.csv, race.csv and report.md (race_report). Runs are independent: ``jobs`` processes through joblib, or a
Dask cluster (``scheduler``, joblib's dask backend); every curve is read back from its file, so a resumed race
and an uninterrupted one judge the same numbers.

curves.csv holds every tuning run (phase "tune") and every final run (phase "final"): a contestant's seed-0 final
run IS its tuning run at the tuned rate (a run is fixed by its seed, method, k and rate), so it appears in both
phases. Ratios are measured once per width when the race starts (race.json "ratios_by_width"); the counts never
depend on them, the equivalents do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from .._files import write_atomic, write_json
from ..errors import UsageError
from . import race_judge as judge
from .equivalents import Ratios, measure_ratios
from .race_plan import (GRID_SIZE, QUICK_GRID_SIZE, REFERENCE, TASKS, Contestant, RunSpec, budget_steps,
                        contestants, lr_grid, targets_from_percents)
from .race_run import probe, run, task_data

RACE_JSON = "race.json"
RUNS = "runs"
FORMAT = "nngrad-race/1"
COLUMNS = ("task", "width", "N", "method", "k", "lr", "target", "target_loss", "seeds", "reached", *judge.COUNTS,
           "peak_memory_bytes", "final_loss", "test_accuracy", "budget_equivalents", "budget_steps", "step_penalty")


def new_config(task: str, methods=None, ks=None, targets=(90.0, 99.0), seeds: int = 3, widths=None,
               budget: float | None = None, max_steps: int | None = None, quick: bool = False,
               reference: str = REFERENCE, grid_size: int | None = None) -> dict:
    """Every option of a race, checked (bad input raises InvalidValue / UsageError before anything is written)."""
    from .race_plan import check_reference

    if task not in TASKS:
        raise UsageError(f"unknown task {task!r}; valid: {', '.join(TASKS)}")
    spec = TASKS[task]
    check_reference(reference)
    fractions = targets_from_percents(tuple(targets))
    chosen = contestants(tuple(methods) if methods else None, tuple(ks) if ks else None, spec, quick)
    seeds = 1 if quick else int(seeds)
    if seeds < 1:
        raise UsageError(f"--seeds must be at least 1, got {seeds}")
    return {"format": FORMAT, "task": task, "widths": list(widths or spec.widths),
            "contestants": [[c.method, c.k] for c in chosen], "targets": {k: v for k, v in fractions.items()},
            "seeds": seeds, "budget": budget, "max_steps": int(max_steps or spec.max_steps), "quick": bool(quick),
            "reference": reference, "grid_size": int(grid_size or (QUICK_GRID_SIZE if quick else GRID_SIZE))}


def start(out: Path, config: dict, ratios: Ratios | None = None) -> dict:
    """Write race.json for a new race in ``out`` (made if missing) and return it; the ratios are measured on each
    width's network at its batch unless given (then the same at every width): "ratios" holds the first width's,
    "ratios_by_width" each width's."""
    by_width = {str(w): (ratios or _measure(config["task"], w)).to_dict() for w in config["widths"]}
    meta = {"format": FORMAT, "task": config["task"], "config": config,
            "ratios": by_width[str(config["widths"][0])], "ratios_by_width": by_width, "finished": False}
    out.mkdir(parents=True, exist_ok=True)
    (out / RUNS).mkdir(exist_ok=True)
    write_json(out / RACE_JSON, meta)
    return meta


MEASURE_TRIES = 5  # a busy machine can time a backprop no slower than a forward pass: measure again
MIN_RATIO = 0.05  # a backward or tangent pass cheaper than this many loss evaluations is a failed measurement


def _measure(task: str, width: int) -> Ratios:
    """The width's ratios, measured again while either comes out implausibly small (below MIN_RATIO: a busy
    machine's medians); refused after MEASURE_TRIES."""
    data = task_data(task, width)
    net = data.network(0)
    x, y = net.check_data(data.x[:data.batch or None], data.y[:data.batch or None])
    for _ in range(MEASURE_TRIES):
        ratios = measure_ratios(net, x, y)
        if min(ratios.tangent_pass, ratios.backward_pass) >= MIN_RATIO:
            return ratios
    raise UsageError(f"the time ratios at width {width} came out {ratios.backward_pass:.2f} (backward) and "
                     f"{ratios.tangent_pass:.2f} (tangent) loss evaluations {MEASURE_TRIES} times: the machine is "
                     "too busy to price a step; try again when it is quieter")


def read_meta(out: Path) -> dict:
    """race.json of a race folder; UsageError when ``out`` is not one."""
    path = Path(out) / RACE_JSON
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError):
        raise UsageError(f"--resume: {out} is not a race folder made by 'nngrad race' (no readable {RACE_JSON})") \
            from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise UsageError(f"--resume: {out} is not a race folder made by 'nngrad race' ({RACE_JSON} of another kind)")
    return meta


class Runner:
    """Runs specs not yet on disk (joblib: ``jobs`` processes, or a Dask ``scheduler``), writes each curve as
    it finishes, and returns every curve read back from its file. ``done(n, label)``: progress after each run."""

    def __init__(self, out: Path, ratios: Ratios, jobs: int = 1, scheduler: str | None = None,
                 done: Callable[[int, str], None] | None = None) -> None:
        self.out, self.ratios, self.jobs, self.scheduler = out, ratios, jobs, scheduler
        self.done = done or (lambda n, label: None)

    def path(self, spec: RunSpec) -> Path:
        return self.out / RUNS / f"{spec.key}.csv"

    def __call__(self, specs: list[RunSpec]) -> dict[RunSpec, pd.DataFrame]:
        todo = list(dict.fromkeys(s for s in specs if not self.path(s).is_file()))
        self.done(len(set(specs)) - len(todo), "")
        for spec, curve in self._results(todo):
            write_atomic(self.path(spec), curve.to_csv(index=False))
            self.done(1, spec.contestant.label)
        return {s: self.read(s) for s in specs}

    def read(self, spec: RunSpec) -> pd.DataFrame:
        curve = pd.read_csv(self.path(spec))  # pandas reads back the shortest repr exactly
        return curve.assign(phase=spec.phase)

    def _results(self, todo: list[RunSpec]):
        if not todo:
            return
        if self.jobs == 1 and self.scheduler is None:
            for spec in todo:
                yield spec, run(spec, self.ratios, lambda: self.done(0, spec.contestant.label))
            return
        from joblib import Parallel, delayed, parallel_config

        client = _client(self.scheduler) if self.scheduler else None
        try:
            with parallel_config(**({"backend": "dask"} if client else {"n_jobs": self.jobs})):
                yield from Parallel(return_as="generator_unordered")(delayed(_one)(s, self.ratios) for s in todo)
        finally:
            if client is not None and isinstance(self.scheduler, str):  # made here: closed here
                client.close()


def _client(scheduler):
    """A distributed.Client of ``scheduler`` (an address, or a Client or LocalCluster already made)."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs Dask's distributed: pip install 'nngrad[cluster]'") from None
    if isinstance(scheduler, Client):
        return scheduler
    return Client(scheduler)


def _one(spec: RunSpec, ratios: Ratios) -> tuple[RunSpec, pd.DataFrame]:
    return spec, run(spec, ratios)


def race(out: Path, meta: dict, jobs: int = 1, scheduler=None,
         done: Callable[[int, str], None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Run (or finish) the race described by ``meta`` (race.json) in ``out``: (curves, race table, meta with the
    targets, grids and tuned rates, ``finished`` True), written to curves.csv, race.csv and race.json."""
    config = meta["config"]
    spec = TASKS[config["task"]]
    chosen = [Contestant(m, k) for m, k in config["contestants"]]
    curves, rows, per_width = [], [], {}
    for width in config["widths"]:
        ratios = Ratios(**meta.get("ratios_by_width", {}).get(str(width), meta["ratios"]))
        runner = Runner(out, ratios, jobs, scheduler, done)
        plan = plan_width(config, spec, chosen, width, ratios)
        per_width[str(width)] = plan["meta"]
        c, r = race_width(config, plan, chosen, runner)
        curves.append(c)
        rows += r
    table = pd.DataFrame(rows)
    table["step_penalty"] = judge.step_penalty(table, config["reference"])
    table = table[[c for c in COLUMNS if c in table] + [c for c in table if c not in COLUMNS]]
    first = per_width[str(config["widths"][0])]
    meta = {**meta, "targets": first["targets"], "budget_equivalents": first["budget_equivalents"],
            "lr_grid": first["lr_grid"], "tuned_lr": first["tuned_lr"], "widths": per_width, "finished": True}
    curves = pd.concat(curves, ignore_index=True)
    write_atomic(out / "curves.csv", curves.to_csv(index=False))
    write_atomic(out / "race.csv", table.to_csv(index=False))
    write_json(out / RACE_JSON, meta)
    return curves, table, meta


def total_runs(config: dict) -> int:
    """Runs of the whole race: tuning (contestants x grid, seed 0) and the other seeds at each tuned rate."""
    return len(config["widths"]) * len(config["contestants"]) * (config["grid_size"] + config["seeds"] - 1)


def plan_width(config: dict, spec, chosen: list[Contestant], width: int, ratios: Ratios) -> dict:
    """At one width: N, the budget, each contestant's grid, steps, per-step counts and peak memory (one probe)."""
    n = task_data(config["task"], width).n_params
    budget = float(config["budget"] or spec.budget or 100 * (n + 1))
    per = {}
    for c in chosen:
        result, peak = probe(config["task"], width, c.method, c.k)
        per_step = ratios.equivalents(result.loss_evaluations, result.tangent_passes, result.backward_passes)
        per[c] = {"grid": lr_grid(spec, c, n, config["grid_size"]), "peak": peak,
                  "steps": budget_steps(budget, per_step, config["max_steps"]), "per_step": per_step}
    meta = {"N": n, "budget_equivalents": budget, "lr_grid": {c.key: per[c]["grid"] for c in chosen},
            "budget_steps": {c.key: per[c]["steps"] for c in chosen}}
    return {"width": width, "n": n, "budget": budget, "per": per, "meta": meta}


def race_width(config: dict, plan: dict, chosen: list[Contestant], runner: Runner) -> tuple[pd.DataFrame, list]:
    """Tune every contestant on seed 0, set the targets from the reference's seeds, run the others' seeds."""
    task, width, per = config["task"], plan["width"], plan["per"]

    def specs(c: Contestant, lrs, seeds, phase) -> list[RunSpec]:
        return [RunSpec(task, width, c.method, c.k, lr, s, per[c]["steps"], phase) for lr in lrs for s in seeds]

    tune = runner([s for c in chosen for s in specs(c, per[c]["grid"], [0], "tune")])
    by_lr = {c: {s.lr: tune[s] for s in tune if s.contestant == c} for c in chosen}
    ref = chosen[0]
    tuned = {ref: judge.tune_reference(by_lr[ref])}
    others = range(1, config["seeds"])
    finals = {ref: [by_lr[ref][tuned[ref]]] + list(runner(specs(ref, [tuned[ref]], others, "final")).values())}
    targets = judge.targets(finals[ref], config["targets"])
    first = next(iter(targets.values()))
    for c in chosen[1:]:
        tuned[c] = judge.tune(by_lr[c], first)
    rest = runner([s for c in chosen[1:] for s in specs(c, [tuned[c]], others, "final")])
    for c in chosen[1:]:
        finals[c] = [by_lr[c][tuned[c]]] + [rest[s] for s in rest if s.contestant == c]
    plan["meta"] |= {"targets": targets, "tuned_lr": {c.key: tuned[c] for c in chosen}}
    rows = []
    for c in chosen:
        for row in judge.summarize(finals[c], targets):
            rows.append({"task": task, "width": width, "N": plan["n"], "method": c.method, "k": c.k,
                         "lr": tuned[c], **row, "peak_memory_bytes": per[c]["peak"],
                         "budget_equivalents": plan["budget"], "budget_steps": per[c]["steps"],
                         "load": float(np.nanmax([f["load"].iloc[0] for f in finals[c]]))})
    tuned_curves = [f.assign(phase="final") for c in chosen for f in finals[c]]
    curves = pd.concat(list(tune.values()) + tuned_curves, ignore_index=True)
    return curves, rows
