"""check_pair and check_loss: functional code in CS231n's style.

A pair: ``forward(*inputs) -> (out, cache)`` (or ``(out1, out2, ..., cache)``) and ``backward(dout, cache)``
(``backward(dout1, dout2, ..., cache)``) returning one gradient per float-array input, in order (a single array
when there is one, or a dict by the inputs' names). A loss: ``loss_fn(*inputs) -> (loss, grad)``, ``(loss, grad1,
grad2, ...)``, ``(loss, (grad1, ...))`` or ``(loss, {name: grad})`` (how one gradient is told from several:
``returned``). Returned by position, the gradients belong to the first float inputs in order; a float input left
without a gradient (a target, the data X of ``svm_loss_naive(W, X, y, reg)``) is held fixed and named so in the
report's "called:" line. Inputs that are not float arrays (labels, ``bn_param`` and other
dicts, numbers) pass through unchanged and are not differentiated; every call gets fresh copies of all of them,
so the user's arrays and dicts are never changed. Integer and boolean arrays (ids, labels, masks) keep their
dtype. Pure-Python lists of floats are differentiated like arrays, and the code receives them as lists at every
call (a dout too, where forward returned a list); what it returns as lists is read as arrays.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable

import numpy as np

from .. import _validate as validate
from ..errors import InvalidType, InvalidValue
from .arrays import MODES
from .backward_order import arranged, cache_first, signature
from .catalogue import Context
from .diagnostics import label_conditions
from .findings import Finding
from .judge import judge
from . import returned, trees
from .report import GradientReport
from .returned import Returned
from .subject import Claim, Operand, Subject

DOUT_STREAM = 1  # douts come from default_rng((seed, DOUT_STREAM, k)): independent of the inputs


def check_pair(forward: Callable, backward: Callable, *inputs, mode: str = "auto", eps: float | None = None,
               rtol: float | None = None, atol: float | None = None, seed: int = 0,
               progress: bool = False) -> GradientReport:
    """Check ``backward`` against central differences of ``forward`` at ``inputs``: the gradient of every float
    input (x, w, b...), each a row. Also reports dout or an input changed in place, a backward that is not
    repeatable, wrong shapes and their likely cause, one factor off, wrong only under a mask, known mistakes."""
    _callables(forward=forward, backward=backward)
    return _judge(PairSubject(forward, backward, inputs, seed), mode, eps, rtol, atol, seed, progress)


def check_loss(loss_fn: Callable, *inputs, mode: str = "auto", eps: float | None = None, rtol: float | None = None,
               atol: float | None = None, seed: int = 0, progress: bool = False) -> GradientReport:
    """Check the gradient(s) ``loss_fn(*inputs)`` returns beside its loss against central differences of the loss:
    ``(loss, dx)``, ``(loss, dW, db)`` or ``(loss, (dW, db))`` (one per float input, in order), ``(loss, {'dW':
    ..., 'db': ...})`` (by the inputs' names). A list or tuple of numbers is one gradient (a pure-Python loss).
    Float inputs after those given a gradient are held fixed and named in the "called:" line: ``(loss, dW)`` for
    ``svm_loss_naive(W, X, y, reg)`` checks dW, X held fixed."""
    _callables(loss_fn=loss_fn)
    return _judge(LossSubject(loss_fn, inputs), mode, eps, rtol, atol, seed, progress)


def _callables(**functions) -> None:
    for name, f in functions.items():
        if not callable(f):
            raise InvalidType(f"{name} must be a function, got a {type(f).__name__}")


def _judge(subject: Subject, mode, eps, rtol, atol, seed, progress) -> GradientReport:
    validate.choice("mode", mode, MODES)
    eps = None if eps is None else validate.positive_float("eps", eps)
    return judge(subject, mode, eps, rtol, atol, seed, progress=progress)


class _Functional(Subject):
    """Functions of ``inputs``: the float arrays among them are the operands (copies), the rest pass through."""

    def __init__(self, function: Callable, inputs: tuple) -> None:
        if not inputs:
            raise InvalidValue(f"{_name(function)} needs its inputs: pass them after the function(s)")
        _arity(function, len(inputs))
        self.arguments = _argument_names(function, len(inputs))
        inputs, names = self._flattened(inputs, self.arguments)
        self.listed = {k for k, v in enumerate(inputs) if _float_list(v)}
        self.inputs = [np.array(v, dtype=float) if k in self.listed else np.array(v, copy=True) if _is_float(v)
                       else _checked(n, v) for k, (n, v) in enumerate(zip(names, inputs))]
        self.names = names
        self.floats = [k for k, v in enumerate(self.inputs) if isinstance(v, np.ndarray) and v.dtype.kind == "f"]
        if not self.floats:
            raise InvalidValue(f"{_name(function)}: none of its {len(inputs)} inputs is a float array, so there is "
                               "nothing to differentiate")

    def _flattened(self, inputs: tuple, names: list[str]) -> tuple[list, list[str]]:
        """The inputs with each parameter tree (``params = [W1, b1]``, ``[(W1, b1), (W2, b2)]``, a dict of them:
        nngrad.check.trees) spread into its leaves, named params[0], params[0][1], params['W1']; ``origin[i]``:
        (the argument, the leaf's path in its tree, or None)."""
        self.origin, self.trees, flat, flat_names = [], {}, [], []
        for k, (name, value) in enumerate(zip(names, inputs)):
            if trees.is_tree(value):
                self.trees[k] = value
                for path, leaf in trees.leaves(value):
                    flat.append(leaf)
                    flat_names.append(trees.label(name, path))
                    self.origin.append((k, path))
            else:
                flat.append(value)
                flat_names.append(name)
                self.origin.append((k, None))
        return flat, flat_names

    def _pack(self, args: list) -> list:
        """The flat arguments (one per array) as the code takes them: the leaves of a tree in its structure."""
        out: list = []
        members: dict[int, list] = {}
        for (k, path), value in zip(self.origin, args):
            if path is None:
                out.append(value)
                continue
            if k not in members:
                members[k] = []
                out.append(None)
            members[k].append(value)
        return [trees.rebuild(self.trees[k], members[k]) if k in self.trees else v for k, v in enumerate(out)]

    def _row(self, k: int) -> str:
        """The report's row of float input ``k``: dx for an argument x, params[0] for a member of a list."""
        return self.names[k] if self.origin[k][1] is not None else f"d{self.names[k]}"

    def _role(self, k: int) -> str:
        """A member of a list of parameters is a parameter (a weight decay applies to it); the rest are inputs."""
        return "parameter" if self.origin[k][1] is not None else "input"

    def _data(self) -> list[int]:
        """The float inputs that are arguments of their own (not members of a list of parameters)."""
        return [k for k in self.floats if self.origin[k][1] is None]

    def _args(self) -> list:
        """Fresh copies of every input at the operands' current values (a function that changes an argument, or
        updates a dict such as bn_param, cannot move the point or touch the user's)."""
        self.before()
        return [self._given(k, v) for k, v in enumerate(self.inputs)]

    def _given(self, k: int, values) -> object:
        """Input ``k`` at ``values`` as the code takes it: a fresh copy, a list where the user passed a list."""
        if k in self.listed:
            return values.tolist()
        return values.copy() if isinstance(values, np.ndarray) else copy.deepcopy(values)

    def _as_passed(self, inputs: list) -> tuple:
        """``inputs`` (this subject's arrays, or a slice of them) as the user passed them: lists stay lists, the
        members of a list of parameters in their list."""
        return tuple(self._pack([v.tolist() if k in self.listed else v for k, v in enumerate(inputs)]))

    def _read(self, result) -> Returned:
        """What the code returned as its gradients, read by position or by name against the float inputs (see
        ``returned``): one array or list of numbers is one gradient, a tuple of them several, a dict by name."""
        return returned.read(self._spread(result), [self.names[k] for k in self.floats],
                             [self.inputs[k].shape for k in self.floats])

    def _spread(self, value):
        """Gradients returned in the inputs' own structure, ``(dx, [dW, db])`` for ``(x, [W, b])``, or in one
        tree's (``[(dW1, db1), (dW2, db2)]`` for ``params``), as one flat sequence (dx, dW, db); anything else as
        it is."""
        if not self.trees or not trees.container(value):
            return value
        arguments = list(dict.fromkeys(self.origin[k][0] for k in self.floats))
        if isinstance(value, (list, tuple)) and len(value) == len(arguments) > 1:
            flat: list | None = []
            for k, v in zip(arguments, value):
                part = trees.flat_like(self.trees[k], v) if k in self.trees else [v]
                if part is None:
                    flat = None
                    break
                flat.extend(part)
            if flat is not None:
                return tuple(flat)
        for k in arguments:
            if k in self.trees and (flat := trees.flat_like(self.trees[k], value)) is not None:
                return tuple(flat)
        return value

    def _held(self) -> str:
        """"; ids, mask (integer and boolean) held fixed" for the integer and boolean arrays among the inputs."""
        held = [self.names[k] for k, v in enumerate(self.inputs) if isinstance(v, np.ndarray) and v.dtype.kind in "iub"]
        return f"; {', '.join(held)} (integer or boolean) passed as given, held fixed" if held else ""

    def _changed_inputs(self, args: list) -> list[Finding]:
        changed = [self.names[k] for k in self.floats if not np.array_equal(args[k], self.inputs[k], equal_nan=True)]
        if not changed:
            return []
        return [Finding("input-modified", f"the code changed its input {', '.join(changed)} in place: the caller's "
                        "data is corrupted; work on a copy")]

    def batch(self) -> int | None:
        if not self._data():
            return None
        x = self.inputs[self._data()[0]]
        labels = [v for v in self.inputs if isinstance(v, np.ndarray) and v.dtype.kind in "iub"]
        if x.ndim < 2 or (labels and all(len(v) != x.shape[0] for v in labels if v.ndim)):
            return None
        return int(x.shape[0])

    def _first_sample_inputs(self, batch: int) -> list:
        """The first sample of the first input and of every label array of the batch's length."""
        first = self._data()[0]
        return [v[:1].copy() if k == first or (isinstance(v, np.ndarray) and v.dtype.kind in "iub" and v.ndim
                                                and len(v) == batch) else v for k, v in enumerate(self.inputs)]


class PairSubject(_Functional):
    def __init__(self, forward: Callable, backward: Callable, inputs: tuple, seed: int, douts=None) -> None:
        super().__init__(forward, inputs)
        self.forward, self.backward, self.seed, self.douts = forward, backward, seed, douts
        self.title = f"{_name(forward)} / {_name(backward)}"
        self.operands = [Operand(self._row(k), self.names[k], self.inputs[k], self._role(k)) for k in self.floats]
        self.outs: list = []

    def _call_forward(self, args: list) -> tuple[list, object]:
        result = self.forward(*self._pack(args))
        if not isinstance(result, tuple) or len(result) < 2:
            raise InvalidValue(f"{_name(self.forward)} returned {_kind(result)}; a forward of a pair returns (out, "
                               "cache) or (out1, out2, ..., cache) (check a single function with check_loss)")
        outs = list(result[:-1])
        self.listed_outs = [isinstance(o, list) for o in outs]
        if self.douts is None:
            self.douts = [np.random.default_rng((self.seed, DOUT_STREAM, k)).standard_normal(np.shape(o))
                          for k, o in enumerate(outs)]
        return outs, result[-1]

    def evaluate(self) -> float:
        outs, _ = self._call_forward(self._args())
        self.outs = [np.asarray(o, dtype=float) for o in outs]
        return float(sum(np.sum(d * np.asarray(o, dtype=float)) for d, o in zip(self.douts, outs)))

    def term_scale(self) -> float:
        self.evaluate()
        return max(float(np.abs(d).max(initial=0.0)) for d in self.douts)

    def evaluate_with(self, name: str, values: np.ndarray) -> complex | None:
        args = self._args()
        k = next(k for k, op in zip(self.floats, self.operands) if op.name == name)
        args[k] = self._given(k, values)
        outs, _ = self._call_forward(args)
        return complex(sum(np.sum(d * np.asarray(o)) for d, o in zip(self.douts, outs)))

    def scale(self) -> float:
        self.evaluate()
        return float(sum(np.sum(np.abs(d * np.asarray(o, dtype=float))) for d, o in zip(self.douts, self.outs)))

    def claim(self) -> Claim:
        args = self._args()
        outs, cache = self._call_forward(args)
        given = [d.tolist() if listed else np.array(d, copy=True) for d, listed in zip(self.douts, self.listed_outs)]
        got = self._read(self.backward(*arranged(self.backward, given, cache)))
        if got.how == "by position" and len(got.grads) != len(self.floats):
            count = len(got.grads)
            raise InvalidValue(f"{_name(self.backward)} returned {count} value{'s' * (count != 1)}; "
                               f"expected {len(self.floats)}, one per float input of {_name(self.forward)} "
                               f"({', '.join(self.names[k] for k in self.floats)})")
        one = len(outs) == 1
        outputs = "out" if one else ", ".join(f"out{k + 1}" for k in range(len(outs)))
        douts = "dout" if one else ", ".join(f"dout{k + 1}" for k in range(len(outs)))
        claim = Claim({op.name: _copied(got.grads.get(i)) for i, op in enumerate(self.operands)},
                      how=f"{_name(self.forward)}({', '.join(self.arguments)}) returned ({outputs}, cache); "
                          f"{signature(_name(self.backward), douts, cache_first(self.backward, len(outs)))} returned "
                          f"{_listed(self.operands)}"
                          + _ignored(got) + self._held())
        for i, op in enumerate(self.operands):
            if i not in got.grads:
                claim.missing[op.name] = f"{_name(self.backward)} returned a dict without a key {op.label} or {op.name}"
        if any(not np.array_equal(g, d) for g, d in zip(given, self.douts)):
            claim.findings.append(Finding("dout-modified", f"{_name(self.backward)} changed the dout it was given, "
                                          "in place (dout[mask] = 0?): the layer before it would receive a wrong "
                                          "gradient; work on a copy or use np.where"))
        claim.findings += self._changed_inputs(args)
        return claim

    def another_point(self, seed: int) -> PairSubject:
        return PairSubject(self.forward, self.backward, self._as_passed(self.inputs), seed)

    def first_sample(self) -> PairSubject | None:
        batch = self.batch()
        if not batch or len(self.douts or []) != 1:
            return None
        return PairSubject(self.forward, self.backward, self._as_passed(self._first_sample_inputs(batch)),
                           self.seed, [self.douts[0][:1]])

    def with_dout(self, dout: np.ndarray) -> PairSubject | None:
        return PairSubject(self.forward, self.backward, self._as_passed(self.inputs), self.seed, [dout]) if len(
            self.douts or []) == 1 else None

    def context(self) -> Context:
        self.evaluate()
        first, rest = self.floats[0], self.floats[1:]
        return Context([self.inputs[first].copy()], {self._row(k): self.inputs[k].copy() for k in rest},
                       self.outs[0], self.douts[0], None, (self._row(first),))


class LossSubject(_Functional):
    def __init__(self, loss_fn: Callable, inputs: tuple) -> None:
        super().__init__(loss_fn, inputs)
        self.loss_fn = loss_fn
        self.title = _name(loss_fn)
        got = self._call(self._args())[1]
        self.offset = self._offset(got)
        got = self._call(self._args())[1] if self.offset else got
        if got.how == "by position" and len(got.grads) > len(self.floats):
            floats = ", ".join(self.names[k] for k in self.floats)
            raise InvalidValue(f"{_name(loss_fn)} returned {len(got.grads)} gradients; it has only "
                               f"{len(self.floats)} float input{'s' * (len(self.floats) != 1)} ({floats}): one "
                               "array or list of numbers is one gradient, a tuple of them one per float input in "
                               "order")
        self.positions = sorted(got.grads)
        self.differentiated = [self.floats[i] for i in self.positions]
        self.operands = [Operand(self._row(k), self.names[k], self.inputs[k], self._role(k)) for k in self.differentiated]

    def _call(self, args: list) -> tuple[float, Returned]:
        """The loss and the gradients read from (loss, grad), (loss, grad1, ..., gradk), (loss, (grad1, ...)) or
        (loss, {name: grad})."""
        result = self.loss_fn(*self._pack(args))
        if not isinstance(result, tuple) or len(result) < 2 or np.ndim(result[0]) != 0:
            raise InvalidValue(f"{_name(self.loss_fn)} returned {_kind(result)}; a loss function returns (loss, "
                               "grad), (loss, grad1, grad2, ...), (loss, (grad1, grad2, ...)) or (loss, {name: "
                               "grad}), the loss a number")
        floats = ([self.names[k] for k in self.floats], [self.inputs[k].shape for k in self.floats])
        got = self._read(result[1]) if len(result) == 2 else returned.several(self._spread(result[1:]), floats[1])
        if got.how == "by position" and getattr(self, "offset", 0):
            got.grads = {i + self.offset: g for i, g in got.grads.items()}
        return float(result[0]), got

    def _offset(self, got: Returned) -> int:
        """Where gradients returned by position start among the float inputs: 0 (the first ones, in order), or,
        when their shapes do not fit there, the first later run of inputs they fit exactly (``(loss, [dW, db])``
        of ``loss(x, [W, b])``: the list, not x)."""
        shapes = [self.inputs[k].shape for k in self.floats]

        def fits(o: int) -> bool:
            return o + len(got.grads) <= len(shapes) and all(
                np.shape(g) == shapes[o + i] for i, g in got.grads.items())

        if got.how != "by position" or fits(0):
            return 0
        return next((o for o in range(1, len(shapes)) if fits(o)), 0)

    def evaluate(self) -> float:
        return self._call(self._args())[0]

    def evaluate_with(self, name: str, values: np.ndarray) -> complex | None:
        args = self._args()
        k = next(k for k, op in zip(self.differentiated, self.operands) if op.name == name)
        args[k] = self._given(k, values)
        return complex(self.loss_fn(*self._pack(args))[0])

    def claim(self) -> Claim:
        args = self._args()
        got = self._call(args)[1]
        fixed = [self.names[k] for k in self.floats if k not in self.differentiated]
        shape = "" if got.how == "by position" else " by name"
        claim = Claim({op.name: _copied(got.grads.get(i)) for i, op in zip(self.positions, self.operands)},
                      how=f"{_name(self.loss_fn)}({', '.join(self.arguments)}) returned (loss, "
                          f"{_listed(self.operands).strip('()')}){shape}" + _ignored(got)
                          + (f"; {', '.join(fixed)} held fixed: no gradient returned for "
                             f"{'it' if len(fixed) == 1 else 'them'} (data or targets, not differentiated)"
                             if fixed else "") + self._held())
        for i, op in zip(self.positions, self.operands):
            if i not in got.grads:
                claim.missing[op.name] = f"{_name(self.loss_fn)} returned no gradient for {op.label} at this call"
        claim.findings += self._changed_inputs(args)
        return claim

    def conditions(self, name: str) -> list[tuple[np.ndarray, str]]:
        k = self.differentiated[0]
        labels = next((v for v in self.inputs if isinstance(v, np.ndarray) and v.dtype.kind in "iu"), None)
        return label_conditions(labels, self.inputs[k]) if name == self.operands[0].name else []

    def first_sample(self) -> LossSubject | None:
        batch = self.batch()
        if not batch or self.differentiated[0] != self._data()[0]:
            return None
        return LossSubject(self.loss_fn, self._as_passed(self._first_sample_inputs(batch)))

    def context(self) -> Context:
        k = self.differentiated[0]
        labels = next((v for v in self.inputs if isinstance(v, np.ndarray) and v.dtype.kind in "iu"), None)
        return Context([self.inputs[k].copy()], {}, self.evaluate(), None, labels, (self._row(k),))


def _copied(gradient) -> object:
    """A returned gradient as our own array (lists read as arrays); None and what is no array stay as they are."""
    if gradient is None:
        return None
    try:
        return np.array(gradient, copy=True)
    except (TypeError, ValueError):
        return gradient


def _ignored(got: Returned) -> str:
    return f"; {', '.join(got.ignored)} ignored (no input of that name)" if got.ignored else ""


def _listed(operands: list[Operand]) -> str:
    names = [op.name for op in operands]
    return names[0] if len(names) == 1 else f"({', '.join(names)})"


def _is_float(value) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def _float_list(value) -> bool:
    """A pure-Python list (nested lists too) of numbers with at least one float: data to differentiate."""
    if not isinstance(value, list):
        return False
    try:
        return np.asarray(value).dtype.kind == "f"
    except (TypeError, ValueError):  # ragged
        return False


def _arity(function: Callable, count: int) -> None:
    """InvalidValue unless ``function`` takes ``count`` positional inputs, naming those missing or the excess."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p.name for p in positional if p.default is p.empty]
    signature = f"{_name(function)}({', '.join(p.name for p in positional)})"
    if count < len(required):
        missing = required[count:]
        raise InvalidValue(f"{signature} takes {len(required)} input{'s' * (len(required) > 1)}, got {count}: "
                           f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing")
    if count > len(positional) and not any(p.kind == p.VAR_POSITIONAL for p in parameters):
        raise InvalidValue(f"{signature} takes {len(positional)} input{'s' * (len(positional) > 1)}, got {count}: "
                           f"{count - len(positional)} too many")


def _checked(name: str, value):
    """A non-float-array input: kept as given (labels as arrays are checked for NaN and type)."""
    if isinstance(value, np.ndarray) and value.dtype.kind not in "iub":
        raise InvalidType(f"input {name} must be a float or integer array (or any non-array value), got dtype "
                          f"{value.dtype}")
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value


def _argument_names(function: Callable, count: int) -> list[str]:
    try:
        names = [p.name for p in inspect.signature(function).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        names = []
    if len(names) < count:
        names += [f"x{k}" for k in range(len(names), count)]
    return names[:count]


def _name(function: Callable) -> str:
    return getattr(function, "__name__", type(function).__name__)


def _kind(value) -> str:
    if isinstance(value, tuple):
        return f"a tuple of {len(value)}"
    return f"a {type(value).__name__}" + (f" of shape {value.shape}" if isinstance(value, np.ndarray) else "")
