"""check_network: a whole hand-written network, checked per parameter array.

Styles taken: Deep Learning from Scratch's ``TwoLayerNet`` (a ``params`` dict, ``loss(x, t)`` returning a number,
``gradient(x, t)`` returning a dict of gradients keyed like params), CS231n's models (``loss(X, y)`` returning
``(loss, grads)``), and Deep Learning from Scratch 2's (``forward(x, t)`` returning the loss, ``backward()``,
gradients in ``grads``, a list beside the list ``params``). When an array disagrees, the layer objects the network
is built of (``self.layers``, ``self.last_layer``) are checked one by one at the inputs they saw, so the report
names the layer whose backward is wrong; and an array a layer cached that changed between its forward and its
backward is named.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from .. import _validate as validate
from ..errors import InvalidType, InvalidValue
from . import calling, model_check, nielsen
from .arrays import MODES
from .dls import SpecialisationSubject
from .findings import Finding
from .judge import judge
from .net_gradients import GradientCall, gradient_method, layer_numbers, parameter_groups
from .report import GradientReport
from .slots import Saved, Slot
from .subject import Claim, Operand, Subject, restore_changed


def check_network(net, x, t, mode: str = "auto", eps: float | None = None, rtol: float | None = None,
                  atol: float | None = None, seed: int = 0, progress: bool = False, *, forward: Callable | None = None,
                  cost: Callable | None = None, backward: Callable | None = None) -> GradientReport:
    """Check a network's gradients of its loss at (x, t), one row per parameter array, named as the code names it.

    net: an object with ``params`` (a dict or list of float arrays) and ``gradient(x, t)`` (a dict), or
    ``loss(x, t)`` returning (loss, grads), or ``forward(x, t)`` + ``backward()`` + ``grads``; or Nielsen's
    ``Network`` (``weights``, ``biases``, ``feedforward``, ``backprop(x, y)``; x (n_in, m), y (n_out, m), samples as
    columns); or a model that runs its own training step (Neural Networks from Scratch's ``Model``: layers in a list,
    ``forward(X, training)``, a loss object with ``calculate(output, y)``, ``backward(output, y)`` leaving
    ``dweights`` beside each layer's ``weights``); or, with ``forward``, ``cost`` and ``backward``, the deep-learning specialisation's parameters dict
    (W1, b1, ...) with ``forward(X, parameters) -> (AL, caches)``, ``cost(AL, Y)``, ``backward(AL, Y, caches) ->
    grads`` (X (n_x, m)). Integer and boolean x and t are passed as given, never perturbed. Also reports
    parameters changed by computing the gradient, a gradient that is not repeatable, wrong shapes, one factor
    off, wrong only for batch > 1, a layer whose own backward is wrong, a cached array changed in place.
    """
    validate.choice("mode", mode, MODES)
    eps = None if eps is None else validate.positive_float("eps", eps)
    x = np.array(validate.numeric_array("x", x), copy=True)
    t = np.array(validate.numeric_array("t", t), copy=True)
    return judge(_subject(net, x, t, forward, cost, backward), mode, eps, rtol, atol, seed, progress=progress)


def _subject(net, x: np.ndarray, t: np.ndarray, forward, cost, backward) -> Subject:
    """The style of ``net``: the specialisation's functions, Nielsen's Network, or a network with params."""
    functions = {"forward": forward, "cost": cost, "backward": backward}
    if any(f is not None for f in functions.values()):
        if missing := [k for k, f in functions.items() if f is None]:
            raise InvalidValue(f"check_network with the specialisation's functions needs forward, cost and backward; "
                               f"{', '.join(missing)} missing (forward=L_model_forward, cost=compute_cost, "
                               "backward=L_model_backward)")
        if not_callable := [k for k, f in functions.items() if not callable(f)]:
            raise InvalidType(f"{not_callable[0]} must be a function, got a {type(functions[not_callable[0]]).__name__}")
        return SpecialisationSubject(net, x, t, forward, cost, backward)
    if not hasattr(net, "__dict__") and not hasattr(type(net), "__slots__"):
        raise InvalidType(f"net must be a network object (params with gradient(x, t) or loss(x, t), Nielsen's "
                          f"Network, a model with forward and backward), or a parameters dict with forward=, cost=, "
                          f"backward=; got a {type(net).__name__}")
    if getattr(net, "params", None) is None and nielsen.takes(net):
        return nielsen.NielsenSubject(net, x, t)
    if model_check.takes(net) and not parameter_groups(net):
        return model_check.ModelSubject(net, x, t)
    return NetworkSubject(net, x, t)


class NetworkSubject(Subject):
    def __init__(self, net, x: np.ndarray, t: np.ndarray, convention: str | None = None) -> None:
        params = getattr(net, "params", None)
        if isinstance(params, dict):
            slots = [Slot(params, k, "params") for k in params]
        elif isinstance(params, (list, tuple)):
            slots = [Slot(params, k, "params") for k in range(len(params))]
        else:
            slots = [s for group in parameter_groups(net).values() for s in group]
            if not slots:
                raise InvalidType(f"{type(net).__name__} keeps no float arrays nngrad can find: check_network takes a "
                                  "network whose params hold its weights (net.params['W1'], or a list), or whose "
                                  "attributes do (self.W1, or lists such as self.coefs_ = [W1, W2])")
        slots = [s for s in slots if isinstance(s.get(), np.ndarray) and s.get().dtype.kind == "f"]
        if not slots:
            raise InvalidValue(f"{type(net).__name__}.params holds no float arrays")
        self.groups = {} if isinstance(params, (dict, list, tuple)) else parameter_groups(net)
        self.numbers = layer_numbers(self.groups)
        self.net, self.x, self.t = net, x, t
        self.title = f"network {type(net).__name__}"
        self.slots, self.saved = slots, Saved.of(slots)
        self.operands = [Operand(str(s.key) if s.attr and isinstance(s.key, str) and not s.path else s.label, s.label, s.get(),
                                 "parameter", s) for s in slots]
        self.layers = _layers(net)
        self.owners = [net, *(layer for _, layer in self.layers)]
        method = gradient_method(net) if self.groups else None
        self.call = GradientCall(net, method, self.groups) if method is not None else None
        self.convention = convention or _convention(net, self._loss_call, x, t, self.call is not None)
        self.cache_changes: list[str] = []

    # -- calling the user's code ----------------------------------------------------------------------------------

    def _loss_call(self, x, t):
        return calling.in_training(self.net.loss, x, t)

    def _training(self) -> str:
        """Where the scalar is the training-mode loss: the words saying so, for the "called:" line."""
        method = self.net.forward if self.convention == "forward-backward" else getattr(self.net, "loss", None)
        switch = calling.training_switch(method) if callable(method) and self.convention != "method" else None
        return (f"; the loss checked is {method.__name__}(x, t, {switch}=True), the training mode the gradient is of "
                "(batch statistics, dropout masks rewound before each call)") if switch else ""

    def evaluate(self) -> float:
        self.before()
        x, t = self.x.copy(), self.t.copy()
        if self.convention == "method":
            return self.call.loss(x, t)
        if self.convention == "forward-backward":
            return float(calling.in_training(self.net.forward, x, t))
        value = self._loss_call(x, t)
        return float(value[0] if self.convention == "loss-grads" else value)

    def claim(self) -> Claim:
        self.before()
        x, t = self.x.copy(), self.t.copy()
        with _watching(self.layers, self.operands) as changes:
            if self.convention == "method":
                self.call.mismatches.clear()
                grads = self.call.gradients(x, t)
                how = (f"{self.call.signature} returned the loss and the gradients of "
                       f"{', '.join(self.groups)}" + (f" (buffers: {', '.join(self.call.extra)})" if self.call.extra
                                                      else ""))
            elif self.convention == "gradient":
                grads, how = calling.in_training(self.net.gradient, x, t), "gradient(x, t) returned a dict of gradients"
            elif self.convention == "loss-grads":
                grads, how = self._loss_call(x, t)[1], "loss(x, t) returned (loss, grads)"
            else:
                calling.in_training(self.net.forward, x, t)
                self.net.backward()
                grads, how = self.net.grads, "forward(x, t) returned the loss; backward() left the gradients in grads"
        self.cache_changes = changes
        claim = Claim({}, how=how + self._training())
        self._read(grads, claim)
        claim.findings += [Finding("shape", m) for m in (self.call.mismatches if self.call else []) if m]
        claim.findings += restore_changed(self.saved, "computing the gradient",
                                          "an update inside gradient() or backward()?", "update outside")
        return claim

    def _read(self, grads, claim: Claim) -> None:
        if self.convention == "method":
            for op in self.operands:
                if op.label in grads:
                    claim.grads[op.name] = np.array(grads[op.label], copy=True)
                else:
                    claim.missing[op.name] = f"{self.call.signature} neither returned nor filled a gradient for it"
            return
        if isinstance(grads, dict):
            for op in self.operands:
                key = op.slot.key
                value = grads.get(key, grads.get(f"d{key}") if isinstance(key, str) else None)
                if value is None:
                    claim.missing[op.name] = (f"the gradients have no entry {key!r} (they have "
                                              f"{', '.join(map(repr, grads)) or 'none'})")
                else:
                    claim.grads[op.name] = np.array(value, copy=True)
        elif isinstance(grads, (list, tuple)) and len(grads) == len(self.operands):
            claim.grads.update({op.name: np.array(g, copy=True) for op, g in zip(self.operands, grads)})
        else:
            raise InvalidValue(f"{type(self.net).__name__}'s gradients are a {type(grads).__name__}"
                               f"{f' of {len(grads)}' if isinstance(grads, (list, tuple)) else ''}; expected a dict "
                               f"keyed like params, or a list as long as params ({len(self.operands)})")

    # -- what the diagnoses need ----------------------------------------------------------------------------------

    def batch(self) -> int | None:
        return int(self.x.shape[0]) if self.x.ndim >= 2 else None

    def first_sample(self) -> NetworkSubject | None:
        batch = self.batch()
        if not batch or self.t.ndim < 1 or self.t.shape[0] != batch:
            return None
        return NetworkSubject(self.net, self.x[:1].copy(), self.t[:1].copy(), self.convention)

    def diagnose(self, failing: list[str]) -> list[Finding]:
        """Where the network's arrays fail: cached arrays changed in place, and the layers whose own check fails."""
        found = [Finding("cache-changed", c) for c in self.cache_changes]
        for name, layer, args in _seen(self.layers, self.evaluate):
            report = _layer_report(layer, args)
            if report is not None and report.status == "FAIL":
                what = next((str(f) for f in report.findings if f.fails), None) or ", ".join(
                    f"{r.name} {r.verdict}" for r in report.rows if not r.passed)
                found.append(Finding("layer", f"its layer {name} ({type(layer).__name__}) fails its own check "
                                     f"(nngrad.check_layer at the inputs it saw): {what}"))
        numbered = {op.name: self.numbers[op.label] for op in self.operands if op.label in self.numbers} or {
            op.name: int(m.group(1)) for op in self.operands if (m := re.search(r"(\d+)$", op.name))}
        if not any(f.kind in ("layer", "cache-changed") for f in found) and len(numbered) == len(self.operands) and (
                where := boundary(numbered, failing)):
            found.append(Finding("located", where))
        return found

    def restore(self) -> None:
        self.saved.restore()


def boundary(layers: dict[str, int], failing: list[str]) -> str:
    """Where the error enters the backward, read off each array's layer number (W1, b1 -> 1; Nielsen's weights[0]
    -> 1): when arrays of layers 1..k fail, each of those layers has a failing array, and every array above k
    agrees, between layer k and layer k + 1. Only the arrays that failed are called wrong."""
    if len(set(layers.values())) < 2:
        return ""
    bad = {layers[n] for n in failing if n in layers}
    k = max(bad) if bad else 0
    if not bad or bad != set(range(min(layers.values()), k + 1)) or k == max(layers.values()):
        return ""
    wrong = [n for n in layers if n in failing]
    agree = [n for n in layers if n not in failing]
    return (f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} wrong while {', '.join(agree)} agree: the "
            f"gradient goes wrong where the backward passes from layer {k + 1} down to layer {k} (the derivative of "
            f"layer {k}'s activation, or its mask, applied to the gradient of its output?)")


def _convention(net, loss_call: Callable, x, t, method: bool = False) -> str:
    if method and not (callable(getattr(net, "gradient", None)) and callable(getattr(net, "loss", None))):
        return "method"
    if callable(getattr(net, "gradient", None)) and callable(getattr(net, "loss", None)):
        return "gradient"
    if callable(getattr(net, "loss", None)):
        value = loss_call(x.copy(), t.copy())
        if isinstance(value, tuple) and len(value) == 2:
            return "loss-grads"
        raise InvalidValue(f"{type(net).__name__}.loss(x, t) returned {type(value).__name__}, and there is no "
                           "gradient(x, t): give the network gradient(x, t) returning a dict, or make loss(x, t) "
                           "return (loss, grads)")
    if all(callable(getattr(net, m, None)) for m in ("forward", "backward")) and hasattr(net, "grads"):
        return "forward-backward"
    raise InvalidType(f"{type(net).__name__} has neither gradient(x, t), loss(x, t) -> (loss, grads), forward(x, "
                      "t) / backward() with grads, nor a method named for its gradients (loss_grad(x, t), "
                      "_backprop(x, y, ...)): nngrad cannot get its gradients")


def _layers(net) -> list[tuple[str, object]]:
    """The layer objects (with forward and backward) the network holds: in its attributes, dicts and lists."""
    found, seen = [], set()

    def add(name: str, value) -> None:
        if id(value) not in seen and all(callable(getattr(value, m, None)) for m in ("forward", "backward")) \
                and value is not net:
            seen.add(id(value))
            found.append((name, value))

    for attr, value in vars(net).items():
        if isinstance(value, dict):
            for k, v in value.items():
                add(str(k), v)
        elif isinstance(value, (list, tuple)):
            for k, v in enumerate(value):
                add(f"{attr}[{k}]", v)
        else:
            add(attr, value)
    return found


class _watching:
    """While the network computes its gradient: each layer's cached arrays are saved when its forward returns
    and compared when its backward starts; ``changes`` lists those that changed in between."""

    def __init__(self, layers, operands) -> None:
        self.layers, self.params = layers, [op.values for op in operands]
        self.changes: list[str] = []

    def __enter__(self) -> list[str]:
        for name, layer in self.layers:
            forward, backward = layer.forward, layer.backward
            state: dict = {}

            def watched_forward(*args, _f=forward, _layer=layer, _state=state, **kwargs):
                out = _f(*args, **kwargs)
                _state["saved"] = Saved.of([Slot(_layer, k) for k, v in vars(_layer).items()
                                            if isinstance(v, np.ndarray) and not any(v is p for p in self.params)])
                return out

            def watched_backward(*args, _b=backward, _name=name, _state=state, **kwargs):
                if saved := _state.pop("saved", None):
                    self.changes += [f"{_name}.{s.key} changed between its forward and its backward: a later layer "
                                     "changed in place an array this one keeps (x[mask] = 0, or out *= ..., on its "
                                     "input?): copy before changing it" for s in saved.changed()]
                return _b(*args, **kwargs)

            layer.forward, layer.backward = watched_forward, watched_backward
        return self.changes

    def __exit__(self, *exc) -> None:
        for _, layer in self.layers:
            for method in ("forward", "backward"):
                if method in vars(layer):
                    delattr(layer, method)


def _seen(layers, evaluate: Callable[[], float]) -> list[tuple[str, object, tuple]]:
    """(name, layer, the arguments its forward got) for each layer, from one evaluation of the loss."""
    seen: dict[str, tuple] = {}
    for name, layer in layers:
        def record(*args, _f=layer.forward, _name=name, **kwargs):
            seen.setdefault(_name, tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args))
            return _f(*args, **kwargs)

        layer.forward = record
    try:
        evaluate()
    finally:
        for _, layer in layers:
            if "forward" in vars(layer):
                del layer.forward
    return [(name, layer, seen[name]) for name, layer in layers if name in seen]


def _layer_report(layer, args: tuple) -> GradientReport | None:
    from .layer_check import check_layer

    arrays = [a for a in args if isinstance(a, np.ndarray)]
    try:
        if len(arrays) == 1:
            return check_layer(layer, arrays[0])
        if len(arrays) == 2:
            out = layer.forward(*arrays)
            if np.ndim(out) == 0:
                return check_layer(layer, arrays[0], t=arrays[1])
            return check_layer(layer, tuple(arrays))
    except Exception:  # noqa: BLE001 - a layer nngrad cannot call on its own tells nothing here
        return None
    return None
