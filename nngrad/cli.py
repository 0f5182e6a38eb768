"""The ``nngrad`` command line. Bad input: one line on stderr, exit status 2, no traceback."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from .check import gradient_check
from .examples import EXAMPLES
from .gradients import METHODS, SCHEMES
from .layers import ACTIVATIONS
from .losses import LOSSES
from .network import DNN, INITS


class UsageError(Exception):
    """A mistake in what the user asked for: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + message
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (np.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text}")
    return value


def add_network_options(p: argparse.ArgumentParser, depth: int = 5, width: int = 32) -> None:
    """Options that build a DNN (shared by the commands that make one)."""
    g = p.add_argument_group("network")
    g.add_argument("--depth", type=positive_int, default=depth, help="hidden Dense layers (default %(default)s)")
    g.add_argument("--width", type=positive_int, default=width, help="units per hidden layer (default %(default)s)")
    g.add_argument("--inputs", type=positive_int, default=10, help="input features (default %(default)s)")
    g.add_argument("--outputs", type=positive_int, default=2, help="outputs or classes (default %(default)s)")
    g.add_argument("--activation", choices=[a for a in ACTIVATIONS if a != "identity"], default="sigmoid")
    g.add_argument("--loss", choices=list(LOSSES), default="mse")
    g.add_argument("--init", choices=["auto", *INITS], default="auto",
                   help="weight init; auto: he for relu, normal(0, 0.01^2) for sigmoid (default)")
    g.add_argument("--seed", type=int, default=0, help="seed of the weights and the data (default %(default)s)")


def build_network(args: argparse.Namespace) -> DNN:
    init = args.init if args.init != "auto" else ("he" if args.activation == "relu" else "normal")
    return DNN(args.depth, args.width, args.inputs, args.outputs, activation=args.activation, loss=args.loss,
               init=init, seed=args.seed)


def random_data(net: DNN, batch: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x ~ N(0, 1) (batch, in); y: uniform [0, 1) targets for mse, integer labels for softmax_ce."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, net.num_input))
    y = rng.random((batch, net.num_output)) if net.loss_name == "mse" else rng.integers(0, net.num_output, batch)
    return x, y


def cmd_check(args: argparse.Namespace) -> int:
    net = build_network(args)
    x, y = random_data(net, args.batch, args.seed + 1)
    print(net)
    report = gradient_check(net, x, y, scheme=args.scheme, eps=args.eps, rtol=args.rtol, atol=args.atol,
                            method=args.method, progress=True)
    print(report)
    return 0 if report.passed else 1


def cmd_examples(args: argparse.Namespace) -> int:
    for name, example in EXAMPLES.items():
        values = example()
        print(f"{name}: " + ", ".join(f"{k} = {v:.6g}" for k, v in values.items()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nngrad", description="Numerical vs analytic (backprop) gradients of a dense network: "
                     "check they agree, time them, plot the gap.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("check", help="compare backprop with a finite-difference gradient, layer by layer",
                       description="Build a random DNN and batch, compare backprop with finite differences and "
                       "print the report. Exit status 0: agree, 1: disagree, 2: bad input.")
    add_network_options(p)
    p.add_argument("--batch", type=positive_int, default=1, help="samples in the batch (default %(default)s)")
    p.add_argument("--scheme", choices=SCHEMES, default="central", help="finite-difference scheme (default %(default)s)")
    p.add_argument("--method", choices=METHODS, default="loop", help="finite-difference method (default %(default)s)")
    p.add_argument("--eps", type=positive_float, default=None, help="step (default: the scheme's optimal step)")
    p.add_argument("--rtol", type=positive_float, default=None, help="relative tolerance (default: by scheme)")
    p.add_argument("--atol", type=positive_float, default=None, help="absolute tolerance (default: by scheme)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("examples", help="the worked examples: apples, apples and oranges, the chain rule",
                       description="Run the classic computational-graph examples with MulLayer and AddLayer.")
    p.set_defaults(func=cmd_examples)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, ValueError, TypeError, FloatingPointError) as exc:
        print(f"nngrad {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"nngrad {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
