"""Peak memory of one training step (gradient + update) per method: measured with tracemalloc, and predicted from
the shapes by a small model per method (issue 28, item 4: the estimators' real argument).

What is measured: the bytes one step allocates at its peak, the step being the method's prepared call followed by
the SGD update done in place (``grad *= -lr; params += grad``: no temporary). What existed before the step (the
weights, the batch, what the previous step left on the layers) is not counted; everything the step allocates is,
its temporaries included. The network is square and digits-like: ``width`` inputs, ``depth`` hidden ReLU layers of
``width`` units, 10 outputs, softmax cross-entropy, float64.

The models count elements of the dtype (``itemsize`` bytes each) plus the ReLU masks (one byte per element);
N parameters, L = depth + 1 Dense layers of outputs o_l, a_l = B o_l their activations, A = sum a_l, a = max a_l,
a2 the most two consecutive layers hold (Shapes.pair), P the largest parameter array (in x out), C the outputs,
k the directions. Each variant's docstring states its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import _validate as validate
from ..errors import InvalidValue
from .base import get
from .estimators import SPSA_EPS, draw, stacked_losses

OUTPUTS = 10  # the study's network: digits-like, 10 classes
OVERHEAD = 4096  # bytes: Python's own objects a step allocates (lists, a result, small arrays), about 1-3 KiB
LR = 1e-3  # the update's learning rate (it does not change what a step allocates)
ELIDED = 256 * 1024  # bytes: numpy reuses a temporary's buffer for ``a / k`` from this size on (temporary elision)


@dataclass(frozen=True)
class Shapes:
    """A network's sizes [in, hidden..., out] and the batch, read as the memory models need them."""

    sizes: tuple[int, ...]
    batch: int
    itemsize: int = 8

    @property
    def n(self) -> int:
        """N, the parameters."""
        return sum(i * o + o for i, o in zip(self.sizes[:-1], self.sizes[1:]))

    @property
    def activations(self) -> int:
        """A: every layer's activations, B times the sum of the layers' outputs."""
        return self.batch * sum(self.sizes[1:])

    @property
    def widest(self) -> int:
        """a: the largest layer's activations, B times its outputs."""
        return self.batch * max(self.sizes[1:])

    @property
    def pair(self) -> int:
        """a2: the most two consecutive layers' activations hold at once (a layer's input and output; the first
        layer's input is the batch, allocated before the step)."""
        outs = [self.batch * o for o in self.sizes[1:]]
        return max([outs[0]] + [p + q for p, q in zip(outs[:-1], outs[1:])])

    @property
    def largest_array(self) -> int:
        """P: the largest parameter array (in x out)."""
        return max(i * o for i, o in zip(self.sizes[:-1], self.sizes[1:]))

    def temporary(self, elements: int) -> int:
        """The elements of a temporary numpy makes in ``tmp / k`` (0 where it reuses tmp's buffer: ELIDED)."""
        return 0 if elements * self.itemsize >= ELIDED else elements

    def bytes(self, elements: float, masks: float = 0) -> int:
        """``elements`` of the dtype and ``masks`` one-byte elements, plus OVERHEAD."""
        return int(elements * self.itemsize + masks + OVERHEAD)


def backprop_model(s: Shapes, k: int) -> int:
    """max(2A + a, 2N + A + 2a) elements + A mask bytes: the forward keeps z and h of every layer (2A) and one
    product x @ W before its bias (a); then every layer's dW (N) and the concatenated gradient (N) beside each
    layer's kept input (about A) and two upstream gradients (2a); each ReLU keeps its mask."""
    n, big, a = s.n, s.activations, s.widest
    return s.bytes(max(2 * big + a, 2 * n + big + 2 * a), big)


def spsa_model(s: Shapes, k: int) -> int:
    """max(5kN, 3kN + 2k a2) elements: the k directions (kN), the 2k moved parameter vectors made as two halves
    (2kN) and concatenated (2kN); then the stacked forward of the 2k networks, one layer at a time (a layer's
    input and output, 2k a2; ReLU in place: no mask); then the estimate (N) beside the directions."""
    n = s.n
    return s.bytes(max(5 * k * n, 3 * k * n + 2 * k * s.pair))


def spsa_in_place_model(s: Shapes, k: int) -> int:
    """2N + a2 elements: the estimate (N) and one direction at a time (N), scaled and added in place; each loss
    evaluation runs one layer at a time (a layer's input and output, a2; ReLU in place: no mask)."""
    return s.bytes(2 * s.n + s.pair)


def forward_gradient_model(s: Shapes, k: int) -> int:
    """max(kN + 2A + (3k + 1)a, (k + 1)N + t) elements + A mask bytes: the k directions (kN); nngrad's primal
    pass keeps z and h of every layer (2A, not only act'(z)) and the ReLU masks; at each layer the k tangents,
    their product and the next (3ka) and act'(z) (a); then the estimate (N) beside the directions, and its
    division by k (t = N below ELIDED bytes, else 0)."""
    n, big, a = s.n, s.activations, s.widest
    return s.bytes(max(k * n + 2 * big + (3 * k + 1) * a, (k + 1) * n + s.temporary(n)), big)


def mezo_model(s: Shapes, k: int) -> int:
    """max(P, a2 + 4BC) elements: MeZO's step keeps no N-sized array at all: one parameter array's direction at a
    time (P, regenerated from its seed for each move and for the update), or during a loss evaluation a layer's
    input and output (a2) and the loss's temporaries (about 4BC)."""
    return s.bytes(max(s.largest_array, s.pair + 4 * s.batch * s.sizes[-1]))


def mezo_step(net, x: np.ndarray, y: np.ndarray, lr: float, k: int = 1, eps: float = SPSA_EPS,
              directions: str = "gaussian", seed: int = 0) -> float:
    """One MeZO step (Malladi et al. 2023) on checked x (B, in), y: for each of k directions, the weights moved in
    place to p + eps z and p - eps z and back, the loss evaluated layer by layer (nothing kept), z regenerated from
    its seed one parameter array at a time; then p -= lr / k sum_j proj_j z_j, z regenerated again. Never an
    N-sized array. Returns the mean of the 2k losses (the weights come back to rounding between the moves)."""
    seeds = np.random.SeedSequence(seed).spawn(k)
    losses, projections = [], []
    for s in seeds:
        pair = []
        for scale in (eps, -2 * eps):
            _move(net, s, scale, directions)
            pair.append(float(stacked_losses(net, x, y, net.params[None, :])[0]))
        _move(net, s, eps, directions)
        losses += pair
        projections.append((pair[0] - pair[1]) / (2 * eps))
    for s, projection in zip(seeds, projections):
        _move(net, s, -lr * projection / k, directions)
    return float(np.mean(losses))


def _move(net, seed: np.random.SeedSequence, scale: float, directions: str) -> None:
    """params += scale z, z drawn from ``seed`` one parameter array at a time (the same z at every call)."""
    rng = np.random.default_rng(seed)
    for dense in net.dense_layers:
        for array in (dense.W, dense.b):
            z = draw(rng, 1, array.size, directions, array.dtype).reshape(array.shape)
            z *= scale
            array += z


@dataclass(frozen=True)
class Variant:
    """A way to take one step, named on the command line: ``method`` with ``options`` (``k`` added where it takes
    one), or MeZO's fused step; ``model(shapes, k)`` its predicted peak bytes."""

    label: str
    description: str
    model: Callable[[Shapes, int], int]
    method: str | None = None  # None: MeZO's fused step
    options: tuple[tuple[str, object], ...] = ()


VARIANTS = {v.label: v for v in (
    Variant("backprop", "nngrad's backprop", backprop_model, "backprop"),
    Variant("spsa", "SPSA, 2k networks stacked (method spsa)", spsa_model, "spsa"),
    Variant("spsa-in-place", "SPSA moving the weights in place (method spsa, in_place=True)", spsa_in_place_model,
            "spsa", (("in_place", True),)),
    Variant("forward-gradient", "the forward gradient (method forward-gradient)", forward_gradient_model,
            "forward-gradient"),
    Variant("mezo", "MeZO's fused step: in place, directions regenerated per array, no gradient vector kept",
            mezo_model),
)}
TAKES_K = ("spsa", "forward-gradient")


def network(depth: int, width: int, seed: int = 0):
    """The study's network: ``width`` inputs, ``depth`` hidden ReLU layers of ``width``, OUTPUTS classes."""
    from ..model.network import DNN

    return DNN(depth, width, width, OUTPUTS, activation="relu", loss="softmax_ce", init="he", seed=seed)


def batch(net, size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A checked random batch (x (size, in), integer labels (size,))."""
    rng = np.random.default_rng(seed)
    return net.check_data(rng.standard_normal((size, net.num_input)), rng.integers(0, OUTPUTS, size))


def step(variant: Variant, net, x: np.ndarray, y: np.ndarray, k: int = 1) -> Callable[[], None]:
    """One step of ``variant`` on checked (x, y): its prepared call and the update in place, or MeZO's step."""
    if variant.method is None:
        gen = np.random.default_rng(0)  # a new seed each step, as MeZO draws one
        return lambda: mezo_step(net, x, y, LR, k, seed=int(gen.integers(2**63)))
    options = dict(variant.options) | ({"k": k} if variant.method in TAKES_K else {})
    call = get(variant.method).prepare(net, x, y, **options)

    def one() -> None:
        grad = call().grad
        grad *= -LR
        net.params += grad

    return one


def measure(variant: Variant, depth: int, width: int, batch_size: int, k: int = 1) -> dict:
    """One row: the variant's measured and predicted peak bytes of one step (after one step not measured)."""
    net = network(depth, width)
    x, y = batch(net, batch_size)
    one = step(variant, net, x, y, k)
    one()  # what a first step creates once (the layers' slots) is not the step's memory
    _, peak = net.backend.peak_memory(one, True)
    shapes = Shapes(tuple(net.sizes), batch_size, net.dtype.itemsize)
    return {"method": variant.label, "k": k if variant.label != "backprop" else 0, "depth": depth, "width": width,
            "batch": batch_size, "N": net.num_params, "measured_bytes": int(peak),
            "predicted_bytes": variant.model(shapes, k), "weights_bytes": net.num_params * net.dtype.itemsize}


def variants(labels) -> list[Variant]:
    """The variants named by ``labels`` (each once); InvalidValue naming the unknown ones and the valid labels."""
    labels = list(labels)
    bad = [v for v in labels if v not in VARIANTS]
    if bad or not labels:
        raise InvalidValue(f"methods must be among {', '.join(VARIANTS)} for the memory study; got "
                           f"{', '.join(map(repr, bad)) if bad else 'none'}")
    return [VARIANTS[v] for v in dict.fromkeys(labels)]


def grid(batches, depths, width: int, labels, k: int = 1, progress=None):
    """A DataFrame of :func:`measure` rows over batches x depths x the labelled variants; ``progress``: a tqdm-like
    bar updated once per measurement (or None)."""
    import pandas as pd

    chosen = variants(labels)
    width, k = validate.positive_int("width", width), validate.positive_int("k", k)
    batches = [validate.positive_int("batch", b) for b in batches]
    depths = [validate.positive_int("depth", d) for d in depths]
    rows = []
    for depth in depths:
        for size in batches:
            for variant in chosen:
                rows.append(measure(variant, depth, width, size, k))
                if progress is not None:
                    progress.update(1)
                    progress.set_postfix({"depth": depth, "batch": size, "method": variant.label})
    return pd.DataFrame(rows)
