"""Python's own types given where torch wants a dtype (``dtype=float``, ``x.to(int)``): torch's
argument parser reads float as float64, int as int64 and bool as bool, in every form (function,
method, keyword, library class). Printed side by side with torch 2.13."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from app.lang import Environment, Limits, compile_source, run_program

torch = pytest.importorskip("torch")

PROGRAM = """x = torch.ones(2, 3)
print(x.to(float).dtype, x.to(int).dtype, x.to(bool).dtype, x.to(dtype=float).dtype)
print(x.new_ones(2, dtype=float).dtype, x.new_full((2,), 3, dtype=int).dtype)
print(torch.tensor(3, dtype=float), torch.as_tensor([1, 2], dtype=float))
print(torch.full((2,), 1, dtype=bool), torch.zeros(2, dtype=float).dtype)
print(torch.zeros_like(x, dtype=int).dtype, torch.ones_like(x, dtype=float).dtype)
print(x.sum(dtype=float).dtype, x.cumsum(1, dtype=float).dtype, x.mean(dtype=float).dtype)
print(torch.arange(3, dtype=float), torch.linspace(0, 1, 3, dtype=float), torch.eye(2, dtype=int))
print(torch.from_numpy(np.ones(2)).to(float).dtype, torch.nn.Linear(2, 2, dtype=float).weight.dtype)
print(torch.randn(2, dtype=float).dtype, torch.rand(2, 2, dtype=float).dtype)
print(torch.randint(0, 3, (2,), dtype=float).dtype)
y = x.to(float)
y.requires_grad_()
(y * 2).sum().backward()
print(y.grad.dtype, torch.tensor([1.5, -2.5]).to(int), x.to(device="cpu", dtype=float).dtype)
for bad in (lambda: x.type(float), lambda: x.type(int), lambda: torch.zeros(2, dtype=np.float32),
            lambda: x.to(np.float64)):
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
"""


def test_python_types_are_torchs_dtypes_in_programs():
    printed = run_program(compile_source("import torch\nimport numpy as np\n" + PROGRAM),
                          Environment(), Limits()).printed
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(PROGRAM, {"torch": torch, "np": np})  # the oracle
    assert "\n".join(printed) == out.getvalue().rstrip("\n")


def test_the_engine_reads_python_float_as_float64():
    import engine

    assert engine.zeros(2, dtype=float).dtype is engine.float64
    assert engine.ones(2).to(float).dtype is engine.float64
    assert engine.tensor([1, 2], dtype=int).dtype is engine.int64
