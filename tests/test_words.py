"""nngrad._words.plural: a count with its noun in the right number."""

import numpy as np
import pytest

from nngrad._words import plural


@pytest.mark.parametrize("n,word,many,said", [
    (1, "point", None, "1 point"), (0, "point", None, "0 points"), (2, "epoch", None, "2 epochs"),
    (4642, "point", None, "4,642 points"), (np.int64(1), "minute", None, "1 minute"), (1.0, "hour", None, "1 hour"),
    (2.5, "minute", None, "2.5 minutes"), (1, "class", "classes", "1 class"), (3, "class", "classes", "3 classes"),
])
def test_a_count_takes_its_noun_in_the_right_number(n, word, many, said):
    assert plural(n, word, many) == said
