"""``nngrad train``: the classic experiment (backprop against a finite difference), or a classifier on digits or
MNIST; writes history.csv, learning_curve.png (and the classic experiment's report.md) into a new folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UsageError
from ..methods.estimators import DIRECTIONS
from .._words import plural
from ..model.activations import hidden_activations
from . import Command, register
from .options import add_import, int_list, open_fraction, output_folder, positive_float, positive_int

METHOD_OPTIONS = ("k", "eps", "directions")  # options of the gradient method itself, refused where it takes none

# the options that apply to some tasks only (the others are common), and each task's defaults
TASK_OPTIONS = {"depths": {"classic"}, "depth": {"digits", "mnist"}, "activation": {"digits", "mnist"},
                "device": {"digits", "mnist"},
                "batch_size": {"digits", "mnist"}, "test_fraction": {"digits", "mnist"}, "images": {"mnist"},
                "labels": {"mnist"}, "test_images": {"mnist"}, "test_labels": {"mnist"}, "limit": {"mnist"}}
TASK_DEFAULTS = {"classic": {"depths": (5, 10), "width": 32, "epochs": 100, "lr": 0.01, "gradient": "numerical-loop"},
                 "digits": {"depth": 1, "width": 256, "activation": "relu", "epochs": 60, "lr": 0.1, "batch_size": 16,
                            "test_fraction": 0.2, "gradient": "backprop", "device": "cpu"}}
TASK_DEFAULTS["mnist"] = TASK_DEFAULTS["digits"]
ROWS_SHOWN = 25  # epochs of the history printed at the end, evenly spaced, the last one always
SHOWN = ("epoch", "loss", "accuracy", "test_loss", "test_accuracy", "cumulative_equivalents", "elapsed_s")  # printed


def options(p: argparse.ArgumentParser) -> None:
    from ..train.descent import training_gradients

    p.add_argument("task", choices=["classic", "digits", "mnist"])
    p.add_argument("--device", help="digits/mnist: cpu, cuda, cuda:N (torch tensors there) or LIBRARY@DEVICE "
                   "(e.g. torch@cpu); default cpu")
    p.add_argument("--depth", type=positive_int, help="hidden layers (digits/mnist; default 1)")
    p.add_argument("--depths", type=int_list, help="classic: hidden depths (default 5,10)")
    p.add_argument("--width", type=positive_int, help="units per hidden layer (default 256; classic 32)")
    p.add_argument("--activation", choices=hidden_activations(), help="digits/mnist (default relu)")
    p.add_argument("--epochs", type=positive_int, help="default 60 (classic 100)")
    p.add_argument("--lr", type=positive_float, help="learning rate (default 0.1; classic 0.01)")
    p.add_argument("--batch-size", type=positive_int, help="digits/mnist: samples per step (default 16)")
    p.add_argument("--gradient", choices=training_gradients(),
                   help="the gradient that drives the descent (default backprop); classic: the one trained against "
                   "backprop (default numerical-loop)")
    p.add_argument("--k", type=positive_int, help="the estimators (spsa, forward-gradient): random directions a "
                   "step (default 1)")
    p.add_argument("--eps", type=positive_float, help="the step of a finite difference (classic default: the "
                   "lesson's 1e-4) or SPSA's perturbation (default 1e-3)")
    p.add_argument("--directions", choices=DIRECTIONS, help="the estimators: gaussian (default) or rademacher")
    p.add_argument("--seed", type=int, default=0,
                   help="weights, split, shuffling and the estimators' directions (default %(default)s)")
    p.add_argument("--test-fraction", type=open_fraction, help="digits/mnist: held-out share (default 0.2)")
    p.add_argument("--images", help="mnist: IDX file of training images")
    p.add_argument("--labels", help="mnist: IDX file of training labels")
    p.add_argument("--test-images", help="mnist: IDX file of test images (else a split of the training files)")
    p.add_argument("--test-labels", help="mnist: IDX file of test labels")
    p.add_argument("--limit", type=positive_int, help="mnist: use only the first LIMIT samples of each file")
    p.add_argument("--out", default="results", help="folder for the output folder (default %(default)s)")
    add_import(p)


def settle(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse an option the task does not use (it would be ignored), then fill in the task's defaults."""
    for option, tasks in TASK_OPTIONS.items():
        if getattr(args, option) is not None and args.task not in tasks:
            parser.exit(2, f"nngrad train: error: --{option.replace('_', '-')} does not apply to 'train {args.task}' "
                           f"(only to {' and '.join(sorted(tasks))})\n")
    for option, value in TASK_DEFAULTS[args.task].items():
        if getattr(args, option) is None:
            setattr(args, option, value)
    for option in METHOD_OPTIONS:
        if getattr(args, option) is not None and (why := _not_taken(option, args.gradient)):
            parser.exit(2, f"nngrad train: error: {why}\n")


def _not_taken(option: str, gradient: str) -> str | None:
    """Why ``--option`` does not apply to ``gradient`` (naming the gradients it applies to), or None."""
    from ..methods import get
    from ..train.descent import training_gradients

    if option in get(gradient).options:
        return None
    takers = [name for name in training_gradients() if option in get(name).options]
    families = {get(name).family for name in takers}
    who = f"the estimators ({', '.join(takers)})" if families == {"estimator"} else ", ".join(takers)
    return f"--{option} applies to {who}, not to {gradient}"


def method_options(args: argparse.Namespace) -> dict:
    """The gradient method's own options given on the command line (k, eps, directions)."""
    return {option: getattr(args, option) for option in METHOD_OPTIONS if getattr(args, option) is not None}


def work_words(history) -> str:
    """A training's work in words: "2,160 loss evaluations, 2,160 backward passes = 3,670 equivalents"."""
    parts = [plural(int(history["loss_evaluations"].sum()), "loss evaluation")]
    for column, word in (("tangent_passes", "tangent pass"), ("backward_passes", "backward pass")):
        if total := int(history[column].sum()):
            parts.append(plural(total, word, word + "es"))
    return f"{', '.join(parts)} = {history['equivalents'].sum():,.0f} loss-evaluation equivalents"


def run(args: argparse.Namespace) -> int:
    root = output_folder(args.out)  # the output place first: a bad one is refused before any work
    if args.task == "classic":
        return _classic(args, root)
    from .._figures import save
    from .._files import write_atomic
    from ..backend import from_label
    from ..runfiles import new_run_dir
    from ..train.curves import learning_curve
    from ..train.descent import train
    from ..train.outcome import expected_seconds, training_failed

    where = from_label(args.device or "cpu")  # a bad or missing device: one line, before the data are read
    data, net = _data_and_network(args, where)
    print(f"{data}\n{net}", file=sys.stderr)
    seconds, step = expected_seconds(net, data.x_train, data.y_train, args.batch_size, args.lr, args.gradient,
                                     args.epochs, **method_options(args))
    if seconds > 60:
        print(f"note: {plural(args.epochs, 'epoch')} of {args.gradient} should take about "
              f"{plural(round(seconds / 60), 'minute')} "
              f"({step:.3g} s a step); Ctrl-C keeps the finished epochs", file=sys.stderr)
    history = train(net, data.x_train, data.y_train, epochs=args.epochs, lr=args.lr, gradient=args.gradient,
                    batch_size=args.batch_size, seed=args.seed, x_test=data.x_test, y_test=data.y_test,
                    progress=True, keep_on_interrupt=True, **method_options(args))
    out = new_run_dir(root, f"train-{args.task}")  # only once an epoch has finished
    write_atomic(out / "history.csv", history.to_csv(index=False))
    label = (f"{data.name}: {len(data.y_train)} train / {len(data.y_test)} test; {args.activation} "
             f"{'-'.join(map(str, net.sizes))}, lr {args.lr:g}, batch {args.batch_size}, seed {args.seed}, "
             f"{_gradient_words(args)}")
    save(learning_curve(history, label), out / "learning_curve.png")
    step = max(1, -(-len(history) // ROWS_SHOWN))
    shown = history.iloc[sorted(set(range(0, len(history), step)) | {len(history) - 1})]
    print(shown[[c for c in history.columns if c in SHOWN]].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    last = history.iloc[-1]
    print(f"test accuracy {100 * last['test_accuracy']:.2f}% after {plural(int(last['epoch']), 'epoch')}, "
          f"{last['elapsed_s']:.2f} s of training ({_gradient_words(args)}): {work_words(history)}; history.csv "
          f"and learning_curve.png in {out}")
    if history.attrs.get("interrupted"):
        print(f"nngrad train: interrupted after {len(history)} of {plural(args.epochs, 'epoch')}; their history and "
              f"curve are in {out}", file=sys.stderr)
        return 130
    if verdict := training_failed(history, data.num_classes, args.lr):
        print(f"nngrad train: {verdict}", file=sys.stderr)
        return 1
    return 0


def _data_and_network(args: argparse.Namespace, where) -> tuple:
    """(data, net) of digits or MNIST on ``where`` (a Backend); refuses, before anything is printed, a gradient that
    cannot drive this network (the complex step through ReLUs)."""
    from ..data import load_digits, load_mnist
    from ..methods import get
    from ..model.activations import ACTIVATIONS
    from ..model.network import DNN

    if args.task == "mnist" and not (args.images and args.labels):
        raise UsageError("mnist needs --images and --labels (IDX files, gzipped or not)")
    data = (load_digits(args.test_fraction, args.seed) if args.task == "digits" else
            load_mnist(args.images, args.labels, args.test_images, args.test_labels, args.test_fraction, args.seed,
                       args.limit))
    net = DNN(args.depth, args.width, data.num_features, data.num_classes, activation=args.activation,
              loss="softmax_ce", init=ACTIVATIONS[args.activation].init, seed=args.seed, device=where.device,
              backend=where.library)
    if reason := get(args.gradient).missing() or get(args.gradient).why_not(net):
        raise UsageError(f"--gradient {args.gradient}: {reason}")
    return data, net


def _gradient_words(args: argparse.Namespace) -> str:
    """The gradient and the options given to it, e.g. "spsa k=16 eps=0.0001"."""
    return " ".join([args.gradient, *(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                                      for k, v in method_options(args).items())])


def _classic(args: argparse.Namespace, root: Path | None) -> int:
    from .._figures import save
    from .._files import write_atomic
    from ..runfiles import new_run_dir
    from ..train.classic import classic_experiment, classic_report, failed, work_line
    from ..train.curves import classic_curves

    options = method_options(args)
    history, summary = classic_experiment(args.depths, args.width, args.epochs, args.lr, args.seed, args.gradient,
                                          eps=options.pop("eps", None), progress=True, **options)
    out = new_run_dir(root, "train-classic")  # only for a finished experiment
    write_atomic(out / "history.csv", history.to_csv(index=False))
    write_atomic(out / "summary.csv", summary.to_csv(index=False))
    estimator = bool(summary["estimator"].any())
    work = ", ".join(f"depth {r.depth}: {_times(r.equivalents / r.backprop_equivalents)} backprop's"
                     for r in summary.itertuples())
    title = (f"Backprop and {args.gradient}: the loss against the work spent" if estimator else
             f"Backprop and {args.gradient} learn the same; one spends far more")
    save(classic_curves(history, f"one sample, sigmoid width {args.width}, lr {args.lr:g}, {_gradient_words(args)}; "
                                 f"its work: {work}", "cumulative_equivalents", title), out / "learning_curve.png")
    write_atomic(out / "report.md", classic_report(summary, args.width, args.epochs, args.lr,
                                                   _gradient_words(args)))
    print(summary[list(CLASSIC_SHOWN)].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for row in summary.itertuples():
        print(work_line(row, args.gradient))
    if estimator:
        print(f"{args.gradient} is an estimator: its curve follows its own random directions and is not expected "
              "to coincide with backprop's (report.md says more)")
    print(f"history.csv, summary.csv, learning_curve.png and report.md in {out}")
    if len(bad := failed(summary)):
        print(f"nngrad train: the curves of {args.gradient} and backprop differ at depth "
              f"{', '.join(map(str, bad['depth']))} (largest relative gap {bad['max_relative_loss_gap'].max():.3g})",
              file=sys.stderr)
        return 1
    return 0


def _times(ratio: float) -> str:
    """0.895 -> "0.9x", 2101.4 -> "2,101x"."""
    return f"{ratio:,.0f}x" if ratio >= 10 else f"{ratio:.2g}x"


CLASSIC_SHOWN = ("depth", "N", "backprop_s_per_epoch", "numerical_s_per_epoch", "ratio", "max_relative_loss_gap",
                 "curves_coincide", "final_loss", "gradient_final_loss")  # the printed columns (all in summary.csv)


COMMAND = register(Command(
    "train", "train a network: the classic experiment, digits, or MNIST IDX files",
    "classic: one sample, sigmoid width 32, depth 5 and 10, trained with backprop and with forward differences "
    "or another --gradient (time per epoch and their ratio, work in loss-evaluation equivalents; exit 1 if the "
    "curves of an exact gradient or a finite difference differ; an estimator's are not expected to coincide). "
    "digits: scikit-learn's 8x8 digits (the data extra), softmax classifier trained by mini-batch SGD on "
    "--gradient (an estimator takes --k, --directions, --eps). mnist: the same on IDX files. Writes history.csv "
    "and learning_curve.png into a new folder under --out. Exit status 1: the curves differ (classic), or the "
    "training learned nothing (its loss rose, or it ended no better than chance).", options, run, settle))
