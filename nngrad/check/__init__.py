"""Checking gradients: nngrad's backprop of a DNN per parameter array (gradient_check); findings and reports."""

from .compare import ArrayCheck
from .findings import Finding
from .network_check import gradient_check
from .report import GradientReport, ParamError

__all__ = ["ArrayCheck", "Finding", "GradientReport", "ParamError", "gradient_check"]
