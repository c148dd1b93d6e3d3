"""Exercise 4: a control-flow example of our own: x ** n by repeated squaring.

The loop and the branch are driven by a plain integer n, not by the tensor: which
multiplications are recorded depends on n's bits (13 = 0b1101: three multiplications into the
result, four squarings). Autograd differentiates whatever ran, so the gradient must be
n * x ** (n - 1), whichever path the loop took. Checked for several n.

    python examples/control_flow_redesign.py [--url http://127.0.0.1:8000]
"""

from __future__ import annotations

import math

from _client import Session, cell, connect, fail, parse_args, run

POWER = """\
def power(x, n):
    result = x * 0 + 1
    base = x
    while n > 0:
        if n % 2 == 1:
            result = result * base
        base = base * base
        n = n // 2
    return result"""


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    with connect(args) as client, Session(client) as session:
        cell(session, 1, POWER)
        xs = [0.5, 1.0, 1.5, 2.0]
        for number, n in enumerate([1, 2, 5, 13], start=2):
            reply = cell(session, number,
                         f"x = torch.tensor({xs}, requires_grad=True)\n"
                         f"y = power(x, {n})\n"
                         "y.sum().backward()\n"
                         "(y, x.grad)")
            y, grad = reply["result"]
            for xi, yi, gi in zip(xs, y["data"], grad["data"], strict=True):
                if not math.isclose(yi, xi ** n, rel_tol=1e-6):
                    fail(f"power({xi}, {n}) = {yi}, expected {xi ** n}")
                if not math.isclose(gi, n * xi ** (n - 1), rel_tol=1e-6):
                    fail(f"d/dx x**{n} at {xi} = {gi}, expected {n * xi ** (n - 1)}")
            print(f"n = {n}: gradient = n * x**(n-1) at every x "
                  f"(steps run: {reply['stats']['steps']})\n")


if __name__ == "__main__":
    run(main)
