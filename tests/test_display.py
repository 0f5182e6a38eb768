"""Rich display in a notebook: each result object asked for its formats through IPython's display protocol (called
directly, so IPython need not be installed; through IPython's own formatter where it is)."""

import copy
import dataclasses
import html
import re

import numpy as np
import pandas as pd
import pytest

import learner_models as lm
import nngrad
from nngrad import display
from nngrad._words import plural
from nngrad.check import ArrayCheck, Finding, GradientReport


def _names_report() -> GradientReport:
    """A real check of a function whose parts are named like HTML: "<b>" agrees, "w&<i>" is 1.5 times too large."""
    theta = np.arange(1.0, 6.0)
    return nngrad.check_function(lambda t: float((t ** 2).sum()), lambda t: np.r_[2 * t[:3], 3 * t[3:]], theta,
                                 parts=[("<b>", (3,)), ("w&<i>", (2,))])


class Scaled:
    """A learner's layer with the classic slip: the forward multiplies by exp(-1), the backward forgets it."""

    def forward(self, x):
        return np.exp(-1) * x

    def backward(self, dout):
        return dout


def _built_report() -> GradientReport:
    """Every kind of row and finding, built by hand: an ok row, a FAIL row, a "shape" row without numbers, a
    second point that failed, a finding that is a bug and one that is not."""
    nan = float("nan")
    ok = ArrayCheck("W", (2, 3), "central differences", 1.0, 1e-9, 1e-9, (0, 1), 0.5, 0.5, 1e-6, "ok")
    bad = ArrayCheck("b", (3,), "central differences", 1.0, 0.5, 0.3, (2,), 1.5, 1.0, 1e-6, "FAIL")
    shape = ArrayCheck("dx", (4,), "-", nan, nan, nan, (), nan, nan, nan, "shape", note="returned (3,), not (4,)")
    second = ArrayCheck("b", (3,), "central differences", 1.0, 0.4, 0.2, (1,), 1.4, 1.0, 1e-6, "FAIL")
    findings = [Finding("dout-modified", "backward changed the dout it was given (dout *= mask)"),
                Finding("reset", "zero_grad() was called before each backward")]
    return GradientReport("layer Toy", [ok, bad, shape], findings, "element-wise", "central", 1e-5,
                          {"central differences": 1e-6}, 42, 9, np.zeros(9), np.zeros(9), second=[second])


def _inconclusive_report() -> GradientReport:
    """Nothing wrong, something not verified: an array without a gradient found, and the finding that says so."""
    ok = ArrayCheck("W", (2,), "complex step", 1.0, 0.0, 0.0, (0,), 1.0, 1.0, 1e-15, "ok")
    none = ArrayCheck.without_numbers("gamma", (2,), "unchecked", "no gradient found for it")
    return GradientReport("layer Norm", [ok, none], [Finding("unchecked", "gamma: no gradient found for it")],
                          "element-wise", "central", 1e-5, {"complex step": 1e-8}, 4, 4, np.zeros(4), np.zeros(4))


def _reports() -> dict[str, GradientReport]:
    rng = np.random.default_rng(0)
    net = nngrad.DNN(1, 3, 2, 2, seed=0)
    x, y = rng.random((2, 2)), rng.random((2, 2))
    return {"layer": nngrad.check_layer(Scaled(), rng.random((3, 4))), "names": _names_report(),
            "built": _built_report(), "inconclusive": _inconclusive_report(),
            "network": nngrad.check_network(lm.Regressor(np.random.default_rng(8), False),
                                            rng.standard_normal((5, 2)), rng.standard_normal((5, 2))),
            "dnn": nngrad.gradient_check(net, x, y),
            "pair": nngrad.check_pair(lambda x, w: (x @ w, (x, w)),
                                      lambda d, c: (d @ c[1].T, c[0].T @ d), rng.random((2, 3)), rng.random((3, 2))),
            "loss": nngrad.check_loss(lambda p: (float((p ** 2).sum()), 2 * p), rng.random(3))}


REPORTS = _reports()


def _text(markup: str) -> str:
    """What a reader sees of the HTML: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


@pytest.mark.parametrize("key", sorted(REPORTS))
def test_report_html_starts_with_its_verdict_and_names_every_array_and_finding(key):
    report = REPORTS[key]
    markup = report._repr_html_()
    seen = _text(markup)
    assert seen.split()[0] == report.status  # the verdict first
    assert f"result: {report.status}" in seen
    for row in report.rows + report.second:
        assert html.escape(row.name) in markup
    for finding in report.findings:
        assert str(finding) in seen


@pytest.mark.parametrize("key", sorted(REPORTS))
def test_report_html_says_everything_str_says(key):
    """Every word of ``str()`` (its lines and its table's cells) is in the HTML a reader sees."""
    report = REPORTS[key]
    seen = " ".join(_text(report._repr_html_()).split())
    for line in str(report).splitlines():
        words = line.split()
        if " ".join(words) not in seen:  # a table row: its cells are apart in the HTML, each must be there
            assert all(w in seen for w in words), line


def test_names_that_look_like_html_are_escaped():
    markup = _names_report()._repr_html_()
    assert "&lt;b&gt;" in markup and "w&amp;&lt;i&gt;" in markup
    assert "<i>" not in markup and "w&<i>" not in markup
    assert re.search(r"<td[^>]*><b>", markup) is None  # the name "<b>" never opened a bold tag in its cell


def test_a_failing_row_is_marked_by_a_word_as_well_as_colour():
    markup = _built_report()._repr_html_()
    rows = re.findall(r"<tr[^>]*>.*?</tr>", markup)
    body = {re.findall(r"<td[^>]*>(.*?)</td>", r)[1]: r for r in rows if "<td" in r}  # array name -> its row
    first = {name: re.findall(r"<td[^>]*>(.*?)</td>", r)[0] for name, r in body.items()}
    assert first["W"] == "" and first["b"] == "FAIL" and first["dx"] == "FAIL"  # a "shape" row is a FAIL too
    assert "bold" in body["b"] and "bold" not in body["W"]
    assert markup.count('<li style="font-weight:bold') == 1  # the bug, not the informative finding


def test_an_inconclusive_report_says_so_first_and_marks_no_row_as_failing():
    report = REPORTS["inconclusive"]
    markup = report._repr_html_()
    assert report.status == "INCONCLUSIVE" and _text(markup).split()[0] == "INCONCLUSIVE"
    assert ">FAIL<" not in markup and "unchecked: no gradient found for it" in _text(markup)


def test_the_display_has_no_javascript_and_no_external_css():
    for report in REPORTS.values():
        markup = report._repr_html_().lower()
        assert "<script" not in markup and "javascript:" not in markup and "<link" not in markup
        assert " on" not in re.sub(r">[^<]*<", "><", markup)  # no onclick= or any handler among the attributes


@pytest.mark.parametrize("key", sorted(REPORTS))
def test_repr_is_a_few_short_lines_with_the_verdict(key):
    report = REPORTS[key]
    text = repr(report)
    lines = text.splitlines()
    assert 1 <= len(lines) <= 5 and all(len(line) <= display.REPR_WIDTH for line in lines)
    assert text.startswith("<GradientReport ") and report.status in text
    assert plural(len(report.rows), "array") in text
    for row in report.rows:
        assert (row.name in text) == (row.verdict in ("FAIL", "shape"))  # the failing arrays named, only they


def test_repr_of_a_layer_check_reads_as_one_line():
    assert repr(REPORTS["layer"]) == "<GradientReport layer Scaled: FAIL, 1 array (dx FAIL), 1 finding>"


def test_repr_of_a_long_subject_and_many_failing_arrays_is_cut_to_one_line():
    report = dataclasses.replace(_built_report(), subject="layer " + "Deep" * 80, second=[])
    report.rows = [dataclasses.replace(report.rows[1], name=f"W{i}") for i in range(12)]
    text = repr(report)
    assert "\n" not in text and len(text) <= display.REPR_WIDTH and text.endswith(">")
    assert "+9 more FAIL" in text and "12 arrays" in text


@pytest.mark.parametrize("key", sorted(REPORTS))
def test_to_frame_has_one_row_per_array(key):
    report = REPORTS[key]
    frame = report.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["name"]) == [r.name for r in report.rows]
    assert list(frame["verdict"]) == [r.verdict for r in report.rows]


def test_the_report_keeps_its_dataclass_fields_and_equality():
    report = _built_report()
    assert [f.name for f in dataclasses.fields(report)][:4] == ["subject", "rows", "findings", "mode"]
    assert report == copy.copy(report)
    assert report != dataclasses.replace(report, subject="layer Other")
    assert "GradientReport(" not in repr(report)  # the dataclass's wall of fields is gone


def test_ipython_shows_html_and_the_short_repr():
    pytest.importorskip("IPython")
    from IPython.core.formatters import format_display_data

    data, _ = format_display_data(REPORTS["layer"])
    assert data["text/plain"] == repr(REPORTS["layer"])
    assert data["text/html"] == REPORTS["layer"]._repr_html_()


def test_list_methods_stays_a_dataframe_that_renders_every_method():
    frame = nngrad.list_methods()
    assert isinstance(frame, pd.DataFrame)
    markup = frame._repr_html_()
    assert all(html.escape(name) in markup for name in frame["name"])


def test_a_training_history_is_a_dataframe_that_renders():
    rng = np.random.default_rng(0)
    history = nngrad.train(nngrad.DNN(1, 3, 2, 2, seed=0), rng.random((4, 2)), rng.random((4, 2)), epochs=2, lr=0.1,
                           seed=0)
    assert isinstance(history, pd.DataFrame) and len(history) == 2
    assert "loss" in history._repr_html_()


def test_html_table_escapes_every_cell_and_marks_the_failing_rows():
    frame = pd.DataFrame({"<name>": ["a<b", "c&d"], "x": [1, 2]})
    markup = display.html_table(frame, failing_rows=[1], mark="flagged")
    assert "&lt;name&gt;" in markup and "a&lt;b" in markup and "c&amp;d" in markup and "a<b" not in markup
    rows = re.findall(r"<tr[^>]*>.*?</tr>", markup)[1:]
    assert ">flagged<" in rows[1] and "flagged" not in rows[0] and "bold" in rows[1]


def test_html_table_without_failing_rows_has_no_mark_column():
    markup = display.html_table(pd.DataFrame({"a": [1]}))
    assert markup.count("<th ") == 1 and display.MARK not in markup


@pytest.mark.parametrize("verdict", ["PASS", "FAIL", "INCONCLUSIVE", "not judged"])
def test_the_verdict_badge_says_the_verdict_in_words(verdict):
    assert _text(display.verdict_badge(verdict)).strip() == verdict


def test_short_repr_fits_one_line_of_the_width():
    text = display.short_repr("Thing", "x\n" * 200, "PASS", ["3 rows"])
    assert "\n" not in text and len(text) <= display.REPR_WIDTH and text.endswith(": PASS, 3 rows>")
