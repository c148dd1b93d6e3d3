"""Exercise 3: the chapter's control-flow function f with a vector (and a matrix) input.

f(a) doubles `a` until its norm reaches 1000, then maybe scales it by 100: for ANY input,
f(a) = k * a with one scalar k chosen by the loop and the branch. With a vector, d = f(a) is no
longer a scalar, so `d.backward()` alone fails with PyTorch's "grad can be implicitly created
only for scalar outputs". Backpropagating d.sum() (the same as d.backward(gradient=ones)) gives
the vector-Jacobian product with ones: the Jacobian of f is k * I, so a.grad = k in every
position, and a.grad == d / a holds elementwise.

    python examples/control_flow_vector.py [--url http://127.0.0.1:8000]
"""

from __future__ import annotations

from _client import ServiceError, Session, cell, connect, fail, parse_args, run

F = """\
def f(a):
    b = a * 2
    while b.norm().item() < 1000:
        b = b * 2
    if b.sum().item() > 0:
        c = b
    else:
        c = 100 * b
    return c"""


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    with connect(args) as client, Session(client, seed=1) as session:
        cell(session, 1, F)
        cell(session, 2, "a = torch.randn(size=(4,), requires_grad=True)\nd = f(a)\nd")

        print("In [3]:\n    d.backward()")
        try:
            session.run("d.backward()")
        except ServiceError as err:
            print(f"HTTP {err.status}, code {err.problem['code']!r}: {err.problem['detail']}\n")
            if "implicitly created only for scalar outputs" not in err.problem["detail"]:
                fail("expected PyTorch's message for a non-scalar backward")
        else:
            fail("backward of a vector without `gradient` should fail")

        reply = cell(session, 4, "d.sum().backward()\nk = (d / a)\n(a.grad, k, a.grad == k)")
        grad, k, equal = reply["result"]
        if not all(equal["data"]):
            fail(f"a.grad == d / a should hold everywhere, got {equal['repr']}")
        if len(set(grad["data"])) != 1:
            fail(f"a.grad should be one constant k everywhere, got {grad['data']}")
        print(f"one k = {grad['data'][0]:g} for all {len(grad['data'])} elements: f(a) = k * a\n")

        # The same with a matrix, and a weighted backward: the gradient is k * weights.
        reply = cell(session, 5, "a = torch.randn(size=(2, 3), requires_grad=True)\n"
                                 "d = f(a)\n"
                                 "w = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])\n"
                                 "d.backward(gradient=w)\n"
                                 "torch.allclose(a.grad, (d / a) * w)")
        # allclose, not ==: where the branch scaled by 100, d / a = (100 * 2**n * a) / a is
        # rounded twice and can miss k by an ulp (torch prints the same for this seed).
        if reply["result"] is not True:
            fail(f"matrix case: {reply['result']}")
        print("For a matrix too: a.grad = k * w, the vector-Jacobian product with the weights w.")


if __name__ == "__main__":
    run(main)
