"""The timed test of nngrad's suite, collected here for ``pytest bench``."""

from nngrad.sweep.suite.test_gradients import test_gradient

__all__ = ["test_gradient"]
