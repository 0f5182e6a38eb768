"""nngrad: the cost of a gradient of a dense network, every way there is: checked, timed and plotted."""

from .check import (
                    GradientReport,
                    ParamError,
                    check_engine,
                    check_function,
                    check_layer,
                    check_loss,
                    check_network,
                    check_pair,
                    gradient_check,
)
from .methods import GradientResult, Method, gradient, list_methods, register
from .methods.backprop import backprop_gradient
from .methods.finite_differences import NumericalGradient, finite_difference, numerical_gradient
from .methods.schemes import default_eps
from .model.layers import AddLayer, Affine, Dense, Identity, MulLayer, Relu, Sigmoid
from .model.losses import MeanSquaredError, SoftmaxWithLoss
from .model.network import DNN
from .results.compare import Comparison
from .results.race_result import RaceResult
from .results.result import BenchResult, compare, load
from .sweep.bench import bench
from .train import gradient_descent, train

__all__ = [
    "DNN",
    "AddLayer",
    "Affine",
    "BenchResult",
    "RaceResult",
    "Comparison",
    "Dense",
    "GradientReport",
    "GradientResult",
    "Identity",
    "MeanSquaredError",
    "Method",
    "MulLayer",
    "NumericalGradient",
    "ParamError",
    "Relu",
    "Sigmoid",
    "SoftmaxWithLoss",
    "backprop_gradient",
    "bench",
    "check_engine",
    "check_function",
    "check_layer",
    "check_loss",
    "check_network",
    "check_pair",
    "compare",
    "default_eps",
    "finite_difference",
    "gradient",
    "gradient_check",
    "gradient_descent",
    "list_methods",
    "load",
    "numerical_gradient",
    "register",
    "train",
]
