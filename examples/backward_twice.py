"""Exercise 2: run `y.backward()` again right after the first one.

The first backward frees the graph's saved values, so the second fails with PyTorch's own
message. The error is an RFC 9457 problem (`code: program_error`) that says where; the session
survives it (notebook semantics). With `retain_graph=True` the second call works and the
gradients add up in `x.grad`.

    python examples/backward_twice.py [--url http://127.0.0.1:8000]
"""

from __future__ import annotations

from _client import ServiceError, Session, cell, connect, fail, parse_args, run


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    with connect(args) as client, Session(client) as session:
        cell(session, 1, "x = torch.arange(4.0, requires_grad=True)\ny = 2 * torch.dot(x, x)")
        cell(session, 2, "y.backward()\nx.grad")

        print("In [3]:\n    y.backward()")
        try:
            session.run("y.backward()")
        except ServiceError as err:
            problem = err.problem
            print(f"HTTP {err.status}, code {problem['code']!r}:")
            print(f"    {problem['detail']}")
            if "location" in problem:
                print(f"    at {problem['location']}")
            if err.status != 400 or problem["code"] != "program_error":
                fail(f"expected a 400 program_error, got {err.status} {problem.get('code')}")
            if "backward through the graph a second time" not in problem["detail"]:
                fail("the message should be PyTorch's 'Trying to backward through the graph "
                     "a second time ...'")
        else:
            fail("the second backward should have failed")
        print()

        # The session is intact: x and its gradient from cell 2 are still there.
        reply = cell(session, 4, "x.grad")
        if reply["result"]["data"] != [0.0, 4.0, 8.0, 12.0]:
            fail("x.grad changed after the failed run")

        # Keeping the graph allows a second pass; gradients accumulate: 4x + 4x = 8x.
        reply = cell(session, 5, "x.grad.zero_()\ny = 2 * torch.dot(x, x)\n"
                                 "y.backward(retain_graph=True)\ny.backward()\nx.grad")
        if reply["result"]["data"] != [0.0, 8.0, 16.0, 24.0]:
            fail(f"expected 8x = [0, 8, 16, 24], got {reply['result']['data']}")
        print("With retain_graph=True both passes run, and x.grad holds their sum (8x).")


if __name__ == "__main__":
    run(main)
