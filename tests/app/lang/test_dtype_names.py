"""A dtype's name given where torch wants a dtype (``torch.zeros(2, dtype='float64')``,
``x.sum(dtype='float64')``, ``nn.Linear(2, 2, dtype='float64')``): torch's argument parser
refuses it with a TypeError, and a program does the same, with torch's text, in both forms
(the JSON form names a dtype as ``{"lib": "torch.float64"}`` or ``{"var": "float64"}``; a JSON
string is a string, never a dtype). NumPy's own functions still take names (NumPy does).
Compared with torch 2.13 in the same process."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

import engine
from app.lang import Environment, Limits, compile_source, run_program

torch = pytest.importorskip("torch")

#: each a call torch refuses (or, for the last ones, takes): printed as the class and text
CALLS = """torch.zeros(2, dtype='float64') | torch.ones(2, 3, dtype='float32')
torch.empty(2, dtype='float32') | torch.full((2,), 1, dtype='float32')
torch.eye(2, dtype='int64') | torch.arange(3, dtype='float32')
torch.linspace(0, 1, 3, dtype='float32') | torch.tensor([1, 2], dtype='float32')
torch.as_tensor([1, 2], dtype='float32') | torch.randn(2, dtype='float32')
torch.rand(2, dtype='float32') | torch.randperm(3, dtype='int64')
torch.randint(0, 3, (2,), dtype='int64') | torch.zeros_like(x, dtype='float64')
torch.ones_like(x, dtype='float64') | torch.full_like(x, 2, dtype='float64')
torch.rand_like(x, dtype='float64') | torch.empty_like(x, dtype='float64') | x.to('float32')
x.to(dtype='float32') | x.to('cpu', 'float32') | x.to('cpu', dtype='float32')
x.to(device='cpu', dtype='float64') | x.type('float32') | x.type('torch.float32')
x.sum(dtype='float64') | x.mean(dtype='float64') | x.prod(dtype='float64')
x.std(dtype='float64') | x.cumsum(0, dtype='float64') | torch.cumprod(x, 0, dtype='float64')
x.nansum(dtype='float64') | torch.sum(x, dtype='float64') | torch.sum(x, 0, dtype='float64')
torch.mean(x, dtype='float64') | x.softmax(0, dtype='float64')
torch.softmax(x, 0, dtype='float64') | F.softmax(x, 0, dtype='float64')
F.log_softmax(x, 0, dtype='float64') | x.log_softmax(0, dtype='float64')
x.new_ones(2, dtype='float64') | x.new_zeros(2, dtype='float64')
x.new_empty(2, dtype='float64') | x.new_full((2,), 1, dtype='float64')
x.new_tensor([1], dtype='float64') | x.view('float32') | x.view(dtype='float32')
torch.finfo('float32') | torch.iinfo('int32') | torch.can_cast('float32', torch.float64)
torch.promote_types('float32', torch.float64) | x.norm(dtype='float64')
torch.linalg.vector_norm(x, dtype='float64') | torch.tril_indices(3, 3, dtype='int32')
torch.set_default_dtype('float64') | x.to_dense(dtype='float64') | torch.zeros(2, dtype=name)
nn.Linear(2, 2, dtype='float64') | nn.Conv2d(1, 1, 3, dtype='float64')
nn.LSTM(2, 2, dtype='float64') | nn.BatchNorm1d(3, dtype='float64')
nn.Embedding(3, 2, dtype='float64') | nn.LayerNorm(3, dtype='float64')
nn.Linear(2, 2).to(dtype='float64') | nn.Linear(2, 2).to('float64')
nn.Linear(2, 2).to('cpu', 'float64') | nn.Linear(2, 2).type('float64')
nn.Linear(2, 2).type('torch.DoubleTensor').weight.dtype | x.type('torch.DoubleTensor').dtype
x.to(torch.float64).dtype | torch.zeros(2, dtype=None).dtype
torch.zeros(2, dtype=torch.float64).dtype | x.sum(dtype=torch.float64).dtype | x.to(float).dtype"""

SETUP = """import torch
import torch.nn as nn
import torch.nn.functional as F
x = torch.ones(2, 3)
name = 'float64'
"""

PROGRAM = SETUP + """for text, call in CALLS:
    try:
        print(text, '->', repr(str(call())))
    except Exception as e:
        print(text, '!!', type(e).__name__, repr(str(e)))
"""


def _calls() -> list[str]:
    return [c.strip() for line in CALLS.splitlines() for c in line.split(" | ")]


def _program() -> str:
    items = ",\n".join(f"    ({c!r}, lambda: {c})" for c in _calls())
    return PROGRAM.replace("CALLS:", "[\n" + items + "]:", 1)


def _torch_lines() -> list[str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(_program(), {})  # the oracle
    return out.getvalue().splitlines()


@pytest.mark.parametrize("form", ["source", "json"])
def test_dtype_names_are_refused_as_torch_refuses_them(form):
    source = _program()
    program = compile_source(source)
    result = run_program(program, Environment(), Limits(),
                         **({"source": source} if form == "source" else {}))
    expected = _torch_lines()
    assert len(expected) == len(_calls())
    assert result.printed == expected


def test_the_json_form_names_a_dtype_by_lib_or_var_and_a_string_is_a_string():
    x = {"call": "torch.zeros", "args": [2]}
    programs = [
        [{"expr": {**x, "kwargs": {"dtype": {"lib": "torch.float64"}}}}],
        [{"expr": {**x, "kwargs": {"dtype": {"var": "float64"}}}}],
        [{"expr": {**x, "kwargs": {"dtype": "float64"}}}],
    ]
    from app.lang import ProgramError, parse_program

    for p in programs[:2]:
        out = run_program(parse_program(p), Environment(), Limits()).result
        assert out.dtype is engine.float64
    with pytest.raises(ProgramError) as err:
        run_program(parse_program(programs[2]), Environment(), Limits())
    assert err.value.extra.get("exception") == "TypeError"
    assert "zeros(): argument 'dtype' must be torch.dtype, not str" in str(err.value)


def test_numpy_still_takes_dtype_names_and_the_engine_outside_a_program_too():
    source = """import numpy as np
a = np.zeros(2, dtype='float32')
print(a.dtype, a.astype('int64').dtype, np.arange(3, dtype='float64').dtype)
print(torch.from_numpy(a.astype('float64')).dtype, torch.tensor(a.astype('int32')).dtype)"""
    for form in ("source", "json"):
        printed = run_program(compile_source(source), Environment(), Limits(),
                              **({"source": source} if form == "source" else {})).printed
        a = np.zeros(2, dtype="float32")
        assert printed == [f"{a.dtype} int64 float64", "torch.float64 torch.int32"]
    assert engine.zeros(2, dtype="float64").dtype is engine.float64  # the engine's own callers
