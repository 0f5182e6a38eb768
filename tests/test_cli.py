import csv
import subprocess
import sys
from pathlib import Path

import pytest

from nngrad import Sigmoid
from nngrad.cli import main
from nngrad.errors import InvalidValue


def test_check_passes_with_exit_status_0(capsys):
    assert main(["check", "--depth", "2", "--width", "8", "--batch", "3"]) == 0
    out = capsys.readouterr().out
    assert "result: PASS" in out and "N=178" in out


def test_check_with_relu_softmax_and_batched_method(capsys):
    assert main(["check", "--depth", "3", "--width", "6", "--activation", "relu", "--loss", "softmax_ce",
                 "--outputs", "4", "--variant", "batched", "--scheme", "forward"]) == 0
    assert "reference: forward differences (batched)" in capsys.readouterr().out


def test_check_exits_1_when_gradients_disagree(capsys, monkeypatch):
    monkeypatch.setattr(Sigmoid, "backward", lambda self, dout: dout * self.out)
    assert main(["check", "--depth", "1", "--width", "3", "--init", "xavier"]) == 1
    assert "result: FAIL" in capsys.readouterr().out


@pytest.mark.parametrize("argv,words", [
    (["check", "--depth", "0"], "argument --depth: expected a positive integer, got 0"),
    (["check", "--width", "two"], "argument --width: expected a positive integer, got 'two'"),
    (["check", "--scheme", "backward"], "argument --scheme: invalid choice"),
    (["check", "--eps", "-1"], "argument --eps: expected a positive finite number"),
    (["check", "--activation", "softplus"], "argument --activation: invalid choice"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_arguments_exit_2_with_one_line(capsys, argv, words):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_users_mistake_found_by_the_library_is_one_line_and_exit_2(capsys, monkeypatch):
    monkeypatch.setattr("nngrad.commands.check.gradient_check", lambda *a, **k: (_ for _ in ()).throw(InvalidValue("x is bad")))
    assert main(["check", "--depth", "1", "--width", "2"]) == 2
    assert capsys.readouterr().err == "nngrad check: error: x is bad\n"


def test_an_internal_error_shows_its_traceback_and_asks_for_a_report(capsys, monkeypatch):
    monkeypatch.setattr("nngrad.commands.check.gradient_check", lambda *a, **k: (_ for _ in ()).throw(ValueError("a bug")))
    assert main(["check", "--depth", "1", "--width", "2"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "ValueError: a bug" in err and "internal error (a bug in nngrad" in err


def test_examples_print_the_exact_numbers(capsys):
    assert main(["examples"]) == 0
    out = capsys.readouterr().out
    assert "price = 220, d_apple = 2.2, d_apple_num = 110, d_tax = 200" in out
    assert "d_orange = 3.3, d_orange_num = 165, d_tax = 650" in out
    assert "df/da = 7, df/db = 9, df/dc = 2" in out


def test_the_module_runs_as_a_program_with_help():
    done = subprocess.run([sys.executable, "-m", "nngrad", "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "check" in done.stdout and "examples" in done.stdout


def test_methods_lists_every_method_and_why_one_is_unavailable(capsys, monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)  # as on a machine without the peers
    assert main(["methods"]) == 0
    out, err = capsys.readouterr()
    for name in ("backprop", "complex-step", "forward-mode", "torch", "scipy"):
        assert name in out
    assert "torch: torch needs torch, which is not installed: pip install" in err


def test_methods_says_a_cuda_graph_needs_a_cuda_device_where_there_is_none(capsys, monkeypatch):
    pytest.importorskip("torch")
    from nngrad.libraries import NoDevice

    def no_cuda(label):
        raise NoDevice("no CUDA device: torch.cuda.is_available() is False")

    monkeypatch.setattr("nngrad.backend.from_label", no_cuda)  # as on a machine without one, wherever this runs
    assert main(["methods"]) == 0
    out, err = capsys.readouterr()
    rows = {line.split()[0]: line for line in out.splitlines()[2:]}
    for name in ("backprop-graph", "torch-graph"):
        assert " no " in rows[name] and f"{name}: {name} needs a CUDA device (no CUDA device" in err
    assert " yes " in rows["backprop"]


def test_bench_says_a_cuda_graph_runs_only_on_a_cuda_device(capsys, monkeypatch, tmp_path):
    pytest.importorskip("torch")  # without it the CUDA graphs are left out for want of torch

    def stop(*args):  # the notes are printed before the run starts: stop there
        raise KeyboardInterrupt

    monkeypatch.setattr("nngrad.sweep.runner.start_run", stop)
    assert main(["bench", "--device", "cpu", "--out", str(tmp_path)]) == 130
    err = capsys.readouterr().err
    assert "note: backprop-graph is left out: it runs only on a CUDA device, not on cpu" in err


def test_bench_of_a_method_whose_package_is_missing_says_how_to_install_it(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    assert main(["bench", "--methods", "backprop,torch", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "torch needs torch, which is not installed: pip install 'nngrad[peers]'" in err and err.count("\n") == 1
    assert not any(tmp_path.iterdir())  # no empty run folder left behind


def test_complex_step_on_a_relu_sweep_is_a_skipped_point_with_its_reason(tmp_path):
    assert main(["bench", "--depths", "1", "--widths", "3", "--methods", "backprop,complex-step", "--activation",
                 "relu", "--loss", "softmax_ce", "--out", str(tmp_path)]) == 0
    (run,) = tmp_path.iterdir()
    rows = {(r["method"], r["depth"]): r for r in csv.DictReader((run / "summary.csv").open())}
    assert rows[("complex-step", "1")]["status"] == "skipped" and "kink" in rows[("complex-step", "1")]["note"]
    assert rows[("backprop", "1")]["status"] == "ok"


def test_train_classic_takes_any_gradient_method(tmp_path, capsys):
    assert main(["train", "classic", "--depths", "1", "--width", "4", "--epochs", "3", "--gradient", "complex-step",
                 "--out", str(tmp_path)]) == 0
    assert "complex-step" in (next(tmp_path.iterdir()) / "history.csv").read_text()


LAYERS = '''
import numpy as np


class Affine:
    def __init__(self, n_in=3, n_out=2):
        self.W = np.random.default_rng(0).standard_normal((n_in, n_out))
        self.b = np.zeros(n_out)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        return dout @ self.W.T


class InPlaceRelu:
    def forward(self, x):
        self.mask = x <= 0
        return np.where(self.mask, 0.0, x)

    def backward(self, dout):
        dout[self.mask] = 0
        return dout


class Broken:
    def __init__(self):
        raise RuntimeError("cannot build")
'''


@pytest.fixture
def layer_file(tmp_path):
    path = tmp_path / "mylayers.py"
    path.write_text(LAYERS)
    return path


@pytest.mark.parametrize("spec,extra,status,words", [
    ("Affine", ["--input-shape", "4,3"], 0, "result: PASS"),
    ("Affine", ["--input-shape", "4,5", "--kwargs", '{"n_in": 5}'], 0, "dW "),
    ("InPlaceRelu", ["--input-shape", "4,3"], 1, "dout-modified"),
])
def test_check_of_a_user_layer_file(capsys, layer_file, spec, extra, status, words):
    assert main(["check", "--layer", f"{layer_file}:{spec}", *extra]) == status
    assert words in capsys.readouterr().out


def test_a_missing_class_names_the_classes_and_the_functions_that_may_build_one(capsys, tmp_path):
    path = tmp_path / "layers.py"
    path.write_text("class Relu:\n    pass\n\n\ndef build(n):\n    return Relu()\n")
    assert main(["check", "--layer", f"{path}:Nope", "--input-shape", "2"]) == 2
    err = capsys.readouterr().err
    assert "has no class 'Nope' (it defines: Relu; and the functions build: a function that returns the layer" in err


def test_check_of_a_layer_from_an_importable_module(capsys):
    assert main(["check", "--layer", "nngrad.model.layers:Sigmoid", "--input-shape", "5,2"]) == 0
    assert main(["check", "--layer", "nngrad.model.losses:SoftmaxWithLoss", "--input-shape", "5,3"]) == 0
    assert "dx " in capsys.readouterr().out


@pytest.mark.parametrize("spec,extra,words", [
    ("{dir}/nope.py:Affine", ["--input-shape", "2"], "no such file"),
    ("{file}:Nope", ["--input-shape", "2"], "has no class 'Nope' (it defines: Affine, Broken, InPlaceRelu)"),
    ("{file}:Broken", ["--input-shape", "2"], "Broken(**{}) raised RuntimeError: cannot build"),
    ("{file}:Affine", ["--input-shape", "4,5"], "raised ValueError: matmul"),
    ("{file}:Affine", [], "--layer needs --input-shape"),
    ("{file}:Affine", ["--input-shape", "4,3", "--kwargs", "n_in=3"], "--kwargs must be a JSON object"),
    ("{file}", ["--input-shape", "4,3"], "--layer must be FILE.py:ClassName"),
    ("no_such_module:X", ["--input-shape", "2"], "no module 'no_such_module'"),
])
def test_bad_layer_arguments_exit_2_with_one_line(capsys, layer_file, spec, extra, words):
    assert main(["check", "--layer", spec.format(dir=layer_file.parent, file=layer_file), *extra]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("argv", [
    ["bench", "--depths", "1", "--widths", "3", "--methods", "forward", "--out", "{file}"],
    ["report", "{run}", "--out", "{file}"],
    ["compare", "{run}", "{run}", "--out", "{file}"],
    ["train", "classic", "--depths", "1", "--width", "3", "--epochs", "1", "--out", "{file}"],
])
def test_out_naming_a_file_is_one_line_and_exit_2(tmp_path, capsys, argv):
    file = tmp_path / "taken.txt"
    file.write_text("mine")
    run = Path(__file__).resolve().parent.parent / "results" / "reference"
    assert main([a.format(file=file, run=run) for a in argv]) == 2
    err = capsys.readouterr().err
    assert f"--out {file} is a file" in err and err.count("\n") == 1
    assert file.read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["taken.txt"]


@pytest.mark.parametrize("argv,words", [
    (["check", "--width", "100000"], "a network of 40,001,700,002 parameters (float64) would need"),
    (["check", "--depth", "100000", "--width", "2"], "checking all 600,022 parameters would take about"),
    (["bench", "--widths", "100000", "--depths", "2", "--methods", "backprop"], "the sweep's largest network"),
    (["bench", "--widths", "100000000"], "TiB of memory, and this machine has"),
])
def test_sizes_that_cannot_fit_or_finish_are_refused_at_once(tmp_path, capsys, argv, words):
    assert main([*argv, *(["--out", str(tmp_path / "runs")] if argv[0] == "bench" else [])]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("note:")]  # peers left out
    assert len(err) == 1 and words in err[0] and not (tmp_path / "runs").exists()


def test_a_sweep_with_nothing_to_time_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    """complex-step through ReLUs: every method's reason, exit 2, no machine constants measured, no folder."""
    from nngrad.sweep import runner

    def measured(*args, **kwargs):
        raise AssertionError("the machine constants were measured for a sweep with nothing to time")

    monkeypatch.setattr(runner, "measure", measured)
    out = tmp_path / "runs"
    assert main(["bench", "--methods", "complex-step", "--activation", "relu", "--out", str(out)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("nngrad bench: error: nothing to time: no method of this sweep applies") and \
        "complex-step needs a loss analytic in the parameters, but Relu has a kink" in line
    assert not out.exists()


def test_a_sweep_where_only_some_methods_cannot_apply_is_planned():
    from nngrad.sweep.config import configure, nothing_to_time

    cfg = configure(methods=("complex-step", "backprop"), activation="relu", depths=(1,), widths=(4,))
    assert cfg.methods == ("complex-step", "backprop") and nothing_to_time(cfg) == []


def test_planning_interrupted_leaves_no_run_folder(tmp_path, monkeypatch):
    from nngrad.sweep import runner

    def interrupted(cfg):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run_meta", interrupted)
    assert main(["bench", "--depths", "1", "--widths", "3", "--methods", "forward", "--out", str(tmp_path)]) == 130
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("step", ["run_meta", "studies"])
def test_planning_interrupted_leaves_no_out_folder_made_for_it(tmp_path, monkeypatch, step):
    from nngrad.sweep import runner

    def interrupted(cfg):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, step, interrupted)
    out = tmp_path / "new" / "runs"
    assert main(["bench", "--depths", "1", "--widths", "3", "--methods", "forward", "--out", str(out)]) == 130
    assert not any(tmp_path.iterdir())  # neither the run folder nor new/runs nor new


def test_a_blas_that_does_not_answer_stops_bench_with_the_remedy(tmp_path, capsys, monkeypatch):
    from nngrad.sweep import runner

    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setattr(runner, "BLAS_PROBE", "import time; time.sleep(30)")  # a product that never returns
    monkeypatch.setattr(runner, "BLAS_TIMEOUT_S", 0.5)
    assert main(["bench", "--quick", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "did not answer within 0.5 s with OPENBLAS_CORETYPE set" in err and "env -u OPENBLAS_CORETYPE" in err
    assert not any(tmp_path.iterdir())
    monkeypatch.setattr(runner, "BLAS_PROBE", "pass")  # a BLAS that answers: no hang reported
    assert runner.blas_hangs() is None


@pytest.mark.parametrize("argv,words", [
    (["train", "classic", "--batch-size", "4"], "--batch-size does not apply to 'train classic' (only to digits and"),
    (["train", "classic", "--activation", "relu"], "--activation does not apply to 'train classic'"),
    (["train", "digits", "--limit", "5"], "--limit does not apply to 'train digits' (only to mnist)"),
    (["train", "digits", "--depths", "1,2"], "--depths does not apply to 'train digits' (only to classic)"),
    (["bench", "--methods", "backprop,backprop"], "backprop named twice: each method is timed once"),
])
def test_options_that_would_be_ignored_are_refused(capsys, argv, words):
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    assert info.value.code == 2 and words in err and err.count("\n") == 1


def test_resume_refuses_options_that_cannot_change_the_stored_plan(capsys):
    run = Path(__file__).resolve().parent.parent / "results" / "reference"
    assert main(["bench", "--resume", str(run), "--depths", "1,2", "--budget", "1"]) == 2
    assert "--depths, --budget cannot change it; start a new run instead" in capsys.readouterr().err


def test_a_negative_value_reaches_the_options_own_check(capsys):
    with pytest.raises(SystemExit) as info:
        main(["check", "--eps", "-1e-4"])
    assert info.value.code == 2
    assert "argument --eps: expected a positive finite number, got -1e-4" in capsys.readouterr().err


def test_examples_say_what_they_compute(capsys):
    assert main(["examples"]) == 0
    assert "chain_rule: f = (a + b) * (b + c)\n  f = 14" in capsys.readouterr().out


def test_training_outputs_are_not_committed_by_accident():
    assert "results/train-*/" in (Path(__file__).resolve().parent.parent / ".gitignore").read_text().splitlines()


def test_the_old_option_for_the_variant_still_works_and_says_so(capsys):
    assert main(["check", "--depth", "2", "--width", "8", "--activation", "relu", "--loss", "softmax_ce", "--outputs", "3",
                 "--batch", "4", "--method", "batched"]) == 0
    captured = capsys.readouterr()
    assert "--method is now --variant" in captured.err and "(batched)" in captured.out


def test_version_prints_the_installed_version(capsys):
    from importlib import metadata

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.strip() == f"nngrad {metadata.version('nngrad')}"


def test_a_registered_command_is_a_subcommand_with_its_options_and_settle(capsys):
    from nngrad.commands import COMMANDS, Command, register

    seen = {}

    def settle(parser, args):
        args.twice = 2 * args.n

    def run(args):
        seen["n"] = args.twice
        return 0

    register(Command("echo-n", "print n twice", "A command registered by a test.",
                     lambda p: p.add_argument("--n", type=int, default=1), run, settle))
    try:
        assert main(["echo-n", "--n", "3"]) == 0 and seen == {"n": 6}
        with pytest.raises(SystemExit):
            main(["--help"])
        out = capsys.readouterr().out
        assert "echo-n" in out and "print n twice" in out
    finally:
        del COMMANDS["echo-n"]


def test_help_lists_the_commands_in_their_order(capsys):
    from nngrad.commands import ORDER

    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert [out.index(f"    {name} ") for name in ORDER] == sorted(out.index(f"    {name} ") for name in ORDER)


REFERENCE_RUN = Path(__file__).resolve().parent.parent / "results" / "reference"
UNWRITABLE = [p for p in ("/proc/nngrad-out", "/sys/nngrad-out/runs") if Path(p).parents[-2].is_dir()]


@pytest.mark.skipif(not UNWRITABLE, reason="no /proc or /sys here to stand for a place nothing can be written")
@pytest.mark.parametrize("out", UNWRITABLE)
@pytest.mark.parametrize("command", [["bench", "--quick"], ["report", str(REFERENCE_RUN)],
                                     ["compare", str(REFERENCE_RUN), str(REFERENCE_RUN)]])
def test_an_out_where_nothing_can_be_written_is_refused_in_one_line(command, out, capsys):
    assert main([*command, "--out", out]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("note:")]
    assert len(err) == 1 and f"--out {out}: nothing can be written in" in err[0], err
    assert not Path(out).exists()


def test_a_run_folder_that_cannot_be_written_is_a_one_line_error_not_a_bug(tmp_path, capsys, monkeypatch):
    """``nngrad report RUN`` writes into RUN: read-only there (EROFS) is the user's to change, exit 2."""
    import errno
    import shutil

    from nngrad import _files

    run = tmp_path / "run"
    shutil.copytree(REFERENCE_RUN, run)
    before = {p.name: p.read_bytes() for p in run.iterdir()}

    def read_only(path, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(_files, "write_atomic", read_only)
    assert main(["report", str(run)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot write {run}" in err and "Read-only file system" in err, err
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before
