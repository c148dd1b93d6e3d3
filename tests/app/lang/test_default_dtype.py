"""``torch.set_default_dtype``: a session's own default floating dtype (float16/32/64), kept
between runs as torch keeps it between a notebook's cells, durable in snapshots, never seen by
another session; what it changes (Python floats, float creation ops and samplers, int-with-float
promotion, new parameters, optimizer step counters, `finfo()`, which dtype a repr leaves
unsaid) printed side by side with torch 2.13."""

from __future__ import annotations

import contextlib
import contextvars
import io

import pytest

import engine
from app.lang import Environment, Limits, compile_source, run_program
from app.services import snapshots
from app.services.execution import new_environment

torch = pytest.importorskip("torch")

CELLS = [
    "torch.set_default_dtype(torch.float64)\nprint(torch.get_default_dtype())",
    """a = torch.tensor([1.0, 2.0])
print(a, a.dtype, torch.tensor([1.0], dtype=torch.float32), torch.zeros(2).dtype)
print(torch.arange(0., 1., 0.5), torch.arange(3) * 2.5, torch.tensor(1.5) + 1)
print(torch.full((2,), 0.5))
print(torch.linspace(0, 1, 3), torch.sqrt(torch.tensor([4])), torch.tensor([True]) + 0.5)
print(torch.where(torch.tensor([True, False]), 1.0, 0.0).dtype)
print(torch.clamp(torch.arange(3), max=1.5))
torch.manual_seed(0)
print(torch.randn(3), torch.rand(2), torch.normal(0., 1., (2,)).dtype)
lin = torch.nn.Linear(3, 2)
print(lin.weight.dtype, lin.bias)
x = torch.randn(4, 3, requires_grad=True)
lin(x).tanh().sum().backward()
print(x.grad, lin.weight.grad.dtype)
opt = torch.optim.Adam(lin.parameters(), lr=0.1)
opt.step()
print(opt.state_dict()['state'][0]['step'].dtype, torch.finfo().eps, torch.Tensor([1, 2]))
print(torch.distributions.Normal(0., 1.).loc.dtype, torch.nn.LayerNorm(2).weight.dtype)""",
    """torch.set_default_dtype(torch.float16)
print(torch.tensor([1.5]), torch.ones(2) / 3, torch.get_default_dtype())
torch.set_default_dtype(torch.float32)
print(torch.tensor([1.5]), torch.tensor([1.5], dtype=torch.float64), torch.get_default_dtype())
for bad in (torch.int64, 3):
    try:
        torch.set_default_dtype(bad)
    except TypeError as e:
        print('TypeError', e)""",
]


def _torch_prints(cells: list[str]) -> list[str]:
    out = io.StringIO()
    scope = {"torch": torch}
    try:
        with contextlib.redirect_stdout(out):
            for cell in cells:
                exec(cell, scope)  # the oracle
    finally:
        torch.set_default_dtype(torch.float32)
    return out.getvalue().splitlines()


def test_a_sessions_default_dtype_acts_as_torchs_across_runs():
    env = Environment()
    printed = []
    for cell in CELLS:  # one run per cell: the setting stays with the session
        printed += run_program(compile_source("import torch\n" + cell), env, Limits()).printed
    assert "\n".join(printed).splitlines() == _torch_prints(CELLS)
    assert env.default_dtype == "float32"


def test_it_is_the_sessions_own_and_durable():
    env = new_environment("cpu", 1)
    run_program(compile_source("import torch\ntorch.set_default_dtype(torch.float64)"), env,
                Limits())
    assert env.default_dtype == "float64"
    other = new_environment("cpu", 1)  # another session in this process: untouched
    out = run_program(compile_source("import torch\nprint(torch.tensor([1.5]).dtype)"), other,
                      Limits()).printed
    assert out == ["torch.float32"] and engine.get_default_dtype() is engine.float32
    back = new_environment("cpu", 0)
    snapshots.restore(snapshots.capture(env), back)
    assert back.default_dtype == "float64"
    out = run_program(compile_source("import torch\nprint(torch.tensor([1.5]).dtype)"), back,
                      Limits()).printed
    assert out == ["torch.float64"]


def test_the_engine_keeps_it_per_context():
    def inside() -> str:
        engine.set_default_dtype(engine.float64)
        return str(engine.tensor([1.0]).dtype)

    assert contextvars.copy_context().run(inside) == "torch.float64"
    assert engine.tensor([1.0]).dtype is engine.float32
    assert (engine.arange(3) * 2.5).dtype is engine.float32
