"""nngrad: numerical vs analytic (backprop) gradients of a dense network, measured."""

from .check import GradientReport, ParamError, gradient_check
from .gradients import NumericalGradient, backprop_gradient, default_eps, finite_difference, numerical_gradient
from .layers import Affine, AddLayer, Dense, Identity, MulLayer, Relu, Sigmoid
from .losses import MeanSquaredError, SoftmaxWithLoss
from .network import DNN

__all__ = [
    "DNN", "Dense", "Affine", "MulLayer", "AddLayer", "Sigmoid", "Relu", "Identity",
    "MeanSquaredError", "SoftmaxWithLoss",
    "gradient_check", "GradientReport", "ParamError",
    "backprop_gradient", "numerical_gradient", "finite_difference", "default_eps", "NumericalGradient",
]
