"""Checking gradients: nngrad's backprop of a DNN per parameter array (gradient_check), and users' code in every
style courses teach: a layer class (check_layer), a functional forward/backward pair (check_pair), a loss function
(check_loss), a whole network (check_network), a scalar autograd engine (check_engine), a function of a flat
vector (check_function); findings and reports."""

from .compare import ArrayCheck
from .dnn_check import gradient_check
from .engine_check import check_engine
from .findings import Finding
from .function_check import check_function
from .layer_check import check_layer
from .network_check import check_network
from .pair_check import check_loss, check_pair
from .report import GradientReport, ParamError

__all__ = ["ArrayCheck", "Finding", "GradientReport", "ParamError", "check_engine", "check_function", "check_layer", "check_loss",
           "check_network", "check_pair", "gradient_check"]
