"""``nngrad bench``: run the benchmark suite into a new run folder (or finish one), then build its report."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UsageError
from ..methods import registered
from ..model.activations import hidden_activations
from ..model.losses import LOSSES
from . import Command, register
from .options import add_import, device_list, int_list, method_list, method_option, output_folder, positive_float

# the options that shape a new run: --resume continues a stored plan, so it takes none of them
PLAN_OPTIONS = ("quick", "depths", "widths", "batch", "methods", "activation", "loss", "budget", "total", "out",
                "device", "devices", "dtype", "method_option")


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true", help="a small sweep: small networks and the classic network "
                   "(one point per method, and the headline), planned to take 35 s of timing (--total) on a quiet "
                   "machine: docs/benchmark.md says how long on a busy one")
    p.add_argument("--depths", type=int_list, help="hidden-layer counts, e.g. 1,2,4,8 (a grid of your own, by "
                   "--depths, --widths or --batch, leaves out the default's extra networks of the targets; the "
                   "classic network stays)")
    p.add_argument("--widths", type=int_list, help="units per hidden layer, e.g. 8,32,128")
    p.add_argument("--batch", type=int_list, help="batch sizes, e.g. 1,16 (default 16)")
    p.add_argument("--methods", type=method_list, help=f"comma-separated subset of {','.join(registered())} "
                   "(default: every one available here)")
    p.add_argument("--method-option", type=method_option, action="append", metavar="NAME.KEY=VALUE",
                   help="an option given to one method at every point, e.g. --method-option spsa.k=16 "
                   "--method-option spsa.directions=rademacher (repeat it; VALUE is read as an int, a float, true or "
                   "false, else text; `nngrad methods` lists each method's options); stored in the run and its "
                   "report")
    p.add_argument("--activation", choices=hidden_activations(), help="hidden activation (default sigmoid)")
    p.add_argument("--loss", choices=list(LOSSES), help="loss (default mse)")
    p.add_argument("--dtype", choices=["float64", "float32"], help="precision of every network (default float64; "
                   "float32 finite differences err ~1e-3 relative: the report states how much)")
    p.add_argument("--budget", type=positive_float, help="skip points predicted slower than this many seconds per "
                   "call (default 5, quick 1)")
    p.add_argument("--total", type=positive_float, help="leave out the costliest points until the suite is predicted "
                   "to take at most this many seconds on a quiet machine (default 180, quick 35; planning and the "
                   "report come on top; a busy machine takes longer, and the progress line says how much)")
    p.add_argument("--out", default="results", help="folder for run folders (default %(default)s)")
    add_import(p)
    p.add_argument("--resume", metavar="RUN", help="finish an interrupted run folder instead of starting a new one")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--device", help="where every point runs: cpu (numpy, the default), cuda or cuda:N (torch "
                       "tensors on that GPU), or LIBRARY@DEVICE (torch@cpu, cupy@cuda:0, array_api_strict@cpu); on a "
                       "device only the methods that run there are timed (nngrad's own, torch, jax)")
    where.add_argument("--devices", type=device_list, help="several of those in one run, e.g. cpu,cuda: the "
                       "report draws their cost gaps side by side")


def run(args: argparse.Namespace) -> int:
    from ..runfiles import unfinished
    from ..sweep.bench import blas_check, finish, start, sweep_config

    blas_check()
    if args.resume:
        run = Path(args.resume)
        if not (run / "run.json").is_file():
            raise UsageError(f"--resume: {run} is not a run folder made by 'nngrad bench' (no run.json)")
        if given := [f"--{k}" for k in PLAN_OPTIONS if getattr(args, k) not in (None, False, "results")]:
            raise UsageError(f"--resume continues the stored plan of {run}: {', '.join(given)} cannot change it; "
                             "start a new run instead")
        if not unfinished(run) and (run / "report.md").is_file():  # a finished run: nothing to do, nothing written
            print(f"nothing left to do: every point of {run} is finished or skipped by its plan; its report: "
                  f"{run / 'report.md'} (nngrad report {run} rebuilds it)")
            return 0
    else:
        cfg = sweep_config(args.quick, depths=args.depths, widths=args.widths, batches=args.batch,
                           methods=args.methods, method_options=method_options(args.method_option, args.methods),
                           budget=args.budget, total=args.total, activation=args.activation, loss=args.loss,
                           devices=args.devices or ((args.device,) if args.device else None), dtype=args.dtype)
        root = output_folder(args.out)  # bad input: refused before any note
        run = start(cfg, root, say_left_out=args.methods is None)
    return finish(run)[0]


def method_options(given: list[tuple[str, str, object]] | None, methods: tuple[str, ...] | None) -> dict | None:
    """--method-option's (name, key, value) triples -> {name: {key: value}} (None: none given); a method outside
    --methods, or a key given twice, is a usage error."""
    if not given:
        return None
    out: dict[str, dict] = {}
    for name, key, value in given:
        if methods is not None and name not in methods:
            raise UsageError(f"--method-option {name}.{key}={value}: {name} is not among --methods "
                             f"({','.join(methods)})")
        if key in out.setdefault(name, {}):
            raise UsageError(f"--method-option {name}.{key} given twice ({out[name][key]} and {value}): give it once")
        out[name][key] = value
    return out


COMMAND = register(Command(
    "bench", "time every gradient method over depth and width; store, fit, plot",
    "Run the benchmark suite (pytest-benchmark) over every depth x width x batch (and the classic network) and "
    "every method available here (nngrad methods lists them), write a new run folder under --out with the JSON, "
    "summary.csv, fits.csv, landscape.csv, limits.csv, plots and report.md. A run starts by measuring three machine "
    "constants for its cost model, which predicts every point; points predicted over --budget are recorded as "
    "predictions, not run. Exit status 0: done, 1: some point failed its gradient check, 2: bad input, 130: "
    "interrupted (finished points are kept and reported; resume with --resume); 143: stopped by SIGTERM (the same).",
    options, run))
