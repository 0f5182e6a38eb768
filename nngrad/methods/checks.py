"""How a method's gradient is checked before it is timed."""

from __future__ import annotations

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


STATISTICAL_ESTIMATES = 64  # estimates averaged by the estimators' check
STATISTICAL_SIGMAS = 3.0  # how many standard errors the mean's cosine may stray from its prediction


def statistical(estimates: int = STATISTICAL_ESTIMATES, sigmas: float = STATISTICAL_SIGMAS) -> Check:
    """An estimator cannot be checked by equality: the mean of ``estimates`` fresh estimates (seeds 1..M, the
    method's default options) must have a cosine with backprop's gradient within ``sigmas`` standard errors of its
    prediction sqrt(kM / (kM + N + 1)) (methods.estimators.predicted_cosine). The error is |cosine - prediction|
    in standard errors; it passes at <= ``sigmas``. The standard error is measured from the M estimates'
    projections on the true gradient's direction (a bootstrap-free plug-in)."""
    def error(net, x, y, result: GradientResult) -> tuple[float, list[str]]:
        from .estimators import predicted_cosine

        reference = get(REFERENCE).prepare(net, x, y)().grad
        method = get(result.method)
        draws = np.stack([method.prepare(net, x, y, rng=seed)().grad for seed in range(1, estimates + 1)])
        mean = draws.mean(axis=0)
        norm = float(np.linalg.norm(reference))
        if norm <= TINY:
            return float("nan"), [f"every array (backprop's gradient is zero: nothing to estimate)"]
        k = int(result.info.get("k", 1))
        cosine = float(mean @ reference / max(np.linalg.norm(mean) * norm, TINY))
        predicted = predicted_cosine(k * estimates, net.num_params, result.info.get("directions", "gaussian"))
        # the spread of the mean's cosine: from the estimates' own spread along and across the true direction
        along = draws @ reference / norm
        across = np.sqrt(np.maximum((draws ** 2).sum(axis=1) - along ** 2, 0.0))
        spread = float(np.std(along) / max(float(np.linalg.norm(mean)), TINY) + np.std(across) / max(
            float(np.linalg.norm(mean)), TINY)) / np.sqrt(estimates)
        return abs(cosine - predicted) / max(spread, TINY), []

    return Check(f"backprop, statistically: the cosine of the mean of {estimates} estimates within {sigmas:g} "
                 "standard errors of its prediction", sigmas, error, lambda layers: 3.0 + estimates)
