"""The seed chapter ("Automatic Differentiation"), cell by cell, over HTTP.

Each cell of the chapter runs in one server-side session, in order, exactly as written there:
`x` made in one cell is there in the next, `y.backward()` in its own cell fills `x.grad`.
Every output is checked against the text the chapter prints; a difference exits with status 1.

    python examples/seed_chapter.py [--url http://127.0.0.1:8000]
"""

from __future__ import annotations

from _client import Session, cell, connect, fail, parse_args, run, show

CONTROL_FLOW = """\
def f(a):
    b = a * 2
    while b.norm().item() < 1000:
        b = b * 2
    if b.sum().item() > 0:
        c = b
    else:
        c = 100 * b
    return c"""

# (cell number, source, what the chapter prints: None where it prints nothing)
CELLS = [
    (1, "import torch", None),
    (2, "x = torch.arange(4.0, requires_grad=True)\nx",
     "tensor([0., 1., 2., 3.], requires_grad=True)"),
    (3, "x.grad", None),
    (4, "y = 2 * torch.dot(x, x)\ny", "tensor(28., grad_fn=<MulBackward0>)"),
    (5, "y.backward()", None),
    (6, "x.grad", "tensor([ 0.,  4.,  8., 12.])"),
    (7, "x.grad == 4 * x", "tensor([True, True, True, True])"),
    (8, "x.grad.zero_()\ny = x.sum()\ny.backward()\nx.grad", "tensor([1., 1., 1., 1.])"),
    (9, "x.grad.zero_()\ny = x * x\nu = y.detach()\nz = u * x\n\nz.sum().backward()\nx.grad == u",
     "tensor([True, True, True, True])"),
    (10, "x.grad.zero_()\ny.sum().backward()\nx.grad == 2 * x", "tensor([True, True, True, True])"),
    (11, CONTROL_FLOW, None),
    (12, "a = torch.randn(size=(1,), requires_grad=True)\nd = f(a)\nd.backward()", None),
    (13, "a.grad == (d / a)", "tensor([True])"),
]


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    with connect(args) as client, Session(client, seed=0) as session:
        print(f"session {session.id}\n")
        for number, source, expected in CELLS:
            reply = cell(session, number, source)
            got = show(reply["result"])
            if got != expected:
                fail(f"cell {number}: the chapter prints {expected!r}, the service {got!r}")

    print("All cells agree with the chapter.")


if __name__ == "__main__":
    run(main)
