import pytest

from nngrad.examples import apples, apples_oranges, chain_rule


def test_apples():
    assert apples() == pytest.approx({"price": 220, "d_apple": 2.2, "d_apple_num": 110, "d_tax": 200})


def test_apples_and_oranges():
    assert apples_oranges() == pytest.approx({"price": 715, "d_apple": 2.2, "d_apple_num": 110, "d_orange": 3.3,
                                              "d_orange_num": 165, "d_tax": 650})


def test_chain_rule_sums_both_paths_through_b():
    assert chain_rule() == {"f": 14, "df/da": 7, "df/db": 9, "df/dc": 2}
