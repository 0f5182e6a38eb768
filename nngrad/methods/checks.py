"""How a method's gradient is checked before it is timed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tolerances import KAPPA, REFINE, RESOLVE, TINY, tolerance
from .base import REFERENCE, Check, GradientResult, get
from .prefix import Prefix
from .schemes import COMPLEX_STEP, SCHEMES, Scheme, default_eps

DIRECTIONS = 3  # random directions of the directional check
FINITE_DIFFERENCE_TOL = tolerance("forward difference")  # norm-wise, a forward difference at its best step
EXACT_TOL = tolerance("exact")  # norm-wise, gradients exact to rounding: complex step, forward mode, the frameworks
BLOCKS = 32  # deeper networks are judged per block of consecutive layers (W and b together): BLOCKS blocks
PASS_COST = 3  # forward passes of one directional evaluation of the check (see directional_passes)
SHARE_FLOOR = 1e-3  # in a block, an array's direction is scaled by 1 / max(|g_a|, SHARE_FLOOR x the largest |g_a|)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """Norm-wise relative error ||a - b|| / ||b|| (0 when both are 0)."""
    return float(np.linalg.norm(a - b) / max(float(np.linalg.norm(b)), TINY))


def against_backprop(tolerance: float, scheme: Scheme | None = None) -> Check:
    """Per parameter array (each layer's W and b at its own scale), the norm-wise relative error of the gradient
    against the reference method (nngrad's backprop); the check's error is the worst array's. For a finite
    difference (``scheme``) the scheme's own error (KAPPA x Scheme.error per entry) is allowed for, and an array
    whose gradient is within RESOLVE x that error cannot be judged: it is named as unresolved instead."""
    def error(net, x, y, result: GradientResult) -> tuple[float, list[str]]:
        reference = get(REFERENCE).prepare(net, x, y)()
        floor = 0.0 if scheme is None else KAPPA * scheme.error(scheme.default_eps(net.dtype), reference.loss,
                                                                 net.dtype)
        errors, unresolved = [], []
        for a in net.param_arrays():
            g, r = result.grad[a.start:a.stop], reference.grad[a.start:a.stop]
            noise = floor * np.sqrt(r.size)  # the finite difference's own error, norm-wise over the array
            if floor and np.linalg.norm(r) <= RESOLVE * noise:
                unresolved.append(f"{a.name}{a.layer}")
            else:  # error <= tolerance  <=>  ||g - r|| <= tolerance ||r|| + noise
                errors.append(float(np.linalg.norm(g - r) / max(np.linalg.norm(r) + noise / tolerance, TINY)))
        return float(np.max(errors)) if errors else float("nan"), unresolved  # NaN anywhere fails

    return Check(REFERENCE, tolerance, error, lambda layers: 3.0)  # one backprop: a forward and a backward pass


def along_directions(tolerance: float = 1e-5, directions: int = DIRECTIONS) -> Check:
    """Per parameter array, the gradient projected on random unit directions within that array against the
    directional derivative: the complex step where the loss is analytic in the array (exact: any scale is
    verified), else central differences (an array below their resolution is named as unresolved). A wrong
    first layer cannot hide behind the last: each array is judged on its own."""
    return Check(f"per array ({BLOCKS} blocks of layers when deeper), {directions} random directions: complex "
                 "step where analytic, else central differences", tolerance,
                 lambda net, x, y, result: directional_error(net, x, y, result.grad, tolerance, directions),
                 directional_passes)


def directional_passes(layers: int) -> float:
    """Forward passes of :func:`directional_error` on a network of ``layers`` Dense layers: per array (or block),
    the stacked passes of its directions through the layers from its own on, PASS_COST each (two for central
    differences; one complex pass costs about three real ones: measured 30 backprop calls for the check at depth
    1,000, width 8): ~layers + 1 of them for a shallow network, ~BLOCKS for a deep one."""
    starts = [l for l in range(layers) for _ in "Wb"] if layers <= BLOCKS else [
        int(block[0]) for block in np.array_split(np.arange(layers), BLOCKS)]
    return PASS_COST * sum((layers - start) / layers for start in starts)


def directional_error(net, x: np.ndarray, y: np.ndarray, grad: np.ndarray, tolerance: float = 1e-5,
                      directions: int = DIRECTIONS, seed: int = 0) -> tuple[float, list[str]]:
    """(largest relative error |g.v - D_v L| / (|g.v| + |D_v L|) over the arrays and directions, unresolved
    arrays). D_v L is Im L(p + i h v) / h (1 complex evaluation per direction) where the loss is analytic in the
    array, else (L(p + h v) - L(p - h v)) / 2h (2 evaluations, whose own error is allowed for as in
    :func:`against_backprop`). Nothing is perturbed in place: the perturbed networks are evaluated from the kept
    forward pass (prefix.py). A network of more than BLOCKS Dense layers is judged per block of consecutive
    layers (their W and b moved together along one direction, each array's part scaled so that it has an equal
    share of g.v), so that the check costs BLOCKS suffix passes, not one per array: its time grows like the
    depth, not its square."""
    prefix, rng = Prefix(net, x, y), np.random.default_rng(seed)
    h = default_eps("central", net.dtype)
    floor = KAPPA * SCHEMES["central"].error(h, prefix.base_loss(), net.dtype)
    arrays = net.param_arrays()
    groups = [[a] for a in arrays] if len(net.dense_layers) <= BLOCKS else [
        [a for a in arrays if a.layer in block] for block in np.array_split(np.arange(len(net.dense_layers)), BLOCKS)]
    errors, unresolved = [], []
    for group in groups:
        vs = [rng.standard_normal((directions, *a.shape)) for a in group]
        sizes = [float(np.linalg.norm(grad[a.start:a.stop])) for a in group]
        if len(group) > 1 and max(sizes) > 0:  # each array an equal share of g.v: a large one hides no small one
            vs = [v * (max(sizes) / max(size, SHARE_FLOOR * max(sizes))) for v, size in zip(vs, sizes)]
        norm = np.sqrt(sum((v.reshape(directions, -1) ** 2).sum(axis=1) for v in vs))
        vs = [v / norm.reshape(-1, *[1] * (v.ndim - 1)) for v in vs]
        projected = sum(v.reshape(directions, -1) @ grad[a.start:a.stop] for a, v in zip(group, vs))
        allowed = 0.0
        if net.analytic_from(group[0].layer):
            derivative = _moved(prefix, group, vs, 1j * COMPLEX_STEP).imag / COMPLEX_STEP
        else:
            allowed = floor / tolerance
            derivative = (_moved(prefix, group, vs, h) - _moved(prefix, group, vs, -h)) / (2 * h)
            if max(np.abs(projected).max(), np.abs(derivative).max()) <= RESOLVE * floor:
                first, last = group[0], group[-1]
                unresolved.append(f"{first.name}{first.layer}" if len(group) == 1
                                  else f"layers {first.layer}-{last.layer}")
                continue
        with np.errstate(invalid="ignore"):  # an inf claim: inf - inf is NaN, and NaN fails below
            error = np.abs(projected - derivative) / np.maximum(np.abs(projected) + np.abs(derivative) + allowed, TINY)
        if allowed and (error > tolerance).any():
            error = _refined(prefix, group, vs, h, projected, derivative, error, tolerance, floor, net.dtype)
        errors.append(np.max(error))
    return float(np.max(errors)) if errors else float("nan"), unresolved


def _refined(prefix: Prefix, group: list, vs: list[np.ndarray], h: float, projected: np.ndarray,
             derivative: np.ndarray, error: np.ndarray, tolerance: float, floor: float, dtype) -> np.ndarray:
    """The errors (K,) of the directions after step refinement, the element rule of every gradient check
    (check.compare.refined): a failing direction is differenced again at h / REFINE; where its disagreement is
    the difference's own error, its error becomes that of the refined difference (or its Richardson
    extrapolation) against its own allowance; a bug's stays."""
    from ..check.compare import refined  # the check's element rules (imported here: check imports methods)

    fine_floor = KAPPA * SCHEMES["central"].error(h / REFINE, prefix.base_loss(), dtype)
    step = h / REFINE
    fine = (_moved(prefix, group, vs, step) - _moved(prefix, group, vs, -step)) / (2 * step)
    excused = (error > tolerance) & refined(projected, derivative, fine, tolerance, floor, fine_floor, 0.0)
    best = error.copy()
    for order in (None, 1, 2):  # the refined difference, its extrapolations for an error like h and like h^2
        k = 0.0 if order is None else 1.0 / (REFINE ** order - 1)
        estimate, own = fine + k * (fine - derivative), (1 + k) * fine_floor + k * floor
        ratio = np.abs(projected - estimate) / np.maximum(np.abs(projected) + np.abs(estimate) + own / tolerance,
                                                          TINY)
        best = np.where(excused, np.minimum(best, ratio), best)
    return best


def _moved(prefix: Prefix, group: list, vs: list[np.ndarray], step: complex) -> np.ndarray:
    """Losses (K,) of the networks whose arrays ``group`` moved by ``step`` times directions ``vs`` (K, *shape):
    one array alone from its layer's kept pre-activation; several layers' from the first one's input, each layer
    of the group with its own moved W and b, the rest of the network shared (prefix.suffix)."""
    if len(group) == 1:
        (a,), (v,) = group, vs
        dz = prefix.hs[a.layer] @ v if a.name == "W" else np.broadcast_to(v[:, None, :], (len(v), prefix.batch,
                                                                                          a.shape[0]))
        return prefix.losses_from(a.layer, step * dz)
    moves = {(a.layer, a.name): v for a, v in zip(group, vs)}
    layers = sorted({a.layer for a in group})
    out = prefix.hs[layers[0]]
    for l in layers:
        dense, act = prefix.dense[l], prefix.acts[l]
        z = out @ (dense.W + step * moves[(l, "W")]) if (l, "W") in moves else out @ dense.W
        z = z + (dense.b + step * moves[(l, "b")])[:, None, :] if (l, "b") in moves else z + dense.b
        out = act.inplace(z)
    return prefix.loss_layer.function(prefix.suffix(layers[-1] + 1, out), prefix.y)


STATISTICAL_ESTIMATES = 256  # estimates M averaged by the estimators' check (the classic network: ~0.08 s)
STATISTICAL_SIGMAS = 4.0  # how many standard errors each statistic may stray (see statistical)
STATISTICAL_SEED = 1  # the check's directions: fixed, so that its verdict on a network never changes
HELD_BYTES = 64 * 2**20  # the M estimates are kept (M, N) up to this size; beyond it they are drawn twice
ZERO_SHARE = 1e-15  # a layer whose part of g is below this fraction of ||g|| holds none of it (not judged)


@dataclass(frozen=True)
class MeanOfEstimates:
    """What the mean m of M estimates (each from k directions) says against the true gradient g (N,):
    ``cosine`` of m with g and its standard error (jackknife over the estimates), ``projection``
    m . g / ||g||^2 (1 when unbiased) and its standard error (the spread of the estimates' own projections),
    ``predicted`` cosine sqrt(kM / (kM + N +- 1)) (estimators.predicted_cosine)."""

    estimates: int
    directions: int  # kM
    cosine: float
    cosine_se: float
    projection: float
    projection_se: float
    predicted: float
    layers: tuple[tuple[int, float, float], ...] = ()  # (layer, m_l . g_l / ||g_l||^2, its standard error)

    @property
    def cosine_sigmas(self) -> float:
        """How many standard errors the cosine is from its prediction."""
        return abs(self.cosine - self.predicted) / max(self.cosine_se, TINY)

    @property
    def projection_sigmas(self) -> float:
        """How many standard errors the projection is from 1."""
        return abs(self.projection - 1.0) / max(self.projection_se, TINY)

    def layer_sigmas(self, sigmas: float) -> tuple[float, list[int]]:
        """(the largest distance of a judged layer's projection from 1, in standard errors (0 if none), the layers
        not judged): a layer is judged where 1 - ``sigmas`` standard errors > 0, so that its part zeroed would be
        seen; a layer holding a small share of ||g||^2 has a projection too noisy for that."""
        judged = [abs(p - 1.0) / max(se, TINY) for _, p, se in self.layers if sigmas * se < 1.0]
        return max(judged, default=0.0), [l for l, _, se in self.layers if not sigmas * se < 1.0]


def mean_of_estimates(method, net, x: np.ndarray, y: np.ndarray, reference: np.ndarray, options: dict,
                      estimates: int = STATISTICAL_ESTIMATES, seed: int = STATISTICAL_SEED,
                      layers: list[tuple[int, int]] = ()) -> MeanOfEstimates:
    """M = ``estimates`` estimates of ``method`` (a Method) with ``options`` on (net, x, y), from one prepared
    call whose directions come from ``seed``, against ``reference`` (N,), backprop's gradient (non-zero).
    The estimates are kept (M, N) when they fit HELD_BYTES, else drawn a second time (the same seed gives the
    same estimates) for the jackknife's dot products."""
    from .estimators import predicted_cosine

    n = reference.shape[0]
    norm = float(np.linalg.norm(reference))
    unit = reference / norm

    def draws():
        call = method.prepare(net, x, y, **options, rng=np.random.default_rng(seed))
        for _ in range(estimates):
            yield np.asarray(call().grad, dtype=np.float64)

    # each layer's part of g as a column, scaled: d @ columns = d's projection on each layer's part (M, L)
    columns = np.zeros((n, len(layers)))
    for l, (a, b) in enumerate(layers):
        columns[a:b, l] = reference[a:b] / max(float(reference[a:b] @ reference[a:b]), TINY)
    if estimates * n * 8 <= HELD_BYTES:  # kept: every product at once
        d = np.stack(list(draws()))
        total = d.sum(axis=0)
        along, squares, parts, with_total = d @ unit, np.einsum("mn,mn->m", d, d), d @ columns, d @ total
    else:  # streamed, then drawn again (the same seed: the same estimates) for their products with the total
        total, along, squares = np.zeros(n), np.empty(estimates), np.empty(estimates)
        parts = np.empty((estimates, len(layers)))
        for i, d in enumerate(draws()):
            total += d
            along[i], squares[i], parts[i] = d @ unit, d @ d, d @ columns
        with_total = np.array([d @ total for d in draws()])
    # leave-one-out sums (M - 1) m_(i) = total - d_i: their cosines with g, from dot products only
    loo_along = total @ unit - along
    loo_norm = np.sqrt(np.maximum(total @ total - 2 * with_total + squares, TINY))
    loo = loo_along / loo_norm
    cosine = float(total @ unit / max(float(np.linalg.norm(total)), TINY))
    cosine_se = float(np.sqrt((estimates - 1) / estimates * np.sum((loo - loo.mean()) ** 2)))
    projections = along / norm
    k = int(options.get("k", 1))
    return MeanOfEstimates(estimates, k * estimates, cosine, cosine_se, float(projections.mean()),
                           float(projections.std(ddof=1) / np.sqrt(estimates)),
                           predicted_cosine(k * estimates, n, options.get("directions", "gaussian")),
                           tuple(_layer_projection(l, parts[:, l], reference[a:b], norm)
                                 for l, (a, b) in enumerate(layers)))


def _layer_projection(layer: int, parts: np.ndarray, part: np.ndarray, norm: float) -> tuple[int, float, float]:
    """(layer, mean projection, its standard error) from the M estimates' projections ``parts`` (M,) on the
    layer's part of g; a layer whose part of g is zero (a dead ReLU layer) has nothing to project on: (NaN, inf),
    never judged."""
    if float(part @ part) <= (ZERO_SHARE * norm) ** 2:
        return layer, float("nan"), float("inf")
    return layer, float(parts.mean()), float(parts.std(ddof=1) / np.sqrt(len(parts)))


@dataclass(frozen=True)
class StatisticalCheck(Check):
    """A Check that calls the method itself ``estimates`` times (twice over where the estimates are too large
    to keep): what it costs is ``calls(N)`` calls of the method (priced by the method's own cost model) besides
    one backprop; ``passes`` (forward passes) prices it where the method's call has no prediction."""

    estimates: int = STATISTICAL_ESTIMATES

    def calls(self, n_params: int) -> int:
        """The method's calls the check makes on a network of ``n_params`` parameters."""
        return self.estimates * (1 if self.estimates * n_params * 8 <= HELD_BYTES else 2)


def statistical(per_estimate: float, estimates: int = STATISTICAL_ESTIMATES,
                sigmas: float = STATISTICAL_SIGMAS) -> Check:
    """An estimator's pre-timing check. An estimate is unbiased, not exact, so it cannot be checked by equality:
    the mean m of M = ``estimates`` estimates (the method and options of the result checked, directions from
    STATISTICAL_SEED: the check is deterministic) must have

    (a) a cosine with backprop's gradient g within ``sigmas`` standard errors of its prediction
        sqrt(kM / (kM + N + 1)) (Gaussian; N - 1 for Rademacher): its direction, and how noisy it is;
    (b) a projection m . g / ||g||^2 within ``sigmas`` standard errors of 1: its scale (a wrong scale, a
        missing /2 or /k, keeps the cosine but fails this);
    (c) per Dense layer l (W and b), m_l . g_l / ||g_l||^2 within ``sigmas`` standard errors of 1, for every
        layer whose standard error is below 1 / ``sigmas`` (its part zeroed would be seen); the others are
        named as not resolved (a layer with a small share of ||g||^2: the early layers of a deep sigmoid net).

    The standard errors come from the M estimates themselves (mean_of_estimates: the jackknife for the cosine,
    the spread of the estimates' own projections for (b) and (c)); the check's error is the largest distance in
    standard errors, and it passes at <= ``sigmas``.

    False failures. Were both statistics normal, two-sided 3 sigma on two of them would fail a right estimator
    with probability 2 x 0.27% ~ 0.5%. They are not quite: one direction's projection (g . v)^2 / ||g||^2 is
    chi-square with 1 degree of freedom, and the studentised mean of M such values has a heavy left tail
    (simulated, 2e5 trials: M = 256 exceeds 3 sigma 0.7% of the time, 4 sigma 0.08%; M = 64: 1.9% and 0.5%).
    A check runs before every timed point of every estimator (hundreds in a sweep) and a deterministic false
    failure never goes away for that network, so the default is 4 sigma at M = 256: about 0.1% per point for
    (a) and (b) (the jackknifed cosine: no excess over normal tails seen in 100 trials) and 0.01-0.08% per judged layer (simulated:
    a layer's projection is a product of two correlated normals, lighter-tailed than a square), i.e. ~0.2-0.5%
    per point from depth 1 to 16. What 4 sigma costs: a scale must be off by more than ~4 x sqrt(2 / kM) = 35%
    (k = 1) to be seen in (b); a sign flip, a factor 2 and directions redrawn after the losses (projection ~0)
    fail far beyond it; a layer's part zeroed fails (c) when its share f of ||g||^2 has 4 sqrt((1/f + 1) / kM)
    < 1, f > ~7% at kM = 256 (smaller shares are named not resolved).

    Cost: M calls of the method (2M where the M estimates, (M, N), exceed HELD_BYTES and are drawn again) and one
    backprop (StatisticalCheck.calls; ``per_estimate`` forward passes a call where no prediction of the call
    exists); the classic network's check takes ~0.08 s; on large networks the M x N random draws dominate it
    (~10 ns a Gaussian: 2.5 s per 1e6 parameters and pass)."""
    def error(net, x, y, result: GradientResult) -> tuple[float, list[str]]:
        reference = get(REFERENCE).prepare(net, x, y)().grad
        if float(np.linalg.norm(reference)) <= TINY:
            return float("nan"), ["every array (backprop's gradient is zero: nothing to estimate)"]
        method = get(result.method)
        options = {k: v for k, v in result.info.items() if k in method.options and k != "rng"}
        arrays = net.param_arrays()
        layers = [(arrays[2 * l].start, arrays[2 * l + 1].stop) for l in range(len(arrays) // 2)]
        stats = mean_of_estimates(method, net, x, y, reference, options, estimates, layers=layers)
        worst, blind = stats.layer_sigmas(sigmas)
        return max(stats.cosine_sigmas, stats.projection_sigmas, worst), [f"layer {l}" for l in blind]

    return StatisticalCheck(f"backprop, statistically: the mean of {estimates} estimates, its cosine against its "
                            f"prediction and its projection against 1, within {sigmas:g} standard errors", sigmas,
                            error, lambda layers: 3.0 + estimates * per_estimate, estimates)
