"""Some arrays wrong, the others right, in code of several layers' arrays (a loss of W1, b1, W2, b2; a function
of flat parameters in parts; a pair or a layer holding numbered arrays): which are wrong, which agree, and what
that locates, read off each array's layer number (the digits its name ends with, or those of the sub-module holding it: l1.W.grad
of a chain of links l1, l2). A backward forms the gradients
from the last layer down, each layer's from the gradient the layer above passes down:

- layers 1..k wrong, every array above k right: the error enters between layer k + 1's gradients and layer k's
  (nngrad.check.network_check.boundary: the gradient passed down, or layer k's activation derivative);
- only arrays of one layer j wrong, and the layers below it (which get their gradient through j) right: the error
  is in layer j's own gradient formula, not in what it passes down.

Arrays without a number (the data X) may fail beside them: they lie below layer 1. Where the arrays are not
numbered (one layer: x, w, b; attention: Q, K, V), and no other diagnosis named the bug, the split is said for what
it shows ("split", last): in a layer or a pair the first array is the one passed down (its input), the others are
read from the same dout."""

from __future__ import annotations

import re

import numpy as np

from .evidence import Evidence
from .findings import Finding


def diagnose(e: Evidence) -> list[Finding]:
    """A "located" finding where the failing arrays split the numbered ones as above, or []."""
    split = _split(e)
    if split is None:
        return []
    rows, wrong, numbered = split
    if len(set(numbered.values())) < 2 or any(r not in wrong for r in rows if r not in numbered):
        return []
    from .network_check import boundary

    words = boundary(numbered, wrong) or _own(numbered, wrong)
    return [Finding("located", words)] if words else []


def unnumbered(e: Evidence) -> list[Finding]:
    """A "split" finding where arrays without layer numbers split into wrong and right, and no other diagnosis
    named the bug (run last: after the probe "right for the first sample?")."""
    split = _split(e)
    if split is None or split[2] or e.fails():
        return []
    rows, wrong, _ = split
    return [Finding("split", _unnumbered(rows, wrong, _layer(e)))]


def _split(e: Evidence) -> tuple[list[str], list[str], dict[str, int]] | None:
    """(every row's name, the wrong ones, {name: layer number} of the numbered ones) where every array was compared
    and some, not all, failed well above the check's noise; None otherwise."""
    failing = {f.row.name for f in e.failing}
    rows = [r for r in e.rows if r.verdict not in ("shape", "unchecked")]
    wrong = [r.name for r in rows if r.verdict == "FAIL"]
    if len(rows) != len(e.subject.operands) or not wrong or set(wrong) - failing or len(wrong) == len(rows):
        return None  # an array not compared cannot be called right; one failing at noise level or at ties is not read
    numbered = {r.name: k for r in rows if (k := number(r.name)) is not None}
    return [r.name for r in rows], wrong, numbered


def number(name: str) -> int | None:
    """The layer number of a gradient row: the digits its name ends with (dW1, b2), else those that end the name of
    the sub-module holding it (l1.W.grad, fc2.weight.grad: a chain of named links); None without one."""
    m = re.search(r"(\d+)$", name) or re.match(r"[A-Za-z_]\w*?(\d+)\.", name)
    return int(m.group(1)) if m else None


def _layer(e: Evidence) -> bool:
    """Code given a dout (a layer, a forward/backward pair), whose first array is its input: not a loss."""
    try:
        context = e.subject.context()
    except Exception:  # noqa: BLE001 - a diagnosis may fail, the check may not
        return False
    return context is not None and context.dout is not None and np.ndim(context.dout) > 0 and (
        e.subject.operands[0].role == "input")


def _unnumbered(names: list[str], wrong: list[str], layer: bool) -> str:
    """One layer's arrays (the first its input's gradient, the one it passes down), several inputs of one block,
    or a loss's arrays: which are wrong, which agree, and what that shows."""
    right = [n for n in names if n not in wrong]
    head = (f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} wrong while {', '.join(right)} "
            f"{'agrees' if len(right) == 1 else 'agree'}")
    first = names[0]
    if not layer:
        return (f"{head}: what their gradients share is right, and the error lies on the backward's way to "
                f"{', '.join(wrong)} only, past where it branches off from the way to {', '.join(right)}")
    if first in right:
        return (f"{head}: {first}, the gradient passed down, is right, so dout reaches the code right, and the error "
                f"is in the formula of {', '.join(wrong)} itself (what it pairs dout with: an index, a window, a "
                "stride, an offset, a transpose?)")
    if wrong == [first]:
        return (f"{head}: dout reaches the code right (the other gradients, read from it, are), and the error is in "
                f"the formula of {first} itself (what it sends dout back through: a transpose, an index, a stride?)")
    return (f"{head}: dout reaches the code right, and the error lies on the backward's way to "
            f"{', '.join(wrong)} only, past where it branches off from the way to {', '.join(right)}")


def _own(layers: dict[str, int], failing: list[str]) -> str:
    """Only arrays of one layer j wrong, every array of the layers below j right."""
    bad = {layers[n] for n in failing if n in layers}
    if len(bad) != 1 or len(failing) != sum(n in layers for n in failing):
        return ""
    j = bad.pop()
    below = [n for n, k in layers.items() if k < j]
    if not below:
        return ""
    wrong = [n for n in layers if n in failing]
    same = [n for n, k in layers.items() if k == j and n not in failing]
    also = f" (and {', '.join(same)} of the same layer)" if same else ""
    return (f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} wrong while {', '.join(below)}, which get their "
            f"gradient through layer {j}, agree{also}: the gradient layer {j} passes down is right, so the error is "
            f"in the formula of {', '.join(wrong)} itself (the wrong activation, a transpose, a missing factor "
            "there?)")
