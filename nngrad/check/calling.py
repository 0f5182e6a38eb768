"""How a layer class wants to be called, read off its signatures and names, in the styles courses teach:
``forward(x)`` returning out or storing ``self.output``; ``forward(x, train_flg=True)``; a loss's ``forward(x, t)``;
``backward(dout)``, ``backward(dout=1)``, ``backward(x, grad_output)``, ``backward(grad, learning_rate)``, and a
loss's ``backward(dvalues, y_true)`` that takes the predictions."""

from __future__ import annotations

import inspect
import numbers
from dataclasses import dataclass

from ..errors import InvalidType

TRAIN_SWITCHES = ("train_flg", "training", "train", "is_training", "is_train", "train_mode")
LEARNING_RATES = ("learning_rate", "lr", "eta", "alpha", "step_size", "learningrate")
TARGETS = ("t", "y", "y_true", "target", "targets", "labels", "label", "y_train")
INPUTS = ("x", "X", "input", "inputs", "inp", "input_", "a", "A", "a_prev", "A_prev", "prev", "data", "z", "Z")
OUTPUTS = ("output", "out", "outputs")  # where forward may store its output instead of returning it


@dataclass(frozen=True)
class Calling:
    """``backward``: what each positional argument of backward gets: "dout", "x" (the input again), "lr", "pred"
    (a loss's predictions), "t" (a loss's targets) or "one" (a loss's dout = 1); ``switch``: a training switch
    forward takes (passed True); ``lr_attr``: the attribute holding the learning rate of an update in backward."""

    forward_names: tuple[str, ...]
    switch: str | None
    switch_positional: bool
    backward: tuple[str, ...]
    backward_names: tuple[str, ...]
    lr_attr: str | None

    def forward_text(self) -> str:
        names = list(self.forward_names)
        if self.switch:
            names.append(f"{self.switch}=True")
        return f"forward({', '.join(names)})"

    def backward_text(self) -> str:
        return f"backward({', '.join(self.backward_names)})" if self.backward_names else "backward()"


def read(layer, inputs: int, loss: bool) -> Calling:
    """The Calling of ``layer`` (its forward takes ``inputs`` arrays, and the targets when ``loss``)."""
    for method in ("forward", "backward"):
        if not callable(getattr(layer, method, None)):
            raise InvalidType(f"{type(layer).__name__} has no {method} method: a layer needs forward(x) and "
                              "backward(dout)")
    forward = required(layer.forward)
    optional = _optional(layer.forward)
    switch = next((n for n in forward + optional if n in TRAIN_SWITCHES), None)
    positional = [n for n in forward if n != switch]
    expected = inputs + int(loss)
    if len(positional) != expected and not _variadic(layer.forward):
        what = f"{inputs} input{'s' * (inputs > 1)}" + (" and the targets t" if loss else "")
        raise InvalidType(f"{type(layer).__name__}.forward takes ({', '.join(forward) or 'no arguments'}), but "
                          f"nngrad passes {what}")
    names = tuple(required(layer.backward))
    if not names and not loss:  # backward(dout=None) or backward(dout=1): dout goes to its first argument
        names = tuple(_positional(layer.backward)[:1])
    roles = _loss_backward(names) if loss else _backward(type(layer).__name__, names)
    lr_attr = next((n for n in LEARNING_RATES if isinstance(getattr(layer, n, None), numbers.Real)
                    and not isinstance(getattr(layer, n), bool) and getattr(layer, n) > 0), None)
    return Calling(tuple(positional), switch, switch in forward, roles, names, lr_attr)


def _backward(cls: str, names: tuple[str, ...]) -> tuple[str, ...]:
    roles = tuple("lr" if n in LEARNING_RATES else "x" if n in INPUTS else "dout" for n in names)
    if len(names) <= 1:
        return ("dout",) * len(names)
    if roles.count("dout") != 1:
        raise InvalidType(f"{cls}.backward({', '.join(names)}): nngrad cannot tell which argument takes dout (name it "
                          "dout, grad_output or d...), which the input (x, input) and which the learning rate (lr, "
                          "learning_rate)")
    return roles


def _loss_backward(names: tuple[str, ...]) -> tuple[str, ...]:
    targets = any(n in TARGETS for n in names)
    return tuple("t" if n in TARGETS else "lr" if n in LEARNING_RATES else "pred" if targets else "one"
                 for n in names)


def _parameters(method):
    try:
        return list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return []


def required(method) -> list[str]:
    """The names of ``method``'s required positional arguments ([] for anything else)."""
    return [p.name for p in _parameters(method)
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]


def _positional(method) -> list[str]:
    return [p.name for p in _parameters(method) if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _optional(method) -> list[str]:
    return [p.name for p in _parameters(method) if p.default is not p.empty]


def _variadic(method) -> bool:
    return any(p.kind == p.VAR_POSITIONAL for p in _parameters(method))
