"""How a layer class wants to be called, read off its signatures and names, in the styles courses teach:
``forward(x)`` returning out or storing ``self.output``; Keras-like ``__call__(x)`` or ``call(x)``;
``forward(x, train_flg=True)``; a loss's ``forward(x, t)``; ``backward(dout)`` (or ``backprop``),
``backward(dout=1)``, ``backward(x, grad_output)``, ``backward(grad, learning_rate)``, a loss's
``backward(dvalues, y_true)`` that takes the predictions; and the reset a training loop calls before each backward
where gradients accumulate: a method of no required argument whose name says it clears the gradients
(``zero_grad()``, ``cleargrads()``, ``flush_gradients()``, ``reset_grads()``, ``grads_zero()``...)."""

from __future__ import annotations

import inspect
import numbers
import re
from dataclasses import dataclass

from ..errors import InvalidType

TRAIN_SWITCHES = ("train_flg", "training", "train", "is_training", "is_train", "train_mode")
LEARNING_RATES = ("learning_rate", "lr", "eta", "alpha", "step_size", "learningrate")
TARGETS = ("t", "y", "y_true", "target", "targets", "labels", "label", "y_train")
INPUTS = ("x", "X", "input", "inputs", "inp", "input_", "a", "A", "a_prev", "A_prev", "prev", "data", "z", "Z")
OUTPUTS = ("output", "out", "outputs")  # where forward may store its output instead of returning it
FORWARDS = ("forward", "__call__", "call")  # the first one a layer has is its forward (__call__ builds, then calls)
BACKWARDS = ("backward", "backprop")
BACKWARD_WORDS = re.compile(r"backward|backprop", re.IGNORECASE)  # step_backward, backward_pass, do_backprop
_CLEAR = r"(?:zero(?:e|ize)?s?|clear|reset|flush|erase|wipe|null(?:ify)?|empty)"
_GRADS = r"(?:grad(?:ient)?s?|deltas?|dparams?|diffs?)"
_FILLER = r"(?:(?:all|the|out|param(?:eter)?s?|weights?)_?)*"
RESET = re.compile(rf"^_?(?:{_CLEAR}_?{_FILLER}{_GRADS}|{_GRADS}_?{_CLEAR})$", re.IGNORECASE)
"""A reset's name: a verb that clears (zero, clear, reset, flush, erase, wipe, null) and gradients (grad, grads,
gradients, deltas), in either order, nothing else but "all", "the", "out", "params" between: zero_grad, cleargrads,
flush_gradients, reset_all_grads, zero_out_gradients, grads_zero. What a training loop calls before each backward of
code whose gradients accumulate (+=); nngrad calls it only where it proves to be one (layer_check)."""


@dataclass(frozen=True)
class Calling:
    """``backward``: what each positional argument of backward gets: "dout", "x" (the input again), "lr", "pred"
    (a loss's predictions), "t" (a loss's targets) or "one" (a loss's dout = 1); "dout" several times for a forward
    returning several outputs, the k-th taking output k's dout; ``switch``: a training switch
    forward takes (passed True); ``lr_attr``: the attribute holding the learning rate of an update in backward."""

    forward_names: tuple[str, ...]
    switch: str | None
    switch_positional: bool
    backward: tuple[str, ...]
    backward_names: tuple[str, ...]
    lr_attr: str | None
    forward_attr: str = "forward"
    backward_attr: str = "backward"

    def forward_text(self) -> str:
        names = list(self.forward_names)
        if self.switch:
            names.append(f"{self.switch}=True")
        method = "layer" if self.forward_attr == "__call__" else self.forward_attr
        return f"{method}({', '.join(names)})"

    def backward_text(self) -> str:
        return f"{self.backward_attr}({', '.join(self.backward_names)})"


def instance(layer) -> None:
    """Raise where ``layer`` is a class instead of an object of it."""
    if isinstance(layer, type):
        needs = required(layer.__init__)[1:]
        raise InvalidType(f"layer: pass an instance: {layer.__name__}({', '.join(needs)}), not the class "
                          f"{layer.__name__}")


def methods(layer) -> tuple[str, str]:
    """The names of ``layer``'s forward (forward, __call__ or call) and backward (backward, backprop)."""
    instance(layer)
    forward = next((n for n in FORWARDS if callable(getattr(layer, n, None))
                    and (n != "__call__" or type(layer).__call__ is not object.__call__)), None)
    if forward != "__call__" and _called(layer, forward):
        forward = "__call__"
    backward = next((n for n in BACKWARDS if callable(getattr(layer, n, None))), None) or _named_backward(layer)
    if forward is None or backward is None:
        missing = "forward" if forward is None else "backward"
        raise InvalidType(f"{type(layer).__name__} has no {missing} method: a layer needs forward(x) and "
                          "backward(dout) (or call(x), backprop(dout))")
    return forward, backward


def _named_backward(layer) -> str | None:
    """The one public method whose name says backward or backprop (step_backward, backward_pass, backprop_layer)
    where there is no backward; None where there is none or several."""
    found = [n for n in dir(type(layer)) if not n.startswith("_") and BACKWARD_WORDS.search(n)
             and callable(getattr(layer, n, None))]
    return found[0] if len(found) == 1 else None


def _called(layer, forward: str | None) -> bool:
    """Is ``layer`` meant to be called (``layer(x)``) rather than its ``forward`` run? Where its class defines
    ``__call__`` taking the inputs forward takes (``__call__(*args)`` keeping args and out, then calling forward,
    as fast.ai's foundations do): calling it is what a training loop does, and what its backward relies on."""
    if forward is None or not any("__call__" in vars(c) for c in type(layer).__mro__[:-1]):
        return False
    call = getattr(layer, "__call__")
    return _variadic(call) or len(_positional(call)) >= len(required(getattr(layer, forward)))


def signature(layer, forward_attr: str):
    """The method whose signature names the inputs: forward (or call) where ``__call__(*args)`` passes them on."""
    method = getattr(layer, forward_attr)
    if forward_attr == "__call__" and _variadic(method):
        inner = next((getattr(layer, n) for n in ("forward", "call") if callable(getattr(layer, n, None))), None)
        return inner or method
    return method


def arity(layer, loss: bool) -> tuple[int, int | None]:
    """(least, most) inputs ``layer``'s forward takes (beside a training switch, and the targets of a loss); most
    None where its signature does not say (forward(*args))."""
    forward = signature(layer, methods(layer)[0])
    least = len([n for n in required(forward) if n not in TRAIN_SWITCHES]) - int(loss)
    most = None if _variadic(forward) else len([n for n in _positional(forward) if n not in TRAIN_SWITCHES]) - int(loss)
    return least, most


def read(layer, inputs: int, loss: bool) -> Calling:
    """The Calling of ``layer`` (its forward takes ``inputs`` arrays, and the targets when ``loss``)."""
    forward_attr, backward_attr = methods(layer)
    forward_method, backward_method = signature(layer, forward_attr), getattr(layer, backward_attr)
    forward = required(forward_method)
    optional = defaulted(forward_method)
    switch = next((n for n in forward + optional if n in TRAIN_SWITCHES), None)
    positional = [n for n in forward if n != switch]
    expected = inputs + int(loss)
    most = len([n for n in _positional(forward_method) if n != switch])
    if not len(positional) <= expected <= most and not _variadic(forward_method):
        what = f"{inputs} input{'s' * (inputs > 1)}" + (" and the targets t" if loss else "")
        raise InvalidType(f"{type(layer).__name__}.{forward_attr} takes ({', '.join(forward) or 'no arguments'}), "
                          f"but nngrad passes {what}")
    names = tuple(required(backward_method))
    if not names and not loss:  # backward(dout=None) or backward(dout=1): dout goes to its first argument
        names = tuple(_positional(backward_method)[:1])
    roles = _loss_backward(names) if loss else _backward(type(layer).__name__, names)
    lr_attr = next((n for n in LEARNING_RATES if isinstance(getattr(layer, n, None), numbers.Real)
                    and not isinstance(getattr(layer, n), bool) and getattr(layer, n) > 0), None)
    return Calling(tuple(positional), switch, switch in forward, roles, names, lr_attr, forward_attr, backward_attr)


def training_switch(method) -> str | None:
    """The training switch ``method`` takes (``loss(x, t, train_flg=False)``, ``forward(x, training)``), or None."""
    names = [p.name for p in _parameters(method) if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return next((n for n in names if n in TRAIN_SWITCHES), None)


def in_training(method, *args):
    """``method(*args)`` in training mode: its training switch (if it takes one) passed True by name."""
    switch = training_switch(method)
    return method(*args, **({switch: True} if switch else {}))


def resets(layer, objects: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """(label, bound method) of the resets to call before each backward: the layer's own (zero_grad()), else those
    of its sub-modules (``objects``: (path, object), outermost first), none inside another chosen one."""
    chosen: list[tuple[str, object]] = []
    for path, obj in [("", layer), *objects]:
        if any(path == p or path.startswith(p + ".") or path.startswith(p + "[") or p == "" for p, _ in chosen):
            continue
        name = next((n for n in reset_names(obj) if not required(getattr(obj, n))), None)
        if name:
            chosen.append((path, getattr(obj, name)))
    return [(f"{path + '.' if path else ''}{method.__name__}()", method) for path, method in chosen]


def reset_names(obj) -> list[str]:
    """The methods of ``obj`` whose names say they reset its gradients (see RESET), shortest first."""
    if isinstance(obj, type):
        return []
    names = [n for n in dir(type(obj)) if RESET.match(n) and callable(getattr(obj, n, None))]
    return sorted(names, key=lambda n: (n.startswith("_"), len(n), n))


def _backward(cls: str, names: tuple[str, ...]) -> tuple[str, ...]:
    roles = tuple("lr" if n in LEARNING_RATES else "x" if n in INPUTS else "dout" for n in names)
    if len(names) <= 1:
        return ("dout",) * len(names)
    if roles.count("dout") > 1 and all(_gradient_name(n) for n, r in zip(names, roles) if r == "dout"):
        return roles  # one dout per output of a forward returning several (backward(dh, dc) of (h, c)), in order
    if roles.count("dout") != 1:
        raise InvalidType(f"{cls}.backward({', '.join(names)}): nngrad cannot tell which argument takes dout (name it "
                          "dout, grad_output or d...), which the input (x, input) and which the learning rate (lr, "
                          "learning_rate)")
    return roles


def _gradient_name(name: str) -> bool:
    """Does ``name`` read as a gradient (dout, dh, grad_c, delta)?"""
    return name.startswith(("d", "grad", "g_", "delta")) or name.endswith(("_grad", "grad"))


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


def defaulted(method) -> list[str]:
    """The names of ``method``'s parameters that have a default."""
    return [p.name for p in _parameters(method) if p.default is not p.empty]


def _variadic(method) -> bool:
    return any(p.kind == p.VAR_POSITIONAL for p in _parameters(method))
