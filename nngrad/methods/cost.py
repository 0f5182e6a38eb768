"""The cost model: one call's work in three kinds, each priced by a measured machine constant.

time = calls x (fixed cost of a call) + flops / (matrix-product rate) + element-wise work / (element-wise rate)

``calls``: numpy calls, each paying a fixed cost whatever the array's size (on small arrays this is all there
is). A block of nngrad's code counts what it costs on a tiny network in units of one call (CALLS): Python's
own overhead (a method call, ``np.errstate``, ``np.mean``) is part of it; ``flops``: the multiply-adds x 2 of the matrix products; ``elementwise``: element-wise work in sigmoid
elements (one element through nngrad's sigmoid: a negation, an exp, an add, a reciprocal). A plain pass over
one element (an add, a multiply, a copy) counts PASS of a sigmoid element: the exp is most of a sigmoid.
A peer's calls are issued by its own library (torch, jax, autograd), whose fixed cost per call is its own
constant, measured like numpy's (``Constants.library_call_s``).

Compiled code (a method of runtime "numba", methods/compiled.py) changes the machine's prices, not the work: the
same three terms, the same three constants measured again inside compiled code (``Constants.runtimes``,
sweep/compiled_machine.py): a call is then one operation the kernel issues (an ``np.dot``, a loop over an array,
an array it receives), the GEMM rate is ``np.dot``'s inside ``@njit``, the element-wise rate the compiled sigmoid
loop's. A method of a runtime whose constants were not measured is priced NaN, never with numpy's.

Each method states its cost from the code it runs (``Method.cost``); nothing here is fitted to the timings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from ..model.activations import ACTIVATIONS
from ..model.counts import num_params
from ..model.losses import LOSSES
from .runtimes import DEFAULT as DEFAULT_RUNTIME

PASS = 1 / 8  # one plain element-wise pass, in sigmoid elements
# an activation's and a loss's costs are their units' own (nngrad.model.activations, nngrad.model.losses)
# fixed costs of nngrad's code blocks in calls, each timed on a tiny network (Python 3.11, numpy 2) in units of the
# machine's call constant: they are properties of the code, like its flops
CALLS = {
    "dense": 4,  # x @ W + b as a layer (stacked: reshape, product, reshape, += b)
    "evaluate": 4,  # DNN.evaluate / trace around the layers
    "backward layer": 8, "backward": 16,  # per layer (activation and Dense), and the rest (loss, gathering)
    "prefix layer": 9, "prefix": 18,  # prefix.Prefix: per layer (kept pass, input with ones), and the rest
    "column": 22,  # a chunk's changed column of layer l: indices, step x input, + z, the activation
    "rank one": 26,  # the next layer's rank-one change and its activation
    "suffix layer": 18,  # a layer after it, for all the chunk's networks: the stacked product, + b, the activation
    "output column": 8,  # or, when l is the last layer, the kept output repeated and one column replaced
    "chunk": 4,  # a chunk's bookkeeping in Chunked.gradient: its slice of the gradient
    "chunked": 65,  # a chunked gradient's own setup: the kernel, the gradient vector, the layer offsets, the result
    "tangent column": 9, "tangent rank one": 4, "tangent layer": 4, "tangent output": 3,  # forward mode's blocks
}


@dataclass(frozen=True)
class Constants:
    """The machine, as the cost model sees it: seconds per numpy call on small arrays, matrix-product flop/s,
    seconds per sigmoid element; and the fixed cost per call of each peer library measured in the run."""

    call_s: float
    gemm_flop_s: float
    elementwise_s: float
    library_call_s: dict[str, float] = field(default_factory=dict)
    # off numpy: seconds per declared call of each method's own code there (the CALLS table is numpy's)
    method_call_s: dict[str, float] = field(default_factory=dict)
    # the same three constants measured inside another runtime's code (methods/runtimes.py), by runtime name
    runtimes: dict[str, Constants] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"call_s": self.call_s, "gemm_flop_s": self.gemm_flop_s, "elementwise_s": self.elementwise_s,
                "library_call_s": dict(self.library_call_s), "method_call_s": dict(self.method_call_s),
                "runtimes": {name: c.to_dict() for name, c in self.runtimes.items()}}

    @classmethod
    def from_dict(cls, d: dict) -> Constants:
        """The constants ``to_dict`` wrote (run.json's ``machine_constants``; keys it lacks are empty)."""
        return cls(float(d["call_s"]), float(d["gemm_flop_s"]), float(d["elementwise_s"]),
                   dict(d.get("library_call_s") or {}), dict(d.get("method_call_s") or {}),
                   {name: cls.from_dict(c) for name, c in (d.get("runtimes") or {}).items()})

    def of(self, method: str) -> Constants:
        """The constants that price the method called ``method``: its runtime's (all NaN where that runtime was
        not measured), else its own cost per call where it was measured, else ``call_s``."""
        runtime = _runtime_of(method)
        if runtime != DEFAULT_RUNTIME:
            return self.runtimes.get(runtime, UNMEASURED)
        return replace(self, call_s=self.method_call_s[method]) if method in self.method_call_s else self


def _runtime_of(method: str) -> str:
    """The runtime of the registered method ``method``; numpy's (the default) for a name not registered."""
    from ..errors import InvalidValue
    from .base import get  # the registry's modules import this one: looked up when called

    try:
        return get(method).runtime
    except InvalidValue:
        return DEFAULT_RUNTIME


UNMEASURED = Constants(math.nan, math.nan, math.nan)  # a runtime whose constants were not measured: NaN predictions


@dataclass(frozen=True)
class Cost:
    """The work of one call: numpy ``calls``, ``library_calls`` issued by a peer's ``library``, matrix-product
    ``flops``, ``elementwise`` work in sigmoid elements."""

    calls: float = 0.0
    flops: float = 0.0
    elementwise: float = 0.0
    library_calls: float = 0.0
    library: str | None = None

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.calls + other.calls, self.flops + other.flops, self.elementwise + other.elementwise,
                    self.library_calls + other.library_calls, self.library or other.library)

    def __mul__(self, k: float) -> Cost:
        return Cost(self.calls * k, self.flops * k, self.elementwise * k, self.library_calls * k, self.library)

    __rmul__ = __mul__

    def terms(self, c: Constants) -> dict[str, float]:
        """Seconds of each term: {"calls", "flops", "elementwise"} (calls: numpy's and the library's)."""
        library_s = c.library_call_s.get(self.library, math.nan) * self.library_calls if self.library_calls else 0.0
        return {"calls": self.calls * c.call_s + library_s, "flops": self.flops / c.gemm_flop_s,
                "elementwise": self.elementwise * c.elementwise_s}

    def seconds(self, c: Constants) -> float:
        """Predicted seconds of one call on the machine ``c`` (NaN if it needs a library ``c`` did not measure)."""
        return sum(self.terms(c).values())


@dataclass(frozen=True)
class Network:
    """What a call's cost depends on: layer ``sizes`` [in, width, ..., out], ``batch``, the activations, the
    loss and the bytes per number."""

    sizes: tuple[int, ...]
    batch: int
    activation: str = "sigmoid"
    output_activation: str = "sigmoid"
    loss: str = "mse"
    itemsize: int = 8

    @classmethod
    def of(cls, net, batch: int) -> Network:
        """The cost-relevant shape of a DNN and a batch size."""
        return cls(tuple(net.sizes), batch, net.activation, net.output_activation, net.loss_name, net.dtype.itemsize)

    @property
    def layers(self) -> list[tuple[int, int, str]]:
        """(n_in, n_out, activation) of each Dense layer."""
        last = len(self.sizes) - 2
        return [(i, o, self.output_activation if k == last else self.activation)
                for k, (i, o) in enumerate(zip(self.sizes[:-1], self.sizes[1:]))]

    @property
    def n_params(self) -> int:
        return num_params(list(self.sizes))

    @property
    def width(self) -> int:
        return max(self.sizes)


def activation(name: str, elements: float) -> Cost:
    """An activation over ``elements`` elements."""
    unit = ACTIVATIONS[name]
    return Cost(unit.calls, 0, unit.per_element * elements)


def passes(calls: float, elements: float) -> Cost:
    """``calls`` plain element-wise numpy calls over ``elements`` elements in all."""
    return Cost(calls, 0, PASS * elements)


def dense(rows: float, n_in: int, n_out: int) -> Cost:
    """x @ W + b for x of ``rows`` rows: one product, one add."""
    return Cost(CALLS["dense"], 2 * rows * n_in * n_out, PASS * rows * n_out)


def loss(name: str, stacked: float, batch: int, outputs: int) -> Cost:
    """The loss of ``stacked`` networks' outputs (stacked, batch, outputs), one value each."""
    elements, unit = stacked * batch * outputs, LOSSES[name]
    return passes(unit.calls, unit.passes * elements) + Cost(0, 0, unit.exps * elements)  # mse: d = h - y, d * d,
    # mean, 0.5 x; softmax cross-entropy: log-softmax (an exp per element), x t, sums, mean


def forward(net: Network, stacked: float = 1) -> Cost:
    """One loss evaluation of ``stacked`` networks at once."""
    rows = stacked * net.batch
    total = sum((dense(rows, i, o) + activation(act, rows * o) for i, o, act in net.layers), Cost(CALLS["evaluate"]))
    return total + loss(net.loss, stacked, net.batch, net.sizes[-1])


def backward(net: Network) -> Cost:
    """nngrad's backward pass: the loss's derivative, then per layer the activation's derivative (3 passes),
    dW = x.T @ dout, db = dout.sum(0), dx = dout @ W.T (4 calls with the transposes); then the gradient
    gathered into one vector."""
    b = net.batch
    total = passes(CALLS["backward"], 2 * b * net.sizes[-1] + net.n_params)
    for i, o, act in net.layers:
        total += passes(CALLS["backward layer"], ACTIVATIONS[act].backward_passes * b * o + b * o)
        total += Cost(0, 4 * b * i * o)
    return total


def prefix(net: Network) -> Cost:
    """prefix.Prefix and the gradient vector: the kept forward pass (no loss), each layer's input with a column
    of ones."""
    b = net.batch
    kept = sum((Cost(0, 2 * b * i * o, ACTIVATIONS[act].per_element * b * o)
                + passes(CALLS["prefix layer"], b * (i + 2) + b * o)
                for i, o, act in net.layers), Cost())
    return kept + passes(CALLS["prefix"], net.n_params)


def perturbed_losses(net: Network, l: int, k: int, complex_: bool = False) -> Cost:
    """prefix.Prefix.losses: k networks whose layer-l parameters each moved by a step, evaluated from the kept
    activations: the changed column of layer l, a rank-one change of layer l+1, full layers after it."""
    b, layers = net.batch, net.layers
    # complex numbers: a product costs about 4 real ones, a pass 2, an activation its complex_per_element
    flop, pass_ = (4.0, 2.0) if complex_ else (1.0, 1.0)

    def apply(name: str, elements: float) -> Cost:  # the call is counted in the block around it
        unit = ACTIVATIONS[name]
        return Cost(0, 0, (unit.complex_per_element if complex_ else unit.per_element) * elements)

    cost = passes(CALLS["column"], 4 * k * b * pass_) + apply(layers[l][2], k * b)
    if l == len(layers) - 1:
        cost += passes(CALLS["output column"], k * b * net.sizes[-1] * pass_)
    else:
        n = layers[l + 1][1]
        cost += passes(CALLS["rank one"], (2 * k * b + 2 * k * b * n) * pass_) + apply(layers[l + 1][2], k * b * n)
        for i, o, name in layers[l + 2:]:
            cost += Cost(CALLS["suffix layer"], 2 * k * b * i * o * flop, PASS * k * b * o * pass_)
            cost += apply(name, k * b * o)
    stacked = loss(net.loss, k, b, net.sizes[-1])
    return cost + Cost(stacked.calls, 0, stacked.elementwise * pass_)


def tangent_passes(net: Network, l: int, k: int) -> Cost:
    """forward_mode.Tangents: k tangent passes of layer-l parameters, using the kept derivatives (no exp)."""
    b, layers = net.batch, net.layers
    cost = passes(CALLS["tangent column"], 3 * k * b)
    if l == len(layers) - 1:
        return cost + passes(CALLS["tangent output"], 2 * k * b)
    n = layers[l + 1][1]
    cost += passes(CALLS["tangent rank one"], k * n + 2 * k * b * n)
    for i, o, _ in layers[l + 2:]:
        cost += Cost(CALLS["tangent layer"], 2 * k * b * i * o, PASS * k * b * o)  # the product, x act'(z)
    return cost + Cost(CALLS["tangent output"], 2 * k * b * net.sizes[-1], 0)  # the output's tangents . dL/d output
