"""The diagnosis of an element-wise layer nngrad does not know: where each output moves only with its own input
(the true dx is dout * f'(x), element by element, at any dout), the claimed local derivative g(x) = dx / dout is
read element by element and set beside the true f'(x) (numerical), and how they differ is said in words: where
(x < 0, x > 0, large or small |x|), and what yours is there (f(x) itself, f' taken of the output, 1 - f', x, a
constant), or how the two behave at large |x|.

For a loss (a scalar output) the same reading is of yours / true, element by element, as a function of x: where
it is one simple function of x at every element (x (1 - x), x, 1 / x, 1 - x, the sigmoid's derivative of x...,
times a constant), that function names the factor missing or extra (RATIOS)."""

from __future__ import annotations

import numpy as np

from ..methods.finite_differences import finite_difference
from ..tolerances import FACTOR, PREDICTED, READ_BACK, SPREAD
from .evidence import Evidence, Failure
from .experiments import gradients_at_dout
from .findings import Finding

MOST = 2000  # elements: the probe costs a few finite differences of the whole input


def diagnose(e: Evidence) -> list[Finding]:
    """A "derivative" finding for each failing input of a layer that acts element by element."""
    found = []
    if any(f.kind == "known-mistake" for f in e.found):
        return found  # the catalogue named the layer and the formula
    inputs = [f for f in e.failing if f.x is not None and f.x.size >= 4]
    context = _context(e) if inputs else None
    loss = context is not None and (context.dout is None or np.ndim(context.dout) == 0)
    for f in inputs:
        if loss:
            words = _ratio(e, f)
        elif f.x.size <= MOST and len(e.subject.operands) == 1:
            words = _describe(e, f)
        else:
            words = None
        if words:
            found.append(Finding("derivative", words))
    return found


def _context(e: Evidence):
    """The subject's context, or None where the code cannot give it (the other diagnoses say so)."""
    try:
        return e.subject.context()
    except Exception:  # noqa: BLE001 - a diagnosis may fail, the check may not
        return None


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * x))


# (h(x), where it applies, words): yours = k * h(x) * true, element by element
RATIOS = (
    (lambda x: x * (1 - x), "probabilities", "the true one times x (1 - x): the gradient with respect to the logits "
     "(y - t), not the probabilities the loss takes: divide by x (1 - x), or give the loss the logits"),
    (lambda x: 1 / (x * (1 - x)), "probabilities", "the true one divided by x (1 - x): a division by the sigmoid's "
     "derivative x (1 - x) too many (the probabilities' formula where the loss wants the logits' y - t?)"),
    (lambda x: _sigmoid(x) * (1 - _sigmoid(x)), "any", "the true one times s(x) (1 - s(x)), the sigmoid's derivative "
     "at x: a sigmoid's derivative applied where the loss already takes the logits (its gradient is s(x) - t, with "
     "no such factor)"),
    (lambda x: 1 / (_sigmoid(x) * (1 - _sigmoid(x))), "any", "the true one divided by s(x) (1 - s(x)), the sigmoid's "
     "derivative at x: the probabilities' formula applied to logits?"),
    (lambda x: x, "any", "the true one times x: a factor x too many"),
    (lambda x: 1 / x, "nonzero", "the true one divided by x: a factor 1 / x too many, or x left out (a log's "
     "derivative 1 / x applied once too often?)"),
    (lambda x: 1 - x, "any", "the true one times (1 - x)"),
    (lambda x: 1 / (1 - x), "below one", "the true one divided by (1 - x)"),
    (lambda x: np.exp(-x), "any", "the true one times exp(-x): a derivative with respect to exp(x) (a variance, a "
     "rate, a scale parametrised by its log) not chained through exp: multiply by exp(x); or sigmoid(-x) = 1 / (1 + "
     "e^x) where sigmoid(x) belongs (sigmoid(-x) / sigmoid(x) = exp(-x): a softplus' or log-sigmoid's derivative "
     "mirrored)"),
    (lambda x: np.exp(x), "any", "the true one times exp(x): exp's derivative applied once too often (a derivative "
     "with respect to log(x)'s argument multiplied by exp(x) where the parameter is exp(x) already?), or sigmoid(x) "
     "where sigmoid(-x) belongs (the derivative mirrored)"),
    (lambda x: x * x, "any", "the true one times x^2"),
    (lambda x: 1 / (x * x), "nonzero", "the true one divided by x^2"),
)
_DOMAINS = {"any": lambda x: np.isfinite(x).all(), "probabilities": lambda x: ((x > 0) & (x < 1)).all(),
            "nonzero": lambda x: (x != 0).all(), "below one": lambda x: (x < 1).all()}


def _ratio(e: Evidence, f: Failure) -> str | None:
    """A loss's failing input whose claimed gradient is k * h(x) * the numerical one at every element, h one of
    RATIOS (not a constant: that is "scaled"): in words, or None."""
    x = np.asarray(f.x, dtype=float).reshape(-1)
    a, n = f.claimed, f.numerical
    allowed = e.allowed(f)
    seen = np.abs(n) > allowed  # the elements where a factor can be read at all
    if seen.sum() < 4:
        return None
    for h, domain, words in RATIOS:
        if not _DOMAINS[domain](x):
            continue
        with np.errstate(all="ignore"):
            g = h(x) * n
        if not np.isfinite(g).all() or np.ptp(np.abs(h(x[seen]))) <= 0.05 * np.abs(h(x[seen])).max():
            continue  # about constant where it can be seen: a constant factor is "scaled"
        k = float(a @ g) / max(float(g @ g), 1e-300)
        k = next((float(c) for c in (1, -1, 2, 0.5) if np.isclose(k, c, rtol=FACTOR)), k)
        if np.all(np.abs(a - k * g) <= allowed + PREDICTED * np.abs(a)):
            times = "" if k == 1 else f"{k:.4g} times "
            named = "" if f.operand.label == "x" else f" ({f.operand.label})"
            return (f"{f.row.name}: the loss's gradient read element by element as yours / true, a function of the "
                    f"input x{named}: "
                    f"at every element yours is {times}{words} {_ratio_samples(x, a, n, seen)}")
    return None


def _ratio_samples(x: np.ndarray, a: np.ndarray, n: np.ndarray, seen: np.ndarray) -> str:
    picks = np.flatnonzero(seen)[np.argsort(x[seen])]
    picks = picks[[0, len(picks) // 2, -1]]
    return (f"(at x = {', '.join(f'{v:.3g}' for v in x[picks])}: yours / true = "
            f"{', '.join(f'{v:.3g}' for v in a[picks] / n[picks])})")


def _describe(e: Evidence, f: Failure) -> str | None:
    context = e.subject.context()
    if context is None or context.dout is None:
        return None
    x = np.asarray(f.x, dtype=float).reshape(-1)
    dout, y = np.asarray(context.dout, float).reshape(-1), np.asarray(context.out, float).reshape(-1)
    if dout.size != x.size or y.size != x.size:
        return None
    usable = np.abs(dout) > 0.2 * np.median(np.abs(dout))
    spread = SPREAD * e.own(f) / np.maximum(np.abs(dout), 1e-300)
    true, yours = f.numerical / dout, f.claimed / dout
    if not _element_wise(e, f, dout, true, yours, spread, usable):
        return None
    if f.row.name in e.explained and _one_factor(yours[usable], true[usable]):
        return None  # "scaled" said it
    tol = spread + READ_BACK * (np.abs(true) + np.abs(yours))
    bad = usable & (np.abs(yours - true) > tol)
    if not bad.any():
        return None
    where = _region(x, bad, usable)
    at_output, mirrored = _at_points(e, f, y, dout), _at_points(e, f, -x, dout)
    what = _what(x[bad], y[bad], yours[bad], true[bad], None if at_output is None else at_output[bad], tol[bad],
                 None if mirrored is None else mirrored[bad])
    head = (f"{f.row.name}: each output moves only with its own input, so the local derivative can be read element "
            f"by element: yours (dx / dout) against the true f'(x) (numerical)")
    parts = [p for p in (where, what) if p]
    if not what:
        parts.append(_tails(x[usable], yours[usable], true[usable]))
    return f"{head}: {'; '.join(p for p in parts if p)} {_samples(x, yours, true, bad)}"


def _element_wise(e, f, dout, true, yours, spread, usable) -> bool:
    """At another dout, are the true and the claimed derivatives the same functions of x (a diagonal Jacobian, and
    a backward that multiplies dout by something of x)?"""
    rng = np.random.default_rng(e.seed + 3)
    d2 = dout * rng.uniform(0.5, 2.0, dout.size) * rng.choice([-1.0, 1.0], dout.size)
    got = gradients_at_dout(e, f.row.name, d2.reshape(np.shape(e.subject.context().dout)))
    if got is None or got[0].size != dout.size:
        return False
    a2, n2 = got
    wide = spread * (1 + np.abs(dout / d2)) + READ_BACK * np.abs(true)
    same_true = np.abs(n2 / d2 - true) <= wide
    same_yours = np.abs(a2 / d2 - yours) <= wide + READ_BACK * np.abs(yours)
    return bool(same_true[usable].all() and same_yours[usable].all())


def _one_factor(a: np.ndarray, b: np.ndarray) -> bool:
    c = float(a @ b) / max(float(b @ b), 1e-300)
    return bool(np.allclose(a, c * b, rtol=READ_BACK, atol=1e-8 * max(np.abs(b).max(initial=0.0), 1e-300)))


def _at_points(e: Evidence, f: Failure, points: np.ndarray, dout: np.ndarray) -> np.ndarray | None:
    """The true f' at ``points`` (the output y: f' of the output; -x: f' mirrored), numerically; None where forward
    cannot take them."""
    values = f.operand.values
    if not np.isfinite(points).all():
        return None
    saved = values.copy()
    try:
        values[...] = points.reshape(values.shape)
        n = finite_difference(lambda _: e.evaluate(), values, "central", e.eps)[0].reshape(-1)
    except Exception:  # noqa: BLE001 - a forward that cannot take its own output: this test is left out
        return None
    finally:
        values[...] = saved
    return n / dout


def _region(x: np.ndarray, bad: np.ndarray, usable: np.ndarray) -> str:
    """Where the claimed derivative is wrong, in terms of x."""
    ok = usable & ~bad
    if ok.sum() < 0.2 * usable.sum():
        return "wrong at every x"
    if (x[bad] < 0).all() and (x[ok] >= 0).mean() > 0.5:
        return "right for x > 0, wrong for x < 0"
    if (x[bad] > 0).all() and (x[ok] <= 0).mean() > 0.5:
        return "right for x < 0, wrong for x > 0"
    r = np.abs(x)
    if r[bad].min() > r[ok].max():
        return f"right near 0, wrong only at large |x| (|x| > {r[ok].max():.2g})"
    if r[bad].max() < r[ok].min():
        return f"wrong only near 0 (|x| < {r[ok].min():.2g}), right at large |x|"
    return ""


def _what(x, y, yours, true, at_output, tol, mirrored=None) -> str:
    """What the claimed derivative equals where it is wrong (``mirrored``: the true f' at -x)."""
    candidates = [(y, "yours equals f(x) itself (the output, not its derivative)"),
                  (at_output, "yours is f' taken of the output y = f(x) instead of the input x (written from y as if "
                              "y were x, or applied twice)"),
                  (1 - true, "yours is 1 - f'(x): the complement of the true one" + (
                      ", which here is f'(-x), the derivative mirrored (sigmoid(-x) = 1 - sigmoid(x) = 1 / (1 + e^x) "
                      "where sigmoid(x) belongs: the sign of the exponent flipped?)"
                      if _equal(1 - true, mirrored, tol) else "")),
                  (mirrored if _varies(mirrored, tol) else None,
                   "yours is f'(-x), the true derivative mirrored (the sign of an exponent or of x flipped: "
                   "sigmoid(-x) = 1 / (1 + e^x) where sigmoid(x) = 1 / (1 + e^-x) belongs?)"),
                  (-true, "yours has the sign flipped"),
                  (x, "yours equals x itself")]
    for h, words in candidates:
        if h is not None and np.all(np.abs(yours - h) <= tol + PREDICTED * np.abs(h)):
            return f"there {words}"
    if yours.size > 1 and np.ptp(yours - y) <= np.max(tol) and abs(float((yours - y).mean())) > np.max(tol):
        return f"there yours equals f(x) + {float((yours - y).mean()):.4g} (a formula of the output right elsewhere?)"
    if np.ptp(yours) <= np.max(tol) and yours.size > 1:
        return f"there yours is the constant {yours.mean():.4g}, the true one varies ({true.min():.3g} to " \
               f"{true.max():.3g})"
    c = float(yours @ true) / max(float(true @ true), 1e-300)
    if np.all(np.abs(yours - c * true) <= tol + PREDICTED * np.abs(c * true)):
        return f"there yours is {c:.4g} times the true one"
    return ""


def _equal(a, b, tol) -> bool:
    return a is not None and b is not None and bool(np.all(np.abs(a - b) <= tol + PREDICTED * np.abs(b)))


def _varies(h, tol) -> bool:
    """Is ``h`` more than one constant (a candidate that is constant says nothing a constant does not)?"""
    return h is not None and h.size > 1 and float(np.ptp(h)) > float(np.max(tol))


def _tails(x: np.ndarray, yours: np.ndarray, true: np.ndarray) -> str:
    """How the two behave at the largest and the smallest x."""
    words = []
    for side, where in (("as x grows", x >= np.quantile(x, 0.9)), ("as x falls", x <= np.quantile(x, 0.1))):
        g, t = float(yours[where].mean()), float(true[where].mean())
        if abs(g - t) > 0.05 * max(abs(g), abs(t), 1e-12) and _level(g)[:2] != _level(t)[:2]:
            words.append(f"{side}, yours tends to {_level(g)} where the true one tends to {_level(t)}")
    for sign, below in (("negative", true < 0), ("positive", true > 0)):
        if below.any() and not (np.sign(yours[below]) == np.sign(true[below])).any():
            k = np.flatnonzero(below)[np.argmax(np.abs(true[below]))]
            words.append(f"the true one is {sign} for some x ({true[k]:.3g} at x = {x[k]:.3g}) and yours never is "
                         "there: a term missing (for f = x * s(x), f' = s(x) + x * s'(x): the product rule's second "
                         "term?)")
            break
    return "; ".join(words) or "the two differ as functions of x"


def _level(v: float) -> str:
    for simple in (0.0, 1.0, -1.0):
        if abs(v - simple) < 0.1:
            return f"{simple:g} ({v:.2g})"
    return f"{v:.3g}"


def _samples(x: np.ndarray, yours: np.ndarray, true: np.ndarray, bad: np.ndarray) -> str:
    """Three wrong elements as evidence: at x = ..., yours ..., the true one ..."""
    picks = np.flatnonzero(bad)[np.argsort(x[bad])]
    picks = picks[[0, len(picks) // 2, -1]] if len(picks) >= 3 else picks
    return (f"(at x = {', '.join(f'{v:.3g}' for v in x[picks])}: yours "
            f"{', '.join(f'{v:.3g}' for v in yours[picks])}, the true one "
            f"{', '.join(f'{v:.3g}' for v in true[picks])})")
