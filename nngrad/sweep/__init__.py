"""The benchmark sweep: configuration, plan and predictions, per-point checks, run files and the runner.
The timed suite itself is ``nngrad.sweep.suite`` (pytest-benchmark), driven by ``nngrad.sweep.plugin``."""
