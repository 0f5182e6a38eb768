"""Checking gradients: backprop against a finite difference, per layer and per parameter array."""

from .network_check import GradientReport, ParamError, gradient_check

__all__ = ["GradientReport", "ParamError", "gradient_check"]
