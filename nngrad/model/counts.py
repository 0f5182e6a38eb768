"""Operation counts of a dense network of layer ``sizes`` ([num_input, width, ..., num_output]).

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


POINT_VECTORS = 10  # arrays of N a benchmark point holds at its peak (measured: 9.2 N, max RSS of the suite at N = 3.6e7)


def memory_bytes(sizes: list[int], batch: int, itemsize: int = 8) -> int:
    """Memory of a benchmark point of this network at its peak: POINT_VECTORS arrays of N (the network and its CPU
    twin, the weights' draw, the gradient, the check's reference and differences, the previous round's result
    while the next is made), and a forward pass kept for backward (two arrays per layer)."""
    return itemsize * (POINT_VECTORS * num_params(sizes) + 2 * batch * sum(sizes))
