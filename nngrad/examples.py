"""The worked examples of the classic backprop lesson, built from MulLayer and AddLayer."""

from __future__ import annotations

from .model.layers import AddLayer, MulLayer


def apples(apple: float = 100, apple_num: float = 2, tax: float = 1.1) -> dict[str, float]:
    """price = apple * apple_num * tax and its derivatives, by backward from dprice = 1."""
    mul_apple, mul_tax = MulLayer(), MulLayer()
    price = mul_tax.forward(mul_apple.forward(apple, apple_num), tax)
    d_apple_price, d_tax = mul_tax.backward(1)
    d_apple, d_apple_num = mul_apple.backward(d_apple_price)
    return {"price": price, "d_apple": d_apple, "d_apple_num": d_apple_num, "d_tax": d_tax}


def apples_oranges(apple: float = 100, apple_num: float = 2, orange: float = 150, orange_num: float = 3,
                   tax: float = 1.1) -> dict[str, float]:
    """price = (apple * apple_num + orange * orange_num) * tax and its derivatives."""
    mul_apple, mul_orange, add, mul_tax = MulLayer(), MulLayer(), AddLayer(), MulLayer()
    total = add.forward(mul_apple.forward(apple, apple_num), mul_orange.forward(orange, orange_num))
    price = mul_tax.forward(total, tax)
    d_total, d_tax = mul_tax.backward(1)
    d_apple_price, d_orange_price = add.backward(d_total)
    d_apple, d_apple_num = mul_apple.backward(d_apple_price)
    d_orange, d_orange_num = mul_orange.backward(d_orange_price)
    return {"price": price, "d_apple": d_apple, "d_apple_num": d_apple_num, "d_orange": d_orange,
            "d_orange_num": d_orange_num, "d_tax": d_tax}


def chain_rule(a: float = -1, b: float = 3, c: float = 4) -> dict[str, float]:
    """f = (a + b) * (b + c); b feeds two nodes, so its gradient is the sum of both paths."""
    add_x, add_y, mul = AddLayer(), AddLayer(), MulLayer()
    f = mul.forward(add_x.forward(a, b), add_y.forward(b, c))
    dx, dy = mul.backward(1)
    da, db_x = add_x.backward(dx)
    db_y, dc = add_y.backward(dy)
    return {"f": f, "df/da": da, "df/db": db_x + db_y, "df/dc": dc}


EXAMPLES = {"apples": apples, "apples_oranges": apples_oranges, "chain_rule": chain_rule}
