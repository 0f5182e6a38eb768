"""Operation counts of each way to get a gradient, for a dense network of layer ``sizes``.

Counts are multiply-adds x 2 of the matrix products (activations and biases are O(B * n), ignored).
"""

from __future__ import annotations

from itertools import pairwise


def num_params(sizes: list[int]) -> int:
    """N = sum of (in + 1) * out over the Dense layers."""
    return sum((i + 1) * o for i, o in pairwise(sizes))


def forward_flops(sizes: list[int], batch: int) -> int:
    """One forward pass: 2 * B * sum_i n_i * n_{i+1}."""
    return 2 * batch * sum(i * o for i, o in pairwise(sizes))


def batched_flops(sizes: list[int], batch: int) -> int:
    """Forward differences evaluated as in nngrad.batched: one base pass, then per perturbed parameter of
    layer l a rank-one update of layer l+1 and full products through the layers after it."""
    layers = list(pairwise(sizes))
    total = forward_flops(sizes, batch)
    for l, (n_in, n_out) in enumerate(layers):
        after = layers[l + 1:]  # the last layer's perturbations change one output column: no products
        rank_one = 2 * batch * after[0][1] if after else 0
        per_network = rank_one + 2 * batch * sum(i * o for i, o in after[1:])
        total += (n_in + 1) * n_out * per_network
    return total


def method_flops(method: str, sizes: list[int], batch: int) -> int:
    """Estimated floating-point operations of one call of a benchmark method."""
    f = forward_flops(sizes, batch)
    if method == "forward":
        return f
    if method == "backprop":
        return 3 * f  # forward + two products per layer backward (dx and dW)
    if method == "numerical-loop":
        return (num_params(sizes) + 1) * f
    if method == "numerical-batched":
        return batched_flops(sizes, batch)
    raise ValueError(f"unknown method {method!r}")
