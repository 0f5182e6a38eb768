"""The ``nngrad`` command line: arguments and their checks (commands.py does the work).
Bad input: one line on stderr, exit status 2, no traceback."""

from __future__ import annotations

import argparse
import re
import sys
import traceback

import numpy as np

from .backend import parse_label
from .checking import cmd_check
from .commands import cmd_bench, cmd_compare, cmd_examples, cmd_methods, cmd_report, cmd_train
from .errors import InvalidValue, UserError
from .methods import registered
from .methods.finite_differences import VARIANTS
from .methods.schemes import SCHEMES
from .model.activations import ACTIVATIONS, hidden_activations
from .model.losses import LOSSES
from .model.network import INITS
from .sweep.runner import SweepInterrupted
from .train.descent import training_gradients


class _Deprecated(argparse.Action):
    """An option's old name: it still sets the new one, and says so on stderr (it goes in the next release)."""

    def __call__(self, parser, namespace, values, option_string=None):
        new = "--" + self.dest.replace("_", "-")
        print(f"nngrad: {option_string} is now {new} (a method is a registered gradient method); {option_string} "
              "goes in the next release", file=sys.stderr)
        setattr(namespace, self.dest, values)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + message
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _parsed(text: str, convert, valid, expected: str):
    """``convert(text)`` if it parses and is ``valid``, else an argparse error saying what was expected."""
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not valid(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text}")
    return value


def positive_int(text: str) -> int:
    return _parsed(text, int, lambda v: v > 0, "a positive integer")


def positive_float(text: str) -> float:
    return _parsed(text, float, lambda v: np.isfinite(v) and v > 0, "a positive finite number")


def non_negative_float(text: str) -> float:
    return _parsed(text, float, lambda v: np.isfinite(v) and v >= 0, "a non-negative finite number")


def int_list(text: str) -> tuple[int, ...]:
    """'1,2,4' -> (1, 2, 4): positive integers, comma-separated."""
    values = tuple(positive_int(v.strip()) for v in text.split(",") if v.strip())
    if not values:
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, got {text!r}")
    return values


def method_list(text: str) -> tuple[str, ...]:
    """'backprop,torch' -> ('backprop', 'torch'): registered method names, comma-separated, each once."""
    values = tuple(v.strip() for v in text.split(",") if v.strip())
    if twice := sorted({v for v in values if values.count(v) > 1}):
        raise argparse.ArgumentTypeError(f"{', '.join(twice)} named twice: each method is timed once")
    bad = [v for v in values if v not in registered()]
    if bad or not values:
        raise argparse.ArgumentTypeError(f"unknown method(s) {', '.join(map(repr, bad)) or repr(text)}; "
                                         f"valid: {', '.join(registered())} (nngrad methods lists them)")
    return values


def device_list(text: str) -> tuple[str, ...]:
    """'cpu,cuda' -> ('cpu', 'cuda'): devices as nngrad.backend.from_label reads them, comma-separated."""
    values = tuple(v.strip() for v in text.split(",") if v.strip())
    if not values:
        raise argparse.ArgumentTypeError(f"expected devices separated by commas, e.g. cpu,cuda; got {text!r}")
    for v in values:
        try:
            parse_label(v)
        except InvalidValue as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return values


def add_network_options(p: argparse.ArgumentParser) -> None:
    """Options that build the DNN of ``nngrad check`` (defaults filled in by the command: an option given with
    your own code is refused)."""
    g = p.add_argument_group("the DNN (the default subject)")
    g.add_argument("--depth", type=positive_int, help="hidden Dense layers (default 5)")
    g.add_argument("--width", type=positive_int, help="units per hidden layer (default 32)")
    g.add_argument("--inputs", type=positive_int, help="input features (default 10)")
    g.add_argument("--outputs", type=positive_int, help="outputs or classes (default 2)")
    g.add_argument("--activation", choices=hidden_activations(), help="default sigmoid")
    g.add_argument("--loss", choices=list(LOSSES), help="default mse")
    g.add_argument("--init", choices=["auto", *INITS],
                   help="weight init; auto: the activation's own (" + ", ".join(
                       f"{a}: {ACTIVATIONS[a].init}" for a in hidden_activations()) + "; normal is N(0, 0.01^2)) "
                   "(default auto)")
    g.add_argument("--batch", type=positive_int, help="samples in the batch (default 1)")
    g.add_argument("--device", help="cpu, cuda, cuda:N or LIBRARY@DEVICE (e.g. torch@cpu): also compute backprop, "
                   "forward-mode (and the complex step where it applies) there and compare them with the CPU's "
                   "(default cpu)")
    g.add_argument("--scheme", choices=list(SCHEMES), help="finite-difference scheme (default central)")
    g.add_argument("--variant", choices=VARIANTS, help="the finite difference's variant: loop or batched (default "
                   "loop)")
    g.add_argument("--method", dest="variant", choices=VARIANTS, action=_Deprecated, help=argparse.SUPPRESS)
    g.add_argument("--reference", choices=["auto", "complex-step", "finite-differences"],
                   help="what each array is checked against; auto: the complex step where the loss is analytic in "
                   "it, finite differences elsewhere (default auto)")


def add_user_code_options(p: argparse.ArgumentParser) -> None:
    """Options of ``nngrad check`` for the user's own code: one subject, how to build it and its inputs."""
    g = p.add_argument_group("your own code (instead of the DNN): one of")
    which = g.add_mutually_exclusive_group()
    which.add_argument("--layer", metavar="FILE.py:Class", help="a layer class (FILE.py:Class or module:Class): "
                       "forward(x) / backward(dout) in any course's style, a loss layer forward(x, t)")
    which.add_argument("--pair", metavar="FILE.py:FWD,BWD", help="a functional pair: forward(*inputs) -> (out, "
                       "cache) and backward(dout, cache) -> gradients; FILE.py:affine means affine_forward, "
                       "affine_backward")
    which.add_argument("--loss-fn", metavar="FILE.py:function", help="a loss function returning (loss, grad), "
                       "e.g. svm_loss(x, y)")
    which.add_argument("--net", metavar="FILE.py:Class", help="a whole network: params dict with gradient(x, t), "
                       "or loss(x, y) -> (loss, grads)")
    g = p.add_argument_group("building your code and its inputs")
    g.add_argument("--input-shape", type=int_list, metavar="SHAPE", help="--layer, --net: shape of the random input "
                   "x, e.g. 4,3")
    g.add_argument("--shapes", nargs="+", metavar="SPEC", help="--pair, --loss-fn: each input in order: a shape "
                   "(4,5: random normal), labels[:C] (integers for the first array's rows), or a JSON value "
                   "(0.1, '{\"mode\": \"train\"}')")
    g.add_argument("--param", action="append", metavar="NAME=SHAPE", help="--layer, --net: a constructor argument "
                   "as a random normal array, e.g. --param W=4,3 --param b=3 (repeat it)")
    g.add_argument("--kwargs", metavar="JSON", help="--layer, --net: keyword arguments of the class, as JSON")
    g.add_argument("--targets", choices=["onehot", "labels"], help="a loss layer's or a network's targets (default: "
                   "one-hot rows for a loss layer, integer labels for a network)")
    g.add_argument("--classes", type=positive_int, help="--net: how many classes, when the network does not tell")
    g.add_argument("--draw", choices=["normal", "uniform", "probabilities"], help="--layer: how x is drawn: normal "
                   "(default), uniform in (0, 1), or probabilities (rows that sum to 1: a loss on predictions)")
    g.add_argument("--mode", choices=["auto", "full", "fast"],
                   help="every element, random directions, or auto: every element up to 10,000 (default auto)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nngrad", description="The cost of a gradient of a dense network, every way there is: "
                     "check the gradients agree, time them, plot the gap. Exit status 2: bad input (one line); 3: an "
                     "internal error of nngrad (its traceback, to report); 130: interrupted.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("check", help="check backprop, or your own layer, pair, loss or network, against finite "
                       "differences", description="Build a random DNN and batch and compare backprop with the complex "
                       "step (where the loss is analytic) or finite differences, per layer and W/b; or check your own "
                       "code: a layer class (--layer), a forward/backward pair (--pair), a loss function "
                       "(--loss-fn) or a network (--net). The report names what is wrong in words. Exit status 0: "
                       "PASS, 1: FAIL or INCONCLUSIVE (the findings say why), 2: bad input.")
    add_network_options(p)
    add_user_code_options(p)
    g = p.add_argument_group("both")
    g.add_argument("--eps", type=positive_float, default=None, help="finite-difference step (default: the scheme's "
                   "optimal step)")
    g.add_argument("--rtol", type=non_negative_float, default=None,
                   help="relative tolerance (default: 1e-8 against the complex step, 1e-6 against central differences)")
    g.add_argument("--atol", type=non_negative_float, default=None,
                   help="absolute tolerance (default: each array's reference's own error)")
    g.add_argument("--seed", type=int, default=0, help="seed of the weights and the data (default %(default)s)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("bench", help="time every gradient method over depth and width; store, fit, plot",
                       description="Run the benchmark suite (pytest-benchmark) over every depth x width x batch (and "
                       "the classic network) and every method available here (nngrad methods lists them), write a "
                       "new run folder under --out with the JSON, summary.csv, fits.csv, landscape.csv, limits.csv, plots and "
                       "report.md. A run starts by measuring three machine constants for its cost model, which "
                       "predicts every point; points predicted over --budget are recorded as predictions, not run. Exit status "
                       "0: done, 1: some point failed its gradient check, 2: bad input, 130: interrupted (finished "
                       "points are kept; resume with --resume).")
    p.add_argument("--quick", action="store_true", help="a small sweep (about 35 s on 2 cores with every peer)")
    p.add_argument("--depths", type=int_list, help="hidden-layer counts, e.g. 1,2,4,8 (a grid of your own, by "
                   "--depths, --widths or --batch, leaves out the default's extra networks of the targets; the "
                   "classic network stays)")
    p.add_argument("--widths", type=int_list, help="units per hidden layer, e.g. 8,32,128")
    p.add_argument("--batch", type=int_list, help="batch sizes, e.g. 1,16 (default 16)")
    p.add_argument("--methods", type=method_list, help=f"comma-separated subset of {','.join(registered())} "
                   "(default: every one available here)")
    p.add_argument("--activation", choices=hidden_activations(), help="hidden activation (default sigmoid)")
    p.add_argument("--loss", choices=list(LOSSES), help="loss (default mse)")
    p.add_argument("--dtype", choices=["float64", "float32"], help="precision of every network (default float64; "
                   "float32 finite differences err ~1e-3 relative: the report states how much)")
    p.add_argument("--budget", type=positive_float, help="skip points predicted slower than this many seconds per "
                   "call (default 5, quick 1)")
    p.add_argument("--total", type=positive_float, help="leave out the costliest points until the suite is predicted "
                   "to take at most this many seconds (default 180, quick 25; planning and the report come on top)")
    p.add_argument("--out", default="results", help="folder for run folders (default %(default)s)")
    p.add_argument("--resume", metavar="RUN", help="finish an interrupted run folder instead of starting a new one")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--device", help="where every point runs: cpu (numpy, the default), cuda or cuda:N (torch "
                       "tensors on that GPU), or LIBRARY@DEVICE (torch@cpu, cupy@cuda:0, array_api_strict@cpu); on a "
                       "device only the methods that run there are timed (nngrad's own, torch, jax)")
    where.add_argument("--devices", type=device_list, help="several of those in one run, e.g. cpu,cuda: the "
                       "report draws their cost gaps side by side")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("report", help="rebuild summary, fits, plots and report.md of a stored run",
                       description="Rebuild summary.csv, fits.csv, the plots and report.md from a run folder or a "
                       "pytest-benchmark JSON of nngrad's suite, without re-running anything.")
    p.add_argument("run", metavar="RUN", help="run folder or benchmark JSON file")
    p.add_argument("--out", help="output folder (default: the run folder; for a JSON file, FILE-report/ beside it)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("compare", help="overlay two runs and tabulate per-point time ratios B/A",
                       description="Compare two runs (two machines, versions or batch sizes): overlay plot, per-point "
                       "ratios B/A with a 95% bootstrap interval over each run's rounds, and the points whose whole interval lies "
                       "beyond +-5% (slower or faster).")
    p.add_argument("run_a", metavar="RUN_A", help="the baseline run (folder or JSON)")
    p.add_argument("run_b", metavar="RUN_B", help="the run compared against it")
    p.add_argument("--out", help="output folder (default: RUN_B/compare-<A>)")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("train", help="train a network: the classic experiment, digits, or MNIST IDX files",
                       description="classic: one sample, sigmoid width 32, depth 5 and 10, trained with backprop and "
                       "with forward differences (time per epoch and their ratio; exit 1 if the curves differ). "
                       "digits: scikit-learn's 8x8 digits (the data extra), softmax classifier trained by mini-batch "
                       "SGD. mnist: the same on IDX files. Writes history.csv and learning_curve.png into a new "
                       "folder under --out. Exit status 1: the curves differ (classic), or the training learned "
                       "nothing (its loss rose, or it ended no better than chance).")
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
    p.add_argument("--seed", type=int, default=0, help="weights, split and shuffling (default %(default)s)")
    p.add_argument("--test-fraction", type=positive_float, help="digits/mnist: held-out share (default 0.2)")
    p.add_argument("--images", help="mnist: IDX file of training images")
    p.add_argument("--labels", help="mnist: IDX file of training labels")
    p.add_argument("--test-images", help="mnist: IDX file of test images (else a split of the training files)")
    p.add_argument("--test-labels", help="mnist: IDX file of test labels")
    p.add_argument("--limit", type=positive_int, help="mnist: use only the first LIMIT samples of each file")
    p.add_argument("--out", default="results", help="folder for the output folder (default %(default)s)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("methods", help="list every gradient method, its family and work, and whether it is "
                       "available here", description="List the registered gradient methods: name (what --methods "
                       "takes), family, work per gradient, available here or why not, and what it is.")
    p.set_defaults(func=cmd_methods)

    p = sub.add_parser("examples", help="the worked examples: apples, apples and oranges, the chain rule",
                       description="Run the classic computational-graph examples with MulLayer and AddLayer.")
    p.set_defaults(func=cmd_examples)
    return parser


# train options that apply to one task only (the others are common), and each task's defaults
TASK_OPTIONS = {"depths": {"classic"}, "depth": {"digits", "mnist"}, "activation": {"digits", "mnist"},
                "device": {"digits", "mnist"},
                "batch_size": {"digits", "mnist"}, "test_fraction": {"digits", "mnist"}, "images": {"mnist"},
                "labels": {"mnist"}, "test_images": {"mnist"}, "test_labels": {"mnist"}, "limit": {"mnist"}}
TASK_DEFAULTS = {"classic": {"depths": (5, 10), "width": 32, "epochs": 100, "lr": 0.01, "gradient": "numerical-loop"},
                 "digits": {"depth": 1, "width": 256, "activation": "relu", "epochs": 60, "lr": 0.1, "batch_size": 16,
                            "test_fraction": 0.2, "gradient": "backprop", "device": "cpu"}}
TASK_DEFAULTS["mnist"] = TASK_DEFAULTS["digits"]


def _train_defaults(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse an option the task does not use (it would be ignored), then fill in the task's defaults."""
    for option, tasks in TASK_OPTIONS.items():
        if getattr(args, option) is not None and args.task not in tasks:
            parser.exit(2, f"nngrad train: error: --{option.replace('_', '-')} does not apply to 'train {args.task}' "
                           f"(only to {' and '.join(sorted(tasks))})\n")
    for option, value in TASK_DEFAULTS[args.task].items():
        if getattr(args, option) is None:
            setattr(args, option, value)


NEGATIVE_NUMBER = re.compile(r"^-(\d|\.\d)")


def joined_negative_values(argv: list[str]) -> list[str]:
    """["--eps", "-1e-4"] -> ["--eps=-1e-4"]: argparse takes "-1e-4" for an option; joined, the value reaches the
    option's own check, which says what it expects."""
    out: list[str] = []
    for token in argv:
        if out and out[-1].startswith("--") and "=" not in out[-1] and NEGATIVE_NUMBER.match(token):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(joined_negative_values(sys.argv[1:] if argv is None else argv))
    if args.command == "train":
        _train_defaults(parser, args)
    try:
        return args.func(args)
    except (UserError, FloatingPointError, FileNotFoundError) as exc:  # the user's mistake (or their data's)
        print(f"nngrad {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except SweepInterrupted as exc:
        print(f"nngrad {args.command}: {exc}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(f"nngrad {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception:  # noqa: BLE001 - an error of nngrad's own: its traceback, and where to report it
        traceback.print_exc()
        print(f"nngrad {args.command}: internal error (a bug in nngrad, not in your input): please report it with "
              "the traceback above", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
