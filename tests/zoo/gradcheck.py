"""The bar to beat: ``torch.autograd.gradcheck`` wrapped around the same numpy code, the way a PyTorch user would
check it. The differentiated arrays (x and every parameter; a network's params; a loss's x; an engine's parameter
values) become the inputs of a ``torch.autograd.Function``: its forward writes them into the layer (or passes them to
the function) and runs the user's forward; its backward runs the user's backward (after the same forward again, with
numpy's global generator as it was for that forward, so the cache is the forward's own) and returns the user's
gradients as they are, wrong shapes included (torch sums a broadcastable one down to the input's shape, or raises:
raising counts as failing). gradcheck's defaults: eps 1e-6, atol 1e-5, rtol 1e-3; the arrays keep their dtype.

    cd tests && ../.venv/bin/python -m zoo.gradcheck [-v] [--fresh | --r2 | --r3 | --r4 | --r5 | --r6]

(--fresh: the first-contact batch FRESH; its styles go through the same ``_adapt.build``: torch-like and Keras-like
modules, Nielsen's networks, the deep-learning specialisation's functions, pure-Python lists; --r2: the second batch
ROUND2, through the same ``_adapt.build``: Chainer-like links, d2l's parameter lists, scikit-learn's MLP, an
autograd engine on arrays; --r3: the third batch ROUND3, through the same ``_adapt.build``: the NNFS model,
JAX-like parameter trees, fast.ai's foundations, numpy-ml's layers; --r4: the fourth batch ROUND4, through the same
``_adapt.build``: MultiLayerNetExtend's training-mode loss, parameter dicts, namedtuples and SimpleNamespaces,
dataclass layers with a grads dict, a graph of array nodes; --r5: the fifth batch ROUND5 (--r6: the sixth, ROUND6), through the same
``_adapt.build``: a trainer's list of layer dicts, a Module registry's ``_params`` and ``_grads``, a flat buffer's
``(flat, gflat)`` pair, layers that store ``grad_input``, a tape walked by ``grad(tape, dout)``.)"""

import sys
import warnings

import numpy as np
import torch
from torch.autograd import gradcheck

from . import CASES, FRESH, ROUND2, ROUND3, ROUND4, ROUND5, ROUND6
from ._adapt import build


def _tensor(a):
    return torch.from_numpy(np.ascontiguousarray(np.array(a, copy=True)))


def _gradcheck(case, rng, raise_exception):
    try:
        args, kwargs = case.make(rng)
        prob = build(case, args, kwargs)
    except Exception:  # noqa: BLE001
        return None

    class UserCode(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *tensors):
            arrays = [t.detach().numpy().copy() for t in tensors]
            ctx.arrays, ctx.state = arrays, np.random.get_state()
            return tuple(_tensor(o) for o in prob.forward(arrays))

        @staticmethod
        def backward(ctx, *grad_outputs):
            douts = [g.detach().numpy().copy() for g in grad_outputs]
            (grads,), _ = prob.run(ctx.arrays, douts, ctx.state)
            return tuple(None if g is None else _tensor(g) for g in grads)

    inputs = tuple(_tensor(a).requires_grad_() for a in prob.initial)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return bool(gradcheck(lambda *ts: UserCode.apply(*ts), inputs, raise_exception=raise_exception))


def gradcheck_case(case, rng) -> bool | None:
    """True: gradcheck passes; False: it fails (or raises); None: the case cannot be wrapped."""
    try:
        return _gradcheck(case, rng, raise_exception=False)
    except Exception:  # noqa: BLE001  (a wrong shape torch cannot sum down, an error in the user's code)
        return False


def why(case, rng) -> str:
    """The first words of gradcheck's complaint (or of the error raised)."""
    try:
        _gradcheck(case, rng, raise_exception=True)
        return "passes"
    except Exception as e:  # noqa: BLE001
        text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return text.split(", numerical")[0].split(", i.e.")[0][:90].rstrip(",")


def main(argv):
    verbose = "-v" in argv
    rows = []
    batch = ROUND6 if "--r6" in argv else ROUND5 if "--r5" in argv else ROUND4 if "--r4" in argv \
        else ROUND3 if "--r3" in argv \
        else ROUND2 if "--r2" in argv else FRESH if "--fresh" in argv else CASES
    for case in batch:
        rows.append((case, gradcheck_case(case, np.random.default_rng(0))))
    buggy = [(c, r) for c, r in rows if c.bug is not None]
    correct = [(c, r) for c, r in rows if c.bug is None]
    missed = [c for c, r in buggy if r is True]
    alarms = [c for c, r in correct if r is False]
    untaken = [c for c, r in rows if r is None]
    print("torch.autograd.gradcheck (eps 1e-6, atol 1e-5, rtol 1e-3) around the zoo's numpy code")
    print(f"  detected bugs / buggy cases:     {sum(r is False for _, r in buggy)} / {len(buggy)}")
    print(f"  false alarms / correct cases:    {len(alarms)} / {len(correct)}")
    print(f"  cases it could not take:         {len(untaken)} / {len(rows)}")
    styles = sorted({c.style for c, _ in rows})
    print(f"\n  {'style':14s} {'detected':>10s} {'false alarms':>13s}")
    for s in styles:
        b = [r for c, r in buggy if c.style == s]
        g = [r for c, r in correct if c.style == s]
        found, alarms_s = sum(r is False for r in b), sum(r is False for r in g)
        print(f"  {s:14s} {found:>4d} / {len(b):<3d} {alarms_s:>6d} / {len(g):<3d}")
    print(f"\n  missed bugs ({len(missed)}):")
    for c in missed:
        print(f"    {c.name}: {c.bug}")
    print(f"  false alarms ({len(alarms)}):")
    for c in alarms:
        print(f"    {c.name:60s} {why(c, np.random.default_rng(0))}")
    if verbose and untaken:
        print("  not taken:", ", ".join(c.name for c in untaken))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
