"""Some arrays wrong, the others right, in code of several layers' arrays (a loss of W1, b1, W2, b2; a function
of flat parameters in parts; a pair or a layer holding numbered arrays): which are wrong, which agree, and what
that locates, read off each array's layer number (the digits its name ends with). A backward forms the gradients
from the last layer down, each layer's from the gradient the layer above passes down:

- layers 1..k wrong, every array above k right: the error enters between layer k + 1's gradients and layer k's
  (nngrad.check.network_check.boundary: the gradient passed down, or layer k's activation derivative);
- only arrays of one layer j wrong, and the layers below it (which get their gradient through j) right: the error
  is in layer j's own gradient formula, not in what it passes down.

Arrays without a number (the data X) may fail beside them: they lie below layer 1."""

from __future__ import annotations

import re

from .evidence import Evidence
from .findings import Finding


def diagnose(e: Evidence) -> list[Finding]:
    """A "located" finding where the failing arrays split the numbered ones as above, or []."""
    failing = [f.row.name for f in e.failing]
    rows = [r for r in e.rows if r.verdict not in ("shape", "unchecked")]
    if len(rows) != len(e.subject.operands) or not failing:
        return []  # an array not compared cannot be called right
    numbered = {r.name: int(m.group(1)) for r in rows if (m := re.search(r"(\d+)$", r.name))}
    others = [r.name for r in rows if r.name not in numbered]
    wrong = [r.name for r in rows if r.verdict == "FAIL"]
    if len(set(numbered.values())) < 2 or any(n not in wrong for n in others) or set(wrong) - set(failing):
        return []  # arrays failing only at noise level, or at ties, are not read
    from .network_check import boundary

    words = boundary(numbered, failing) or _own(numbered, failing)
    return [Finding("located", words)] if words else []


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
