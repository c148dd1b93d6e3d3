"""``torch.device("cpu:0")`` keeps its index, and ``x.to("cpu:0")`` copies, as torch's do: the
tensor is on ``cpu`` (no index), a device torch does not equal to ``cpu:0``, so ``to`` makes
a new tensor (an in-place change of it never reaches ``x``: before, ``x.to('cpu:0')`` returned
``x`` itself, a silently wrong value after ``add_``). ``torch.device(type, index)`` and its
argument errors. Compared with torch 2.13 in the same process, in both forms."""

from __future__ import annotations

import contextlib
import io

import pytest

import engine
from app.lang import Environment, Limits, compile_source, run_program

torch = pytest.importorskip("torch")

CASES = """x.to('cpu:0') is x | x.to('cpu') is x | x.to(device='cpu:0') is x
x.to('cpu:0', torch.float32) is x | x.to(torch.device('cpu:0')) is x
x.to(torch.device('cpu', 0)) is x | x.to('cpu:0', copy=False) is x | x.to(x.device) is x
x.cpu() is x | x.to('cpu:1').device | z.to('cpu:0').add_(1).sum().item() + z.sum().item()
w.to(device='cpu:0').mul_(0).sum() + w.sum() | y.to('cpu:0').is_leaf
y.to('cpu:0').grad_fn is None | y.to('cpu').is_leaf
torch.device('cpu:0') == torch.device('cpu') | torch.device('cpu:0') | str(torch.device('cpu:0'))
torch.device('cpu:0').index | torch.device('cpu:0').type | torch.device('cpu:1')
torch.device('cpu', 0) | torch.device('cpu', 0) == torch.device('cpu:0')
torch.device('cpu', index=0) | torch.device(type='cpu') | torch.device('cuda', 1)
torch.device('cuda:1') | torch.device('cpu', None) | x.device == torch.device('cpu:0')
{torch.device('cpu:0'): 1, torch.device('cpu'): 2} | torch.ones(2, device='cpu:1').device
torch.zeros(1, device=torch.device('cpu', 0)).device | x.new_ones(2, device='cpu:0').device
nn.Linear(1, 1).to('cpu:0').weight.device
nn.Linear(1, 1).to(torch.device('cpu', 0)).weight.device | torch.device(torch.device('cpu:1'))
torch.device('cpu:0', 1) | torch.device('cpu', 1.5) | torch.device('cpu', '1')
torch.device('cpu', True) | torch.device('cpu', -1) | torch.device() | torch.device(index=2)
torch.device('cpu', foo=1) | torch.device('bogus', 0) | torch.device(torch.device('cpu'), 1)
torch.device('cpu:-1') | isinstance(x.device, torch.device)
type(x.device) is torch.device | torch.device | make('cpu:1') | torch.device.__name__
isinstance(make('cpu', 0), torch.device)"""

PROGRAM = """import torch
import torch.nn as nn
x = torch.ones(2)
y = torch.ones(2, requires_grad=True)
z = torch.ones(2)
w = torch.ones(3)
make = torch.device
for text, call in CALLS:
    try:
        print(text, '->', repr(call()))
    except Exception as e:
        print(text, '!!', type(e).__name__, repr(str(e)))
"""


def _calls() -> list[str]:
    return [c.strip() for line in CASES.splitlines() for c in line.split(" | ")]


def _program() -> str:
    items = ",\n".join(f"    ({c!r}, lambda: {c})" for c in _calls())
    return PROGRAM.replace("CALLS:", "[\n" + items + "]:", 1)


@pytest.mark.parametrize("form", ["source", "json"])
def test_cpu_devices_with_an_index_as_torch(form):
    source = _program()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source, {})  # the oracle
    expected = out.getvalue().splitlines()
    assert len(expected) == len(_calls())
    printed = run_program(compile_source(source), Environment(), Limits(),
                          **({"source": source} if form == "source" else {})).printed
    assert printed == expected


def test_the_engine_places_an_indexed_cpu_on_the_cpu():
    d = engine.torch_device("cpu", 0)
    assert repr(d) == "device(type='cpu', index=0)"
    assert engine.device(d) is engine.device("cpu:0") is engine.device("cpu")
    assert engine.zeros(2, device=d).device is engine.device("cpu")
    x = engine.ones(2)
    assert x.to("cpu") is x and x.to("cpu:0") is not x
