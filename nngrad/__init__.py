"""nngrad: numerical vs analytic (backprop) gradients of a dense network, measured."""

from .check import GradientReport, ParamError, gradient_check
from .gradients import NumericalGradient, backprop_gradient, default_eps, finite_difference, numerical_gradient
from .layers import AddLayer, Affine, Dense, Identity, MulLayer, Relu, Sigmoid
from .losses import MeanSquaredError, SoftmaxWithLoss
from .network import DNN
from .training import gradient_descent, train

__all__ = [
    "DNN",
    "AddLayer",
    "Affine",
    "Dense",
    "GradientReport",
    "Identity",
    "MeanSquaredError",
    "MulLayer",
    "NumericalGradient",
    "ParamError",
    "Relu",
    "Sigmoid",
    "SoftmaxWithLoss",
    "backprop_gradient",
    "default_eps",
    "finite_difference",
    "gradient_check",
    "gradient_descent",
    "numerical_gradient",
    "train",
]
