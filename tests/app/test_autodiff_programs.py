"""torch.autograd.functional, torch.func and custom torch.autograd.Function programs sent as
source through a session's runs, cell by cell, and in their JSON form (from POST /v1/compile):
what they print and the values they leave are what torch 2.13 gives for the same cells."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np
import pytest

from tests.app.helpers import run

FUNCTIONAL = ["""
import torch
from torch.autograd.functional import jacobian, hessian, vjp, jvp, hvp, vhp
def f(x):
    return x ** 2 * torch.sin(x)
x = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
J = jacobian(f, x)
print(J)
""", """
def g(x):
    return (x ** 3).sum()
H = hessian(g, x)
print(H)
out, v = vjp(f, x, torch.ones(3, dtype=torch.float64))
print(out, v)
print(jvp(f, x, torch.ones(3, dtype=torch.float64)))
print(hvp(g, x, torch.ones(3, dtype=torch.float64)))
print(vhp(g, x, torch.ones(3, dtype=torch.float64)))
""", """
def two(a, b):
    return a * b + a.exp()
Ja, Jb = jacobian(two, (x, x + 1))
print(Ja, Jb)
Jc = jacobian(lambda t: t.cos(), x, create_graph=True)
print(Jc)
print(torch.autograd.functional.jacobian(f, x, vectorize=True, strategy="forward-mode"))
"""]

FUNC = ["""
import torch
from torch.func import grad, vmap, jacrev, jacfwd, grad_and_value, hessian
x = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
print(grad(lambda t: torch.sin(t).sum())(x))
print(grad(grad(torch.sin))(torch.tensor(1.0, dtype=torch.float64)))
batch = torch.arange(6.0, dtype=torch.float64).reshape(2, 3)
print(vmap(torch.dot)(batch, batch))
""", """
def model(w, x):
    return torch.tanh(x @ w)
def loss(w, x):
    return model(w, x) ** 2
w = torch.ones(3, dtype=torch.float64) / 3
print(vmap(model, in_dims=(None, 0))(w, batch))
Jr = jacrev(model)(w, batch)
Jf = jacfwd(model, argnums=1)(w, batch[0])
print(Jr, Jf)
""", """
per_sample = vmap(grad(loss), in_dims=(None, 0))(w, batch)
print(per_sample)
print(grad_and_value(loss)(w, batch[1]))
H = hessian(loss)(w, batch[1])
print(H)
print(jacfwd(jacfwd(loss))(w, batch[1]))
"""]

CUSTOM_FUNCTION = ["""
import torch
class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, i):
        result = i.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        result, = ctx.saved_tensors
        return grad_output * result
""", """
x = torch.tensor([0.5, 1.0], requires_grad=True)
y = Exp.apply(x)
print(y)
y.sum().backward()
print(x.grad)
""", """
class MulConstant(torch.autograd.Function):
    @staticmethod
    def forward(tensor, constant):
        return tensor * constant

    @staticmethod
    def setup_context(ctx, inputs, output):
        tensor, constant = inputs
        ctx.constant = constant

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None

class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)

a = torch.linspace(-1, 1, 5, dtype=torch.float64, requires_grad=True)
b = MulConstant.apply(a, 3.0)
P3 = LegendrePolynomial3.apply
c = P3(b).sum()
c.backward()
print(b, c, a.grad)
""", """
print(torch.autograd.gradcheck(LegendrePolynomial3.apply, (a,)))
print(torch.autograd.gradcheck(lambda t: MulConstant.apply(t, 2.0), (a,)))
try:
    Exp.apply(torch.ones(2)).backward()
except RuntimeError as e:
    print(e)
"""]

PROGRAMS = {"torch.autograd.functional": (FUNCTIONAL, ["J", "H", "v", "Ja", "Jb", "Jc"]),
            "torch.func": (FUNC, ["Jr", "Jf", "per_sample", "H"]),
            "custom torch.autograd.Function": (CUSTOM_FUNCTION, ["y", "b", "c"])}


def torch_runs(cells: list[str]) -> tuple[list[str], dict[str, Any]]:
    """What torch prints for the cells run one after another, and its variables."""
    pytest.importorskip("torch")
    buffer = io.StringIO()
    scope: dict[str, Any] = {"__name__": "__main__"}
    with contextlib.redirect_stdout(buffer):
        for cell in cells:
            exec(compile(cell, "<cell>", "exec"), scope)  # the oracle
    text = buffer.getvalue()
    return (text[:-1] if text.endswith("\n") else text).split("\n"), scope


def session_runs(client, session: str, cells: list[str], outputs: list[str],
                 form: str) -> tuple[list[str], dict[str, Any]]:
    printed: list[str] = []
    for i, cell in enumerate(cells):
        body: dict[str, Any] = {"source": cell}
        if form == "json":
            compiled = client.post("/v1/compile", json={"source": cell})
            assert compiled.status_code == 200, compiled.text
            body = {"program": compiled.json()["program"]}
        if i == len(cells) - 1:
            body["outputs"] = outputs
        reply = run(client, session, body)
        assert reply.status_code == 200, reply.text
        printed += [line for entry in reply.json()["printed"] for line in entry.split("\n")]
    return printed, reply.json()["outputs"]


@pytest.mark.parametrize("form", ["source", "json"])
@pytest.mark.parametrize("name", list(PROGRAMS))
def test_program_through_a_session_is_what_torch_gives(client, session_id, name, form):
    cells, names = PROGRAMS[name]
    expected_printed, scope = torch_runs(cells)
    printed, outputs = session_runs(client, session_id, cells, names, form)
    assert printed == expected_printed
    for var in names:
        want = scope[var]
        got = outputs[var]
        assert got["type"] == "tensor", got
        assert got["shape"] == list(want.shape), var
        assert got["dtype"] == str(want.dtype).removeprefix("torch."), var
        assert got["requires_grad"] == want.requires_grad, var
        expected = want.detach().numpy()
        ulps = 1e-12 if expected.dtype == np.float64 else 1e-6  # NumPy's float32 exp: 1 ulp
        np.testing.assert_allclose(np.array(got["data"], dtype=expected.dtype), expected,
                                   rtol=ulps, atol=ulps, err_msg=var)
