"""Training with any registered gradient: gradient descent, mini-batch training, the classic experiment."""

from .descent import gradient_descent, train

__all__ = ["gradient_descent", "train"]
