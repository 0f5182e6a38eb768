"""The fifth round's mechanisms on learner code of our own: a backward that takes its cache first
(``grad(tape, dout)``, ``backward(ctx, grad_output)``), models kept as lists of dicts (a trainer holding
``self.model``, a function ``loss(model, X, y)``), and registry modules named as the learner addresses them."""

import numpy as np

import nngrad


# --- B: the backward's argument order, read from its parameter names -------------------------------------------

def scale_shift(x, w, b):
    """x (N, D) * w (D,) + b (D,), recorded on a tape of closures."""
    tape = [lambda g: {0: g * w, 1: (g * x).sum(axis=0), 2: g.sum(axis=0)}]
    return x * w + b, tape


def walk(tape, upstream):
    """Gradients of scale_shift's arguments from its tape; the tape first."""
    got = {}
    for step in reversed(tape):
        got.update(step(upstream))
    return tuple(got[i] for i in sorted(got))


def walk_wrong(tape, upstream):
    got = {}
    for step in reversed(tape):
        got.update(step(upstream))
    return tuple(2 * got[i] if i == 1 else got[i] for i in sorted(got))  # planted: dw doubled


def cube_forward(x, a):
    """a * x ** 3 (element-wise); the context a dict."""
    return a * x ** 3, {"x": x, "a": a}


def cube_backward(ctx, grad_output):
    """torch.autograd.Function's order: the context first, then the output's gradient."""
    return 3 * ctx["a"] * ctx["x"] ** 2 * grad_output, (ctx["x"] ** 3 * grad_output).sum()


def _inputs(rng):
    return rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal(3)


def test_a_tape_backward_taking_the_tape_first_is_checked():
    report = nngrad.check_pair(scale_shift, walk, *_inputs(np.random.default_rng(0)))
    assert report.passed, report
    assert "walk(cache, dout)" in str(report)


def test_a_tape_backward_taking_the_tape_first_with_a_bug_fails_on_its_array():
    report = nngrad.check_pair(scale_shift, walk_wrong, *_inputs(np.random.default_rng(1)))
    assert not report.passed
    assert [r.name for r in report.rows if r.verdict != "ok"] == ["dw"]


def test_a_context_first_backward_in_torch_functions_order_is_checked():
    rng = np.random.default_rng(2)
    report = nngrad.check_pair(cube_forward, cube_backward, rng.standard_normal((3, 2)), np.array(0.7))
    assert report.passed, report


def test_the_usual_dout_cache_order_is_kept():
    def forward(x, w):
        return x @ w, (x, w)

    def backward(dout, cache):
        x, w = cache
        return dout @ w.T, x.T @ dout
    rng = np.random.default_rng(3)
    assert nngrad.check_pair(forward, backward, rng.standard_normal((3, 2)), rng.standard_normal((2, 4))).passed


# --- A: models kept as lists of dicts whose layers also hold strings and numbers --------------------------------

_ACT = {"tanh": (np.tanh, lambda a: 1 - a ** 2), "identity": (lambda z: z, np.ones_like)}


def layers_loss(layers, X, T):
    """0.5 * ||f(X) - T||^2 through dicts {'kernel', 'bias', 'activation'}; -> (loss, [{'kernel', 'bias'}, ...])."""
    acts, a = [X], X
    for layer in layers:
        a = _ACT[layer["activation"]][0](a @ layer["kernel"] + layer["bias"])
        acts.append(a)
    g, grads = a - T, []
    for layer, a_in, a_out in zip(reversed(layers), reversed(acts[:-1]), reversed(acts[1:])):
        g = g * _ACT[layer["activation"]][1](a_out)
        grads.insert(0, {"kernel": a_in.T @ g, "bias": g.sum(axis=0)})
        g = g @ layer["kernel"].T
    return 0.5 * np.sum((a - T) ** 2), grads


def _layers(rng):
    return [{"kernel": rng.standard_normal((3, 4)), "bias": rng.standard_normal(4), "activation": "tanh",
             "units": 4},
            {"kernel": rng.standard_normal((4, 2)), "bias": rng.standard_normal(2), "activation": "identity",
             "units": 2}]


def test_a_list_of_layer_dicts_holding_strings_is_a_parameter_tree():
    rng = np.random.default_rng(4)
    report = nngrad.check_loss(layers_loss, _layers(rng), rng.standard_normal((5, 3)), rng.standard_normal((5, 2)))
    assert report.passed, report
    assert {r.name for r in report.rows} >= {"layers[0]['kernel']", "layers[1]['bias']"}


def test_a_bug_in_one_layer_dict_fails_that_array_only():
    def wrong(layers, X, T):
        loss, grads = layers_loss(layers, X, T)
        grads[1]["bias"] = 2 * grads[1]["bias"]  # planted
        return loss, grads
    rng = np.random.default_rng(5)
    report = nngrad.check_loss(wrong, _layers(rng), rng.standard_normal((5, 3)), rng.standard_normal((5, 2)))
    assert [r.name for r in report.rows if r.verdict != "ok"] == ["layers[1]['bias']"]


def test_a_tuple_of_layer_dicts_in_a_pair_is_a_parameter_tree_too():
    def forward(x, blocks):
        return x @ blocks[0]["w"] * blocks[0]["gain"], (x, blocks)

    def backward(dout, cache):
        x, blocks = cache
        return dout @ blocks[0]["w"].T * blocks[0]["gain"], ({"w": x.T @ dout * blocks[0]["gain"]},)
    rng = np.random.default_rng(6)
    blocks = ({"w": rng.standard_normal((3, 2)), "gain": 1.5, "name": "proj"},)
    report = nngrad.check_pair(forward, backward, rng.standard_normal((4, 3)), blocks)
    assert report.passed, report
    assert blocks[0]["gain"] == 1.5 and blocks[0]["name"] == "proj"


def test_a_dict_of_options_beside_arrays_outside_a_list_is_still_passed_as_given():
    from nngrad.check import trees
    assert not trees.is_tree({"mode": "train", "running_mean": np.zeros(3)})


class Learner:
    """self.net: layer dicts; loss(batch) and grads(batch) with ``X, T = batch``; grads a list of dicts."""

    def __init__(self, rng, key="kernel"):
        self.net, self.key = _layers(rng), key

    def loss(self, batch):
        X, T = batch
        return layers_loss(self.net, X, T)[0]

    def grads(self, batch):
        X, T = batch
        got = layers_loss(self.net, X, T)[1]
        return [{self.key: g["kernel"], "bias": g["bias"]} for g in got]


class Backprop:
    """self.stack: layer dicts; backprop(x, y) -> (loss, [{'kernel': dW, 'bias': db}, ...])."""

    def __init__(self, rng, wrong=False):
        self.stack, self.wrong = _layers(rng), wrong

    def backprop(self, x, y):
        loss, grads = layers_loss(self.stack, x, y)
        if self.wrong:
            grads[0]["kernel"] = grads[0]["kernel"] * 0.5  # planted
        return loss, grads


def test_a_trainer_keeping_layer_dicts_with_a_batch_argument_is_checked():
    rng = np.random.default_rng(7)
    report = nngrad.check_network(Learner(rng), rng.standard_normal((5, 3)), rng.standard_normal((5, 2)))
    assert report.passed, report
    assert {r.name for r in report.rows} == {f"net[{i}]['{k}']" for i in (0, 1) for k in ("kernel", "bias")}
    assert "grads((x, t))" in str(report)


def test_a_network_keeping_layer_dicts_returning_loss_and_grads_is_checked_and_its_bug_found():
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    assert nngrad.check_network(Backprop(np.random.default_rng(9)), x, y).passed
    report = nngrad.check_network(Backprop(np.random.default_rng(9), wrong=True), x, y)
    assert [r.name for r in report.rows if r.verdict != "ok"] == ["stack[0]['kernel']"]


def test_gradients_under_another_key_than_the_layers_fail_and_say_so():
    rng = np.random.default_rng(10)
    report = nngrad.check_network(Learner(rng, key="Kernel"), rng.standard_normal((5, 3)),
                                  rng.standard_normal((5, 2)))
    assert report.status == "FAIL"
    assert any(f.kind == "shape" and "'Kernel'" in str(f) for f in report.findings)
