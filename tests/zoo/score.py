"""The zoo's score: for nngrad's checker (from Python, and from the shell where a case has ``cli``) and for
``torch.autograd.gradcheck`` around the same code, the columns of the checker issue's table: bugs detected,
false alarms on correct code, cases the checker could not take, cases checked in part (a PASS or FAIL whose report
has a row with verdict "unchecked" or a finding of kind "unchecked"), and bugs whose diagnosis names them.

A bug counts as detected when the verdict is FAIL; correct code counts as a false alarm unless the verdict is PASS
(FAIL and INCONCLUSIVE both); a case the checker raised on could not be taken; a diagnosis names the bug when one
of the findings is of a kind the case lists in ``names``.

    cd tests && ../.venv/bin/python -m zoo.score [--fresh | --r2 | --r3 | --r4 | --r5 | --r6] [--no-torch] [-v]
        [--write ../docs/checker-zoo.md]

(--fresh: the first-contact batch ``FRESH`` instead of ``CASES``; --r2: the second first-contact batch ``ROUND2``;
--r3: the third, ``ROUND3``; --r4: the fourth, ``ROUND4``; --r5: the fifth, ``ROUND5``; --r6: the sixth, ``ROUND6``.)
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import CASES, FRESH, ROUND2, ROUND3, ROUND4, ROUND5, ROUND6, cli_args
from .case import Case


@dataclass
class Score:
    bugs: int = 0
    detected: int = 0
    correct: int = 0
    false_alarms: int = 0
    not_taken: int = 0
    named: int | None = 0
    partial: int | None = 0
    notes: list[str] = field(default_factory=list)

    def add(self, case: Case, status: str | None, kinds: set[str] | None, partial: bool = False) -> None:
        """status: "PASS", "FAIL", "INCONCLUSIVE", or None when the checker could not take the case; partial: the
        report left an array unchecked (a row "unchecked" or a finding of that kind)."""
        if partial and status in ("PASS", "FAIL") and self.partial is not None:
            self.partial += 1
            self.notes.append(f"checked in part ({status}): {case.name}")
        if status is None:
            self.not_taken += 1
            self.notes.append(f"not taken: {case.name}")
        if case.bug is None:
            self.correct += 1
            if status is not None and status != "PASS":
                self.false_alarms += 1
                self.notes.append(f"false alarm ({status}): {case.name}")
            return
        self.bugs += 1
        if status == "FAIL":
            self.detected += 1
            if kinds is not None and self.named is not None:
                if kinds & set(case.names):
                    self.named += 1
                else:
                    self.notes.append(f"not named: {case.name} (found {', '.join(sorted(kinds)) or 'nothing'}; "
                                      f"expected one of {', '.join(case.names)})")
        elif status is not None:
            self.notes.append(f"missed ({status}): {case.name}: {case.bug}")


def nngrad_report(case: Case, seed: int = 0):
    """nngrad's report on a case, from Python."""
    from nngrad import check_engine, check_function, check_layer, check_loss, check_network, check_pair

    entry = {"layer": check_layer, "pair": check_pair, "loss": check_loss, "network": check_network,
             "engine": check_engine, "function": check_function}[case.entry]
    args, kwargs = case.make(np.random.default_rng(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return entry(*args, **kwargs)


def nngrad_cli(case: Case) -> tuple[int, str]:
    """(exit status, output) of ``nngrad check`` with the case's arguments."""
    from nngrad.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = main(["check", *cli_args(case)])
    return status, out.getvalue() + err.getvalue()


def report_partial(report) -> bool:
    """The report left an array unchecked: a row (or a second-point row) "unchecked", or such a finding."""
    rows = list(report.rows) + list(getattr(report, "second", []))
    return any(r.verdict == "unchecked" for r in rows) or any(f.kind == "unchecked" for f in report.findings)


def score_api(cases: list[Case] = CASES) -> Score:
    score = Score()
    for case in cases:
        try:
            report = nngrad_report(case)
        except Exception as exc:  # noqa: BLE001 - counted as not taken, and shown
            score.add(case, None, None)
            last = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
            score.notes[-1] += f" ({type(exc).__name__}: {last})"
            continue
        score.add(case, report.status, {f.kind for f in report.findings}, report_partial(report))
    return score


def printed_kinds(text: str) -> set[str]:
    """The kinds of the findings a report printed (its lines "kind: message")."""
    from nngrad.check.findings import KINDS

    return {line.split(":", 1)[0] for line in text.splitlines() if line.split(":", 1)[0] in KINDS}


def printed_partial(text: str) -> bool:
    """The printed report left an array unchecked: a row whose verdict is "unchecked", or such a finding."""
    return any(re.search(r"(^|\s)unchecked(:|$)", line) for line in text.splitlines())


def score_cli(cases: list[Case] = CASES) -> Score:
    score = Score()
    for case in (c for c in cases if c.cli):
        try:
            status, text = nngrad_cli(case)
        except BaseException as exc:  # noqa: BLE001 - a traceback out of the command: not taken
            status, text = 3, f"{type(exc).__name__}: {exc}"
        verdict = "PASS" if status == 0 else ("FAIL" if "result: FAIL" in text else "INCONCLUSIVE") if status == 1 \
            else None
        score.add(case, verdict, printed_kinds(text), printed_partial(text))
        if verdict is None:
            score.notes[-1] += f" ({text.strip().splitlines()[-1] if text.strip() else status})"
    return score


def score_torch(cases: list[Case] = CASES) -> Score:
    from .gradcheck import gradcheck_case

    score = Score(named=None, partial=None)
    for case in cases:
        passed = gradcheck_case(case, np.random.default_rng(0))
        score.add(case, None if passed is None else "PASS" if passed else "FAIL", None)
    return score


def table(scores: dict[str, Score]) -> str:
    lines = ["| | detected bugs | false alarms on correct code | could not take the code | checked in part "
             "| diagnosis names the bug |", "|:--|--:|--:|--:|--:|--:|"]
    for name, s in scores.items():
        named = "(never names a cause)" if s.named is None else f"{s.named} / {s.bugs}"
        partial = "-" if s.partial is None else str(s.partial)
        lines.append(f"| {name} | {s.detected} / {s.bugs} ({100 * s.detected / max(s.bugs, 1):.0f}%) | "
                     f"{s.false_alarms} / {s.correct} | {s.not_taken} | {partial} | {named} |")
    return "\n".join(lines)


def styles(all_cases: list[Case] = CASES) -> str:
    lines = ["| style | buggy | correct |", "|:--|--:|--:|"]
    for style in dict.fromkeys(c.style for c in all_cases):
        cases = [c for c in all_cases if c.style == style]
        lines.append(f"| {style} | {sum(c.bug is not None for c in cases)} | {sum(c.bug is None for c in cases)} |")
    return "\n".join(lines)


BATCHES = (  # (title, cases, the first-contact record, what the batch is)
    ("The zoo", "CASES", None, "learner code in the styles of the courses, written with nngrad's checker: half of it "
     "with one known bug each, marked `# BUG:` in the code"),
    ("First contact, round 1", "FRESH", "FIRST_CONTACT.md", "81 cases in 8 styles the zoo lacked (torch-like modules, "
     "Keras-like layers, Nielsen's network.py and network2, the deep-learning specialisation, pure Python, notebook "
     "globals, layers beyond the catalogue), written and labelled independently for issue 25 before the checker "
     "was changed, and scored once as it stood"),
    ("First contact, round 2", "ROUND2", "ROUND2.md", "47 cases in 8 more styles (d2l from scratch, a scikit-learn-"
     "like MLP, Chainer-like links, Ng's course, paper losses, a bag of words on integer ids, an array autograd "
     "engine, Keras-like sequence layers), written after the first round of fixes by someone who had not read the "
     "checker, and scored once as it stood"),
    ("First contact, round 3", "ROUND3", "ROUND3.md", "65 cases in 7 more styles (the full model of Neural "
     "Networks from Scratch, JAX-like parameter trees, fast.ai's foundations with a backward of no argument, "
     "numpy-ml's layers with parameters made at the first forward and flush_gradients(), einsum layers, a "
     "convolution through im2col with stride and padding, losses of probabilistic models and metric learning), "
     "written after the second round of fixes by someone who had not read the checker, and scored once as it "
     "stood"),
    ("First contact, round 4", "ROUND4", "ROUND4.md", "49 cases in 10 more styles (Deep Learning from Scratch's "
     "MultiLayerNetExtend with batch norm and dropout in an OrderedDict, layers as closures from factory functions, "
     "vjp closures as a pair's cache, dataclass layers with a grads dict, parameters in a namedtuple or a "
     "SimpleNamespace, min-char-rnn's BPTT, makemore's backprop-ninja MLP on character ids, a graph of array nodes "
     "with a topological sort, detection and self-supervised losses with masks), written by someone who had not "
     "read the checker, and scored once on the code main had at the go signal"),
    ("First contact, round 5", "ROUND5", "ROUND5.md", "47 cases in 9 more styles, most of them ways of organising "
     "code (a trainer over a list of layer dicts with compute_gradients(batch), a loss of a list of dicts holding "
     "activation names, a torch-like Module with register_parameter and named_parameters, parameters in one flat "
     "buffer with views, Lua-Torch-like layers that store grad_input, a tape of closures walked by grad(tape, "
     "dout), a depthwise 1-D convolution, a GRU with np.split gates, sequence and contrastive losses), written by "
     "someone who had not read the checker, and scored once on the code main had at the go signal"),
    ("First contact, round 6", "ROUND6", "ROUND6.md", "40 cases in 8 more styles (a net built from a config list "
     "with step_backward and layers whose backward returns a dict, np.ndarray subclass parameters with .grad, a "
     "Keras Model subclass calling its layers, an operator-overloading autograd, an autograd keyed by id() in a "
     "global dict, maxout, highway, squeeze-excitation, instance norm, overlapping max pools, an embedding bag with "
     "offsets, losses returning a dict of gradients), written by someone who had not read the checker, and scored "
     "once on the code main had at the go signal"),
)


def recorded(name: str) -> str:
    """The score table of a first-contact record (its first table with a "detected bugs" column), as written."""
    lines = (Path(__file__).parent / name).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|") and "detected bugs" in line)
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return "\n".join(lines[start:end])


def _add(totals: dict, when: str, markdown: str) -> None:
    """Add a score table's detected bugs and false alarms ("a / b" cells) to ``totals[when][who]``."""
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        counts = totals.setdefault(when, {}).setdefault(cells[0], [0, 0, 0, 0])
        for k, cell in enumerate(cells[1:3]):
            a, b = (int(v) for v in re.findall(r"\d+", cell)[:2])
            counts[2 * k] += a
            counts[2 * k + 1] += b


def overall(totals: dict) -> str:
    """The first-contact batches added up: bugs detected and false alarms, at first contact and now."""
    lines = ["## Over all first-contact rounds", "", "The issue's measure is the first contact: each batch was scored "
             "once before the checker was changed for it. \"Now\" is the same batches after the fixes they prompted "
             "(the checker has since been tuned to them; the next round's first contact is the honest measure).", "",
             "| | | detected bugs | false alarms on correct code |", "|:--|:--|--:|--:|"]
    for when, by in totals.items():
        lines += [f"| {when} | {who} | {c[0]} / {c[1]} | {c[2]} / {c[3]} |" for who, c in by.items()]
    return "\n".join(lines)


def write(out: Path, torch: bool) -> None:
    """docs/checker-zoo.md: every batch scored now, beside its first-contact record."""
    import datetime
    import importlib.metadata
    import platform

    from . import CASES, FRESH, ROUND2, ROUND3, ROUND4, ROUND5, ROUND6

    batches = {"CASES": CASES, "FRESH": FRESH, "ROUND2": ROUND2, "ROUND3": ROUND3, "ROUND4": ROUND4, "ROUND5": ROUND5,
               "ROUND6": ROUND6}
    start = time.perf_counter()
    version = f"nngrad {importlib.metadata.version('nngrad')}, numpy {np.__version__}"
    if torch:
        import torch as t

        version += f", torch {t.__version__}"
    parts, notes, totals = [], [], {}
    for title, name, record, what in BATCHES:
        cases = batches[name]
        scores = {"`nngrad.check_*` (Python)": score_api(cases), "`nngrad check` (the shell)": score_cli(cases)}
        if torch:
            scores["`torch.autograd.gradcheck`"] = score_torch(cases)
        first = "" if record is None else (f"At first contact (`tests/zoo/{record}`, the record, never rerun):\n\n"
                                          f"{recorded(record)}\n\nNow:\n\n")
        parts.append(f"## {title}: `{name}`\n\n{what[0].upper() + what[1:]}. {len(cases)} cases ({sum(c.bug is not None for c in cases)} "
                     f"buggy), {sum(bool(c.cli) for c in cases)} with a command line.\n\n{styles(cases)}\n\n{first}"
                     f"{table(scores)}")
        notes += [f"- {title}, {who}: {note}" for who, s in scores.items() for note in s.notes]
        if record is not None:
            _add(totals, "at first contact", recorded(record))
            _add(totals, "now, after the fixes each round prompted", table(scores))
    out.write_text(f"# The checker on learner code\n\nGenerated by `cd tests && python -m zoo.score --write "
                   f"../docs/checker-zoo.md` on {datetime.date.today()} ({version}, Python "
                   f"{platform.python_version()}) in {time.perf_counter() - start:.0f} s; do not edit by hand.\n\n"
                   "A bug counts as detected when the verdict is FAIL; correct code counts as a false alarm unless "
                   "the verdict is PASS (FAIL and INCONCLUSIVE both); a case the checker raised on could not be "
                   "taken; a report that names an array unchecked is checked in part; a diagnosis names the bug when "
                   "one of its findings is of a kind the case lists. torch's gradcheck runs at its defaults (eps "
                   "1e-6, atol 1e-5, rtol 1e-3) around the same numpy code, wrapped in a float64 "
                   "`torch.autograd.Function` as a PyTorch user would. Every label is confirmed independently of "
                   "nngrad (`python -m zoo._verify`, `--fresh`, `--r2`, `--r3`, `--r4`, `--r5`, `--r6`).\n\n"
                   + overall(totals) + "\n\n" + "\n\n".join(parts)
                   + "\n\n## Where each fell short\n\n" + ("\n".join(notes) or "nowhere") + "\n")


def main(argv: list[str]) -> int:
    start = time.perf_counter()
    cases = ROUND6 if "--r6" in argv else ROUND5 if "--r5" in argv else ROUND4 if "--r4" in argv \
        else ROUND3 if "--r3" in argv \
        else ROUND2 if "--r2" in argv else FRESH if "--fresh" in argv else CASES
    scores = {"`nngrad.check_*` (Python)": score_api(cases), "`nngrad check` (the shell)": score_cli(cases)}
    if "--no-torch" not in argv:
        scores["`torch.autograd.gradcheck`"] = score_torch(cases)
    summary = (f"{len(cases)} cases ({sum(c.bug is not None for c in cases)} buggy), "
               f"{sum(bool(c.cli) for c in cases)} with a command line; scored in {time.perf_counter() - start:.0f} s")
    print(table(scores) + "\n\n" + summary)
    notes = [f"- {name}: {note}" for name, s in scores.items() for note in s.notes]
    if "-v" in argv:
        print("\n".join(notes))
    if "--write" in argv:
        write(Path(argv[argv.index("--write") + 1]), torch="--no-torch" not in argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
