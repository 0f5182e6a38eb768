"""check_layer: a hand-written layer class's backward against central differences of its forward.

Styles taken (see nngrad.check.calling): Deep Learning from Scratch (``forward(x)`` returns out, ``backward(dout)``
returns dx and leaves ``dW``, ``db``), Neural Networks from Scratch (``forward`` stores ``self.output``,
``backward`` sets ``self.dinputs``, ``self.dweights``...), tutorials whose backward takes the SGD step (the step
reveals the gradient: dW = -(W_after - W_before) / lr), parameters in dicts or lists (``self.params["W"]`` with
``self.grads["W"]``), loss layers (``forward(x, t)``), torch-like modules (sub-modules, ``Sequential`` lists of
layers, parameter objects with ``.data`` and ``.grad``, ``parameters()``, gradients accumulated and reset by
``zero_grad()``), Keras-like layers (``call(x)``, ``get_gradients()`` in the order of ``get_weights()``). The
parameters are the float arrays reachable from the layer that its output depends on (nngrad.check.slots); every
one is checked or named unchecked. Integer and boolean inputs (token ids, labels, masks) are passed as given and
held fixed. The scalar checked is sum(dout * out) for a random dout drawn independently of x (the loss itself for
a loss layer). The user's arrays are never changed: inputs are copies, the layer's arrays are put back, and its
random generators rewound.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import _validate as validate
from ..errors import InvalidValue
from . import calling
from .arrays import MODES
from .catalogue import Context
from .diagnostics import label_conditions
from .findings import Finding
from .judge import judge
from .naming import gradient_slot, input_gradient
from .report import GradientReport
from .slots import Saved, Slot, float_arrays, sub_objects
from .subject import Claim, Operand, Subject

DEFAULT_LR = 0.1  # passed to a backward that takes the learning rate: its step reveals the gradient
DOUT_STREAM = 1  # dout is drawn from default_rng((seed, DOUT_STREAM)): never the stream x came from


def check_layer(layer, x, t=None, params: list[str] | dict[str, str] | None = None, mode: str = "auto",
                eps: float | None = None, rtol: float | None = None, atol: float | None = None, seed: int = 0,
                learning_rate: float | None = None,
                resample: Callable[[np.random.Generator], object] | None = None,
                progress: bool = False) -> GradientReport:
    """Check ``layer.backward``: dx (of every input) and every parameter's gradient, against central differences.

    x: the input array, or a tuple or list of inputs for a layer whose forward takes several (MulLayer: (x, y)).
    A tuple or list is several inputs where forward takes more than one, where its items are arrays, or (a tuple)
    where forward's signature does not say (forward(*args)); otherwise it is one array: a list of numbers
    [[1., -2.], [3., 4.]] for a layer of one input is np.array(x). Float inputs
    are differentiated; integer and boolean ones (token ids, masks) are passed as given and held fixed. t: targets
    of a loss layer (not differentiated, labels kept integer). params: the parameters' labels (W, fc1.W,
    params['W']; gradient found by name: dW, grad_W, W_grad...) or {label: its gradient's attribute}; None: every
    float array reachable from the layer (attributes, dict entries, list items, sub-modules, parameter objects,
    parameters()) that the output depends on, each named in the code's words (fc1.W, layers[0].W). Where the
    layer or its sub-modules have zero_grad(), it is called before each backward. mode: "full" (every element),
    "fast" (random directions per array: 2 evaluations each, whatever its size) or "auto" (full up to 10,000
    elements). learning_rate: what a backward that takes one gets (default 0.1). resample(rng): the inputs of the
    second random point (default: the same x, another dout). progress: a bar over the differences, on a terminal.
    Reports what was wrong, in words: dout or the input changed in place, parameters updated,
    backward not repeatable, a wrong shape and its likely cause, one factor off, wrong only under a mask, a known
    mistake of a recognised layer, a random forward, all-zero gradients, kinks, NaN, float32.
    """
    validate.choice("mode", mode, MODES)
    eps = None if eps is None else validate.positive_float("eps", eps)
    lr = DEFAULT_LR if learning_rate is None else validate.positive_float("learning_rate", learning_rate)
    several = _several(x, calling.arity(layer, t is not None))
    inputs = [_input(f"x[{k}]" if several else "x", v) for k, v in enumerate(x if several else [x])]
    targets = None if t is None else np.array(validate.numeric_array("t", t), copy=True)
    validate.fits_in_memory(f"checking a layer on inputs of {sum(v.size for v in inputs):,} elements",
                            12 * sum(v.nbytes for v in inputs))
    subject = LayerSubject(layer, inputs, targets, several, params, lr, seed, resample)
    return judge(subject, mode, eps, rtol, atol, seed, progress=progress)


def _replaced_by(subject: LayerSubject, slot: Slot) -> bool:
    """Does a forward put a new array in ``slot`` (a cache, not a parameter)?"""
    old = slot.get()
    subject.forward()
    return slot.get() is not old


def _several(x, taken: tuple[int, int | None]) -> bool:
    """Is ``x`` several inputs? A tuple or list is, where forward takes more than one input, where its items are
    arrays, or (a tuple) where forward's signature does not say (forward(*args)); otherwise it is one array
    (np.array(x): a list of numbers for a layer of one input)."""
    if not isinstance(x, (tuple, list)):
        return False
    least, most = taken
    return least > 1 or all(isinstance(v, np.ndarray) for v in x) or (most is None and isinstance(x, tuple))


def _input(name: str, value) -> np.ndarray:
    """A copy of one input (scalars become 0-d arrays), floats kept in their precision, integer and boolean arrays
    (ids, labels, masks) as they are: the check perturbs its own copy of a float input, never the user's."""
    arr = validate.numeric_array(name, value)
    return np.array(arr, dtype=arr.dtype if arr.dtype.kind in "fiub" else np.float64, copy=True)


def _row(slot: Slot) -> str:
    """A parameter's gradient row, in the code's words: dW, params['W'] -> dW, fc1.dW, layers[0].dW, params[0] ->
    dparams[0], a parameter object's fc.weight.grad."""
    if slot.grad is not None:
        return slot.grad.label
    if isinstance(slot.key, str):
        return f"{slot.prefix}d{slot.name}"
    return f"{slot.prefix}d{slot.label[len(slot.prefix):]}"


class LayerSubject(Subject):
    """A layer object at given inputs (our copies), its dout drawn at the first evaluation."""

    def __init__(self, layer, inputs: list[np.ndarray], t, several: bool, params, lr: float, seed: int,
                 resample=None, dout=None, settled: list[Operand] | None = None) -> None:
        self.layer, self.owners, self.inputs, self.t, self.several = layer, [layer], inputs, t, several
        self.loss = t is not None
        self.calling = calling.read(layer, len(inputs), self.loss)
        self.lr = getattr(layer, self.calling.lr_attr) if self.calling.lr_attr else lr
        self.seed, self.resample, self.dout, self.explicit = seed, resample, dout, params
        self.title = f"layer {type(layer).__name__}"
        self.found = Saved.of(float_arrays(layer))  # everything as found, put back at the end
        self.varied = [k for k, v in enumerate(inputs) if v.dtype.kind == "f"]  # the others are held fixed
        self.operands = [Operand(f"d{self._name(k)}", self._name(k), inputs[k], "input") for k in self.varied]
        self.resets = calling.resets(layer, sub_objects(layer))
        self.refused: list[str] = []  # methods named like resets that proved not to be (see _reset)
        self.params = settled
        self.unused: list[Operand] = []  # arrays the output does not depend on (see _promote)
        if settled is not None:
            self.operands += settled
        self.args: list = []
        self.sources: list[str] = []  # where the last claim found each gradient
        self.read_from: dict[str, str] = {}  # operand name -> where the last claim read its gradient

    # -- calling the user's code ----------------------------------------------------------------------------------

    def _name(self, k: int) -> str:
        return f"x[{k}]" if self.several else "x"

    def forward(self, replaced: tuple[int, np.ndarray] | None = None):
        """The layer's output at the current inputs (fresh copies each call: a forward that changes its input in
        place cannot corrupt the perturbations); ``replaced``: (k, values) puts values in input k's place."""
        self.before()
        self.args = [v.copy() for v in self.inputs] + ([self.t.copy()] if self.loss else [])
        if replaced is not None:
            self.args[replaced[0]] = replaced[1].copy()
        kwargs = {self.calling.switch: True} if self.calling.switch and not self.calling.switch_positional else {}
        positional = self.args + ([True] if self.calling.switch_positional else [])
        out = getattr(self.layer, self.calling.forward_attr)(*positional, **kwargs)
        if out is None:
            out = next((v for n in calling.OUTPUTS if isinstance(v := getattr(self.layer, n, None), np.ndarray)), None)
            if out is None:
                raise InvalidValue(f"{type(self.layer).__name__}.forward returned None and set no self.output (or "
                                   "self.out): nngrad cannot see its output")
        if isinstance(out, (tuple, list)):
            if self.loss or self.calling.backward.count("dout") != len(out) or not all(
                    isinstance(v, np.ndarray) and v.dtype.kind in "fc" for v in out):
                raise InvalidValue(f"{type(self.layer).__name__}.forward returned {len(out)} values"
                                   + self._outputs_hint(len(out)))
            return tuple(out)  # several outputs (an LSTM step's h, c): one dout each
        return out

    def _outputs_hint(self, n: int) -> str:
        douts = self.calling.backward.count("dout")
        if self.loss or douts < 2:
            return ("; a layer returns its output (check a forward returning (out, cache) with nngrad.check_pair; "
                    f"a forward of {n} outputs needs a backward taking their {n} gradients in order, "
                    f"backward({', '.join(f'd{k}' for k in range(n))}))")
        return (f"; its backward {self.calling.backward_text()} takes {douts} gradients: forward must return as many "
                "float arrays, in the same order")

    def _scalar(self, out, dtype=float):
        """sum(dout * out), summed over the outputs of a forward returning several."""
        douts = self._dout(out)
        if isinstance(out, tuple):
            return sum(np.sum(d * np.asarray(o, dtype=dtype)) for d, o in zip(douts, out))
        return np.sum(douts * np.asarray(out, dtype=dtype))

    def evaluate(self) -> float:
        out = self.forward()
        if self.loss:
            return float(np.mean(out))  # a per-sample loss (Neural Networks from Scratch) is averaged, as calculate()
        return float(self._scalar(out))

    def _dout(self, out):
        """The dout of this point, drawn at the first evaluation (independently of x) in the output's shape; for a
        forward returning several outputs, a tuple of them, each drawn independently."""
        if self.dout is None:
            rng = np.random.default_rng((self.seed, DOUT_STREAM))
            self.dout = (tuple(rng.standard_normal(np.shape(o)) for o in out) if isinstance(out, tuple)
                         else rng.standard_normal(np.shape(out)))
        return self.dout

    def term_scale(self) -> float:
        if self.loss:
            return abs(self.evaluate())
        douts = self._dout(self.forward())
        return max(float(np.abs(d).max(initial=0.0)) for d in (douts if isinstance(douts, tuple) else [douts]))

    def evaluate_with(self, name: str, values: np.ndarray) -> complex | None:
        k = next(k for k, op in enumerate(self.operands) if op.name == name)
        if k >= len(self.varied):
            return None
        out = self.forward((self.varied[k], values))
        return complex(np.mean(np.asarray(out))) if self.loss else complex(self._scalar(out, complex))

    def scale(self) -> float:
        out = self.forward()
        if self.loss:
            return float(np.abs(np.mean(np.asarray(out, dtype=float))))
        douts = self._dout(out)
        pairs = zip(douts, out) if isinstance(out, tuple) else [(douts, out)]
        return float(sum(np.sum(np.abs(d * np.asarray(o, dtype=float))) for d, o in pairs))

    def settle(self) -> list[Finding]:
        if self.params is None:
            self.params = self._explicit() if self.explicit is not None else self._discovered()
            self.operands = self.operands + self.params
        return []

    def _discovered(self) -> list[Operand]:
        """The float arrays reachable from the layer after its first forwards (weights a Keras-like layer builds
        on its first call included) that its output depends on, each once: not a view of another (col_W =
        W.reshape(...).T), not an array forward replaces (a cache from an earlier forward)."""
        ops, names, kept = [], {op.name for op in self.operands}, []
        candidates = float_arrays(self.layer)
        known = {s.label for s, _, _ in self.found.items}  # those made since are put back too, after the others
        self.found.items += Saved.of([s for s in candidates if s.label not in known]).items
        rebound = [s for s in candidates if _replaced_by(self, s)]
        for slot in candidates:
            values = slot.get()
            if (any(slot is s for s in rebound) or any(values is v for v in self.inputs)
                    or any(np.shares_memory(values, k) for k in kept)):
                continue
            kept.append(values)
            name = _row(slot)
            name = name if name not in names else f"d{slot.label}"
            names.add(name)
            op = Operand(name, slot.label, values, "parameter", slot)
            if self.depends_on(values):
                ops.append(op)
            else:  # a buffer, a gradient, a running mean, or a bias whose shift a normalisation removes
                self.unused.append(op)
        return ops

    def conditions(self, name: str) -> list[tuple[np.ndarray, str]]:
        """Where a loss layer's dx may be wrong: at each sample's label, or away from it."""
        return label_conditions(self.t, self.inputs[0]) if self.loss and name == self.operands[0].name else []

    def _explicit(self) -> list[Operand]:
        names = dict(self.explicit) if isinstance(self.explicit, dict) else {p: None for p in self.explicit}
        arrays = {s.label: s for s in float_arrays(self.layer)}
        ops = []
        for p, g in names.items():
            if p not in arrays:
                raise InvalidValue(f"params: the layer has no float array {p!r}; it has "
                                   f"{', '.join(arrays) or 'none'}")
            ops.append(Operand(f"d{p}", p, arrays[p].get(), "parameter", arrays[p], g))
        return ops

    def _reset(self) -> None:
        """Call the resets before a forward, as a training loop does (gradients that accumulate by design start
        from zero). A method named like a reset is one only where it proves to be: after it, every array it
        changed is zero or gone (gradients, retained caches) and no parameter changed; one that fails this is put
        back, never called again, and named."""
        for label, reset in list(self.resets):
            saved = Saved.of(float_arrays(self.layer))
            reset()
            params, changed = [op.values for op in self.params or []], saved.changed()
            wrong = [s.label for s, a, _ in saved.items if any(s is c for c in changed) and (
                any(a is p for p in params) or (isinstance(v := s.get(), np.ndarray) and v.any()))]
            if wrong:
                saved.restore()
                self.resets.remove((label, reset))
                self.refused.append(f"{label} was not called: named like a reset of the gradients, it changed "
                                    f"{', '.join(wrong)} (a parameter, or not to zero)")

    def claim(self) -> Claim:
        self._reset()  # gradients accumulate by design: reset as the training loop does
        before = Saved.of([op.slot for op in self.params])
        start = {id(s.get()) for s in float_arrays(self.layer)}
        out = self.forward()
        claim, self.sources, self.read_from = Claim({}), [], {}
        if changed := [self._name(k) for k, (a, v) in enumerate(zip(self.args, self.inputs))
                       if not np.array_equal(a, v, equal_nan=True)]:
            claim.findings.append(Finding("input-modified", f"forward changed its input {', '.join(changed)} in place "
                                          "(x[x < 0] = 0, x *= ...?): the caller's data is corrupted and the layer "
                                          "before it would see another x; work on a copy"))
        cached = Saved.of([s for s in float_arrays(self.layer) if id(s.get()) not in start])  # what forward set
        given = None if self.loss else self._copies(self._dout(out))
        arguments = {"dout": given, "x": self.args[0] if self.args else None, "lr": self.lr, "t": self.t,
                     "one": 1.0, "pred": self._predictions()}
        passed = {role: np.array(v, copy=True) for role, v in arguments.items() if isinstance(v, np.ndarray)}
        result = getattr(self.layer, self.calling.backward_attr)(*self._backward_args(arguments))
        if given is not None and not all(np.array_equal(g, d) for g, d in zip(*self._each(given, self.dout))):
            claim.findings.append(Finding("dout-modified", "backward changed the dout it was given, in place "
                                          "(dout[mask] = 0?): the layer before it would receive a wrong gradient; "
                                          "work on a copy or use np.where"))
        for role, words in (("x", "its input x"), ("pred", "the predictions it was given (dvalues)")):
            if role in self.calling.backward and not np.array_equal(arguments[role], passed[role], equal_nan=True):
                claim.findings.append(Finding("input-modified", f"backward changed {words} in place (dx = dvalues "
                                              "without .copy(), then dx[...] -= 1?): the caller's array is corrupted; "
                                              "work on a copy"))
        if changed := [s.label for s in cached.changed() if s.get() is cached.current(s) and not any(
                s.get() is a for a in passed.values())]:
            claim.findings.append(Finding("cache-changed", f"backward changed {', '.join(changed)} in place, an array "
                                          "forward keeps (dx = self.y without .copy(), then dx[...] -= 1?): the next "
                                          "backward reads a corrupted value; work on a copy"))
        self._input_grads(result, claim)
        read = self._param_grads(before, claim)
        claim.how = self._how(result)
        if self.resets:
            claim.findings.append(Finding("reset", f"{', '.join(r for r, _ in self.resets)} called before each "
                                          "backward, as a training loop does: gradients that accumulate (+=) start "
                                          "from zero at every backward" + self._unreached(read)))
        if self.refused:
            claim.findings.append(Finding("reset", "; ".join(self.refused)))
        return claim

    def _unreached(self, read: list[Slot]) -> str:
        """The gradients the resets leave as they are (called once more after the backward: a gradient still not
        zero or None was not reset), in words: where they accumulate, nothing resets them."""
        for _, reset in self.resets:
            reset()
        kept = [s.label for s in read if isinstance(v := s.get(), np.ndarray) and v.dtype.kind in "fc" and v.any()]
        if not kept:
            return ""
        owners = list(dict.fromkeys(label.split(".")[0] for label in kept if "." in label))
        where = f" (it does not reach {', '.join(owners)})" if owners else ""
        return (f"; but the reset leaves {', '.join(kept)} as they are{where}: where they accumulate (+=), nothing "
                "resets them")

    @staticmethod
    def _copies(dout):
        return tuple(np.array(d, copy=True) for d in dout) if isinstance(dout, tuple) else np.array(dout, copy=True)

    @staticmethod
    def _each(given, dout) -> tuple[list, list]:
        return (list(given), list(dout)) if isinstance(given, tuple) else ([given], [dout])

    def _backward_args(self, arguments: dict) -> list:
        """backward's positional arguments by role; the k-th "dout" gets output k's dout where forward returned
        several outputs."""
        douts = iter(arguments["dout"]) if isinstance(arguments["dout"], tuple) else None
        return [next(douts) if role == "dout" and douts is not None else arguments[role]
                for role in self.calling.backward]

    def _predictions(self):
        """What a loss's backward(dvalues, y_true) gets: the output forward stored (a softmax's), else its input."""
        stored = getattr(self.layer, "output", None)
        if isinstance(stored, np.ndarray) and self.args and stored.shape == self.args[0].shape:
            return stored
        return self.args[0] if self.args else None

    def _input_grads(self, result, claim: Claim) -> None:
        n, varied = len(self.inputs), self.operands[:len(self.varied)]
        if not varied:  # only ids or masks: nothing of the inputs to differentiate, whatever backward returned
            return
        if result is None:
            slot = input_gradient(self._candidates(), self.layer, self.calling.forward_names[:n])
            if slot is not None and len(varied) == 1:
                claim.grads[varied[0].name] = np.array(slot.get(), copy=True)
                self.sources.append(slot.label)
                self.read_from[varied[0].name] = slot.label
            else:
                for op in varied:
                    claim.missing[op.name] = ("backward returned nothing and set no gradient of the input (dx, "
                                              "dinputs, grad_input)")
            return
        values = list(result) if isinstance(result, (tuple, list)) else [result]
        if len(values) == n:
            values = [values[k] for k in self.varied]  # the gradients of the ids or masks are not read
        if len(values) != len(varied):
            raise InvalidValue(f"{type(self.layer).__name__}.{self.calling.backward_attr} returned {len(values)} "
                               f"values; expected {n}, the gradient of {'each input' if n > 1 else 'its input x'}"
                               + (" (parameters' gradients are left as attributes, e.g. self.dW)" if n == 1 else ""))
        for op, value in zip(varied, values):
            claim.grads[op.name] = None if value is None else np.array(value, copy=True)
            self.read_from[op.name] = f"what {self.calling.backward_attr} returned"

    def _param_grads(self, before: Saved, claim: Claim) -> list[Slot]:
        """The parameters' gradients into ``claim``; returns the slots they were read from."""
        candidates = self._candidates()
        stepped = {s.label: before.current(s) for s in before.changed()}
        read: list[Slot] = []
        for op in self.params:
            slot = Slot(op.slot.home, op.gradient) if op.gradient else gradient_slot(op.slot, candidates, self.layer)
            if slot is not None and slot.get() is not None:
                claim.grads[op.name] = np.array(slot.get(), copy=True)
                self.sources.append(slot.label)
                self.read_from[op.name] = slot.label
                read.append(slot)
            elif op.label in stepped and stepped[op.label] is not None:
                claim.grads[op.name] = (before.original(op.slot).astype(float) - stepped[op.label]) / self.lr
                claim.stepped[op.name] = stepped[op.label].copy()
                self.sources.append(f"the step on {op.label}")
            else:
                where = op.slot.grad.label if op.slot.grad is not None else (
                    f"{op.slot.prefix}d{op.slot.name}, grad_{op.slot.name}, {op.slot.name}_grad, "
                    f"grads[{op.slot.name!r}], parameters() pairs, get_gradients()")
                claim.missing[op.name] = (f"no gradient found after backward (looked for {where}); name it with "
                                          f"params={{{op.label!r}: 'its gradient attribute'}}")
        self._promote(claim, candidates, read)
        if stepped:
            known = self.calling.lr_attr or "lr" in self.calling.backward
            labels = ", ".join(stepped)
            if known:
                claim.findings.append(Finding("sgd-step", f"backward updated {labels} itself (an SGD step, lr "
                                              f"{self.lr:g}): the gradients were read from the step, dW = -(W_after "
                                              "- W_before) / lr, and the parameters put back"))
            else:
                claim.findings.append(Finding("params-changed", f"forward or backward changed {labels} (an update "
                                              "inside the layer?): the checker restored them; update parameters "
                                              "outside backward"))
                claim.stepped.clear()
        before.restore()
        return read

    def _promote(self, claim: Claim, candidates: list[Slot], read: list[Slot]) -> None:
        """An array the output does not depend on (``self.unused``) for which the code gives a gradient of its own
        (a bias before batch normalisation: its true gradient is zero) becomes a row; the others (gradient buffers,
        running statistics) are not parameters of the output, and stay out."""
        taken = {s.label for s in read}
        free = [c for c in candidates if c.label not in taken]
        for op in list(self.unused):
            if op.slot.label in taken or any(op.values is s.get() for s in read):
                continue  # it is another array's gradient
            slot = gradient_slot(op.slot, [c for c in free if c.get() is not op.values], self.layer)
            grad = None if slot is None else slot.get()
            if isinstance(grad, np.ndarray) and grad.shape == op.values.shape:
                self.unused.remove(op)
                self.params.append(op)
                self.operands.append(op)
                claim.grads[op.name] = np.array(grad, copy=True)
                self.sources.append(slot.label)
                self.read_from[op.name] = slot.label

    def _candidates(self) -> list[Slot]:
        """The layer's float arrays that are neither parameters nor inputs: where gradients may be."""
        taken = [op.values for op in self.params or []] + self.args
        return [s for s in float_arrays(self.layer) if not any(s.get() is a for a in taken)]

    def _how(self, result) -> str:
        c = self.calling
        fwd = c.forward_text() + (" returned the loss" if self.loss else "")
        inputs = ", ".join(op.name for op in self.operands[:len(self.varied)])
        back = c.backward_text() + (" (dout = 1)" if self.loss and not c.backward else "")
        if isinstance(self.dout, tuple):
            douts = [n for n, r in zip(c.backward_names, c.backward) if r == "dout"]
            fwd += (f" returned {len(self.dout)} outputs, each given its own random dout (the scalar checked is "
                    "the sum of dout_k * out_k)")
            back += (f" took them in order ({', '.join(f'{n} for output {k}' for k, n in enumerate(douts))})")
        back += " returned nothing" if result is None or not inputs else f" returned {inputs}"
        fixed = [f"{self._name(k)} ({self.inputs[k].dtype})" for k in range(len(self.inputs)) if k not in self.varied]
        return (f"{fwd}; {back}" + (f"; gradients read from {', '.join(self.sources)}" if self.sources else "")
                + (f"; {', '.join(fixed)} held fixed (integer or boolean: passed as given, not differentiated)"
                   if fixed else ""))

    # -- what the diagnoses need ----------------------------------------------------------------------------------

    def batch(self) -> int | None:
        x = self.inputs[0]
        return int(x.shape[0]) if x.ndim >= 2 else None

    def _derived(self, inputs, t, dout) -> LayerSubject:
        """The same layer and parameters at other inputs (and dout)."""
        return LayerSubject(self.layer, inputs, t, self.several, self.explicit, self.lr, self.seed, self.resample,
                            dout, list(self.params))

    def first_sample(self) -> LayerSubject | None:
        batch = self.batch()
        if not batch or any(v.ndim < 1 or v.shape[0] != batch for v in self.inputs):
            return None
        t = self.t[:1] if self.t is not None and self.t.ndim and self.t.shape[0] == batch else self.t
        dout = (None if self.dout is None else tuple(d[:1] for d in self.dout) if isinstance(self.dout, tuple)
                else None if np.ndim(self.dout) == 0 else self.dout[:1])
        return self._derived([v[:1].copy() for v in self.inputs], t, dout)

    def another_point(self, seed: int) -> LayerSubject | None:
        if self.loss and self.resample is None:
            return None  # a loss has no dout to draw again: the same point
        if self.resample is None:
            inputs = [v.copy() for v in self.inputs]
        else:
            drawn = self.resample(np.random.default_rng((seed, 0)))
            inputs = [_input("x", v) for v in (drawn if self.several else [drawn])]
        other = self._derived(inputs, self.t, None)
        other.seed = seed
        return other

    def with_dout(self, dout: np.ndarray) -> LayerSubject | None:
        return None if self.loss else self._derived(self.inputs, self.t, dout)

    def context(self) -> Context:
        """What the diagnoses read; a forward of several outputs gives neither out nor dout (their patterns are of
        one output)."""
        out = self.forward()
        several = isinstance(out, tuple)
        return Context([self.inputs[k].copy() for k in self.varied], {op.name: op.values.copy() for op in self.params},
                       None if several else out, None if self.loss or several else self.dout, self.t,
                       tuple(op.name for op in self.operands[:len(self.varied)]))

    def with_values(self, values: dict[str, np.ndarray], name: str) -> np.ndarray | None:
        from ..methods.finite_differences import finite_difference

        ops = {op.name: op for op in self.operands}
        if name not in ops or ops[name].role != "input":
            return None
        saved = {k: ops[k].values.copy() for k in values}
        try:
            for k, v in values.items():
                ops[k].values[...] = v
            return finite_difference(lambda _: self.evaluate(), ops[name].values, "central")[0]
        finally:
            for k, v in saved.items():
                ops[k].values[...] = v

    def restore(self) -> None:
        try:  # the layer's caches should match the unperturbed inputs; an error here was reported already
            self.forward()
        except Exception:  # noqa: BLE001, S110
            pass
        self.found.restore()
