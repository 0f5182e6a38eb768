"""check_layer finds what a layer of any style holds and takes: integer inputs held fixed, parameters in
sub-modules, lists of layers, parameter objects and parameters(), gradients accumulated and reset by zero_grad(),
Keras-like call/get_gradients, a class passed for an instance, a list of numbers for x. Each mechanism in at least
two learner styles (Deep Learning from Scratch classes, torch-like numpy modules, Keras-like layers)."""

import numpy as np
import pytest

from nngrad import Relu, check_layer
from nngrad.errors import InvalidType


def kinds(report) -> set[str]:
    return {f.kind for f in report.findings}


def rows(report) -> dict[str, str]:
    return {r.name: r.verdict for r in report.rows}


# -- learner code: Deep Learning from Scratch style (forward returns, backward returns dx, leaves dW) ------------

class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.x = self.dW = self.db = None

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class AffineWrongBias(Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = dout.mean(axis=0)  # the bug: mean for sum
        return dx


class Embedding:
    """W[idx]; its backward scatters dout into dW, with np.add.at for repeated ids."""

    def __init__(self, W):
        self.W, self.idx, self.dW, self.seen = W, None, None, None

    def forward(self, idx):
        self.idx, self.seen = idx, idx.dtype
        return self.W[idx]

    def backward(self, dout):
        self.dW = np.zeros_like(self.W)
        np.add.at(self.dW, self.idx, dout)


class EmbeddingLosingRepeats(Embedding):
    def backward(self, dout):
        self.dW = np.zeros_like(self.W)
        self.dW[self.idx] += dout  # the bug: a repeated id keeps only one of its rows


class MaskedScale:
    """forward(x, mask): x * mask * a, the mask boolean."""

    def __init__(self, a):
        self.a, self.seen = a, None

    def forward(self, x, mask):
        self.x, self.mask, self.seen = x, mask, mask.dtype
        return x * mask * self.a

    def backward(self, dout):
        self.da = (dout * self.x * self.mask).sum(axis=0)
        return dout * self.mask * self.a, None


class Residual:
    """x + fc(relu(x)): the parameters live in the sub-layer self.fc."""

    def __init__(self, fc):
        self.fc, self.mask = fc, None

    def forward(self, x):
        self.mask = x > 0
        return x + self.fc.forward(x * self.mask)

    def backward(self, dout):
        return dout + self.fc.backward(dout) * self.mask


class TwoLayerNet:
    """A Sequential of DLFS layers in a list; the gradients stay in the layers (layers[0].dW)."""

    def __init__(self, rng):
        self.layers = [Affine(rng.standard_normal((4, 5)), rng.standard_normal(5)), Relu(),
                       Affine(rng.standard_normal((5, 3)), rng.standard_normal(3))]

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout


class HiddenGradient(Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.weight_change = self.dW  # where nngrad cannot tell whose gradient it is
        del self.dW
        return dx


class AccumulatingAffine(Affine):
    """DLFS-style layer summing gradients over calls, with its own reset (Chainer's cleargrads)."""

    def __init__(self, W, b):
        super().__init__(W, b)
        self.cleargrads()

    def cleargrads(self):
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)

    def backward(self, dout):
        self.dW += self.x.T @ dout
        self.db += dout.sum(axis=0)
        return dout @ self.W.T


class AccumulatingWithoutReset(AccumulatingAffine):
    cleargrads = None  # the bug: += with nothing that resets the gradients

    def __init__(self, W, b):
        Affine.__init__(self, W, b)
        self.dW, self.db = np.zeros_like(W), np.zeros_like(b)


# -- learner code: torch-like numpy modules (parameter objects, parameters(), zero_grad) -------------------------

class Parameter:
    def __init__(self, data):
        self.data, self.grad = data, np.zeros_like(data)


class Module:
    def parameters(self):
        out = []
        for value in vars(self).values():
            if isinstance(value, Parameter):
                out.append(value)
            elif isinstance(value, Module):
                out += value.parameters()
            elif isinstance(value, list):
                out += [p for m in value if isinstance(m, Module) for p in m.parameters()]
        return out

    def zero_grad(self):
        for p in self.parameters():
            p.grad = np.zeros_like(p.data)


class Linear(Module):
    def __init__(self, weight, bias):
        self.weight, self.bias = Parameter(weight), Parameter(bias)

    def forward(self, x):
        self.x = x
        return x @ self.weight.data + self.bias.data

    def backward(self, grad_output):
        self.weight.grad += self.x.T @ grad_output  # accumulates, as torch does
        self.bias.grad += grad_output.sum(axis=0)
        return grad_output @ self.weight.data.T


class LinearWrongWeight(Linear):
    def backward(self, grad_output):
        self.weight.grad += 2 * self.x.T @ grad_output  # the bug: a factor 2
        self.bias.grad += grad_output.sum(axis=0)
        return grad_output @ self.weight.data.T


class Tanh(Module):
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad_output):
        return grad_output * (1 - self.y ** 2)


class Sequential(Module):
    def __init__(self, *layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_output):
        for layer in reversed(self.layers):
            grad_output = layer.backward(grad_output)
        return grad_output


class TorchEmbedding(Module):
    def __init__(self, weight):
        self.weight, self.seen = Parameter(weight), None

    def forward(self, ids):
        self.ids, self.seen = ids, ids.dtype
        return self.weight.data[ids]

    def backward(self, grad_output):
        np.add.at(self.weight.grad, self.ids, grad_output)


class NoResetLinear(Linear):
    zero_grad = None  # the bug: accumulates and nothing resets


class PairedLinear:
    """parameters() returns (param, grad) pairs; the gradients' names say nothing nngrad knows."""

    def __init__(self, W, b):
        self.W, self.b = W, b
        self.gw, self.gb = np.zeros_like(W), np.zeros_like(b)

    def parameters(self):
        return [(self.W, self.gw), (self.b, self.gb)]

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad):
        self.gw = self.x.T @ grad
        self.gb = grad.sum(axis=0) * (1.5 if self.buggy else 1.0)
        return grad @ self.W.T

    buggy = False


class PairedLinearWrongBias(PairedLinear):
    buggy = True


class Block(Module):
    """A residual block holding a torch-like Linear."""

    def __init__(self, fc):
        self.fc = fc

    def forward(self, x):
        return x + self.fc.forward(x)

    def backward(self, grad_output):
        return grad_output + self.fc.backward(grad_output)


class LinkedResidual(Residual):
    """Its sub-layer points back to it, and it lists itself: cycles."""

    def __init__(self, fc):
        super().__init__(fc)
        fc.parent, self.chain = self, [self, fc]


# -- learner code: Keras-like layers (call, get_weights, get_gradients) ------------------------------------------

class KerasDense:
    def __init__(self, kernel, bias):
        self.kernel, self.bias = kernel, bias

    def get_weights(self):
        return [self.kernel.copy(), self.bias.copy()]  # copies, as Keras returns

    def call(self, inputs, training=False):
        self.inputs = inputs
        return inputs @ self.kernel + self.bias

    def backward(self, grad):
        self._g = [self.inputs.T @ grad, grad.sum(axis=0) * self.bias_factor]
        return grad @ self.kernel.T

    def get_gradients(self):
        return self._g

    bias_factor = 1.0


class KerasDenseWrongBias(KerasDense):
    bias_factor = 0.5


class CallableDense:
    """__call__ is the forward; gradients in a dict in the order of the weights property."""

    def __init__(self, kernel, bias):
        self._kernel, self._bias = kernel, bias

    @property
    def weights(self):
        return [self._kernel, self._bias]

    def __call__(self, x):
        self.x = x
        return np.tanh(x @ self._kernel + self._bias)

    def backward(self, grad):
        dz = grad * (1 - np.tanh(self.x @ self._kernel + self._bias) ** 2)
        self.gradients = {"kernel": self.x.T @ dz, "bias": dz.sum(axis=0)}
        return dz @ self._kernel.T


@pytest.fixture
def x(rng):
    return rng.standard_normal((6, 4))


# -- A. integer and boolean inputs pass through, held fixed --------------------------------------------------------

@pytest.mark.parametrize("make", [Embedding, TorchEmbedding])
def test_token_ids_are_passed_untouched_and_the_embedding_weights_checked(rng, make):
    ids = np.array([[0, 3, 1], [3, 3, 2]])
    layer = make(rng.standard_normal((5, 4)))
    report = check_layer(layer, ids)
    assert report.passed, str(report)
    assert layer.seen == ids.dtype and ids.dtype.kind == "i"
    assert [r.name for r in report.rows] == (["dW"] if make is Embedding else ["weight.grad"])
    assert "x (int64) held fixed" in report.how


def test_an_embedding_losing_repeated_ids_fails(rng):
    report = check_layer(EmbeddingLosingRepeats(rng.standard_normal((5, 4))), np.array([[0, 3, 1], [3, 3, 2]]))
    assert report.status == "FAIL" and rows(report)["dW"] == "FAIL", str(report)


@pytest.mark.parametrize("mask_dtype", [bool, np.int8])
def test_a_mask_beside_a_float_input_is_held_fixed(rng, x, mask_dtype):
    mask = (rng.standard_normal(x.shape) > 0).astype(mask_dtype)
    layer = MaskedScale(rng.standard_normal(4))
    report = check_layer(layer, (x, mask))
    assert report.passed, str(report)
    assert layer.seen == np.dtype(mask_dtype)
    assert [r.name for r in report.rows] == ["dx[0]", "da"]
    assert "x[1]" in report.how and "held fixed" in report.how


def test_integer_labels_of_a_loss_stay_integer(rng):
    class LabelLoss:  # cross-entropy on logits with integer labels
        def forward(self, x, t):
            self.t, e = t, np.exp(x - x.max(axis=1, keepdims=True))
            self.p = e / e.sum(axis=1, keepdims=True)
            return -np.log(self.p[np.arange(len(t)), t]).mean()

        def backward(self, dout=1):
            d = self.p.copy()
            d[np.arange(len(self.t)), self.t] -= 1
            return d / len(self.t)

    report = check_layer(LabelLoss(), rng.standard_normal((5, 3)), t=np.array([0, 2, 1, 1, 0]))
    assert report.passed, str(report)


# -- B. parameters in sub-modules, lists of layers, parameter objects, parameters() --------------------------------

def test_a_residual_block_checks_the_parameters_of_its_sub_layer(rng, x):
    report = check_layer(Residual(Affine(rng.standard_normal((4, 4)), rng.standard_normal(4))), x)
    assert report.passed, str(report)
    assert [r.name for r in report.rows] == ["dx", "fc.dW", "fc.db"]


def test_a_wrong_gradient_inside_a_sub_layer_fails(rng, x):
    report = check_layer(Residual(AffineWrongBias(rng.standard_normal((4, 4)), rng.standard_normal(4))), x)
    assert report.status == "FAIL" and rows(report)["fc.db"] == "FAIL", str(report)


def test_a_list_of_layers_is_walked(rng, x):
    report = check_layer(TwoLayerNet(rng), x)
    assert report.passed, str(report)
    assert [r.name for r in report.rows] == ["dx", "layers[0].dW", "layers[0].db", "layers[2].dW", "layers[2].db"]


def test_torch_like_parameter_objects_in_a_sequential(rng, x):
    net = Sequential(Linear(rng.standard_normal((4, 5)), rng.standard_normal(5)), Tanh(),
                     Linear(rng.standard_normal((5, 3)), rng.standard_normal(3)))
    report = check_layer(net, x)
    assert report.passed, str(report)
    assert [r.name for r in report.rows] == ["dx", "layers[0].weight.grad", "layers[0].bias.grad",
                                             "layers[2].weight.grad", "layers[2].bias.grad"]


def test_a_wrong_parameter_object_gradient_fails(rng, x):
    net = Sequential(LinearWrongWeight(rng.standard_normal((4, 5)), rng.standard_normal(5)), Tanh())
    report = check_layer(net, x)
    assert report.status == "FAIL" and rows(report)["layers[0].weight.grad"] == "FAIL", str(report)


@pytest.mark.parametrize("make,verdicts", [(PairedLinear, {"dW": "ok", "db": "ok"}),
                                           (PairedLinearWrongBias, {"dW": "ok", "db": "FAIL"})])
def test_parameters_returning_param_grad_pairs(rng, x, make, verdicts):
    report = check_layer(make(rng.standard_normal((4, 3)), rng.standard_normal(3)), x)
    assert {k: v for k, v in rows(report).items() if k != "dx"} == verdicts, str(report)
    assert "parameters()[1][1]" in report.how


def test_a_torch_like_block_holding_a_linear(rng, x):
    report = check_layer(Block(Linear(rng.standard_normal((4, 4)), rng.standard_normal(4))), x)
    assert report.passed, str(report)
    assert [r.name for r in report.rows] == ["dx", "fc.weight.grad", "fc.bias.grad"]


def test_cycles_back_to_the_layer_are_safe(rng, x):
    report = check_layer(LinkedResidual(Affine(rng.standard_normal((4, 4)), rng.standard_normal(4))), x)
    assert report.passed, str(report)
    assert [r.name for r in report.rows] == ["dx", "fc.dW", "fc.db"]


@pytest.mark.parametrize("wrap", [lambda fc: Residual(fc), lambda fc: Sequential(fc, Tanh())])
def test_a_parameter_whose_gradient_cannot_be_found_is_named_and_inconclusive(rng, x, wrap):
    report = check_layer(wrap(HiddenGradient(rng.standard_normal((4, 4)), rng.standard_normal(4))), x)
    assert report.status == "INCONCLUSIVE", str(report)
    unchecked = [r.name for r in report.rows if r.verdict == "unchecked"]
    assert len(unchecked) == 1 and unchecked[0].endswith("dW")
    assert any(f.kind == "unchecked" and ".W (4, 4)" in f.message for f in report.findings), str(report)


# -- C. gradients accumulated by design, reset by the code's own zero_grad() ------------------------------------

@pytest.mark.parametrize("make", [
    lambda r: AccumulatingAffine(r.standard_normal((4, 3)), r.standard_normal(3)),
    lambda r: Linear(r.standard_normal((4, 3)), r.standard_normal(3)),
    lambda r: Sequential(Linear(r.standard_normal((4, 3)), r.standard_normal(3)), Tanh()),
])
def test_accumulation_with_a_reset_passes_and_says_so(rng, x, make):
    report = check_layer(make(rng), x)
    assert report.passed, str(report)
    assert "reset" in kinds(report) and "not-repeatable" not in kinds(report)
    assert any(("zero_grad()" in f.message or "cleargrads()" in f.message) for f in report.findings)


@pytest.mark.parametrize("make", [AccumulatingWithoutReset, NoResetLinear])
def test_accumulation_without_any_reset_stays_a_bug(rng, x, make):
    report = check_layer(make(rng.standard_normal((4, 3)), rng.standard_normal(3)), x)
    assert report.status == "FAIL" and "not-repeatable" in kinds(report), str(report)
    assert "reset" not in kinds(report)


def test_sub_modules_with_zero_grad_are_reset_when_the_container_has_none(rng, x):
    class Plain:  # no zero_grad of its own
        def __init__(self, fc):
            self.fc = fc

        def forward(self, x):
            return self.fc.forward(x)

        def backward(self, dout):
            return self.fc.backward(dout)

    report = check_layer(Plain(Linear(rng.standard_normal((4, 3)), rng.standard_normal(3))), x)
    assert report.passed, str(report)
    assert any(f.kind == "reset" and "fc.zero_grad()" in f.message for f in report.findings)


# -- D. Keras-like layers --------------------------------------------------------------------------------------

@pytest.mark.parametrize("make,bias", [(KerasDense, "ok"), (KerasDenseWrongBias, "FAIL")])
def test_keras_like_call_and_get_gradients_in_the_order_of_get_weights(rng, x, make, bias):
    report = check_layer(make(rng.standard_normal((4, 3)), rng.standard_normal(3)), x)
    assert rows(report) == {"dx": "ok", "dkernel": "ok", "dbias": bias}, str(report)
    assert "call(inputs, training=True)" in report.how and "get_gradients()[1]" in report.how


def test_a_callable_layer_with_gradients_in_a_dict_ordered_as_its_weights(rng, x):
    report = check_layer(CallableDense(rng.standard_normal((4, 3)), rng.standard_normal(3)), x)
    assert report.passed, str(report)
    assert rows(report) == {"dx": "ok", "d_kernel": "ok", "d_bias": "ok"}
    assert "gradients['bias']" in report.how


# -- E. a class for an instance; a list of numbers for x -----------------------------------------------------------

@pytest.mark.parametrize("cls,words", [(Relu, "pass an instance: Relu()"), (Affine, "pass an instance: Affine(W, b)"),
                                       (Linear, "pass an instance: Linear(weight, bias)")])
def test_a_class_passed_for_the_layer_says_pass_an_instance(x, cls, words):
    with pytest.raises(InvalidType, match=words.replace("(", r"\(").replace(")", r"\)")):
        check_layer(cls, x)


@pytest.mark.parametrize("make", [Relu, Tanh])
def test_a_list_of_numbers_is_one_input(make):
    x = [[1.0, -2.0], [3.0, 4.0]]
    report = check_layer(make(), x)
    assert report.passed, str(report)
    assert [(r.name, r.shape) for r in report.rows] == [("dx", (2, 2))]
    assert x == [[1.0, -2.0], [3.0, 4.0]]


def test_a_list_or_tuple_of_arrays_stays_several_inputs_for_a_layer_of_several(rng, x):
    mask = rng.standard_normal(x.shape) > 0
    for given in ([x, mask], (x, mask)):
        report = check_layer(MaskedScale(rng.standard_normal(4)), given)
        assert [r.name for r in report.rows] == ["dx[0]", "da"], str(report)
    with pytest.raises(InvalidType, match=r"forward takes \(x, mask\), but nngrad passes 1 input"):
        check_layer(MaskedScale(rng.standard_normal(4)), x)
    with pytest.raises(InvalidType, match=r"forward takes \(x, mask\), but nngrad passes 3 inputs"):
        check_layer(MaskedScale(rng.standard_normal(4)), [x, mask, mask])


def test_an_optional_second_input_is_taken_when_given(rng, x):
    class OptionalMask(MaskedScale):
        def forward(self, x, mask=None):
            return super().forward(x, np.ones(x.shape, bool) if mask is None else mask)

    mask = rng.standard_normal(x.shape) > 0
    report = check_layer(OptionalMask(rng.standard_normal(4)), (x, mask))
    assert report.passed and [r.name for r in report.rows] == ["dx[0]", "da"], str(report)


class LazyDense(KerasDense):
    """Keras' habit: __call__ makes the weights by build() on the first call, then calls call()."""

    def __init__(self, units, seed):
        self.units, self.seed, self.built = units, seed, False

    def build(self, input_shape):
        rng = np.random.default_rng(self.seed)
        self.kernel, self.bias = rng.standard_normal((input_shape[1], self.units)), rng.standard_normal(self.units)
        self.built = True

    def __call__(self, inputs):
        if not self.built:
            self.build(inputs.shape)
        return self.call(inputs)


class LazyDenseWrongKernel(LazyDense):
    def backward(self, grad):
        dx = super().backward(grad)
        self._g[0] = np.ones_like(self._g[0])  # the bug: ones for the kernel's gradient
        return dx


@pytest.mark.parametrize("make,kernel", [(LazyDense, "ok"), (LazyDenseWrongKernel, "FAIL")])
def test_weights_a_layer_builds_on_its_first_call_are_checked(x, make, kernel):
    report = check_layer(make(3, seed=1), x)
    assert rows(report) == {"dx": "ok", "dkernel": kernel, "dbias": "ok"}, str(report)
    assert "layer(inputs)" in report.how


# -- an array the output does not depend on, but whose gradient the code gives --------------------------------------

class AffineBiasForgotten(Affine):
    def forward(self, x):
        self.x = x
        return x @ self.W  # the bug: the bias is never added, yet backward gives db


class LinearBiasForgotten(Linear):
    def forward(self, x):
        self.x = x
        return x @ self.weight.data  # the bug: the bias is never added


class AffineWithBuffer(Affine):
    """Correct: it also keeps a running mean of its inputs, which the output does not depend on (no row)."""

    def __init__(self, W, b):
        super().__init__(W, b)
        self.running_mean = np.zeros(W.shape[0])


@pytest.mark.parametrize("make", [lambda W, b: AffineBiasForgotten(W, b), lambda W, b: LinearBiasForgotten(W, b)])
def test_a_bias_the_forward_never_uses_is_a_row_and_fails(rng, make):
    W, b = rng.standard_normal((4, 3)), rng.standard_normal(3)
    report = check_layer(make(W, b), rng.standard_normal((5, 4)))
    failed = [r.name for r in report.rows if r.verdict == "FAIL"]
    assert report.status == "FAIL" and failed in (["db"], ["bias.grad"]), str(report)
    assert "ignored" in kinds(report), str(report)


def test_a_buffer_the_output_ignores_and_without_a_gradient_is_no_row(rng):
    report = check_layer(AffineWithBuffer(rng.standard_normal((4, 3)), rng.standard_normal(3)),
                         rng.standard_normal((5, 4)))
    assert report.status == "PASS" and set(rows(report)) == {"dx", "dW", "db"}, str(report)
