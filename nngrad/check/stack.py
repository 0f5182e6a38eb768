"""Where a network written without layer objects goes wrong: the network read as a stack of affine maps and
element-wise activations (z_l = W_l a_{l-1} + b_l, a_l = g_l(z_l); samples as columns), its backward replayed
by nngrad with one derivative rule changed at a time, and the rule whose replay gives exactly the claimed
gradients named in words, with the layer in the style's own names.

The stack's activations are identified by the network's own output (sigmoid, tanh, ReLU, identity; softmax at the
output), the cost's derivative with respect to the output is read by central differences of the user's cost, and
the replay of the right rules must reproduce the true gradients before any wrong one is tried: a network this
model does not describe gets no finding. The wrong rules: an activation's derivative left out, taken of the
activation a = g(z) instead of z, written from the output (s * (1 - s)) but given z, applied twice (at the output:
where the cost's derivative already cancels it), and the catalogue's wrong derivatives written from the output
(nngrad.check.catalogue.DERIVATIVES); each at one layer, at every hidden layer, or at every layer of that
activation.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..tolerances import DISTINCT, REPLAY, REPLAY_TRUE
from .catalogue import DERIVATIVES
from .evidence import Evidence
from .findings import Finding

MOST = 1024  # the most activation assignments tried


@dataclass
class Stack:
    """A network as the stack sees it: per layer its weights (n_out, n_in), biases (n_out, 1), and the gradient
    rows of both (style's names); x (n_in, m), samples as columns; ``output()`` the network's output (n_out, m) at
    the current values; ``cost(a)`` the scalar at output a; y the targets (n_out, m), where they have that shape."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    names: list[tuple[str, str]]
    x: np.ndarray
    output: Callable[[], np.ndarray]
    cost: Callable[[np.ndarray], float]
    y: np.ndarray | None = None


@dataclass(frozen=True)
class Activation:
    name: str
    f: Callable[[np.ndarray], np.ndarray]
    from_output: Callable[[np.ndarray], np.ndarray] | None  # g'(z) written from y = g(z); None: not element-wise
    written: str = ""  # that formula in words, y named as the style names it


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


ACTIVATIONS = (
    Activation("sigmoid", _sigmoid, lambda y: y * (1 - y), "s * (1 - s), s = sigmoid(z)"),
    Activation("tanh", np.tanh, lambda y: 1 - y ** 2, "1 - t**2, t = tanh(z)"),
    Activation("ReLU", lambda z: np.maximum(z, 0), lambda y: (y > 0).astype(float), "(y > 0)"),
    Activation("identity", lambda z: z, lambda y: np.ones_like(y), "1"),
)
SOFTMAX = Activation("softmax", _softmax, None)


@dataclass(frozen=True)
class Rule:
    """A way to write an activation's derivative: ``factor(act, z, a)``, the array delta is multiplied by (None
    for the right one); ``words`` says it, with {g} for the activation's name."""

    name: str
    words: str
    factor: Callable[[Activation, np.ndarray, np.ndarray], np.ndarray] | None
    applies: Callable[[Activation, np.ndarray], bool] = lambda act, a: act.from_output is not None


RIGHT = Rule("right", "", None, lambda act, a: True)


def _rules() -> list[Rule]:
    rules = [
        Rule("missing", "{g}'s derivative left out: delta is not multiplied by {g}'(z)",
             lambda act, z, a: np.ones_like(z), lambda act, a: True),
        Rule("of-activation", "{g}'s derivative taken of the activation a = {g}(z) instead of z: {g}'(a) for "
             "{g}'(z)", lambda act, z, a: act.from_output(act.f(a))),
        Rule("written-of-z", "{g}'s derivative written from its output, {w}, but given z: the formula needs the "
             "activation, not z", lambda act, z, a: act.from_output(z)),
        Rule("twice", "{g}'(z) multiplied in twice", lambda act, z, a: act.from_output(a) ** 2),
    ]
    for d in DERIVATIVES:
        rules.append(Rule(f"catalogue:{d.words}", d.words, lambda act, z, a, d=d: act.from_output(a) * d.ratio(a),
                          lambda act, a, d=d: act.from_output is not None and d.of == act.name and d.applies(a)))
    return rules


RULES = _rules()


def diagnose(e: Evidence) -> list[Finding]:
    """The wrong derivative rule (and its layers) whose replay gives exactly the claimed gradients; [] where the
    subject is no stack, the stack model does not reproduce the true gradients, or no single rule explains them."""
    stack = e.subject.stack() if callable(getattr(e.subject, "stack", None)) else None
    if stack is None or not e.failing:
        return []
    claimed = {name: e.claim.grads.get(name) for pair in stack.names for name in pair}
    if any(v is None or np.shape(v) != np.shape(w) for v, w in zip(claimed.values(), _arrays(stack))):
        return []
    claimed = {k: np.asarray(v, dtype=float) for k, v in claimed.items()}
    numerical = {f.row.name: f.numerical.reshape(f.target.shape) for f in e.failing}
    truth = {k: numerical.get(k, v) for k, v in claimed.items()}
    with np.errstate(all="ignore"):
        return _diagnose(stack, claimed, truth)


def _arrays(stack: Stack) -> list[np.ndarray]:
    return [a for pair in zip(stack.weights, stack.biases) for a in pair]


def _diagnose(stack: Stack, claimed: dict, truth: dict) -> list[Finding]:
    acts = identify(stack)
    if acts is None:
        return []
    zs, activations = forward(stack, acts)
    dcost = cost_derivative(stack.cost, activations[-1])
    right = replay(stack, acts, zs, activations, dcost, {})
    if not _same(right, truth, REPLAY_TRUE):
        return []
    for rule, layers in _hypotheses(acts, activations):
        wrong = replay(stack, acts, zs, activations, dcost, {l: rule for l in layers})
        if wrong is not None and not _same(wrong, right, DISTINCT) and _same(wrong, claimed, REPLAY):
            return [Finding("layer", _words(stack, acts, rule, layers, _cancels(stack, acts, activations, dcost)))]
    return []


def identify(stack: Stack) -> list[Activation] | None:
    """Each layer's activation: the assignment whose forward gives the network's own output; None if none does."""
    target = np.asarray(stack.output(), dtype=float)
    layers = len(stack.weights)
    choices = [ACTIVATIONS] * (layers - 1) + [(*ACTIVATIONS, SOFTMAX)]
    if len(ACTIVATIONS) ** layers > MOST:
        return None
    for acts in itertools.product(*choices):
        out = forward(stack, list(acts))[1][-1]
        if out.shape == target.shape and np.allclose(out, target, rtol=1e-9, atol=1e-12 * np.abs(target).max()):
            return list(acts)
    return None


def forward(stack: Stack, acts: list[Activation]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(z_1..z_L, a_0..a_L), each (n_l, m)."""
    a, zs, activations = stack.x, [], [stack.x]
    for W, b, act in zip(stack.weights, stack.biases, acts):
        z = W @ a + b.reshape(-1, 1)
        zs.append(z)
        a = act.f(z)
        activations.append(a)
    return zs, activations


def cost_derivative(cost: Callable[[np.ndarray], float], a: np.ndarray) -> np.ndarray:
    """dcost/da, element by element: central differences at a step inside (0, 1) where a lies there (a log of a
    or 1 - a), extrapolated (Richardson) to the error of the fourth order."""
    a = np.asarray(a, dtype=float)
    h = 1e-3 * np.clip(np.minimum(np.abs(a), np.abs(1 - a)), 1e-6, 1.0)
    out = np.empty_like(a)
    for i in range(a.size):
        def diff(step: float) -> float:
            up, down = a.copy(), a.copy()
            up.flat[i] += step
            down.flat[i] -= step
            return (cost(up) - cost(down)) / (2 * step)

        out.flat[i] = (4 * diff(h.flat[i] / 2) - diff(h.flat[i])) / 3
    return out


def replay(stack: Stack, acts: list[Activation], zs, activations, dcost: np.ndarray, rules: dict[int, Rule]
           ) -> dict[str, np.ndarray] | None:
    """The gradients of a backward with rule ``rules[l]`` at layer l (0-based; the right rule elsewhere)."""
    grads, da = {}, dcost
    for l in reversed(range(len(stack.weights))):
        act, z, a = acts[l], zs[l], activations[l + 1]
        rule = rules.get(l, RIGHT)
        if rule.factor is not None:
            delta = da * rule.factor(act, z, a)
        elif act.from_output is None:  # softmax over each column
            delta = a * (da - np.sum(da * a, axis=0, keepdims=True))
        else:
            delta = da * act.from_output(a)
        wname, bname = stack.names[l]
        grads[wname] = delta @ activations[l].T
        grads[bname] = delta.sum(axis=1).reshape(stack.biases[l].shape)
        da = stack.weights[l].T @ delta
    return grads if all(np.isfinite(g).all() for g in grads.values()) else None


def _same(a: dict, b: dict, rtol: float) -> bool:
    scale = max(float(np.abs(v).max(initial=0.0)) for v in b.values()) or 1.0
    return all(np.allclose(a[k], b[k], rtol=rtol, atol=rtol * scale) for k in b)


def _hypotheses(acts: list[Activation], activations) -> list[tuple[Rule, tuple[int, ...]]]:
    """(rule, layers) to try: each rule at one layer, then at every hidden layer, then at every layer of one
    activation (a helper used throughout)."""
    L = len(acts)
    out = []
    for rule in RULES:
        sets = [(l,) for l in range(L)]
        hidden = tuple(range(L - 1))
        if len(hidden) > 1 and len({acts[l].name for l in hidden}) == 1:
            sets.append(hidden)
        for name in dict.fromkeys(a.name for a in acts):
            same = tuple(l for l in range(L) if acts[l].name == name)
            if len(same) > 1 and same not in sets:
                sets.append(same)
        out += [(rule, s) for s in sets if all(rule.applies(acts[l], activations[l + 1]) for l in s)]
    return out


def _cancels(stack: Stack, acts, activations, dcost: np.ndarray) -> bool:
    """Is the output layer's true delta c * (a - y), the activation's derivative cancelled by the cost's?"""
    a, y, act = activations[-1], stack.y, acts[-1]
    if y is None or y.shape != a.shape or act.from_output is None:
        return False
    delta, r = (dcost * act.from_output(a)).reshape(-1), (a - y).reshape(-1)
    c = float(delta @ r) / float(r @ r) if r @ r else 0.0
    return c > 0 and np.allclose(delta, c * r, rtol=1e-5, atol=1e-8 * c)


def _words(stack: Stack, acts, rule: Rule, layers: tuple[int, ...], cancels: bool) -> str:
    L = len(acts)
    g = acts[layers[0]].name
    what = rule.words.format(g=g, w=acts[layers[0]].written)
    each = [f"{l + 1} ({', '.join(stack.names[l])})" for l in layers]
    where = ("layer " if len(each) == 1 else "layers ") + (each[0] if len(each) == 1 else
                                                           f"{', '.join(each[:-1])} and {each[-1]}")
    place = ("at the output layer, " if layers == (L - 1,) else "at the hidden layers, "
             if layers == tuple(range(L - 1)) and L > 2 else "at ")
    text = f"the gradients are exactly those of a backward with {what}, {place}{where}"
    if L - 1 in layers:
        text += _at_output(rule, cancels)
    below = [n for l in range(min(layers)) for n in stack.names[l]]
    if below:
        text += f"; {', '.join(below)} are wrong only because the error flows down to them"
    return text


def _at_output(rule: Rule, cancels: bool) -> str:
    """Where the cost's derivative meets the output's activation: what the output layer's delta should be."""
    if rule.name == "twice" and cancels:
        return (" (the output layer's delta: for this cost and activation it is a - y, the activation's derivative "
                "cancelled by the cost's: the quadratic cost's delta, (a - y) * sigma'(z), used for cross-entropy?)")
    if rule.name == "missing" and not cancels:
        return (" (the output layer's delta is the cost's derivative times the activation's; a - y alone is "
                "cross-entropy's delta with a sigmoid, not this cost's)")
    return ""
