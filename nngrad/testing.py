"""For users' own test suites: assert that a layer's, a function's or a network's gradients are right."""

from __future__ import annotations

from .check import GradientReport, check_function, check_layer, gradient_check
from .errors import InvalidType


def assert_gradients_close(subject, *args, **kwargs) -> GradientReport:
    """Check ``subject`` and raise AssertionError unless the check passes; returns the report.

    subject: a layer (forward/backward: ``assert_gradients_close(layer, x, t=None, ...)``, see check_layer), a
    nngrad DNN (``assert_gradients_close(net, x, y, ...)``, see gradient_check) or a scalar function
    (``assert_gradients_close(f, grad_f, theta, ...)``, see check_function). The message names each array that
    disagrees with its worst element and both values, then the findings and the whole report.
    """
    from .model.network import DNN

    if isinstance(subject, DNN):
        report = gradient_check(subject, *args, **kwargs)
    elif callable(getattr(subject, "forward", None)) and callable(getattr(subject, "backward", None)):
        report = check_layer(subject, *args, **kwargs)
    elif callable(subject):
        report = check_function(subject, *args, **kwargs)
    else:
        raise InvalidType(f"subject must be a layer (forward/backward), a DNN or a function, got a "
                        f"{type(subject).__name__}")
    if not report.passed:
        worst = [f"{r.name}: {r.verdict} at {r.worst_index}: analytic {r.analytic:.6g}, numerical {r.numerical:.6g} "
                 f"(|a-n| = {abs(r.analytic - r.numerical):.3g}, allowed {r.tolerance:.3g})"
                 for r in report.rows if not r.passed]
        raise AssertionError("\n".join([f"gradient check of {report.subject}: {report.status}", *worst,
                                        *map(str, report.findings), "", str(report)]))
    return report
