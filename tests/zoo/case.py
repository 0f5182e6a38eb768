"""One case of the zoo: a piece of learner code, how to call nngrad's checker on it, and what (if anything) is wrong."""

from collections.abc import Callable
from dataclasses import dataclass, field  # noqa: F401  (field: part of the agreed interface)

import numpy as np


@dataclass(frozen=True)
class Case:
    name: str                   # unique, e.g. "dlfs.Relu.dout_in_place"
    style: str                  # "dlfs", "nnfs", "sgd-tutorial", "dict-params", "cs231n-pair", "cs231n-loss", "network", "micrograd"
    entry: str                  # which nngrad entry point takes it: "layer", "pair", "loss", "network", "engine"
    make: Callable[[np.random.Generator], tuple[tuple, dict]]  # -> (args, kwargs) for the entry point; builds FRESH objects each call
    bug: str | None = None      # what is wrong, in words; None = correct code
    names: tuple[str, ...] = ()  # finding kinds, any one of which counts as naming the bug (see vocabulary); () for correct code
    cli: tuple[str, ...] | None = None  # optional: arguments of `nngrad check` that check the same code from the shell; "{file}" stands for the module's file path
