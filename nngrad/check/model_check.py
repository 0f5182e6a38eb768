"""A model object that runs its own training step, as a Subject: Neural Networks from Scratch's chapter-end
``Model`` and any model built like it. Three things make one: a ``forward`` (``forward(X, training)``: a training
switch gets True), a loss held as an object (``model.loss``, ``criterion``, ``loss_fn``, ``cost``: its
``calculate(output, y)`` where it has one, with every flag that includes the regularisation set, the numbers of a
tuple it returns added; else the mean of its ``forward(output, y)``; else its call), and a ``backward`` (``backward
(output, y)``) that leaves the gradients on the layers. The parameters are the float arrays reachable from the model
(through its list of layers, sub-objects and dicts: nngrad.check.slots) that the loss depends on and that forward
does not replace (caches), each named as the code reaches it (``layers[0].weights``); each gradient is found beside
its array by the names learners give gradients (``dweights``: nngrad.check.naming)."""

from __future__ import annotations

import inspect
from numbers import Number

import numpy as np

from ..errors import InvalidValue
from . import calling
from .findings import Finding
from .naming import gradient_slot
from .slots import Saved, Slot, walkable, float_arrays
from .subject import Claim, Operand, Subject, restore_changed

LOSS_HOLDERS = ("loss", "loss_function", "loss_fn", "criterion", "cost", "loss_layer")
REGULARIZATION = ("regulari",)  # a calculate flag whose name says it adds the regularisation: set True


def takes(net) -> bool:
    """Does ``net`` run its own training step: forward, backward, and a loss object?"""
    return (all(callable(getattr(net, m, None)) for m in ("forward", "backward")) and _loss_holder(net) is not None
            and getattr(net, "params", None) is None and getattr(net, "grads", None) is None)


def _loss_holder(net) -> tuple[str, object] | None:
    for name in LOSS_HOLDERS:
        value = getattr(net, name, None)
        if value is not None and not inspect.ismethod(value) and (
                callable(getattr(value, "calculate", None)) or callable(getattr(value, "forward", None))
                or callable(value)):
            return name, value
    return None


def _flags(method) -> dict[str, bool]:
    try:
        parameters = inspect.signature(method).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: True for p in parameters if p.default is not p.empty and any(w in p.name for w in REGULARIZATION)}


def _number(value) -> float:
    """The loss from what the code returned: a number, or the sum of a tuple's (data loss, regularisation loss)."""
    parts = value if isinstance(value, (tuple, list)) else (value,)
    if not parts or not all(isinstance(p, Number) or (isinstance(p, np.ndarray) and p.size == 1) for p in parts):
        raise InvalidValue(f"the model's loss returned {type(value).__name__}; nngrad reads a number, or a tuple of "
                           "numbers (data loss, regularisation loss) that it adds")
    return float(sum(float(np.asarray(p).reshape(())) for p in parts))


class ModelSubject(Subject):
    def __init__(self, net, x: np.ndarray, t: np.ndarray, settled: list[Operand] | None = None) -> None:
        self.net, self.x, self.t = net, x, t
        self.title = f"network {type(net).__name__}"
        self.owners = (net,)
        self.found = Saved.of(float_arrays(net))
        forward = getattr(net, "forward")
        names = calling.required(forward)
        optional = [n for n in calling.defaulted(forward) if n in calling.TRAIN_SWITCHES]
        self.switch = next((n for n in names + optional if n in calling.TRAIN_SWITCHES), None)
        self.positional = self.switch in names
        self.holder, self.loss = _loss_holder(net)
        self.back_names = calling.required(net.backward)
        self.operands = list(settled) if settled is not None else []
        self.settled = settled is not None
        self.args: list[np.ndarray] = []

    # -- calling the user's code ----------------------------------------------------------------------------------

    def _forward(self):
        self.before()
        x = self.x.copy()
        self.args = [x]
        kwargs = {self.switch: True} if self.switch and not self.positional else {}
        out = self.net.forward(x, *([True] if self.positional else []), **kwargs)
        if out is None:
            out = next((v for n in calling.OUTPUTS if isinstance(v := getattr(self.net, n, None), np.ndarray)), None)
        if not isinstance(out, np.ndarray):
            raise InvalidValue(f"{type(self.net).__name__}.forward returned {type(out).__name__}; nngrad reads the "
                               "model's output from it (an array), or from self.output")
        return out

    def _loss(self, out) -> float:
        loss, t = self.loss, self.t.copy()
        if callable(getattr(loss, "calculate", None)):
            return _number(loss.calculate(out, t, **_flags(loss.calculate)))
        if callable(getattr(loss, "forward", None)):
            return _number(float(np.mean(loss.forward(out, t))))
        return _number(loss(out, t))

    def _how_loss(self) -> str:
        loss = self.loss
        if callable(getattr(loss, "calculate", None)):
            flags = "".join(f", {k}=True" for k in _flags(loss.calculate))
            return f"{self.holder}.calculate(output, y{flags})"
        return f"mean({self.holder}.forward(output, y))" if callable(getattr(loss, "forward", None)) else \
            f"{self.holder}(output, y)"

    def evaluate(self) -> float:
        return self._loss(self._forward())

    def settle(self) -> list[Finding]:
        """The float arrays the loss depends on that forward does not replace, each once."""
        if self.settled:
            return []
        self.settled = True
        self._forward()
        candidates, paths = float_arrays(self.net), _paths(self.net)
        known = {id(a) for _, a, _ in self.found.items}
        self.found.items += Saved.of([s for s in candidates if id(s.get()) not in known]).items
        before = {s.label: s.get() for s in candidates}
        self._forward()
        for slot in candidates:
            values = slot.get()
            if values is not before[slot.label] or any(np.shares_memory(values, a) for a in self.args):
                continue  # a cache, an activation, the input
            if self.depends_on(values):
                name = _shortest(slot, paths)
                self.operands.append(Operand(name, name, values, "parameter", slot))
        if not self.operands:
            raise InvalidValue(f"{type(self.net).__name__}'s loss depends on none of the float arrays nngrad finds "
                               "in it (its layers' weights)")
        return []

    def _backward_args(self, out) -> list:
        return [self.t.copy() if n in calling.TARGETS else out for n in self.back_names]

    def claim(self) -> Claim:
        saved = Saved.of([op.slot for op in self.operands])
        out = self._forward()
        self._loss(out)  # the training step computes the loss before its backward
        self.net.backward(*self._backward_args(out))
        params = [op.values for op in self.operands]
        candidates = [s for s in float_arrays(self.net) if not any(s.get() is a for a in params + self.args)]
        claim = Claim({}, how=self._how())
        sources = []
        for op in self.operands:
            slot = gradient_slot(op.slot, candidates, self.net)
            if slot is None or slot.get() is None:
                claim.missing[op.name] = (f"no gradient found beside it after backward (looked for "
                                          f"{op.slot.prefix}d{op.slot.name}, grad_{op.slot.name}, "
                                          f"{op.slot.name}_grad, ...)")
            else:
                claim.grads[op.name] = np.array(slot.get(), copy=True)
                sources.append(slot.label)
        claim.how += f"; gradients read from {', '.join(sources)}" if sources else ""
        claim.findings += restore_changed(saved, "computing the gradient", "an update inside backward?",
                                          "update outside")
        return claim

    def _how(self) -> str:
        c = calling.Calling(("X",), self.switch, self.positional, (), tuple(self.back_names), None)
        back = ", ".join("y" if n in calling.TARGETS else "output" for n in self.back_names)
        return (f"output = {c.forward_text()}; loss = {self._how_loss()}; backward({back}) left the gradients on "
                "the layers")

    # -- what the diagnoses need ----------------------------------------------------------------------------------

    def batch(self) -> int | None:
        return int(self.x.shape[0]) if self.x.ndim >= 2 else None

    def first_sample(self) -> ModelSubject | None:
        batch = self.batch()
        if not batch or self.t.ndim < 1 or self.t.shape[0] != batch:
            return None
        return ModelSubject(self.net, self.x[:1].copy(), self.t[:1].copy(), self.operands)

    def diagnose(self, failing: list[str]) -> list[Finding]:
        """The layers whose own check fails, at the inputs they saw (not those failing only for arrays their output
        does not use: another layer's, reached through a link such as ``layer.next``, the loss; nor those whose
        only fault is a weight decay, which the model's loss, not the layer's output, adds); none where the layers
        are linked to one another (a finalised model's prev and next)."""
        from .network_check import _layer_report, _layers, _seen

        found = []
        layers = [(n, v) for n, v in _layers(self.net)]
        ids = {id(v) for _, v in layers}
        if any(id(a) in ids for _, v in layers for a in vars(v).values() if a is not v):
            return []  # layers linked to one another (prev, next): a layer's own check would reach its siblings'
        for name, layer, args in _seen(layers, self.evaluate):
            report = _layer_report(layer, args)
            if report is None or report.status != "FAIL":
                continue
            causes = [f for f in report.findings if f.fails and f.kind not in ("ignored", "regularization")]
            own = [r for r in report.rows if not r.passed and "." not in r.name]
            if causes or (own and not any(f.kind == "regularization" for f in report.findings)):
                what = str(causes[0]) if causes else ", ".join(f"{r.name} {r.verdict}" for r in own)
                found.append(Finding("layer", f"its layer {name} ({type(layer).__name__}) fails its own check "
                                     f"(nngrad.check_layer at the inputs it saw): {what}"))
        return found

    def restore(self) -> None:
        try:  # the layers' caches should match the unperturbed point; an error here was reported already
            self._forward()
        except Exception:  # noqa: BLE001, S110
            pass
        self.found.restore()



def _paths(net) -> dict[int, str]:
    """The shortest path from ``net`` to each user object it holds (breadth first: layers[2], not the
    layers[0].next.next a finalised model's links also reach)."""
    paths, queue = {id(net): ""}, [("", net)]
    while queue:
        path, obj = queue.pop(0)
        for name, value in (vars(obj).items() if hasattr(obj, "__dict__") else []):
            items = (value.items() if isinstance(value, dict) else enumerate(value)
                     if isinstance(value, (list, tuple)) else [(None, value)])
            for key, item in items:
                where = f"{path}{'.' if path else ''}{name}" + ("" if key is None else f"[{key!r}]")
                if walkable(item) and id(item) not in paths:
                    paths[id(item)] = where
                    queue.append((where, item))
    return paths


def _shortest(slot: Slot, paths: dict[int, str]) -> str:
    """``slot``'s label through the shortest path to the object holding it."""
    home = paths.get(id(slot.home))
    if home is None or slot.grad is not None:
        return slot.label
    tail = slot.label[len(slot.prefix):]
    return f"{home}.{tail}" if home else tail
