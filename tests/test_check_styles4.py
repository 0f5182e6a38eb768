"""Round 3's mechanisms on learner code of our own (tests/learner_models.py), each in two styles: a reset under
any name that says it clears the gradients (and a method so named that is no reset, refused); a module called
through its own __call__, its input's gradient under forward's parameter name; parameter trees; a model that runs
its own training step (from Python and the shell)."""

import numpy as np
import pytest

import nngrad
from nngrad.cli import main

import learner_models as lm


def _status(report):
    return report.status


# ---------------------------------------------------------------- resets

def test_a_reset_named_flush_grads_makes_accumulating_code_pass():
    rng = np.random.default_rng(0)
    layer = lm.AccumulatingDense(rng.standard_normal((3, 2)), rng.standard_normal(2))
    report = nngrad.check_layer(layer, rng.standard_normal((4, 3)))
    assert report.status == "PASS", report
    assert "flush_grads()" in str(report)


def test_resets_named_grads_zero_in_sub_modules_make_accumulating_dicts_pass():
    rng = np.random.default_rng(1)
    report = nngrad.check_layer(lm.TwoScales(rng), rng.standard_normal((5, 3)))
    assert report.status == "PASS", report
    assert "parts[0].grads_zero()" in str(report) and "parts[1].grads_zero()" in str(report)


def test_a_method_named_like_a_reset_that_changes_the_weights_is_not_called():
    rng = np.random.default_rng(2)
    W = rng.standard_normal((3, 2))
    layer = lm.ResetThatReinitialises(W, rng.standard_normal(2))
    kept = W.copy()
    report = nngrad.check_layer(layer, rng.standard_normal((4, 3)))
    assert "zero_grad() was not called" in str(report) and "W" in str(report)
    assert layer.W is W and np.array_equal(layer.W, kept)
    assert report.status == "FAIL"  # += with nothing that resets it stays a bug


# ---------------------------------------------------------------- modules called through __call__

@pytest.mark.parametrize("cls, status", [(lm.BceLogits, "PASS"), (lm.BceLogitsNoMean, "FAIL")])
def test_a_module_whose_call_keeps_its_arguments_is_called_and_its_g_x_read(cls, status):
    rng = np.random.default_rng(3)
    report = nngrad.check_layer(cls(), rng.standard_normal((6, 2)), t=rng.integers(0, 2, (6, 2)).astype(float))
    assert report.status == status, report
    assert [r.name for r in report.rows] == ["dx"] and "g_x" in str(report)


def test_a_loss_whose_call_remembers_its_input_has_its_d_inp_read():
    rng = np.random.default_rng(4)
    report = nngrad.check_layer(lm.Huberish(), rng.standard_normal((5, 3)), t=rng.standard_normal((5, 3)))
    assert report.status == "PASS", report
    assert "d_inp" in str(report)


# ---------------------------------------------------------------- parameter trees

def _tree_loss(params, x, y, bug=False):
    (W1, b1), (W2, b2) = params["enc"], params["dec"]
    h = np.tanh(x @ W1 + b1)
    r = h @ W2 + b2 - y
    dh = r @ W2.T * (1 - h ** 2)
    grads = {"enc": (x.T @ dh, dh.sum(0) * (2 if bug else 1)), "dec": (h.T @ r, r.sum(0))}
    return 0.5 * np.sum(r ** 2), grads


def test_check_loss_takes_a_dict_of_tuples_and_names_each_leaf():
    rng = np.random.default_rng(5)
    params = {"enc": (rng.standard_normal((3, 4)), rng.standard_normal(4)),
              "dec": (rng.standard_normal((4, 2)), rng.standard_normal(2))}
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    ok = nngrad.check_loss(_tree_loss, params, x, y)
    assert ok.status == "PASS", ok
    assert [r.name for r in ok.rows] == ["params['enc'][0]", "params['enc'][1]", "params['dec'][0]",
                                         "params['dec'][1]"]
    bad = nngrad.check_loss(lambda params, x, y: _tree_loss(params, x, y, bug=True), params, x, y)
    assert [r.name for r in bad.rows if not r.passed] == ["params['enc'][1]"]


def test_check_function_takes_a_list_of_lists_in_the_same_structure():
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal(4)
    theta = [[rng.standard_normal(3), rng.standard_normal(())], [rng.standard_normal(())]]

    def f(p):
        (w, b), (s,) = p
        return float(np.sum((s * (x @ w + b) - y) ** 2))

    def grad_f(p):
        (w, b), (s,) = p
        r = 2 * (s * (x @ w + b) - y)
        return [[x.T @ (s * r), np.sum(s * r)], [np.sum(r * (x @ w + b))]]

    report = nngrad.check_function(f, grad_f, theta)
    assert report.status == "PASS", report
    assert [r.name for r in report.rows] == ["theta[0][0]", "theta[0][1]", "theta[1][0]"]
    assert isinstance(theta[0], list) and theta[0][1].shape == ()


# ---------------------------------------------------------------- a model running its own training step

@pytest.mark.parametrize("cls, status", [(lm.Classifier, "PASS"), (lm.ClassifierNoDecay, "FAIL")])
def test_a_classifier_with_a_criterion_object_and_a_stack_list(cls, status):
    rng = np.random.default_rng(7)
    net = cls(rng)
    report = nngrad.check_network(net, rng.standard_normal((6, 3)), rng.integers(0, 4, 6))
    assert report.status == status, report
    assert [r.name for r in report.rows] == ["stack[0].W", "stack[0].b", "stack[2].W", "stack[2].b"]
    assert "with_regularization=True" in str(report)
    if status == "FAIL":
        assert {r.name for r in report.rows if not r.passed} == {"stack[0].W", "stack[2].W"}


@pytest.mark.parametrize("relu_backward, status", [(True, "PASS"), (False, "FAIL")])
def test_a_regressor_with_blocks_in_a_dict_and_a_per_sample_loss_fn(relu_backward, status):
    rng = np.random.default_rng(8)
    net = lm.Regressor(rng, relu_backward)
    report = nngrad.check_network(net, rng.standard_normal((5, 2)), rng.standard_normal((5, 2)))
    assert report.status == status, report
    assert "blocks['hidden'].params['W']" in [r.name for r in report.rows]


def test_the_shell_takes_a_model_running_its_own_training_step(tmp_path, capsys):
    code = tmp_path / "mymodel.py"
    code.write_text("import numpy as np\nimport learner_models as lm\n\n"
                    "class Net(lm.Classifier):\n    def __init__(self):\n"
                    "        super().__init__(np.random.default_rng(0))\n")
    assert main(["check", "--net", f"{code}:Net", "--input-shape", "6,3", "--classes", "4"]) == 0
    assert "stack[2].W" in capsys.readouterr().out


def test_a_models_input_gradient_is_read_where_its_first_layer_holds_the_same_array():
    rng = np.random.default_rng(9)
    model = lm.OneLinModel(rng.standard_normal((3, 2)), rng.standard_normal(2))
    report = nngrad.check_layer(model, rng.standard_normal((4, 3)), t=rng.integers(0, 2, (4, 2)).astype(float))
    assert report.status == "PASS", report
    assert [r.name for r in report.rows][0] == "dx" and "x_g" in str(report)
