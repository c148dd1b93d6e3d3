"""torch's legacy constructors as programs use them: ``torch.Tensor([0])`` is float32 (the
char-RNN tutorial sums its losses into one), ``torch.Tensor(2, 3)`` a size, ``torch.Tensor(t)``
an alias of ``t``; ``torch.FloatTensor``/``LongTensor``/... make their dtype and are what
``isinstance`` and ``Tensor.type`` test. Compared with torch 2.13 run on the same text, in both
forms (the uninitialised memory torch's size form returns is never printed, only shapes)."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

import engine
from app.lang import Environment, Limits, compile_source, run_program

PROGRAM = """
import torch
print(torch.Tensor([0]), torch.Tensor([[1, 2], [3, 4]]), torch.Tensor((2, 3)), torch.Tensor([]))
print(torch.Tensor(2, 3).shape, torch.Tensor(torch.Size([4])).shape, torch.Tensor().shape)
print(torch.Tensor(range(3)), torch.Tensor([True, False]), torch.Tensor(torch.tensor(3.)))
print(torch.Tensor(torch.tensor([1, 2])), torch.Tensor([1, 2], device='cpu'))
print(torch.FloatTensor([1, 2]), torch.LongTensor([1.7, -2.7]), torch.BoolTensor([0, 2]))
print(torch.IntTensor([3, 4]), torch.HalfTensor([1e6, 0.1]), torch.DoubleTensor([0.1]))
print(torch.DoubleTensor(1, 2).shape, torch.LongTensor(3).dtype, torch.LongTensor().shape)
print(torch.LongTensor, torch.FloatTensor, type(torch.LongTensor), torch.FloatTensor.dtype)
x = torch.zeros(2)
print(isinstance(x, torch.FloatTensor), isinstance(x, torch.LongTensor),
      isinstance(x, (torch.LongTensor, torch.FloatTensor)), isinstance(x, torch.Tensor))
print(isinstance(torch.nn.Parameter(x), torch.FloatTensor), x.type(),
      x.type(torch.LongTensor), x.type(torch.DoubleTensor).dtype)
a = torch.tensor([1., 2.])
b = torch.Tensor(a)
b[0] = 5
print(a, b, b is a)
w = torch.tensor([1., 2.], requires_grad=True)
y = torch.Tensor(w * 2)
print(y.grad_fn.name(), y.requires_grad)
y.sum().backward()
print(w.grad)
d = torch.zeros(2, dtype=torch.float64)
print(d.new(2, 3).shape, d.new([1, 2]), d.new().shape, d.new(torch.Size([2])).dtype,
      torch.zeros(3).long().new([1.5]), d.new([1], device='cpu'), d.new(d).dtype)
loss = torch.Tensor([0])
for i in range(3):
    loss += torch.tensor(0.5) * i
print(loss, loss.dtype)
for make in (lambda: torch.Tensor(3.5), lambda: torch.Tensor(True), lambda: torch.Tensor(None),
             lambda: torch.Tensor('ab'), lambda: torch.Tensor(2, 3.0), lambda: torch.Tensor(2, [3]),
             lambda: torch.Tensor(-1), lambda: torch.Tensor([1, 'a']),
             lambda: torch.IntTensor([2 ** 40]), lambda: torch.Tensor([[1, 2], [3]]),
             lambda: torch.FloatTensor(torch.zeros(2, dtype=torch.float64)),
             lambda: torch.LongTensor([1], device='cuda'),
             lambda: torch.Tensor(torch.zeros(2), device='cpu'),
             lambda: d.new(torch.zeros(2))):
    try:
        make()
    except Exception as e:
        print(type(e).__name__, str(e).split("\\n")[0])
for make in (lambda: torch.Tensor([1, 2], dtype=torch.float64),
             lambda: torch.Tensor(requires_grad=True), lambda: torch.Tensor(2, 3, pin_memory=True)):
    try:
        make()
    except TypeError as e:
        print(str(e).split("\\n")[0])
"""


def _oracle(source: str) -> list[str]:
    pytest.importorskip("torch")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(source, "<program>", "exec"), {"__name__": "__main__"})  # the oracle
    return buffer.getvalue().splitlines()


def _run(source: str, form: str) -> list[str]:
    program = compile_source(source)
    if form == "json":
        program = json.loads(json.dumps(program))
    result = run_program(program, Environment(), Limits(), source=source if form ==
                         "source" else None)
    return [line for entry in result.printed for line in entry.split("\n")]


@pytest.mark.parametrize("form", ["source", "json"])
def test_legacy_constructors_print_what_torch_prints(form):
    assert _run(PROGRAM, form) == _oracle(PROGRAM)


def test_the_engine_keeps_its_own_constructor():
    """``engine.Tensor(array, dtype)`` is the engine's internal constructor (an int64 array
    stays int64); torch's ``torch.Tensor(...)`` is ``engine.legacy.tensor_new``."""
    import numpy as np

    assert engine.Tensor(np.arange(2)).dtype is engine.int64
    assert engine.legacy.tensor_new([1, 2]).dtype is engine.float32
    assert engine.legacy.BY_NAME["LongTensor"]([1.5]).dtype is engine.int64


def test_a_huge_legacy_size_is_bounded():
    source = "import torch\nx = torch.Tensor(100000, 100000)"
    with pytest.raises(Exception) as info:
        run_program(compile_source(source), Environment(), Limits(), source=source)
    assert "max_tensor_elements" in str(info.value)
