"""The pytest-benchmark suite that ``nngrad bench`` runs (installed with the package)."""
