"""Progress without a terminal: plain lines on a clock, as the benchmark prints them."""

from nngrad._progress import PlainProgress, progress_bar


class Clock:
    """A clock the test moves by hand: no test depends on the machine's speed."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_without_a_terminal_a_line_is_printed_every_interval_and_at_the_end(capsys):
    clock = Clock()
    bar = PlainProgress(5, "training (backprop)", "epoch", every_s=10.0, clock=clock)
    for seconds in (3, 6, 11, 14, 25):
        clock.now = seconds
        bar.set_postfix({"loss": "0.5"})
        bar.update()
    bar.close()
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["training (backprop): 3/5 epochs, elapsed 0:11, loss=0.5",
                     "training (backprop): 5/5 epochs, elapsed 0:25, loss=0.5"]  # close repeats no line


def test_a_plain_line_of_one_step_names_it_in_the_singular(capsys):
    bar = PlainProgress(1, "training (backprop)", "epoch", every_s=10.0, clock=Clock())
    bar.update()
    bar.close()
    assert capsys.readouterr().err == "training (backprop): 1/1 epoch, elapsed 0:00\n"


def test_progress_asked_for_off_a_terminal_is_plain_lines_and_not_asked_for_is_nothing(capsys):
    assert progress_bar(3, False, "x") is None
    assert isinstance(progress_bar(3, True, "x"), PlainProgress)  # pytest's stderr is not a terminal


def test_a_plain_line_writes_both_counts_alike(capsys):
    """Kills: 'complex step: 4642/4,642 params' (the count done without its thousands separator)."""
    from nngrad._progress import PlainProgress

    bar = PlainProgress(4642, "complex step", "param", every_s=0.0, clock=lambda: 0.0)
    bar.update(4642)
    assert capsys.readouterr().err.startswith("complex step: 4,642/4,642 params, elapsed 0:00")
