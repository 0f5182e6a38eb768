"""For users' own test suites: assert that a layer's, a network's, a function's or nngrad's DNN's gradients are right."""

from __future__ import annotations

from .check import GradientReport, check_function, check_layer, check_network, gradient_check
from .errors import InvalidType


def assert_gradients_close(subject, *args, **kwargs) -> GradientReport:
    """Check ``subject`` and raise AssertionError unless the check passes; returns the report.

    subject: a report already made (``assert_gradients_close(nngrad.check_pair(f, b, x, w))``: any check), a
    nngrad DNN (``(net, x, y, ...)``, see gradient_check), a network of yours with ``params`` and ``gradient(x,
    t)`` or ``loss(x, t)`` (``(net, x, t, ...)``, see check_network), a layer with forward and backward
    (``(layer, x, t=None, ...)``, see check_layer) or a scalar function (``(f, grad_f, theta, ...)``, see
    check_function). The message names each array that disagrees with its worst element and both values, then the
    findings and the whole report.
    """
    from .model.network import DNN

    if isinstance(subject, GradientReport):
        report = subject
    elif isinstance(subject, DNN):
        report = gradient_check(subject, *args, **kwargs)
    elif hasattr(subject, "params") and any(callable(getattr(subject, m, None)) for m in ("gradient", "loss")):
        report = check_network(subject, *args, **kwargs)
    elif callable(getattr(subject, "forward", None)) and callable(getattr(subject, "backward", None)):
        report = check_layer(subject, *args, **kwargs)
    elif callable(subject):
        report = check_function(subject, *args, **kwargs)
    else:
        raise InvalidType(f"subject must be a report, a layer (forward/backward), a network (params with gradient or "
                          f"loss), a DNN or a function, got a {type(subject).__name__}")
    if not report.passed:
        worst = [f"{r.name}: {r.verdict}: {r.note}" if r.reference == "-" else
                 f"{r.name}: {r.verdict} at {r.worst_index}: analytic {r.analytic:.6g}, numerical {r.numerical:.6g} "
                 f"(|a-n| = {abs(r.analytic - r.numerical):.3g}, allowed {r.tolerance:.3g})"
                 for r in report.rows + report.second if not r.passed]
        raise AssertionError("\n".join([f"gradient check of {report.subject}: {report.status}", *worst,
                                        *map(str, report.findings), "", str(report)]))
    return report
