"""A small, bounded mutation run over the modules that judge (not part of CI).

Each mutant changes one token of one module (a comparison's boundary, an arithmetic operator, and/or, min/max,
a constant), or is one of the named mutants of issue 20 (the review's survivors, reproduced). Each runs in a
private copy of the working tree, with only the test files relevant to its module (``-x``: the first failure
kills it); the tree itself is never touched. A mutant is "killed" when those tests fail, "survived" when they
pass, "timeout" when they run past the limit (counted as killed, reported apart).

    python tools/mutation/mutate.py --named                    # the issue's named mutants, each must be killed
    python tools/mutation/mutate.py --generated --limit 100    # 100 token mutants drawn (seed 0) over the modules
    python tools/mutation/mutate.py --generated --tests-from 40a8e5e   # the same mutants against older tests
    python tools/mutation/mutate.py --generated --only g017,g042       # some of them again

``--tests-from REV`` takes tests/ from a git revision (the "before" count); ``--json FILE`` writes every result.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# the judging modules and the test files that defend each (run with -x)
MODULES: dict[str, list[str]] = {
    "nngrad/methods/checks.py": ["tests/test_estimator_check.py", "tests/test_estimators.py", "tests/test_excuse_negatives.py", "tests/test_check_judgements.py", "tests/test_tolerance_boundaries.py", "tests/test_mutations.py::test_the_checker_catches_an_error_of_one_part_in_ten_thousand", "tests/test_check.py", "tests/test_sweep.py", "tests/test_accuracy_figure.py::test_the_study_is_of_the_runs_network_and_names_it", "tests/test_deep_check.py::test_a_correct_deep_gradient_passes_the_blocked_check", "tests/test_deep_check.py::test_a_shallow_network_is_still_judged_array_by_array", "tests/test_deep_check.py::test_one_wrong_array_in_the_middle_of_a_deep_network_fails_the_blocked_check", "tests/test_deep_check.py::test_the_checks_passes_grow_like_the_depth_not_its_square", "tests/test_deep_check.py::test_the_checks_price_grows_like_the_depth_and_is_in_the_plan", "tests/test_mutations.py::test_a_relu_networks_arrays_are_resolved_and_a_wrong_one_is_caught", "tests/test_tolerances.py", "tests/test_point_check_rules.py"],
    "nngrad/tolerances.py": ["tests/test_compiled.py::test_float32_agrees_to_float32s_tolerance_and_stays_float32", "tests/test_compiled_o_n.py::test_float32_stays_float32_and_agrees_to_float32s_tolerance", "tests/test_excuse_negatives.py", "tests/test_tolerance_table_pinned.py", "tests/test_tolerance_rules.py", "tests/test_tolerances.py", "tests/test_tolerance_boundaries.py", "tests/test_check.py", "tests/test_step_refinement.py"],
    "nngrad/runfiles.py": ["tests/test_estimator_results.py", "tests/test_runfiles_rules.py", "tests/test_result_boundaries.py", "tests/test_run_files.py", "tests/test_results.py", "tests/test_runner.py::test_a_damaged_line_of_points_is_an_error_naming_it_but_a_line_cut_short_is_not", "tests/test_mutations.py::test_the_latest_record_of_a_point_wins", "tests/test_runner.py::test_a_point_timed_cheaper_than_a_loss_evaluation_is_timed_again_before_the_report", "tests/test_runner.py::test_a_points_load_and_re_timing_are_read_with_it_and_older_runs_read_as_unknown_and_not_retimed", "tests/test_runner.py::test_a_record_cut_short_by_a_crash_is_removed_when_the_run_resumes", "tests/test_runner.py::test_a_run_written_under_the_old_config_names_reads_under_todays", "tests/test_runner.py::test_a_suite_killed_by_a_signal_says_which_and_what_it_likely_means", "tests/test_runner.py::test_an_interrupted_resume_reports_its_new_points_not_a_stale_json", "tests/test_runner.py::test_bench_its_progress_line_and_the_report_say_one_count", "tests/test_runner.py::test_the_progress_line_counts_the_points_to_time_and_names_those_left_out_apart", "tests/test_runner.py::test_the_progress_line_re_estimates_the_time_left_on_a_busy_machine_and_says_why", "tests/test_runner.py::test_the_progress_line_says_when_a_point_is_checking_its_gradient", "tests/test_bench_e2e.py::test_a_point_is_done_when_measured_or_skipped_and_not_when_failed_or_missing", "tests/test_bench_e2e.py::test_an_interrupted_run_is_reported_then_resumed", "tests/test_bench_e2e.py::test_resume_runs_a_failed_point_again_and_nothing_else", "tests/test_interrupt.py::test_a_signal_to_bench_stops_the_suite_keeps_and_reports_what_finished", "tests/test_mutations.py::test_ctrl_c_keeps_the_finished_points_and_resume_runs_only_the_rest", "tests/test_sweep.py::test_the_quick_sweep_times_every_method_once_at_the_lessons_network_and_has_its_headline"],  # the slow end-to-end ones last (-x)
    "nngrad/check/compare.py": ["tests/test_array_judging_rules.py", "tests/test_tolerance_rules.py", "tests/test_judging_boundaries.py", "tests/test_check_findings.py", "tests/test_check.py", "tests/test_layer_check.py", "tests/test_mutations.py::test_an_arrays_check_names_the_worst_element_anywhere_with_its_values", "tests/test_step_refinement.py", "tests/test_tolerances.py", "tests/test_zero_tie_and_direction_rules.py", "tests/test_array_rules_boundaries.py"],
    "nngrad/check/dnn_check.py": ["tests/test_excuse_negatives.py", "tests/test_gradient_check_rules.py", "tests/test_tolerance_rules.py", "tests/test_check_judgements.py", "tests/test_check.py", "tests/test_tolerance_boundaries.py", "tests/test_step_refinement.py", "tests/test_tolerances.py", "tests/test_dnn_crossing_rules.py"],
    "nngrad/check/probe.py": ["tests/test_excuse_negatives.py", "tests/test_probe_rules.py", "tests/test_tolerance_rules.py", "tests/test_check_judgements.py", "tests/test_check.py", "tests/test_layer_check.py", "tests/test_tolerances.py", "tests/test_array_rules_boundaries.py"],
    "nngrad/check/arrays.py": ["tests/test_array_rules_boundaries.py", "tests/test_excuse_negatives.py", "tests/test_zero_tie_and_direction_rules.py", "tests/test_judging_boundaries.py", "tests/test_check_judgements.py", "tests/test_step_refinement.py", "tests/test_layer_check.py", "tests/test_check.py"],
    "nngrad/check/judge.py": ["tests/test_excuse_negatives.py", "tests/test_check_findings.py", "tests/test_layer_check.py", "tests/test_check_styles.py", "tests/test_check_diagnoses.py", "tests/test_tolerances.py", "tests/test_zero_tie_and_direction_rules.py", "tests/test_judge_rules.py"],
    "nngrad/sweep/plan.py": ["tests/test_estimator_check.py", "tests/test_result_boundaries.py", "tests/test_sweep.py", "tests/test_benchmark_judgements.py", "tests/test_cost.py::test_off_numpy_each_methods_own_cost_per_call_is_measured_and_prices_its_calls", "tests/test_deep_check.py::test_the_checks_price_grows_like_the_depth_and_is_in_the_plan", "tests/test_devices.py::test_the_plan_holds_every_method_on_every_device_it_runs_on", "tests/test_runner.py::test_bench_its_progress_line_and_the_report_say_one_count", "tests/test_runner.py::test_the_progress_line_re_estimates_the_time_left_on_a_busy_machine_and_says_why", "tests/test_plan_rules.py", "tests/test_point_measurement_rules.py"],
    "nngrad/sweep/point_check.py": ["tests/test_excuse_negatives.py", "tests/test_tolerance_rules.py", "tests/test_judging_boundaries.py", "tests/test_sweep.py", "tests/test_tolerance_boundaries.py", "tests/test_check.py::test_doubling_any_one_array_of_backprop_fails_both_checks_at_every_depth", "tests/test_check_judgements.py::test_backprops_point_check_on_a_relu_network_passes_its_gradient_and_fails_one_off_by_a_percent", "tests/test_devices.py::test_a_point_on_a_device_is_checked_against_numpys_backprop_on_the_cpu", "tests/test_devices.py::test_a_wrong_gradient_on_a_device_fails_its_check", "tests/test_point_check_rules.py", "tests/test_point_measurement_rules.py"],
    "nngrad/sweep/machine.py": ["tests/test_cost.py", "tests/test_compiled_cost.py", "tests/test_benchmark_judgements.py", "tests/test_sweep.py::test_a_point_timed_in_fewer_ticks_than_the_load_window_is_measured_over_the_window_that_ends_with_it", "tests/test_sweep.py::test_other_processes_share_is_none_without_proc_and_never_below_zero", "tests/test_sweep.py::test_other_processes_share_is_the_machines_busy_ticks_less_nngrads_over_all_ticks", "tests/test_sweep.py::test_the_suite_records_the_load_while_a_points_rounds_are_timed"],
    "nngrad/sweep/headline.py": ["tests/test_benchmark_judgements.py", "tests/test_headline.py", "tests/test_sweep.py::test_the_quick_sweep_times_every_method_once_at_the_lessons_network_and_has_its_headline"],
    "nngrad/results/compare.py": ["tests/test_compare_rules.py", "tests/test_result_boundaries.py", "tests/test_compare.py", "tests/test_mutations.py::test_the_comparisons_interval_of_constant_rounds_is_the_ratio_itself", "tests/test_benchmark_judgements.py", "tests/test_devices.py::test_runs_on_two_devices_compare_point_by_point"],
    "nngrad/results/limits.py": ["tests/test_result_boundaries.py", "tests/test_results.py", "tests/test_benchmark_judgements.py", "tests/test_verdicts.py", "tests/test_overhead.py"],
    "nngrad/results/report.py": ["tests/test_estimator_results.py", "tests/test_compiled_cost.py", "tests/test_results.py", "tests/test_headline.py", "tests/test_cost.py", "tests/test_benchmark_judgements.py", "tests/test_run_files.py", "tests/test_sanity.py", "tests/test_verdicts.py", "tests/test_overhead.py"],
    "nngrad/results/prediction.py": ["tests/test_result_boundaries.py", "tests/test_benchmark_judgements.py", "tests/test_cost.py", "tests/test_results.py", "tests/test_verdicts.py"],
    "nngrad/results/sanity.py": ["tests/test_result_boundaries.py", "tests/test_flag_words.py", "tests/test_sanity.py", "tests/test_verdicts.py", "tests/test_compare.py::test_the_tables_of_compare_md_fit_160_characters_and_every_point_is_in_the_csv", "tests/test_figure_flags.py::test_a_figure_that_draws_some_of_the_flagged_points_names_the_runs_count_the_reports", "tests/test_figure_flags.py::test_the_landscape_ring_count_agrees_with_the_reports_count_of_impossible_points", "tests/test_runner.py::test_a_point_timed_cheaper_than_a_loss_evaluation_is_timed_again_before_the_report"],
    "nngrad/sweep/runner.py": ["tests/test_result_boundaries.py", "tests/test_accuracy_figure.py::test_the_runner_records_the_study_of_the_runs_network", "tests/test_cli.py::test_a_blas_that_does_not_answer_stops_bench_with_the_remedy", "tests/test_cli.py::test_a_sweep_with_nothing_to_time_is_refused_before_any_work", "tests/test_cli.py::test_planning_interrupted_leaves_no_out_folder_made_for_it", "tests/test_cli.py::test_planning_interrupted_leaves_no_run_folder", "tests/test_runner.py", "tests/test_sweep.py::test_a_failure_while_planning_is_not_hidden_by_the_cleanup", "tests/test_bench_e2e.py::test_an_interrupted_run_is_reported_then_resumed", "tests/test_bench_e2e.py::test_resume_runs_a_failed_point_again_and_nothing_else", "tests/test_mutations.py::test_ctrl_c_keeps_the_finished_points_and_resume_runs_only_the_rest"],
    "nngrad/results/fits.py": ["tests/test_estimator_results.py", "tests/test_result_boundaries.py", "tests/test_benchmark_judgements.py", "tests/test_fits.py", "tests/test_results.py", "tests/test_mutations.py::test_a_fit_with_no_residual_degrees_of_freedom_has_no_standard_error", "tests/test_mutations.py::test_the_fits_standard_error_is_the_least_squares_one", "tests/test_mutations.py::test_the_theory_exponents_of_each_family_are_the_operation_counts", "tests/test_verdicts.py"],
}

# the review's survivors (issue 20), reproduced: (id, module, text replaced, replacement, tests)
NAMED = [
    ("M04", "nngrad/methods/prefix.py",
     "        def call() -> GradientResult:\n            job = self.build(net, x, y, **options)\n",
     "        job = self.build(net, x, y, **options)\n\n        def call() -> GradientResult:\n",
     ["tests/test_prepared_calls.py"]),
    ("M05", "nngrad/methods/schemes.py", "COMPLEX_STEP = 1e-20", "COMPLEX_STEP = 1e-6",
     ["tests/test_tolerance_boundaries.py"]),
    ("M07", "nngrad/tolerances.py", '"forward difference": {"float64": 1e-5}', '"forward difference": {"float64": 1e-3}',
     ["tests/test_tolerance_boundaries.py"]),
    ("M08", "nngrad/methods/cost.py", 'Cost(CALLS["tangent layer"], 2 * k * b * i * o,',
     'Cost(CALLS["tangent layer"], k * b * i * o,', ["tests/test_operation_counts.py"]),
    ("M09", "nngrad/methods/cost.py", "flop, pass_ = (4.0, 2.0) if complex_", "flop, pass_ = (1.0, 2.0) if complex_",
     ["tests/test_operation_counts.py"]),
    ("M10", "nngrad/runfiles.py", 'DONE = ("ok", "skipped")', 'DONE = ("ok", "skipped", "failed")',
     ["tests/test_bench_e2e.py::test_a_point_is_done_when_measured_or_skipped_and_not_when_failed_or_missing",
      "tests/test_bench_e2e.py::test_resume_runs_a_failed_point_again_and_nothing_else"]),
    ("M11", "nngrad/results/compare.py", 'high < 1 / (1 + MIN_EFFECT)], [TOO_FEW',
     'high < 1], [TOO_FEW', ["tests/test_benchmark_judgements.py"]),
    ("M12", "nngrad/results/report.py",
     'loads = {"before": m.get("others_load"), "after": (m.get("after") or {}).get("others_load")}',
     'loads = {"before": m.get("others_load")}', ["tests/test_benchmark_judgements.py"]),
    ("M13", "nngrad/sweep/machine.py", "return sum(fields), fields[3] + (fields[4] if len(fields) > 4 else 0)",
     "return sum(fields), fields[3]", ["tests/test_benchmark_judgements.py"]),
    ("M14", "nngrad/results/report.py", "ratio = seconds[method] / forward",
     "ratio = seconds[method] / np.median(forward)", ["tests/test_benchmark_judgements.py"]),
    ("M16", "nngrad/sweep/plan.py", "key=lambda p: (-get(p.method).work_exponent, -cost[id(p)])",
     "key=lambda p: -cost[id(p)]", ["tests/test_benchmark_judgements.py"]),
    ("M17", "nngrad/sweep/point_check.py", '"exact in float32" if method.exact else',
     '"exact in float32" if method.family != "finite-difference" else', ["tests/test_tolerance_boundaries.py"]),
    ("M19", "nngrad/results/limits.py",
     'return ratio.idxmax() if op == "<=" else ratio.idxmin()',
     'return ratio.idxmin() if op == "<=" else ratio.idxmax()', ["tests/test_benchmark_judgements.py"]),
    ("M20", "nngrad/tolerances.py", '"complex step": {"float64": 1e-8,', '"complex step": {"float64": 1e-6,',
     ["tests/test_tolerance_boundaries.py"]),
]

SWAPS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==", "+": "-", "-": "+", "*": "/",
         "/": "*", "and": "or", "or": "and", "min": "max", "max": "min", "idxmax": "idxmin", "idxmin": "idxmax",
         "any": "all", "all": "any", "True": "False", "False": "True"}


@dataclass
class Mutant:
    id: str
    module: str
    line: int
    original: str  # the line as it was
    mutated: str  # the line as the mutant has it
    tests: list[str]
    status: str = "not run"
    seconds: float = 0.0
    killed_by: str = ""  # the first failing test


def token_mutants(module: str, tests: list[str]) -> list[Mutant]:
    """One mutant per mutable token of ``module``'s code (comments, strings and docstrings are not code), each
    compiling; the mutated line replaces the original."""
    text = (ROOT / module).read_text()
    lines = text.splitlines(keepends=True)
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.OP or (tok.type == tokenize.NAME and tok.string in SWAPS):
            new = SWAPS.get(tok.string)
        elif tok.type == tokenize.NUMBER and tok.string.isdigit() and int(tok.string) > 1:
            new = str(int(tok.string) + 1)
        elif tok.type == tokenize.NUMBER and any(c in tok.string for c in ".e") and "j" not in tok.string:
            new = repr(float(tok.string) * 10)
        else:
            new = None
        if new is None or tok.start[0] != tok.end[0]:
            continue
        row, (c0, c1) = tok.start[0], (tok.start[1], tok.end[1])
        line = lines[row - 1]
        mutated_line = line[:c0] + new + line[c1:]
        mutated = "".join(lines[:row - 1]) + mutated_line + "".join(lines[row:])
        try:
            compile(mutated, module, "exec")
        except SyntaxError:
            continue
        out.append(Mutant("", module, row, line, mutated_line, tests))
    return out


def generated(limit: int, seed: int) -> list[Mutant]:
    """``limit`` token mutants drawn at random (``seed``) from every judging module, numbered g001, g002, ..."""
    everything = [m for module, tests in MODULES.items() for m in token_mutants(module, tests)]
    chosen = random.Random(seed).sample(everything, min(limit, len(everything)))
    chosen.sort(key=lambda m: (m.module, m.line))
    for k, m in enumerate(chosen, 1):
        m.id = f"g{k:03d}"
    return chosen


def named() -> list[Mutant]:
    out = []
    for ident, module, old, new, tests in NAMED:
        text = (ROOT / module).read_text()
        if text.count(old) != 1:
            raise SystemExit(f"{ident}: the text to mutate is not in {module} exactly once (the code moved?)")
        line = text[:text.index(old)].count("\n") + 1
        out.append(Mutant(ident, module, line, old, new, tests + [t for t in MODULES.get(module, []) if t not in tests]))
    return out


def copy_tree(dest: Path, tests_from: str | None) -> None:
    """The working tree's files (tracked and untracked, not ignored) into ``dest``; tests/ from a revision."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.splitlines()
    for name in files:
        if tests_from and name.startswith("tests/"):
            continue
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    if tests_from:
        archive = subprocess.run(["git", "archive", tests_from, "tests"], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)


def run_tests(tree: Path, tests: list[str], timeout: float) -> tuple[str, float, str]:
    """("passed" | "failed" | "timeout", seconds, the first failing test) of the tests in ``tree``, importing
    nngrad from there."""
    def present(test: str) -> bool:  # older tests may lack a file or a test of it
        path, _, name = test.partition("::")
        return (tree / path).exists() and (not name or f"def {name}(" in (tree / path).read_text())

    existing = [t for t in tests if present(t)]
    if not existing:
        return "no tests", 0.0, ""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-rfE", "-p", "no:cacheprovider", "-o", "addopts=", *existing]
    start = time.monotonic()
    try:
        done = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - start, ""
    failed = next((line.split()[1] for line in done.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))), "")
    # 0: passed; 5: no test collected counts as passed
    return ("passed" if done.returncode in (0, 5) else "failed"), time.monotonic() - start, failed


def run_mutant(m: Mutant, tree: Path, timeout: float) -> Mutant:
    path = tree / m.module
    original = path.read_text()
    path.write_text(original.replace(m.original, m.mutated, 1) if m.id.startswith("M") else
                    "".join(original.splitlines(keepends=True)[:m.line - 1]) + m.mutated
                    + "".join(original.splitlines(keepends=True)[m.line:]))
    try:
        outcome, m.seconds, m.killed_by = run_tests(tree, m.tests, timeout)
    finally:
        path.write_text(original)
    m.status = {"passed": "survived", "failed": "killed"}.get(outcome, outcome)
    return m


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    kind = p.add_mutually_exclusive_group(required=True)
    kind.add_argument("--named", action="store_true", help="the issue's named mutants")
    kind.add_argument("--generated", action="store_true", help="token mutants drawn over the judging modules")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", help="comma-separated mutant ids")
    p.add_argument("--tests-from", help="take tests/ from this git revision (the count before new tests)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant's tests")
    p.add_argument("--jobs", type=int, default=1, help="mutants run side by side, each in its own copy")
    p.add_argument("--json", help="write every result here")
    args = p.parse_args(argv)
    mutants = named() if args.named else generated(args.limit, args.seed)
    if args.only:
        wanted = set(args.only.split(","))
        mutants = [m for m in mutants if m.id in wanted]
    with tempfile.TemporaryDirectory(prefix="nngrad-mutants-") as scratch:
        trees = [Path(scratch) / f"tree{k}" for k in range(max(1, args.jobs))]
        for tree in trees:
            tree.mkdir()
            copy_tree(tree, args.tests_from)
        for tree in trees:  # the unmutated tree must pass the tests the mutants are judged by
            for tests in sorted({tuple(m.tests) for m in mutants}):
                outcome, _, failing = run_tests(tree, list(tests), args.timeout)
                if outcome != "passed":
                    raise SystemExit(f"the unmutated tree fails {failing or ' '.join(tests)} ({outcome}): fix that first")
            break
        free = list(trees)

        def job(m: Mutant) -> Mutant:
            tree = free.pop()
            try:
                return run_mutant(m, tree, args.timeout)
            finally:
                free.append(tree)

        with ThreadPoolExecutor(max_workers=len(trees)) as pool:
            for m in pool.map(job, mutants):
                print(f"{m.id} {m.status:9s} {m.seconds:6.1f}s {m.module}:{m.line}: {m.original.strip()[:70]!r} -> "
                      f"{m.mutated.strip()[:70]!r}" + (f" [{m.killed_by}]" if m.killed_by else ""), flush=True)
    counts = {s: sum(m.status == s for m in mutants) for s in ("killed", "timeout", "survived", "no tests")}
    print(f"{len(mutants)} mutants: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(m) for m in mutants], indent=1))
    return 0 if not counts["survived"] else 1


if __name__ == "__main__":
    sys.exit(main())
