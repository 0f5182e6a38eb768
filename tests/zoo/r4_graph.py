"""A computational graph over array nodes, written the way "build your own autodiff" tutorials do it with
functions instead of operator overloading: a ``Node`` holds ``value`` (an array), ``grad``, its ``parents`` and a
``vjp(g) -> (grad of each parent)``; operations are plain functions (``matmul(a, b)``, ``add_bias(a, b)``,
``tanh(a)``, ``add(a, b)``, ``softmax_cross_entropy(logits, labels)``) that compute the value at once and return a
new Node; ``topological_sort(loss)`` orders the graph by a depth-first post-order walk, and ``backward(loss)``
(also ``loss.backward()``) zeroes every node's grad, seeds the loss with 1 and runs the vjps in reverse order,
adding into the parents' grads. Parameters are leaf Nodes. Models: a two-layer MLP, and a residual one whose hidden
node feeds both the next layer and the skip (a node used twice).

A learner checks it as ``nngrad.check_engine(lambda: model_loss(params, X, y), params)``, ``params`` a list of
leaf Nodes. A buggy engine is a second version of the one function a learner got wrong (``# BUG:``); the model
is built with the functions it is given."""

import numpy as np

from .case import Case


class Node:
    def __init__(self, value, parents=(), vjp=None, name=""):
        self.value = np.asarray(value, dtype=float)
        self.grad = np.zeros_like(self.value)
        self.parents = parents
        self.vjp = vjp
        self.name = name

    def backward(self):
        backward(self)

    def __repr__(self):
        return f"Node({self.name or 'op'}, shape={self.value.shape})"


def matmul(a, b):
    return Node(a.value @ b.value, (a, b), lambda g: (g @ b.value.T, a.value.T @ g), "matmul")


def add_bias(a, b):
    return Node(a.value + b.value, (a, b), lambda g: (g, g.sum(axis=0)), "add_bias")


def add(a, b):
    return Node(a.value + b.value, (a, b), lambda g: (g, g), "add")


def tanh(a):
    out = np.tanh(a.value)
    return Node(out, (a,), lambda g: (g * (1 - out ** 2),), "tanh")


def tanh_of_input(a):
    out = np.tanh(a.value)
    return Node(out, (a,), lambda g: (g * (1 - a.value ** 2),), "tanh")  # BUG: 1 - x^2 of the input, not of out


def softmax_cross_entropy(logits, labels, node=Node):
    """mean cross-entropy of integer labels (held as a plain array, not a Node); ``node``: the loss node's class."""
    z = logits.value - logits.value.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    n = len(labels)
    loss = -np.log(p[np.arange(n), labels]).mean()

    def vjp(g):
        d = p.copy()
        d[np.arange(n), labels] -= 1
        return (g * d / n,)
    return node(loss, (logits,), vjp, "xent")


def topological_sort(root):
    order, visited = [], set()

    def visit(node):
        if id(node) in visited:
            return
        visited.add(id(node))
        for parent in node.parents:
            visit(parent)
        order.append(node)
    visit(root)
    return order


def topological_sort_no_visited(root):
    order = []

    def visit(node):  # BUG: no visited set: a node reached by two paths (and all below it) is listed twice
        for parent in node.parents:
            visit(parent)
        order.append(node)
    visit(root)
    return order


def backward(loss, sort=topological_sort):
    order = sort(loss)
    for node in order:
        node.grad = np.zeros_like(node.value)
    loss.grad = np.ones_like(loss.value)
    for node in reversed(order):
        if node.vjp is not None:
            for parent, g in zip(node.parents, node.vjp(node.grad)):
                parent.grad += g


class NoVisitedNode(Node):
    """A loss node of the engine whose sort keeps no visited set."""

    def backward(self):
        backward(self, sort=topological_sort_no_visited)


# ---------------------------------------------------------------- models

def mlp_loss(params, X, y, act=tanh):
    W1, b1, W2, b2 = params
    h = act(add_bias(matmul(Node(X), W1), b1))
    return softmax_cross_entropy(add_bias(matmul(h, W2), b2), y)


def mlp_loss_tanh_of_input(params, X, y):
    return mlp_loss(params, X, y, act=tanh_of_input)


def residual_loss(params, X, y, node=Node):
    W1, b1, W2, b2, W3, b3 = params
    h = tanh(add_bias(matmul(Node(X), W1), b1))
    r = tanh(add_bias(matmul(h, W2), b2))
    s = add(h, r)  # the skip: h is used twice
    return softmax_cross_entropy(add_bias(matmul(s, W3), b3), y, node=node)


def residual_loss_no_visited(params, X, y):
    return residual_loss(params, X, y, node=NoVisitedNode)


# ---------------------------------------------------------------- the cases

def engine(fn, sizes, N=6):
    def make(rng):
        params = []
        for m, n in zip(sizes[:-1], sizes[1:]):
            params += [Node(rng.standard_normal((m, n)) / np.sqrt(m), name="W"), Node(0.1 * rng.standard_normal(n),
                                                                                        name="b")]
        X, y = rng.standard_normal((N, sizes[0])), rng.integers(0, sizes[-1], N)
        return (lambda: fn(params, X, y), params), {}
    return make


S = "array-graph"
CASES = [
    # --- correct
    Case("r4_graph.mlp", S, "engine", engine(mlp_loss, (4, 5, 3))),
    Case("r4_graph.residual", S, "engine", engine(residual_loss, (4, 5, 5, 3))),
    # --- buggy
    Case("r4_graph.mlp.tanh_of_input", S, "engine", engine(mlp_loss_tanh_of_input, (4, 5, 3)),
         bug="tanh's vjp takes 1 - x^2 of its input node instead of 1 - out^2: W1, b1 wrong, W2, b2 right",
         names=("op", "layer", "derivative", "located", "split")),
    Case("r4_graph.residual.no_visited", S, "engine", engine(residual_loss_no_visited, (4, 5, 5, 3)),
         bug="the topological sort keeps no visited set: the hidden node h (used by the next layer and the skip) "
             "and everything below it are listed twice and their vjps add again what is already summed: W1 gets 4 "
             "times its gradient, b1 3 times; W2, b2, W3, b3 right",
         names=("scaled", "located", "split", "op")),
]
