"""``pytest bench`` runs nngrad's benchmark suite (the quick sweep) from a source checkout. The suite and its
plugin live in the package (nngrad.sweep), so that ``nngrad bench`` finds them wherever nngrad is installed."""

pytest_plugins = ["nngrad.sweep.plugin"]
