"""``nngrad check``: the DNN's backprop against its references, or the user's own code (a layer class, a
functional pair, a loss function, a network) built from the options; returns the exit status (0 PASS, 1 FAIL or
INCONCLUSIVE)."""

from __future__ import annotations

import argparse
import copy
import sys
import time

import numpy as np

from .. import _validate as validate
from .. import user_code
from .._words import plural
from ..backend import Backend, from_label
from ..check import check_layer, check_loss, check_network, check_pair, gradient_check
from ..check import nielsen
from ..check.net_gradients import output_size
from ..check.calling import methods, required
from ..errors import UsageError, UserError
from ..methods.finite_differences import VARIANTS
from ..methods.schemes import SCHEMES
from ..model.activations import ACTIVATIONS, hidden_activations
from ..model.losses import LOSSES
from ..model.network import DNN, INITS
from ..tolerances import tolerance
from . import Command, register
from .options import Deprecated, int_list, non_negative_float, positive_float, positive_int

DNN_DEFAULTS = {"depth": 5, "width": 32, "inputs": 10, "outputs": 2, "activation": "sigmoid", "loss": "mse",
                "init": "auto", "batch": 1, "device": "cpu", "scheme": "central", "variant": "loop",
                "reference": "auto"}
USER_OPTIONS = {"input_shape": ("layer", "net"), "shapes": ("layer", "pair", "loss_fn"), "param": ("layer", "net"),
                "kwargs": ("layer", "net"), "targets": ("layer", "net"), "classes": ("net",), "draw": ("layer",),
                "mode": ("layer", "pair", "loss_fn", "net")}
SUBJECTS = ("layer", "pair", "loss_fn", "net")
DRAWS = 100  # the most draws of the DNN check's data while a draw leaves some array's gradient all zero
CHECK_LIMIT_S = 3600  # nngrad check refuses a network whose reference is predicted to take longer
COPIES = 12  # a check of users' code holds about this many arrays of its inputs' size
COLUMNS = 4  # samples drawn for a network that takes them as columns (Nielsen's, the specialisation's)
INITIALISERS = ("initialize_parameters_deep", "initialize_parameters")  # the specialisation's, in its module


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
    g.add_argument("--method", dest="variant", choices=VARIANTS, action=Deprecated, help=argparse.SUPPRESS)
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
                       "or loss(x, y) -> (loss, grads); Nielsen's Network (--net FILE.py:Network --kwargs "
                       "'{\"sizes\": [3, 4, 2]}'); or the deep-learning specialisation's functions (--net "
                       "FILE.py:L_model_forward,compute_cost,L_model_backward --kwargs '{\"layer_dims\": [4, 5, 1]}': "
                       "the parameters from the module's initialize_parameters_deep(**kwargs) where it has one, else "
                       "random W1, b1, ... of layer_dims); these two take x as columns, --input-shape N_IN,M (default "
                       "M=4)")
    g = p.add_argument_group("building your code and its inputs")
    g.add_argument("--input-shape", type=int_list, metavar="SHAPE", help="--layer, --net: shape of the random input "
                   "x, e.g. 4,3")
    g.add_argument("--shapes", nargs="+", metavar="SPEC", help="--pair, --loss-fn, --layer (instead of --input-shape: "
                   "a forward of several inputs, forward(x, h), or of token ids): each input in order: a shape "
                   "(4,5: random normal), integers 4,5:int<10 (token ids in [0, 10)), a mask 4,5:bool, labels[:C] "
                   "(integers for the first array's rows), or a JSON value (0.1, '{\"mode\": \"train\"}'; a list "
                   "such as '[0, 2, 1]' arrives as an array); integer and boolean inputs are never perturbed")
    g.add_argument("--param", action="append", metavar="NAME=SHAPE", help="--layer, --net: a constructor argument "
                   "as a random normal array, e.g. --param W=4,3 --param b=3 (repeat it)")
    g.add_argument("--kwargs", metavar="JSON", help="--layer, --net: keyword arguments of the class, as JSON (a list "
                   "of floats or nested lists arrives as an array; a flat list of integers, such as sizes, stays a "
                   "list)")
    g.add_argument("--targets", choices=["onehot", "labels"], help="a loss layer's or a network's targets (default: "
                   "one-hot rows for a loss layer, integer labels for a network; Nielsen's network and the "
                   "specialisation's take one-hot columns only)")
    g.add_argument("--classes", type=positive_int, help="--net: how many classes, when the network does not tell")
    g.add_argument("--draw", choices=["normal", "uniform", "probabilities"], help="--layer: how x is drawn: normal "
                   "(default), uniform in (0, 1), or probabilities (rows that sum to 1: a loss on predictions)")
    g.add_argument("--mode", choices=["auto", "full", "fast"],
                   help="every element, random directions, or auto: every element up to 10,000 (default auto)")


def options(p: argparse.ArgumentParser) -> None:
    add_network_options(p)
    add_user_code_options(p)
    g = p.add_argument_group("both")
    g.add_argument("--eps", type=positive_float, default=None, help="finite-difference step (default: the scheme's "
                   "optimal step)")
    g.add_argument("--rtol", type=non_negative_float, default=None,
                   help="relative tolerance (default: 1e-8 against the complex step, 1e-6 against central differences)")
    g.add_argument("--atol", type=non_negative_float, default=None,
                   help="absolute tolerance (default: each array's reference's own error)")
    g.add_argument("--seed", type=int, default=0, help="seed of the weights and the data (default %(default)s); "
                   f"the DNN's data are drawn again (up to {DRAWS} times, said on stderr) while a draw leaves a "
                   "parameter's gradient zero at every element (dead ReLUs), which would verify nothing")


def run(args: argparse.Namespace) -> int:
    subject = next((s for s in SUBJECTS if getattr(args, s)), None)
    _refuse_options_that_do_nothing(args, subject)
    if subject is None:
        return _check_dnn(args)
    report = {"layer": _check_layer, "pair": _check_pair, "loss_fn": _check_loss, "net": _check_net}[subject](args)
    print(report)
    return 0 if report.passed else 1


def _option(name: str) -> str:
    return f"--{name.replace('_', '-')}"


def _refuse_options_that_do_nothing(args: argparse.Namespace, subject: str | None) -> None:
    """An option that would be ignored is refused, in one line; then the DNN options get their defaults."""
    if subject is None:
        if given := [o for o in USER_OPTIONS if getattr(args, o) not in (None, [])]:
            where = ", ".join(map(_option, USER_OPTIONS[given[0]]))
            raise UsageError(f"{_option(given[0])} applies to your own code ({where}), not to the DNN check")
    else:
        if given := [o for o in DNN_DEFAULTS if getattr(args, o) is not None]:
            raise UsageError(f"{_option(given[0])} applies to the DNN check, not to {_option(subject)} (your code runs "
                             "on numpy, checked against central differences)")
        if wrong := [o for o, where in USER_OPTIONS.items()
                     if getattr(args, o) not in (None, []) and subject not in where]:
            raise UsageError(f"{_option(wrong[0])} applies to {', '.join(map(_option, USER_OPTIONS[wrong[0]]))}, not "
                             f"to {_option(subject)}")
    args.given = {o for o in DNN_DEFAULTS if getattr(args, o) is not None}
    for option, default in DNN_DEFAULTS.items():
        if getattr(args, option) is None:
            setattr(args, option, default)


# -- the DNN --------------------------------------------------------------------------------------------------------

def build_network(args: argparse.Namespace) -> DNN:
    init = args.init if args.init != "auto" else ACTIVATIONS[args.activation].init
    return DNN(args.depth, args.width, args.inputs, args.outputs, activation=args.activation, loss=args.loss,
               init=init, seed=args.seed)


def random_data(net: DNN, batch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """x ~ N(0, 1) (batch, in); y: the loss's targets (uniform [0, 1) for mse, integer labels for softmax_ce)."""
    x = rng.standard_normal((batch, net.num_input))
    return x, LOSSES[net.loss_name].draw(rng, batch, net.num_output, np.float64)


def silent_arrays(net: DNN, x: np.ndarray, y: np.ndarray) -> list[str]:
    """The parameter arrays ("W5", "b5") whose backprop gradient is zero at every element at (x, y): every unit
    they feed is inactive for every sample (dead ReLUs), so a check there verifies nothing."""
    from ..methods.backprop import backprop

    grad = backprop(net, x, y)[1]
    return [f"{a.name}{a.layer}" for a in net.param_arrays() if not np.any(grad[a.start:a.stop])]


def live_data(net: DNN, batch: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of :func:`random_data` from one generator seeded ``seed``: drawn again, at most DRAWS times in all,
    while the draw leaves some array's gradient zero at every element (:func:`silent_arrays`; with ReLUs up to
    the output of an mse network, every output is off for a share of the inputs, about half at batch 1 and the
    default init); a redraw is said on stderr. If every draw does, the first is checked (its verdict INCONCLUSIVE)."""
    rng = np.random.default_rng(seed)
    first = random_data(net, batch, rng)
    if not (silent := silent_arrays(net, *first)):
        return first
    which = ("every parameter's gradient" if len(silent) == len(net.param_arrays()) else
             f"the gradient of {', '.join(silent)}")
    for draw in range(2, DRAWS + 1):
        x, y = random_data(net, batch, rng)
        if not silent_arrays(net, x, y):
            print(f"note: the data were drawn {plural(draw, 'time')}: the first {plural(draw - 1, 'draw')} left "
                  f"{which} zero at every element (every unit fed inactive: dead ReLUs), which verifies nothing",
                  file=sys.stderr)
            return x, y
    print(f"note: each of {plural(DRAWS, 'draw')} of the data left {which} zero at every element (dead ReLUs): "
          "checking the first", file=sys.stderr)
    return first


def _check_dnn(args: argparse.Namespace) -> int:
    where = from_label(args.device)  # a bad or missing device: one line, before any work
    if args.outputs < LOSSES[args.loss].min_outputs:
        raise UsageError(f"--loss {args.loss} needs --outputs {LOSSES[args.loss].min_outputs} or more: a softmax over "
                         "one class is 1 whatever its input, so its loss and every gradient are 0")
    net = build_network(args)
    given = [f"--{o}" for o in ("eps", "scheme", "variant") if _given(args, o)]
    if given and args.reference != "finite-differences" and net.analytic_from(0):
        raise UsageError(f"{given[0]} sets the finite difference, but every array of this network is checked by the "
                         "complex step (its loss is analytic): drop it, or add --reference finite-differences")
    print(net)
    _refuse_what_would_not_finish(net, *random_data(net, args.batch, np.random.default_rng(args.seed + 1)),
                                  args.scheme)
    x, y = live_data(net, args.batch, args.seed + 1)
    report = gradient_check(net, x, y, scheme=args.scheme, eps=args.eps, rtol=args.rtol, atol=args.atol,
                            variant=args.variant, reference=args.reference, progress=True)
    print(report)
    passed = report.passed
    if not where.is_numpy:
        passed = _check_on_device(net, x, y, where) and passed
    return 0 if passed else 1


def _given(args: argparse.Namespace, option: str) -> bool:
    return args.eps is not None if option == "eps" else option in args.given


def _check_on_device(net: DNN, x: np.ndarray, y: np.ndarray, where: Backend) -> bool:
    """Backprop, forward mode (and the complex step where it applies) on ``where`` against numpy's backprop on the
    CPU: prints one line each; True if every gap is within the table's "device" tolerance."""
    from ..backend import to_numpy
    from ..methods import get, gradient

    on_device, reference = net.to(where.device, where.library), gradient(net, x, y, "backprop").grad
    scale, ok = max(float(np.max(np.abs(reference))), np.finfo(float).tiny), True
    for name in ("backprop", "forward-mode", "complex-step"):
        if get(name).why_not(on_device):
            continue
        gap = float(np.max(np.abs(to_numpy(gradient(on_device, x, y, name).grad) - reference))) / scale
        allowed = tolerance("device")
        ok &= gap <= allowed
        print(f"{name} on {where.label} vs backprop on the CPU: relative gap {gap:.1e} "
              f"({'ok' if gap <= allowed else 'FAIL'}, tolerance {allowed:g})")
    return ok


def _refuse_what_would_not_finish(net: DNN, x: np.ndarray, y: np.ndarray, scheme: str) -> None:
    """Predict the check's time (one reference evaluation a parameter, two for central differences, each about a
    forward pass) from one timed forward pass; refuse beyond CHECK_LIMIT_S, note anything over a minute."""
    start = time.perf_counter()
    net.loss(x, y)
    seconds = (time.perf_counter() - start) * net.num_params * (2 if scheme == "central" else 1)
    if seconds > CHECK_LIMIT_S:
        raise UsageError(f"checking all {net.num_params:,} parameters would take about "
                         f"{plural(round(seconds / 3600), 'hour')} (a loss evaluation each, "
                         f"{(time.perf_counter() - start):.2g} s apiece): check a smaller network (--depth, --width)")
    if seconds > 60:
        print(f"note: the reference gradient takes up to about {plural(round(seconds / 60), 'minute')}",
              file=sys.stderr)


# -- the user's code ------------------------------------------------------------------------------------------------

def _terminal() -> bool:
    """Show a progress bar over the check of users' code (seconds) only on a terminal: in a log or a pipe its lines
    would only follow the report."""
    return sys.stderr.isatty()


def _rng(args: argparse.Namespace, stream: int) -> np.random.Generator:
    """Independent streams of one seed: 0 the inputs, 2 constructor arrays, 3 targets (dout has its own)."""
    return np.random.default_rng((args.seed, stream))


def _drawn(args: argparse.Namespace, what: str) -> tuple[int, ...]:
    if not args.input_shape:
        raise UsageError(f"{what} needs --input-shape, the shape of x (e.g. --input-shape 4,3)")
    size = int(np.prod(args.input_shape))
    validate.fits_in_memory(f"checking on an input of shape {args.input_shape} ({plural(size, 'element')})",
                            COPIES * 8 * size, remedy="use a smaller --input-shape")
    return args.input_shape


def _draw(kind: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """x as --draw says: normal N(0, 1), uniform (0, 1), or probabilities (rows that sum to 1)."""
    if kind == "uniform":
        return rng.uniform(0.05, 1.0, shape)
    if kind == "probabilities":
        p = rng.uniform(0.05, 1.0, shape)
        return p / p.sum(axis=-1, keepdims=True)
    return rng.standard_normal(shape)


def _built(args: argparse.Namespace, spec: str, option: str):
    cls = user_code.load_class(spec, option)
    given = {**user_code.kwargs(args.kwargs or "{}"), **user_code.params(args.param or [], _rng(args, 2))}
    built = user_code.build(cls, given, option)
    return (cls if isinstance(cls, type) else type(built)), built  # a factory: the class of what it built


def _run(what: str, call, subject: str = "layer", shapes: str | None = None):
    """call(), an exception of the user's code told in one line with their file and line (an exception of
    nngrad's own goes on: it is a bug, with its traceback); a shape error hints at the option that sets the shapes
    of ``subject``'s inputs (``shapes``: that option, where it is not the subject's usual one)."""
    try:
        return call()
    except UserError:
        raise
    except Exception as exc:
        if not user_code.in_user_code(exc):
            raise
        option = shapes or ("--input-shape" if subject in USER_OPTIONS["input_shape"] else "--shapes")
        hint = f" ({'is' if option == '--input-shape' else 'are'} {option} right?)" if any(
            w in str(exc) for w in ("shape", "matmul", "broadcast", "dimension", "align")) else ""
        if "indices" in str(exc) and option == "--input-shape":
            hint = " (integer inputs, such as token ids? give each input as --shapes, e.g. --shapes 4,5:int<10)"
        raise UsageError(f"{what} raised {type(exc).__name__}: {exc}{user_code.where(exc)}{hint}") from None


def _check_layer(args: argparse.Namespace):
    if args.shapes:
        return _check_layer_inputs(args)
    shape = _drawn(args, "--layer")
    cls, layer = _built(args, args.layer, "--layer")
    draw = args.draw or "normal"
    x = _draw(draw, shape, _rng(args, 0))
    inputs, t = x, None
    if len(required(getattr(layer, "forward", None))) == 2:  # a loss forward(x, t), or two inputs forward(x, y)
        t = _targets(args, x)
        out = _run(f"{cls.__name__}.forward", lambda: layer.forward(x.copy(), t.copy()))
        if not (out is None or np.ndim(out) == 0 or np.shape(out) == x.shape[:1]):
            inputs, t = (x, _draw(draw, shape, _rng(args, 4))), None
    several = isinstance(inputs, tuple)
    resample = None if t is not None else (
        lambda rng: tuple(_draw(draw, shape, rng) for _ in range(2)) if several else _draw(draw, shape, rng))
    report = _run(f"the check of {cls.__name__}",
                  lambda: check_layer(layer, inputs, t=t, mode=args.mode or "auto", eps=args.eps, rtol=args.rtol,
                                      atol=args.atol, seed=args.seed, resample=resample, progress=_terminal()))
    if t is not None and args.draw is None and report.status == "FAIL":
        _refuse_outside_domain(args, cls, t, shape)
    return report


def _check_layer_inputs(args: argparse.Namespace):
    """--layer with --shapes: forward's inputs in order (forward(x, h); token ids 4,5:int<10); two inputs where
    forward returns a number are a loss layer's (x, t); one input where forward takes two gets targets drawn."""
    for option in ("input_shape", "draw"):
        if getattr(args, option) is not None:
            raise UsageError(f"{_option(option)} and --shapes both give --layer's inputs: give each input as --shapes "
                             "SPEC (a shape is drawn from N(0, 1))")
    cls, layer = _built(args, args.layer, "--layer")
    inputs = _inputs(args, "--layer")
    forward = getattr(layer, methods(layer)[0], None)
    t = None
    if len(inputs) == 1 and len(required(forward)) == 2 and isinstance(inputs[0], np.ndarray):
        t = _targets(args, inputs[0])
    elif args.targets is not None:
        raise UsageError("--targets applies to a loss layer given one input; with --shapes, give the targets as its "
                         "second input")
    elif len(inputs) == 2 and _a_number(_run(f"{cls.__name__}.{forward.__name__}", lambda: forward(
            *(copy.deepcopy(v) for v in inputs)), "layer", "--shapes")):
        inputs, t = inputs[:1], inputs[1]
    x = inputs[0] if len(inputs) == 1 else tuple(inputs)
    resample = None if t is not None else lambda rng: _one_or_tuple(user_code.inputs(args.shapes, rng))
    return _run(f"the check of {cls.__name__}",
                lambda: check_layer(layer, x, t=t, mode=args.mode or "auto", eps=args.eps, rtol=args.rtol,
                                    atol=args.atol, seed=args.seed, resample=resample, progress=_terminal()),
                "layer", "--shapes")


def _a_number(out) -> bool:
    return out is None or np.ndim(out) == 0


def _one_or_tuple(values: list):
    return values[0] if len(values) == 1 else tuple(values)


def _refuse_outside_domain(args: argparse.Namespace, cls: type, t: np.ndarray, shape: tuple[int, ...]) -> None:
    """A loss that fails on x ~ N(0, 1) (drawn by default) but passes on x drawn inside (0, 1): the inputs lay
    outside the loss's domain (a loss on probabilities clips or takes the log of them); a usage error saying how
    to draw them, instead of a diagnosis of code that may be right."""
    for draw, words in (("probabilities", "probabilities (rows that sum to 1)"), ("uniform", "uniform in (0, 1)")):
        x = _draw(draw, shape, _rng(args, 0))
        layer = _built(args, args.layer, "--layer")[1]  # a fresh instance: the first check may have left state
        try:
            report = check_layer(layer, x, t=t, mode=args.mode or "auto", eps=args.eps, rtol=args.rtol,
                                 atol=args.atol, seed=args.seed)
        except Exception:  # noqa: BLE001 - a draw the code cannot take says nothing; the first report stands
            continue
        if report.passed:
            raise UsageError(f"--layer {cls.__name__}: x drawn from N(0, 1) (the default) lies outside the loss's "
                             f"domain: it fails there, and passes with x drawn as {words}; add --draw {draw}")


def _targets(args: argparse.Namespace, x: np.ndarray, classes: int | None = None) -> np.ndarray:
    """Targets for x's rows: one-hot rows (default for a loss layer) or integer labels (default for a network)."""
    classes = classes or x.shape[-1]
    labels = _rng(args, 3).integers(0, classes, x.shape[0] if x.ndim > 1 else 1)
    kind = args.targets or ("labels" if args.net else "onehot")
    return labels if kind == "labels" else np.eye(classes)[labels]


def _check_pair(args: argparse.Namespace):
    forward, backward = user_code.load_functions(args.pair, "--pair", 2)
    inputs = _inputs(args, "--pair")
    return _run(f"the check of {forward.__name__}", lambda: check_pair(forward, backward, *inputs,
                                                                       mode=args.mode or "auto", eps=args.eps,
                                                                       rtol=args.rtol, atol=args.atol, seed=args.seed,
                                                                       progress=_terminal()), "pair")


def _check_loss(args: argparse.Namespace):
    (loss_fn,) = user_code.load_functions(args.loss_fn, "--loss-fn", 1)
    inputs = _inputs(args, "--loss-fn")
    return _run(f"the check of {loss_fn.__name__}", lambda: check_loss(loss_fn, *inputs, mode=args.mode or "auto",
                                                                       eps=args.eps, rtol=args.rtol, atol=args.atol,
                                                                       seed=args.seed, progress=_terminal()), "loss_fn")


def _inputs(args: argparse.Namespace, option: str) -> list:
    if not args.shapes:
        raise UsageError(f"{option} needs --shapes, one per input: a shape (4,5), labels[:C], or a JSON value")
    size = sum(int(np.prod(user_code.shape(m.group(1) if (m := user_code.INTEGERS.match(s)) else s)))
               for s in args.shapes if user_code.SHAPE.match(s) or user_code.INTEGERS.match(s))
    validate.fits_in_memory(f"checking on inputs of {plural(size, 'element')}", COPIES * 8 * size,
                            remedy="use smaller --shapes")
    return user_code.inputs(args.shapes, _rng(args, 0))


def _check_net(args: argparse.Namespace):
    if "," in args.net.rpartition(":")[2]:
        return _check_specialisation(args)
    if args.input_shape is None:  # Nielsen's network tells its input size
        cls, net = _built(args, args.net, "--net")
        if nielsen.takes(net):
            return _check_columns(args, net, cls.__name__)
    shape = _drawn(args, "--net")
    cls, net = _built(args, args.net, "--net")
    if nielsen.takes(net) and getattr(net, "params", None) is None:
        return _check_columns(args, net, cls.__name__)
    x = _rng(args, 0).standard_normal(shape)
    classes = args.classes or _classes(net, x, args)
    t = _targets(args, x, classes)
    return _run(f"the check of {cls.__name__}", lambda: check_network(net, x, t, mode=args.mode or "auto",
                                                                      eps=args.eps, rtol=args.rtol, atol=args.atol,
                                                                      seed=args.seed, progress=_terminal()))


def _columns(args: argparse.Namespace, n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """x (n_in, m) ~ N(0, 1) and y (n_out, m): samples as columns (--input-shape N_IN,M; M = 4 by default); y
    one-hot columns, or 0/1 where there is one output."""
    shape = args.input_shape or (n_in, COLUMNS)
    if len(shape) != 2 or shape[0] != n_in:
        raise UsageError(f"--input-shape {','.join(map(str, shape))}: this network takes x of shape ({n_in}, m), "
                         f"one sample per column: give --input-shape {n_in},M")
    _drawn(argparse.Namespace(input_shape=shape), "--net")
    x = _rng(args, 0).standard_normal(shape)
    labels = _rng(args, 3).integers(0, max(n_out, 2), shape[1])
    y = labels[None, :].astype(float) if n_out == 1 else np.eye(n_out)[:, labels]
    return x, y


def _check_columns(args: argparse.Namespace, net, name: str):
    """Nielsen's Network: x (n_in, m) from weights[0]'s columns, y one-hot columns of weights[-1]'s rows."""
    _refuse_for_columns(args, f"{name} (Nielsen's style)", ("targets", "classes"))
    x, y = _columns(args, net.weights[0].shape[1], net.weights[-1].shape[0])
    return _run(f"the check of {name}", lambda: check_network(net, x, y, mode=args.mode or "auto", eps=args.eps,
                                                              rtol=args.rtol, atol=args.atol, seed=args.seed,
                                                              progress=_terminal()), "net")


def _refuse_for_columns(args: argparse.Namespace, what: str, options: tuple[str, ...]) -> None:
    """Options a network taking samples as columns does not use: refused in one line, not ignored. --targets
    onehot is what such a network's y is (one-hot columns, 0/1 for one output), so it is taken; --targets labels
    is refused: backprop(x, y) and the cost take y shaped like the output, not integer labels."""
    if args.targets == "labels":
        raise UsageError(f"--targets does not apply to {what} as labels: its y is shaped like its output, one-hot "
                         "columns (0/1 for one output), which --targets onehot (the default here) draws")
    if given := [o for o in options if o != "targets" and getattr(args, o) not in (None, [])]:
        raise UsageError(f"{_option(given[0])} does not apply to {what}: y is drawn as one-hot columns (0/1 for one "
                         "output), the sizes come from --kwargs")


def _check_specialisation(args: argparse.Namespace):
    """The specialisation's forward, cost, backward: parameters from the module's initialize_parameters_deep (or
    initialize_parameters) called with --kwargs, or drawn for --kwargs' layer_dims; x (n_x, m), y (n_y, m)."""
    forward, cost, backward = user_code.load_functions(args.net, "--net", 3)
    _refuse_for_columns(args, "the specialisation's functions", ("targets", "classes", "param"))
    given = user_code.kwargs(args.kwargs or "{}")
    init = next((f for name in INITIALISERS if callable(f := forward.__globals__.get(name))), None)
    if init is not None:
        parameters = _run(f"{init.__name__}(**{given})", lambda: init(**given), "net")
        if not isinstance(parameters, dict):
            raise UsageError(f"{init.__name__}(**{given}) returned a {type(parameters).__name__}, not a dict of "
                             "parameters (W1, b1, ...)")
    else:
        parameters = _parameters(given.get("layer_dims"), _rng(args, 2), forward.__name__)
    numbered = sorted((int(k[1:]), v) for k, v in parameters.items()
                      if isinstance(k, str) and k[:1] == "W" and k[1:].isdigit() and isinstance(v, np.ndarray))
    if not numbered:
        raise UsageError(f"the parameters hold no W1, W2, ... arrays (they have {', '.join(map(str, parameters))})")
    x, y = _columns(args, numbered[0][1].shape[-1], numbered[-1][1].shape[0])
    return _run(f"the check of {forward.__name__}", lambda: check_network(
        parameters, x, y, mode=args.mode or "auto", eps=args.eps, rtol=args.rtol, atol=args.atol, seed=args.seed,
        progress=_terminal(), forward=forward, cost=cost, backward=backward), "net")


def _parameters(layer_dims, rng: np.random.Generator, forward: str) -> dict[str, np.ndarray]:
    """W1 (n1, n0) ~ N(0, 1/n0), b1 (n1, 1) ~ N(0, 0.01), ... for layer_dims [n0, n1, ...]."""
    if not (isinstance(layer_dims, list) and len(layer_dims) >= 2
            and all(isinstance(n, int) and n > 0 for n in layer_dims)):
        raise UsageError(f"the module of {forward} has no initialize_parameters_deep: give the layer sizes as "
                         "--kwargs '{\"layer_dims\": [4, 5, 1]}' (inputs first)")
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters[f"W{l}"] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) / np.sqrt(layer_dims[l - 1])
        parameters[f"b{l}"] = 0.1 * rng.standard_normal((layer_dims[l], 1))
    return parameters


def _classes(net, x: np.ndarray, args: argparse.Namespace) -> int:
    """The network's number of outputs: predict(x)'s (or CS231n's loss(x), the scores), or the constructor's."""
    for method in ("predict", "loss"):
        if callable(f := getattr(net, method, None)):
            try:
                scores = f(x.copy())
            except Exception:  # noqa: BLE001, S112 - a loss(x) that needs targets tells nothing
                continue
            if isinstance(scores, np.ndarray) and scores.ndim == 2 and scores.shape[0] == x.shape[0]:
                return scores.shape[1]
    given = user_code.kwargs(args.kwargs or "{}")
    for key in ("output_size", "num_classes", "n_classes", "output_dim", "classes", "n_out", "out_features"):
        if isinstance(given.get(key), int) and given[key] > 0:
            return given[key]
    for key in ("layer_sizes", "sizes", "layer_dims", "dims", "units"):  # every layer's size, the output's last
        if isinstance(given.get(key), list) and given[key] and isinstance(given[key][-1], int) and given[key][-1] > 0:
            return given[key][-1]
    if outputs := output_size(net):
        return outputs
    raise UsageError(f"cannot tell how many classes {type(net).__name__} has (no predict(x) giving scores, no "
                     "output_size or num_classes argument, no layer_sizes, no per-layer bias list): pass --classes K")


COMMAND = register(Command(
    "check", "check backprop, or your own layer, pair, loss or network, against finite differences",
    "Build a random DNN and batch and compare backprop with the complex step (where the loss is analytic) or finite "
    "differences, per layer and W/b; or check your own code: a layer class (--layer), a forward/backward pair "
    "(--pair), a loss function (--loss-fn) or a network (--net). The report names what is wrong in words. Exit "
    "status 0: PASS, 1: FAIL or INCONCLUSIVE (the findings say why), 2: bad input.", options, run))
