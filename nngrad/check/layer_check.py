"""check_layer: a hand-written layer's backward against central differences of its forward.

The classic convention (Deep Learning from Scratch, CS231n): ``out = layer.forward(x)`` (``forward(x, y)`` for
two inputs), ``backward(dout)`` returns dx (or (dx, dy)) and leaves each parameter's gradient as an attribute
(``W`` / ``dW``, ``b`` / ``db``). A loss layer takes targets, ``forward(x, t)``, returns a scalar, and
``backward(dout=1)`` returns dx. The scalar checked is sum(dout * out) for a fixed random dout (the loss itself
for a loss layer). The user's arrays are never changed: inputs are copied, parameters restored, and the
layer's caches come from a last forward at the unperturbed inputs.
"""

from __future__ import annotations

import numpy as np

from .. import _validate as validate
from ..errors import InvalidType, InvalidValue
from ..methods.schemes import SCHEMES
from .diagnostics import common, scaled
from .findings import Finding
from .report import GradientReport
from .targets import MODES, Target, check_targets, resolve_mode, targets_report

LAYER_STATE = ("x", "out", "y", "t", "mask", "dout", "dx")  # what layers cache: never a parameter


def check_layer(layer, x, t=None, params: list[str] | dict[str, str] | None = None, mode: str = "auto",
                eps: float | None = None, rtol: float | None = None, atol: float | None = None,
                seed: int = 0) -> GradientReport:
    """Check ``layer.backward``: dx (of every input) and every parameter's gradient, against central differences.

    x: the input array, or a tuple of arrays for a layer of several inputs (MulLayer, AddLayer); t: targets of a
    loss layer (not differentiated). params: parameter names (gradient "d" + name) or {name: gradient name};
    None finds them (float arrays of the layer with a matching "d" attribute after backward). mode: "full"
    (every element), "fast" (random directions per array: 2 evaluations each, whatever its size) or "auto"
    (full up to 10,000 elements). Also reports: dout changed in place, parameters or inputs changed, backward
    not repeatable, a gradient off by one factor, all-zero gradients, a kink crossed, NaN or inf, float32.
    """
    if not (callable(getattr(layer, "forward", None)) and callable(getattr(layer, "backward", None))):
        raise InvalidType(f"layer must have forward and backward methods, got a {type(layer).__name__}")
    validate.choice("mode", mode, MODES)
    eps = None if eps is None else validate.positive_float("eps", eps)
    several = isinstance(x, (tuple, list))
    inputs = [_input(f"x[{k}]" if several else "x", v) for k, v in enumerate(x if several else [x])]
    loss = t is not None
    extra = [validate.numeric_array("t", t)] if loss else []
    candidates = {k: v for k, v in vars(layer).items()
                  if isinstance(v, np.ndarray) and v.dtype.kind == "f" and k not in LAYER_STATE}
    saved = {k: v.copy() for k, v in candidates.items()}
    saved_inputs = [v.copy() for v in inputs]

    def forward():
        return layer.forward(*inputs, *extra)

    def restore() -> list[str]:
        """Put parameters and inputs back; return the names of those that had changed."""
        changed = [k for k, v in saved.items() if not np.array_equal(candidates[k], v, equal_nan=True)]
        changed += [f"x[{k}]" if several else "x" for k, (v, s) in enumerate(zip(inputs, saved_inputs))
                    if not np.array_equal(v, s, equal_nan=True)]
        for k, v in saved.items():
            candidates[k][...] = v
        for v, s in zip(inputs, saved_inputs):
            v[...] = s
        return changed

    try:
        out = forward()
        dout = 1.0 if loss else np.random.default_rng(seed).standard_normal(np.shape(out))
        given = np.array(dout, copy=True)
        dxs = _as_list(layer.backward(given if not loss else dout), several)
        found = _in_place(given, dout, loss, restore())
        parameters = _parameters(layer, params, candidates, inputs)
        grads = {p: np.array(getattr(layer, g), dtype=float) for p, g in parameters.items()}
        found += _repeat(layer, forward, dout, loss, several, dxs, grads, parameters)
        restore()
        found += _shapes(dxs, inputs, grads, candidates, several)
        if any(f.kind == "shape" for f in found):
            return targets_report(f"layer {type(layer).__name__}", [], [], found, "not checked", 0, eps, rtol or 0.0,
                                  atol)
        targets = [Target(f"d{_name(k, several)}", v.shape, v.reshape(-1), np.asarray(dx, dtype=float).reshape(-1))
                   for k, (v, dx) in enumerate(zip(inputs, dxs))]
        targets += [Target(f"d{p}", candidates[p].shape, candidates[p].reshape(-1), grads[p].reshape(-1))
                    for p in parameters]
        dtype = min({v.dtype for v in [*inputs, *(candidates[p] for p in parameters)]}, key=lambda d: d.itemsize)
        rtol = rtol if rtol is not None else SCHEMES["central"].tolerance(dtype)[0]
        eps = SCHEMES["central"].default_eps(dtype) if eps is None else eps
        scale = float(np.sum(np.abs(np.asarray(dout) * np.asarray(out, dtype=float))))
        f = (lambda: float(forward())) if loss else (lambda: float(np.sum(dout * forward())))
        resolved = resolve_mode(mode, targets)
        rows, values, evaluations, kinks = check_targets(f, targets, scale, resolved, eps, rtol, atol, dtype, seed)
        batch = inputs[0].shape[0] if inputs[0].ndim >= 2 else None
        if resolved == "full":
            found += [s for r, tg, n in zip(rows, targets, values) if (s := scaled(r, tg.analytic, n, batch))]
        found += common(rows, [out, *dxs, *grads.values(), *inputs], kinks, {dtype})
        return targets_report(f"layer {type(layer).__name__}", rows, targets, found,
                       "element-wise" if resolved == "full" else "random directions", evaluations, eps, rtol, atol,
                       values)
    finally:
        restore()
        try:  # the layer's caches should match the unperturbed inputs; an error here was reported already
            forward()
        except Exception:  # noqa: BLE001, S110
            pass


def _input(name: str, value) -> np.ndarray:
    """A float copy of one input (scalars become 0-d arrays): the check perturbs its own copy, never the user's."""
    arr = validate.numeric_array(name, value)
    return np.array(arr, dtype=arr.dtype if arr.dtype.kind == "f" else np.float64, copy=True)


def _name(k: int, several: bool) -> str:
    return f"x[{k}]" if several else "x"


def _as_list(dx, several: bool) -> list:
    return list(dx) if several and isinstance(dx, (tuple, list)) else [dx]


def _parameters(layer, params, candidates: dict, inputs: list) -> dict[str, str]:
    """{parameter: its gradient's attribute}: as given, or every float array with a "d" twin of its shape."""
    if params is None:
        return {k: f"d{k}" for k, v in candidates.items()
                if isinstance(getattr(layer, f"d{k}", None), np.ndarray) and getattr(layer, f"d{k}").shape == v.shape
                and not any(v is x for x in inputs)}
    names = dict(params) if isinstance(params, dict) else {p: f"d{p}" for p in params}
    for p, g in names.items():
        if p not in candidates:
            raise InvalidValue(f"params: the layer has no float array attribute {p!r}; it has "
                             f"{', '.join(candidates) or 'none'}")
        if not isinstance(getattr(layer, g, None), np.ndarray):
            raise InvalidType(f"params: after backward the layer has no array {g!r}, the gradient of {p!r}")
    return names


def _in_place(given, dout, loss: bool, changed: list[str]) -> list[Finding]:
    found = []
    if not loss and not np.array_equal(given, dout):
        found.append(Finding("dout-modified", "backward changed the dout it was given, in place (dout[mask] = 0?): "
                             "the layer before it would receive a wrong gradient; work on a copy or use np.where"))
    params = [c for c in changed if not c.startswith("x")]
    if params:
        found.append(Finding("params-changed", f"forward or backward changed {', '.join(params)} (an update inside "
                             "the layer?): the checker restored them; update parameters outside backward"))
    if inputs := [c for c in changed if c.startswith("x")]:
        found.append(Finding("input-modified", f"forward or backward changed its input {', '.join(inputs)} in place: "
                             "the caller's data is corrupted; work on a copy"))
    return found


def _repeat(layer, forward, dout, loss, several, dxs, grads, parameters) -> list[Finding]:
    """Backward a second time on the same input and dout: it must give the same gradients."""
    forward()
    again = _as_list(layer.backward(np.array(dout, copy=True) if not loss else dout), several)
    differ = [f"d{_name(k, several)}" for k, (a, b) in enumerate(zip(dxs, again)) if not _same(a, b)]
    differ += [f"d{p}" for p, g in parameters.items() if not _same(grads[p], getattr(layer, g))]
    if not differ:
        return []
    return [Finding("not-repeatable", f"a second backward on the same input and dout gave another {', '.join(differ)}"
                    " (state kept between calls: += into a gradient, or a parameter updated?)")]


def _same(a, b) -> bool:
    try:
        return bool(np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-12, atol=0, equal_nan=True))
    except (TypeError, ValueError):
        return False


def _shapes(dxs: list, inputs: list, grads: dict, candidates: dict, several: bool) -> list[Finding]:
    found = []
    for k, (dx, x) in enumerate(zip(dxs, inputs)):
        if dx is None or np.shape(dx) != x.shape:
            found.append(Finding("shape", f"backward returned {'nothing' if dx is None else f'shape {np.shape(dx)}'} "
                                 f"for d{_name(k, several)}; the input has shape {x.shape}"))
    if len(dxs) != len(inputs):
        found.append(Finding("shape", f"backward returned {len(dxs)} gradient(s) for {len(inputs)} input(s)"))
    for p, g in grads.items():
        if g.shape != candidates[p].shape:
            found.append(Finding("shape", f"d{p} has shape {g.shape}; {p} has shape {candidates[p].shape}"))
    return found
