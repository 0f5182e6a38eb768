"""Gradient estimators: an unbiased guess at the gradient from a few random directions, with no backward pass.

- SPSA (Spall 1992; MeZO, Malladi et al. 2023): g = (L(p + eps z) - L(p - eps z)) / (2 eps) z, k directions
  averaged: 2k loss evaluations, whatever N is, evaluated as one stacked (2k networks) forward pass. Unbiased to
  O(eps^2). ``in_place=True`` is MeZO's memory trick: the weights are moved in place (p + eps z, p - 2 eps z,
  back) and z is drawn again from its seed instead of being kept: one network's memory, not 2k.
- The forward gradient (Baydin et al. 2022): g = (grad L . v) v, one tangent (Jacobian-vector) pass per
  direction v, exact directional derivatives carried through the forward pass as forward mode does.

Directions are Gaussian by default (the field's choice: MeZO, Baydin et al.; E g = grad L, and for k directions
the cosine of g with grad L is about sqrt(k / (k + N + 2))); Rademacher signs (Spall's) on request. Each prepared
call draws fresh directions from its own generator (``rng``: a seed or a numpy Generator; never numpy's global
one), so a training loop that passes one Generator gets a new direction every step, reproducibly.
"""

from __future__ import annotations

import numpy as np

from .. import _validate as validate
from ..errors import InvalidType, InvalidValue
from . import cost
from .base import Call, GradientResult, Method
from .checks import statistical
from .cost import Cost

DIRECTIONS = ("gaussian", "rademacher")
SPSA_EPS = 1e-3  # MeZO's perturbation size (absolute, per element of z)
SEED = 0  # the directions' seed when none is given: a one-off call is reproducible
# drawing directions, measured against nngrad's sigmoid on the development machine (min of 7 medians, N = 1e2..1e6):
# a standard normal 10.3 ns (numpy's ziggurat) where a sigmoid element took 1.9 ns; a Rademacher sign 1.0 ns
# (rng.bytes, unpackbits, x 2 - 1) but some 20 numpy calls more (its fixed cost shows at small N)
DRAW = {"gaussian": Cost(3, 0, 5.5), "rademacher": Cost(22, 0, 0.55)}  # (calls, -, sigmoid elements per number)
SPSA_CALLS, SPSA_LAYER_CALLS = 14, 2  # fixed calls beyond the stacked forward pass (measured), and per layer
TANGENT_CALLS, TANGENT_LAYER_CALLS = 6, 12  # the forward gradient's fixed calls, and per layer (measured)


def generator(rng: int | np.random.Generator | None) -> np.random.Generator:
    """``rng`` as a numpy Generator: a Generator as is (it advances), a seed (int >= 0), or None (SEED)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng(SEED)
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer) or rng < 0:
        raise InvalidType(f"rng must be a non-negative integer seed or a numpy Generator, got {rng!r}")
    return np.random.default_rng(int(rng))


def draw(rng: np.random.Generator, k: int, n: int, kind: str, dtype) -> np.ndarray:
    """k random directions (k, n) of ``kind``: standard normal, or Rademacher signs (+-1 each with probability
    1/2, from the generator's bytes: a bit each)."""
    if kind == "gaussian":
        return rng.standard_normal((k, n), dtype=np.dtype(dtype))
    bits = np.unpackbits(np.frombuffer(rng.bytes(-(-k * n // 8)), dtype=np.uint8), count=k * n)
    return (bits.astype(dtype) * 2 - 1).reshape(k, n)


def options(k: object, eps: object | None, directions: object) -> tuple[int, float | None, str]:
    """(k, eps, directions) checked: k >= 1 directions, eps > 0 (None: not taken), one of DIRECTIONS."""
    k = validate.positive_int("k", k)
    if eps is not None:
        eps = validate.positive_float("eps", eps)
    return k, eps, validate.choice("directions", directions, DIRECTIONS)


def layer_views(net, thetas: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """[(W (K, in, out), b (K, 1, out))] of each Dense layer: views of stacked parameter vectors thetas (K, N)."""
    views, offset, k = [], 0, thetas.shape[0]
    for dense in net.dense_layers:
        n_in, n_out = dense.W.shape
        w = thetas[:, offset:offset + n_in * n_out].reshape(k, n_in, n_out)
        b = thetas[:, offset + n_in * n_out:offset + n_in * n_out + n_out].reshape(k, 1, n_out)
        views.append((w, b))
        offset += n_in * n_out + n_out
    return views


def stacked_losses(net, x: np.ndarray, y: np.ndarray, thetas: np.ndarray) -> np.ndarray:
    """Losses (K,) of the network at K parameter vectors thetas (K, N), on checked x (B, in), y: one matrix
    product per layer for all K networks (K, B, width), activations in place."""
    out = x
    for (w, b), act in zip(layer_views(net, thetas), net.activations):
        z = np.matmul(out, w)  # (B, in) or (K, B, in) @ (K, in, out) -> (K, B, out)
        z += b
        out = act.inplace(z)
    return net.loss_layer.function(out, _rows(net, x, y))


def _rows(net, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return net.loss_layer.as_rows(y, net.num_output).astype(x.dtype, copy=False)


def _batched(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Checked (x, y) with a batch axis: one sample x (in,) becomes (1, in), its target likewise."""
    return (x[None, ...], np.asarray(y)[None, ...]) if x.ndim == 1 else (x, y)


def spsa_projections(net, x: np.ndarray, y: np.ndarray, z: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """((L(p + eps z_j) - L(p - eps z_j)) / (2 eps) for each direction z_j of z (k, N), the 2k losses (2k,)),
    from one stacked evaluation of the 2k moved networks (x (B, in) checked, 2D)."""
    p = net.params
    thetas = np.concatenate([p + eps * z, p - eps * z])
    losses = stacked_losses(net, x, y, thetas)
    k = z.shape[0]
    return (losses[:k] - losses[k:]) / (2 * eps), losses


def spsa_in_place(net, x: np.ndarray, y: np.ndarray, k: int, eps: float, kind: str, seed: int) -> tuple:
    """MeZO's moves without its update: (estimate (N,), mean of the 2k losses). The weights move in place along
    each direction and back, each loss evaluated one layer at a time (nothing of the forward pass kept); a
    direction is drawn from its own seed, scaled in place and dropped after use: besides the estimate, one
    N-sized array lives at a time. No copy of the weights is kept: the moves are undone by adding them back, so
    ``net.params`` come back to rounding (a few units in the last place), not bit for bit."""
    p, grad, losses = net.params, np.zeros_like(net.params), []
    one = p[None, :]  # a view: the network at p, stacked once
    for s in np.random.SeedSequence(seed).spawn(k):
        z = draw(np.random.default_rng(s), 1, p.shape[0], kind, p.dtype)[0]
        z *= eps  # the move, in place
        p += z
        plus = float(stacked_losses(net, x, y, one)[0])
        p -= z
        p -= z
        minus = float(stacked_losses(net, x, y, one)[0])
        p += z
        losses += [plus, minus]
        z *= (plus - minus) / (2 * eps * eps)  # now the direction's term of the estimate
        grad += z
    grad /= k
    return grad, float(np.mean(losses))


def prepare_spsa(net, x: np.ndarray, y: np.ndarray, k: int = 1, eps: float = SPSA_EPS, directions: str = "gaussian",
                 rng: int | np.random.Generator | None = None, in_place: bool = False) -> Call:
    """One SPSA estimate per call: k directions, 2k loss evaluations (see the module)."""
    k, eps, directions = options(k, eps, directions)
    gen = generator(rng)
    x2, y2 = _batched(x, y)
    if not isinstance(in_place, bool):
        raise InvalidType(f"in_place must be True or False, got {in_place!r}")

    def call() -> GradientResult:
        if in_place:
            grad, loss = spsa_in_place(net, x2, y2, k, eps, directions, int(gen.integers(2**63)))
        else:
            z = draw(gen, k, net.num_params, directions, net.dtype)
            projections, losses = spsa_projections(net, x2, y2, z, eps)
            grad, loss = projections @ z / k, float(losses.mean())
        return GradientResult(grad, loss, "spsa", 2 * k,
                              info={"k": k, "eps": eps, "directions": directions, "in_place": in_place})

    return call


def tangents(net, x: np.ndarray, y: np.ndarray, v: np.ndarray) -> tuple[float, np.ndarray]:
    """(L(p), the directional derivatives grad L . v_j (k,)) for directions v (k, N): the primal pass keeps
    act'(z) of every layer, then the k tangents travel through the layers stacked (k, B, width), exact."""
    hs, zs = net.trace(x)
    loss = float(net.loss_layer.forward(hs[-1], y))
    g = net.loss_layer.backward(1.0)  # dL/d output (B, out)
    t = None
    for l, ((vw, vb), dense, act) in enumerate(zip(layer_views(net, v), net.dense_layers, net.activations)):
        dz = np.matmul(hs[l], vw)  # the tangent of z_l from this layer's own directions (k, B, out)
        dz += vb
        if t is not None:
            dz += np.matmul(t, dense.W)  # and from the tangent of its input
        t = dz * act.derivative(zs[l], hs[l + 1])
    return loss, np.einsum("kbo,bo->k", t, g)


def prepare_forward_gradient(net, x: np.ndarray, y: np.ndarray, k: int = 1, directions: str = "gaussian",
                             rng: int | np.random.Generator | None = None) -> Call:
    """One forward-gradient estimate per call: the primal pass (1 loss evaluation) and k tangent passes."""
    k, _, directions = options(k, None, directions)
    gen = generator(rng)
    x2, y2 = _batched(x, y)

    def call() -> GradientResult:
        v = draw(gen, k, net.num_params, directions, net.dtype)
        loss, dd = tangents(net, x2, y2, v)
        return GradientResult(dd @ v / k, loss, "forward-gradient", 1, tangent_passes=k,
                              info={"k": k, "directions": directions})

    return call


def predicted_cosine(k: int, n: int, directions: str = "gaussian") -> float:
    """The cosine of an estimate from k directions with the true gradient g in N = n dimensions, as
    E[g_hat . g] / sqrt(E ||g_hat||^2 ||g||^2): E ||(g.v) v||^2 = (N + 2) ||g||^2 for a Gaussian v and N ||g||^2
    for Rademacher signs, so E ||g_hat||^2 = (N + k + 1) / k ||g||^2 (Gaussian), (N + k - 1) / k ||g||^2
    (Rademacher): sqrt(k / (k + N + 1)) and sqrt(k / (k + N - 1)). Accurate once N is more than a few."""
    if n < 1 or k < 1:
        raise InvalidValue(f"k and n must be positive, got k={k}, n={n}")
    return float(np.sqrt(k / (k + n + (1 if directions == "gaussian" else -1))))


def draw_cost(numbers: float, directions: str = "gaussian") -> cost.Cost:
    """Drawing ``numbers`` random numbers: DRAW's calls once, its per-number work ``numbers`` times."""
    unit = DRAW[directions]
    return Cost(unit.calls, 0, unit.elementwise * numbers)


def estimate_cost(n: int, k: int) -> cost.Cost:
    """The estimate (k,) @ (k, N) / k: a matrix-vector product, memory-bound (measured: ~5 plain passes per
    parameter at k = 1 beside its flops), and the division."""
    return Cost(2, 2 * k * n, 0) + cost.passes(0, 4 * n + n)


def spsa_cost(net: cost.Network, k: int = 1, directions: str = "gaussian") -> cost.Cost:
    """k directions (k N numbers drawn), the 2k moved parameter vectors (eps z, p + it, p - it, stacked: 6 k N
    plain passes), one stacked loss evaluation of the 2k networks (their layers viewed from the stack), the
    projections and the estimate; SPSA_CALLS, SPSA_LAYER_CALLS: the Python around them, measured."""
    n, layers = net.n_params, len(net.layers)
    return (draw_cost(k * n, directions) + cost.passes(4, 6 * k * n) + cost.forward(net, 2 * k)
            + Cost(SPSA_CALLS + SPSA_LAYER_CALLS * layers) + estimate_cost(n, k))


def forward_gradient_cost(net: cost.Network, k: int = 1, directions: str = "gaussian") -> cost.Cost:
    """k directions drawn, the primal pass keeping act'(z), per layer the tangents (k, B, out) from the layer's
    own directions and its input's tangent (act'(z) computed, multiplied in), the k directional derivatives, the
    estimate; TANGENT_CALLS, TANGENT_LAYER_CALLS: the Python around them, measured."""
    b, n = net.batch, net.n_params
    total = (draw_cost(k * n, directions) + cost.forward(net) + cost.passes(2, 2 * b * net.sizes[-1])
             + estimate_cost(n, k) + Cost(TANGENT_CALLS))
    for l, (i, o, act) in enumerate(net.layers):
        flops = 2 * k * b * i * o * (2 if l else 1)
        total += Cost(TANGENT_LAYER_CALLS, flops, 0) + cost.passes(0, 3 * k * b * o) + cost.passes(0, 2 * b * o)
    return total + Cost(1, 2 * k * b * net.sizes[-1], 0)


SPSA = Method(
    name="spsa", family="estimator", exact=False, evaluates_loss=False,
    options=("k", "eps", "directions", "rng", "in_place"), prepare=prepare_spsa,
    description="SPSA (MeZO): (L(p + eps z) - L(p - eps z)) / 2 eps times z, k random directions: 2k loss "
                "evaluations whatever N is, unbiased, not exact",
    work_count=lambda n: 2, cost=spsa_cost, check=statistical(per_estimate=3.0), color="#ad494a", marker=">")

FORWARD_GRADIENT = Method(
    name="forward-gradient", family="estimator", exact=False,
    options=("k", "directions", "rng"), prepare=prepare_forward_gradient,
    description="the forward gradient (Baydin et al. 2022): (grad L . v) v, k random tangents through the forward "
                "pass: k tangent passes whatever N is, unbiased, not exact",
    work_count=lambda n: 1, work_unit="tangent passes", cost=forward_gradient_cost,
    check=statistical(per_estimate=3.0),
    color="#8c6d31", marker="H")
