"""What each ``nngrad`` command does, given its parsed arguments; returns the exit status."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from .backend import from_label
from .errors import UsageError
from .examples import EXAMPLES
from .methods import list_methods, registered
from .model.activations import ACTIVATIONS
from .model.network import DNN
from .sweep.config import QUICK, SweepConfig


def output_folder(path: str | Path | None) -> Path | None:
    """``--out`` checked before any work: a folder, or nothing yet (it is made when there is something to write);
    a file there is a usage error. None stays None."""
    if path is None:
        return None
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {path} is a file; give a folder (it is made if missing)")
    if any(parent.exists() and not parent.is_dir() for parent in path.parents):
        raise UsageError(f"--out {path}: a part of this path is a file, not a folder")
    return path


def cmd_examples(args: argparse.Namespace) -> int:
    for name, example in EXAMPLES.items():
        values = example()
        print(f"{name}: {example.__doc__.split(';')[0].split(' and ')[0].strip()}\n  "
              + ", ".join(f"{k} = {v:.6g}" for k, v in values.items()))
    return 0


def cmd_methods(args: argparse.Namespace) -> int:
    table = list_methods()
    table["available"] = table["available"].map({True: "yes", False: "no"})
    print(table[["name", "family", "work", "available", "description"]].to_markdown(index=False, tablefmt="simple"))
    missing = table[table["available"] == "no"]
    for row in missing.itertuples():
        print(f"{row.name}: {row.reason}", file=sys.stderr)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .results.report import build_report
    from .runfiles import unfinished
    from .sweep.runner import blas_env_warning, blas_hangs, run_suite, start_run

    devices = args.devices or ((args.device,) if args.device else None)
    if note := blas_env_warning():
        print(note, file=sys.stderr)
        if hang := blas_hangs():
            raise UsageError(hang)
    if args.resume:
        run = Path(args.resume)
        if not (run / "run.json").is_file():
            raise UsageError(f"--resume: {run} is not a run folder made by 'nngrad bench' (no run.json)")
        given = [f"--{k}" for k in ("quick", "depths", "widths", "batch", "methods", "activation", "loss", "budget",
                                     "total", "out", "device", "devices", "dtype")
                 if getattr(args, k) not in (None, False, "results")]
        if given:
            raise UsageError(f"--resume continues the stored plan of {run}: {', '.join(given)} cannot change it; "
                             "start a new run instead")
        if not unfinished(run) and (run / "report.md").is_file():  # a finished run: nothing to do, nothing written
            print(f"nothing left to do: every point of {run} is finished or skipped by its plan; its report: "
                  f"{run / 'report.md'} (nngrad report {run} rebuilds it)")
            return 0
    else:
        base = QUICK if args.quick else SweepConfig()
        overrides = {k: v for k, v in (("depths", args.depths), ("widths", args.widths), ("batches", args.batch),
                                       ("methods", args.methods), ("budget_s", args.budget), ("total_s", args.total),
                                       ("activation", args.activation), ("loss", args.loss), ("devices", devices),
                                       ("dtype", args.dtype))
                     if v is not None}
        if {"depths", "widths", "batches"} & set(overrides):  # a grid of one's own: no extra networks of the targets
            overrides["extra"] = ()
        if "methods" not in overrides:  # every one available that runs on these devices
            overrides["methods"] = None
        cfg, root = replace(base, **overrides), output_folder(args.out)  # bad input: refused before any note
        if args.methods is None:
            for m in registered().values():
                if reason := m.missing():
                    print(f"note: {m.name} is left out: {reason}", file=sys.stderr)
                elif m.name not in cfg.methods:
                    print(f"note: {m.name} is left out: it runs {m.runs_on}, not on {', '.join(cfg.devices)}",
                          file=sys.stderr)
        run = start_run(cfg, root)
    print(f"run folder: {run}", file=sys.stderr)
    status = run_suite(run)
    report = build_report(run)
    print(f"report: {report}")
    if status == 1:
        print("some points failed their gradient check or crashed: see the report's 'Failed' table", file=sys.stderr)
    return status


def cmd_report(args: argparse.Namespace) -> int:
    from .results.report import build_report

    print(f"report: {build_report(args.run, output_folder(args.out))}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from .results.compare import compare

    table, path = compare(args.run_a, args.run_b, output_folder(args.out))
    if Path(args.run_a).resolve() == Path(args.run_b).resolve():
        print("note: A and B are the same run: every ratio is 1 by construction", file=sys.stderr)
    where = ["device"] if table["device"].nunique() > 1 else []  # a run of several devices: say which
    print(table[["method", *where, "depth", "width", "batch", "median_s_a", "median_s_b", "ratio_b_over_a",
                 "verdict"]].to_string(index=False, float_format=lambda v: f"{v:.3g}", na_rep="-"))
    print(f"comparison: {path}")
    return 0


def _every_row(history, most: int = 25):
    """At most ``most`` evenly spaced rows of a history, always with its last one."""
    step = max(1, -(-len(history) // most))
    return history.iloc[sorted(set(range(0, len(history), step)) | {len(history) - 1})]


def cmd_train(args: argparse.Namespace) -> int:
    from ._figures import save
    from ._files import write_atomic
    from .runfiles import new_run_dir

    if args.task == "classic":
        return _train_classic(args, output_folder(args.out))
    where = from_label(args.device or "cpu")  # a bad or missing device: one line, before the data are read
    from .data import load_digits, load_mnist
    from .train.curves import learning_curve
    from .train.descent import train

    if args.task == "digits":
        data = load_digits(args.test_fraction, args.seed)
    else:
        if not (args.images and args.labels):
            raise UsageError("mnist needs --images and --labels (IDX files, gzipped or not)")
        data = load_mnist(args.images, args.labels, args.test_images, args.test_labels, args.test_fraction,
                          args.seed, args.limit)
    net = DNN(args.depth, args.width, data.num_features, data.num_classes, activation=args.activation,
              loss="softmax_ce", init=ACTIVATIONS[args.activation].init, seed=args.seed, device=where.device,
              backend=where.library)
    print(f"{data}\n{net}", file=sys.stderr)
    root = output_folder(args.out)
    _announce_training_time(net, data, args)
    history = train(net, data.x_train, data.y_train, epochs=args.epochs, lr=args.lr, gradient=args.gradient,
                    batch_size=args.batch_size, seed=args.seed, x_test=data.x_test, y_test=data.y_test,
                    progress=True, keep_on_interrupt=True)
    out = new_run_dir(root, f"train-{args.task}")  # only once an epoch has finished
    write_atomic(out / "history.csv", history.to_csv(index=False))
    label = (f"{data.name}: {len(data.y_train)} train / {len(data.y_test)} test; {args.activation} "
             f"{'-'.join(map(str, net.sizes))}, lr {args.lr:g}, batch {args.batch_size}, seed {args.seed}, "
             f"{args.gradient}")
    save(learning_curve(history, label), out / "learning_curve.png")
    print(_every_row(history).to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    last = history.iloc[-1]
    print(f"test accuracy {100 * last['test_accuracy']:.2f}% after {int(last['epoch'])} epochs, "
          f"{last['elapsed_s']:.2f} s of training ({args.gradient}); history.csv and learning_curve.png in {out}")
    if history.attrs.get("interrupted"):
        print(f"nngrad train: interrupted after {len(history)} of {args.epochs} epochs; their history and curve are "
              f"in {out}", file=sys.stderr)
        return 130
    if verdict := training_failed(history, data.num_classes, args.lr):
        print(f"nngrad train: {verdict}", file=sys.stderr)
        return 1
    return 0


def _announce_training_time(net: DNN, data, args: argparse.Namespace) -> None:
    """Time one step of the chosen gradient (on a copy of the network) and say how long the training should take."""
    import math
    import time

    from .train.descent import gradient_descent

    batch = min(args.batch_size, len(data.y_train))
    start = time.perf_counter()
    gradient_descent(net.copy(), data.x_train[:batch], data.y_train[:batch], args.lr, args.gradient)
    step = time.perf_counter() - start
    seconds = step * math.ceil(len(data.y_train) / batch) * args.epochs
    if seconds > 60:
        print(f"note: {args.epochs} epochs of {args.gradient} should take about {seconds / 60:,.0f} minutes "
              f"({step:.3g} s a step); Ctrl-C keeps the finished epochs", file=sys.stderr)


CHANCE_MARGIN = 1.5  # a test accuracy under 1.5 x chance (1 / classes) did not learn


def training_failed(history, num_classes: int, lr: float) -> str | None:
    """Why a training did not learn (its loss rose, or its test accuracy stayed near chance), or None."""
    first, last = history.iloc[0], history.iloc[-1]
    chance = 1 / num_classes
    if last["test_accuracy"] < CHANCE_MARGIN * chance:
        return (f"training ended no better than chance: test accuracy {100 * last['test_accuracy']:.1f}% with "
                f"{num_classes} classes ({100 * chance:.0f}% by guessing); with the loss at {last['loss']:.3g}, the "
                f"learning rate {lr:g} is probably too large (or too small): try another")
    if last["loss"] > first["loss"]:
        return (f"the training loss rose from {first['loss']:.3g} to {last['loss']:.3g}: the learning rate {lr:g} "
                "is probably too large")
    return None


def _train_classic(args: argparse.Namespace, root: Path) -> int:
    from ._figures import save
    from ._files import write_atomic
    from .runfiles import new_run_dir
    from .train.classic import CURVE_RTOL, classic_experiment
    from .train.curves import classic_curves

    history, summary = classic_experiment(args.depths, args.width, args.epochs, args.lr, args.seed, args.gradient,
                                          progress=True)
    out = new_run_dir(root, "train-classic")  # only for a finished experiment
    write_atomic(out / "history.csv", history.to_csv(index=False))
    write_atomic(out / "summary.csv", summary.to_csv(index=False))
    ratios = ", ".join(f"depth {r.depth}: {r.ratio:.0f}x" for r in summary.itertuples())
    save(classic_curves(history, f"one sample, sigmoid width {args.width}, lr {args.lr:g}; time per epoch, "
                                 f"numerical / backprop: {ratios}"), out / "learning_curve.png")
    table = summary.to_markdown(index=False, floatfmt=".4g")
    write_atomic(out / "report.md", "\n".join([
        "# The classic experiment: backprop vs forward differences", "",
        (f"One random sample, sigmoid DNN of width {args.width}, MSE, {args.epochs} epochs, lr {args.lr:g}; each "
        f"depth trained from the same start once with backprop and once with {args.gradient} "
        f"(eps = 1e-4 where it takes a step). The loss curves coincide when they differ by at most {CURVE_RTOL:g} "
        "(relative) at every epoch."), "", table, "", "![learning curves](learning_curve.png)", ""]))
    print(summary.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"history.csv, summary.csv, learning_curve.png and report.md in {out}")
    return 0 if summary["curves_coincide"].all() else 1
