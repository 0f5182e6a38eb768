"""Checking gradients: nngrad's backprop of a DNN per parameter array (gradient_check), a hand-written layer's
backward (check_layer), a function's claimed gradient (check_function); findings and reports."""

from .compare import ArrayCheck
from .findings import Finding
from .function_check import check_function
from .layer_check import check_layer
from .network_check import check_network
from .pair_check import check_loss, check_pair
from .dnn_check import gradient_check
from .report import GradientReport, ParamError

__all__ = ["ArrayCheck", "Finding", "GradientReport", "ParamError", "check_function", "check_layer", "check_loss",
           "check_network", "check_pair", "gradient_check"]
