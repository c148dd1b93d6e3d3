"""Exercise 1: the second derivative, and why it costs more than the first.

`backward(create_graph=True)` records the backward pass itself as a graph, so the gradient
`x.grad` is a function of `x` that can be differentiated again. For y = sum(x**3):
dy/dx = 3x**2 and d2y/dx2 = 6x; the same through `torch.autograd.grad`. Then the graphs of
f = sum(x * sin(x)) and of its derivative, side by side, show where the extra cost comes from.

    python examples/second_derivative.py [--url http://127.0.0.1:8000]
"""

from __future__ import annotations

import math

from _client import Session, cell, connect, fail, parse_args, run, show


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    with connect(args) as client, Session(client) as session:
        cell(session, 1, "x = torch.arange(4.0, requires_grad=True)\ny = (x ** 3).sum()\ny")

        first = cell(session, 2, "y.backward(create_graph=True)\ng = x.grad\ng")
        if first["result"]["data"] != [0.0, 3.0, 12.0, 27.0]:
            fail(f"dy/dx = 3x**2 = [0, 3, 12, 27], got {show(first['result'])}")
        if not first["result"]["requires_grad"]:
            fail("with create_graph=True the gradient must itself require grad")

        # Keep the first derivative in g, clear x.grad, differentiate g.
        second = cell(session, 3, "x.grad = None\ng.sum().backward()\nx.grad")
        if second["result"]["data"] != [0.0, 6.0, 12.0, 18.0]:
            fail(f"d2y/dx2 = 6x = [0, 6, 12, 18], got {show(second['result'])}")

        # torch.autograd.grad returns the gradients instead of accumulating them into .grad.
        both = cell(session, 4, "y = (x ** 3).sum()\n"
                                "dy = torch.autograd.grad(y, x, create_graph=True)[0]\n"
                                "d2y = torch.autograd.grad(dy.sum(), x)[0]\n"
                                "(dy, d2y)")
        dy, d2y = both["result"]
        if dy["data"] != [0.0, 3.0, 12.0, 27.0] or d2y["data"] != [0.0, 6.0, 12.0, 18.0]:
            fail(f"autograd.grad gave {show(dy)} and {show(d2y)}")

        # Why the second derivative costs more: the first backward pass is itself recorded as
        # a graph (every multiplication of the chain rule becomes a node), and the second pass
        # has to walk that graph. For f(x) = sum(x * sin(x)) the graphs compare like this:
        reply = cell(session, 5, "f = (x * torch.sin(x)).sum()\n"
                                 "df = torch.autograd.grad(f, x, create_graph=True)[0]\n"
                                 "d2f = torch.autograd.grad(df.sum(), x)[0]\n"
                                 "d2f")
        for xi, got in zip([0.0, 1.0, 2.0, 3.0], reply["result"]["data"], strict=True):
            want = 2 * math.cos(xi) - xi * math.sin(xi)  # f'' = 2 cos x - x sin x
            if not math.isclose(got, want, rel_tol=1e-5, abs_tol=1e-6):
                fail(f"f''({xi}) = {got}, expected {want}")
        for name, what in (("f", "f itself"), ("df", "df/dx")):
            nodes = session.graph(name)["nodes"]
            ops = [n["name"] for n in nodes if n["kind"] == "op"]
            print(f"graph of {what:9}: {len(nodes)} nodes: {', '.join(ops)}")
        print("The gradient's graph is larger than the function's: a second derivative pays for")
        print("a forward pass, a recorded first backward pass (keeping its intermediates alive)")
        print("and a backward pass through that larger graph; a full Hessian needs one per input.")

if __name__ == "__main__":
    run(main)
