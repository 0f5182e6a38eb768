"""Every registered method's matrix-product flops (Method.operations, what the sweep records and the fits read)
against a count by hand of what its code does, on networks whose layers all differ in size (so a product
counted at the wrong layer, a factor dropped or a complex product priced as a real one shows). (Issue 20: M08,
M09: forward mode's tangent products at half their flops, a complex matrix product priced as a real one.)

The counts, for layer sizes s_0 .. s_L, batch B, layer l = (i_l, o_l) = (s_l, s_{l+1}), n_l = (i_l + 1) o_l
parameters, N = sum n_l:
- one forward pass: F = sum_l 2 B i_l o_l; a backward pass: dW = x.T @ dout and dx = dout @ W.T, 2F;
- a perturbation of layer l: the kept pass before it, a changed column of layer l and a rank-one change of layer
  l + 1 (element-wise), then the full products of the layers after l + 1, S_l = sum_{m >= l+2} 2 B i_m o_m;
- a complex product costs 4 real ones; a tangent pass of layer l runs S_l, then (l not the last) the dot
  product of the output's tangent (B, s_L) with dL/d output, 2 B s_L.
"""

from itertools import pairwise

import pytest

from nngrad.methods import get, registered

SIZES = ([3, 5, 4, 6, 2], [2, 3, 1], [4, 7, 2])
BATCHES = (7, 1)


def _layers(sizes: list[int]) -> list[tuple[int, int]]:
    return list(pairwise(sizes))


def _forward(sizes: list[int], b: int) -> int:
    return sum(2 * b * i * o for i, o in _layers(sizes))


def _suffix(sizes: list[int], b: int, l: int) -> int:
    return sum(2 * b * i * o for i, o in _layers(sizes)[l + 2:])


def _perturbed(sizes: list[int], b: int, per_product: int = 1) -> int:
    """Every parameter's perturbed network, from the kept pass."""
    return sum((i + 1) * o * per_product * _suffix(sizes, b, l) for l, (i, o) in enumerate(_layers(sizes)))


def _tangents(sizes: list[int], b: int) -> int:
    last = len(sizes) - 2
    return sum((i + 1) * o * (_suffix(sizes, b, l) + (2 * b * sizes[-1] if l < last else 0))
               for l, (i, o) in enumerate(_layers(sizes)))


def _n(sizes: list[int]) -> int:
    return sum((i + 1) * o for i, o in _layers(sizes))


HAND_COUNTS = {
    "forward": lambda s, b: _forward(s, b),
    "backprop": lambda s, b: 3 * _forward(s, b),
    "backprop-numba": lambda s, b: 3 * _forward(s, b),  # backprop's products, in one compiled call
    "numerical-loop": lambda s, b: (_n(s) + 1) * _forward(s, b),
    "numerical-batched": lambda s, b: _forward(s, b) + _perturbed(s, b),
    "central-batched": lambda s, b: _forward(s, b) + 2 * _perturbed(s, b),
    "complex-step": lambda s, b: _forward(s, b) + _perturbed(s, b, per_product=4),
    "forward-mode": lambda s, b: _forward(s, b) + _tangents(s, b),
    "forward-numba": lambda s, b: _forward(s, b),  # the compiled twins: their numpy twins' products, in one call
    "forward-mode-numba": lambda s, b: _forward(s, b) + _tangents(s, b),
    "numerical-batched-numba": lambda s, b: _forward(s, b) + _perturbed(s, b),
    "torch": lambda s, b: 3 * _forward(s, b),
    "jax": lambda s, b: 3 * _forward(s, b),
    "autograd": lambda s, b: 3 * _forward(s, b),
    "jax-fd": lambda s, b: (_n(s) + 1) * _forward(s, b),  # full passes: no prefix reuse
    "scipy": lambda s, b: (_n(s) + 1) * _forward(s, b),
    "backprop-graph": lambda s, b: 3 * _forward(s, b),  # the same products, replayed
    "torch-graph": lambda s, b: 3 * _forward(s, b),
    # one direction (k = 1): the 2 moved networks' stacked pass, the estimate (1,) @ (1, N)
    "spsa": lambda s, b: 2 * _forward(s, b) + 2 * _n(s),
    # the primal pass; layer 0's tangent from its own direction, every later layer's from its own and its input's
    # tangent (twice layer l's products), the output's tangent . dL/d output, the estimate
    "forward-gradient": lambda s, b: (_forward(s, b) + 2 * _forward(s, b) - 2 * b * s[0] * s[1] + 2 * b * s[-1]
                                      + 2 * _n(s)),
}


def test_every_registered_method_has_a_hand_count():
    assert set(HAND_COUNTS) == set(registered())


@pytest.mark.parametrize("method", list(HAND_COUNTS))
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "-".join(map(str, s)))
@pytest.mark.parametrize("batch", BATCHES)
def test_each_methods_operation_count_is_the_count_by_hand(method, sizes, batch):
    assert get(method).operations(sizes, batch) == HAND_COUNTS[method](sizes, batch)


def test_the_counts_by_hand_tell_the_methods_apart():
    """The fixture can tell a right rule from a wrong one: on the deepest network the counts of the perturbing
    methods differ from each other (a complex product priced as a real one, or a tangent product at half its flops,
    would make two of them coincide or move)."""
    s, b = SIZES[0], BATCHES[0]
    counts = {m: HAND_COUNTS[m](s, b) for m in ("numerical-batched", "central-batched", "complex-step", "forward-mode")}
    assert len(set(counts.values())) == len(counts)
    assert _perturbed(s, b) > 0 and _tangents(s, b) > _perturbed(s, b)
