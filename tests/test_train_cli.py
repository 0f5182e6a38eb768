"""nngrad train: the classic experiment, digits and MNIST IDX files, and its bad inputs."""

import csv

import numpy as np
import pytest

from nngrad.cli import main
from nngrad.data import write_idx


def only_folder(root):
    (folder,) = root.iterdir()
    return folder


def test_classic_experiment_reports_time_per_epoch_and_the_ratio(tmp_path, capsys):
    assert main(["train", "classic", "--depths", "1,2", "--width", "4", "--epochs", "5", "--out", str(tmp_path)]) == 0
    folder = only_folder(tmp_path)
    assert {p.name for p in folder.iterdir()} == {"history.csv", "summary.csv", "learning_curve.png", "report.md"}
    summary = list(csv.DictReader((folder / "summary.csv").open()))
    assert [int(r["depth"]) for r in summary] == [1, 2]
    for r in summary:
        assert float(r["ratio"]) == pytest.approx(float(r["numerical_s_per_epoch"]) / float(r["backprop_s_per_epoch"]))
        assert r["curves_coincide"] == "True" and float(r["max_relative_loss_gap"]) < 1e-5
    history = list(csv.DictReader((folder / "history.csv").open()))
    assert len(history) == 2 * 2 * 5 and {r["gradient"] for r in history} == {"backprop", "numerical-loop"}
    assert "ratio" in capsys.readouterr().out


def test_digits_training_writes_history_and_curve(tmp_path, capsys):
    pytest.importorskip("sklearn")
    assert main(["train", "digits", "--epochs", "3", "--width", "32", "--out", str(tmp_path)]) == 0
    folder = only_folder(tmp_path)
    rows = list(csv.DictReader((folder / "history.csv").open()))
    assert len(rows) == 3 and {"loss", "accuracy", "test_accuracy", "elapsed_s"} <= set(rows[0])
    assert (folder / "learning_curve.png").read_bytes().startswith(b"\x89PNG")
    assert "test accuracy" in capsys.readouterr().out


@pytest.fixture
def idx_files(tmp_path, rng):
    labels = np.repeat(np.arange(3, dtype=np.uint8), 20)
    images = (rng.random((60, 4, 4)) * 30 + labels[:, None, None] * 100).astype(np.uint8)  # separable classes
    write_idx(tmp_path / "images.idx.gz", images)
    write_idx(tmp_path / "labels.idx.gz", labels)
    return tmp_path


def test_mnist_training_on_idx_files(idx_files, tmp_path):
    out = tmp_path / "out"
    assert main(["train", "mnist", "--images", str(idx_files / "images.idx.gz"), "--labels",
                 str(idx_files / "labels.idx.gz"), "--width", "8", "--epochs", "20", "--test-fraction", "0.3",
                 "--out", str(out)]) == 0
    rows = list(csv.DictReader((only_folder(out) / "history.csv").open()))
    assert float(rows[-1]["test_accuracy"]) >= 0.9


def test_mnist_training_warns_about_labels_that_are_not_0_to_k_minus_1(idx_files, tmp_path, capsys):
    labels = np.repeat(np.arange(3, dtype=np.uint8), 20)
    labels[0] = 200
    write_idx(tmp_path / "gappy.idx", labels)
    with pytest.warns(UserWarning, match="labels are not 0..K-1") as caught:
        main(["train", "mnist", "--images", str(idx_files / "images.idx.gz"), "--labels", str(tmp_path / "gappy.idx"),
              "--width", "4", "--epochs", "1", "--out", str(tmp_path / "out")])
    assert "201 classes" in str(caught[0].message)


@pytest.mark.parametrize("argv,words", [
    (["train", "digits", "--batch-size", "0"], "argument --batch-size: expected a positive integer, got 0"),
    (["train", "digits", "--lr", "0"], "argument --lr: expected a positive finite number"),
    (["train", "digits", "--lr", "-1"], "argument --lr: expected a positive finite number"),
    (["train", "cifar"], "argument task: invalid choice"),
])
def test_bad_train_arguments_exit_2(capsys, argv, words):
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    assert info.value.code == 2 and words in err and err.count("\n") == 1


def test_bad_data_paths_exit_2_with_one_line(idx_files, tmp_path, capsys):
    out = ["--out", str(tmp_path / "out")]
    assert main(["train", "mnist", *out]) == 2
    assert "mnist needs --images and --labels" in capsys.readouterr().err
    assert main(["train", "mnist", "--images", str(tmp_path / "nope.gz"), "--labels", str(tmp_path / "x"), *out]) == 2
    assert "nope.gz: no such file" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("hello")
    assert main(["train", "mnist", "--images", str(tmp_path / "notes.txt"), "--labels",
                 str(idx_files / "labels.idx.gz"), *out]) == 2
    err = capsys.readouterr().err
    assert "is not an IDX file" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # no empty output folder


def test_labels_out_of_range_exit_2(idx_files, tmp_path, capsys):
    write_idx(tmp_path / "test-labels.idx", np.full(5, 7, dtype=np.uint8))
    write_idx(tmp_path / "test-images.idx", np.zeros((5, 4, 4), dtype=np.uint8))
    assert main(["train", "mnist", "--images", str(idx_files / "images.idx.gz"), "--labels",
                 str(idx_files / "labels.idx.gz"), "--test-images", str(tmp_path / "test-images.idx"),
                 "--test-labels", str(tmp_path / "test-labels.idx"), "--out", str(tmp_path / "o")]) == 2
    assert "test labels go up to 7, beyond the 3 classes" in capsys.readouterr().err


def test_a_diverging_training_exits_2_saying_the_epoch(idx_files, tmp_path, capsys):
    assert main(["train", "mnist", "--images", str(idx_files / "images.idx.gz"), "--labels",
                 str(idx_files / "labels.idx.gz"), "--lr", "1e300", "--epochs", "5", "--out", str(tmp_path / "o")]) == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith("nngrad train: error: training diverged at epoch 1") and "lower learning rate" in last
    assert not (tmp_path / "o").exists()


def test_a_training_that_learns_nothing_says_so_and_exits_1(tmp_path, capsys):
    pytest.importorskip("sklearn")
    assert main(["train", "digits", "--lr", "1e6", "--epochs", "2", "--out", str(tmp_path)]) == 1
    assert "no better than chance" in capsys.readouterr().err
    assert list(tmp_path.iterdir())  # the history is kept: it shows what happened


@pytest.mark.parametrize("task", ["digits", "classic"])
def test_a_bad_output_place_is_refused_before_the_data_are_read(task, tmp_path, capsys, monkeypatch):
    from nngrad import data

    def not_yet(*args, **kwargs):
        raise AssertionError("the data were read before --out was checked")

    monkeypatch.setattr(data, "load_digits", not_yet)
    (tmp_path / "README.md").write_text("a file, not a folder")
    assert main(["train", task, "--out", str(tmp_path / "README.md")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "is a file; give a folder" in captured.err


@pytest.mark.parametrize("argv,words", [
    (["--test-fraction", "1"], "argument --test-fraction: expected a number strictly between 0 and 1, got 1"),
    (["--gradient", "complex-step"], "--gradient complex-step: complex-step needs a loss analytic"),  # ReLU's kink
])
def test_an_option_that_cannot_apply_is_refused_in_one_line_before_anything_is_printed(argv, words, tmp_path,
                                                                                       capsys):
    pytest.importorskip("sklearn")
    try:
        status = main(["train", "digits", *argv, "--out", str(tmp_path)])
    except SystemExit as exit_:  # argparse's own refusal
        status = exit_.code
    captured = capsys.readouterr()
    assert status == 2 and captured.out == "" and captured.err.count("\n") == 1 and words in captured.err
    assert not list(tmp_path.iterdir())


def test_one_epoch_is_said_in_the_singular(tmp_path, capsys):
    pytest.importorskip("sklearn")
    assert main(["train", "digits", "--epochs", "1", "--width", "4", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "after 1 epoch," in out and "1 epochs" not in out
