"""Custom ``torch.autograd.Function`` subclasses and library methods on the interpreter's short
call paths (a class's hooks bound once, library methods called without a bound method) print
what torch prints, in both forms: every shape of class, a class changed after its first use, and
a program's attribute shadowing a library object's method."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from app.lang import Environment, Limits, compile_source, run_program

PROGRAMS = {
    "forward and backward, ctx attributes, two outputs, None gradients": """
import torch
class Scale(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k, flag):
        ctx.k = k
        ctx.save_for_backward(x)
        print(ctx.needs_input_grad)
        return x * k, x + flag
    @staticmethod
    def backward(ctx, ga, gb):
        x, = ctx.saved_tensors
        return ga * ctx.k + gb * x, None, None
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
a, b = Scale.apply(x, 3.0, 1)
print(a, b, a.grad_fn.name())
(a.sum() + (b * b).sum()).backward()
print(x.grad)
""",
    "vjp instead of backward, a subclass of a program's Function": """
import torch
class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x
    @staticmethod
    def vjp(ctx, g):
        x, = ctx.saved_tensors
        return 2 * x * g
class Louder(Square):
    pass
x = torch.tensor([1.5, -2.0], requires_grad=True)
y = Louder.apply(x)
y.sum().backward()
print(y, y.grad_fn.name(), x.grad)
""",
    "setup_context and jvp (forward mode)": """
import torch
import torch.autograd.forward_ad as fwAD
class Cube(torch.autograd.Function):
    @staticmethod
    def forward(x):
        return x ** 3
    @staticmethod
    def setup_context(ctx, inputs, output):
        x, = inputs
        ctx.save_for_backward(x)
        ctx.save_for_forward(x)
    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 3 * x ** 2 * g
    @staticmethod
    def jvp(ctx, t):
        x, = ctx.saved_tensors
        return 3 * x ** 2 * t
x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
Cube.apply(x).sum().backward()
print(x.grad)
with fwAD.dual_level():
    d = fwAD.make_dual(torch.tensor([1.0, 2.0], dtype=torch.float64),
                       torch.ones(2, dtype=torch.float64))
    print(fwAD.unpack_dual(Cube.apply(d)).tangent)
""",
    "once_differentiable, errors, a hook changed after first use": """
import torch
from torch.autograd.function import once_differentiable
class Twice(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2
    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        return g * 2
class Bad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x + 1
    @staticmethod
    def backward(ctx, g):
        return g, g
x = torch.ones(2, requires_grad=True)
Twice.apply(x).sum().backward()
print(x.grad)
try:
    Bad.apply(x).sum().backward()
except RuntimeError as e:
    print(e)
def fixed(ctx, g):
    return g * 10
Bad.backward = staticmethod(fixed)
x.grad = None
Bad.apply(x).sum().backward()
print(x.grad)
""",
    "apply with keyword arguments, bound as torch binds them": """
import torch
class Scale(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k=2.0, shift=None):
        print(ctx.needs_input_grad)
        ctx.k = k
        return x * k if shift is None else x * k + shift
    @staticmethod
    def backward(ctx, g):
        return g * ctx.k, None, g
x = torch.tensor([1.0, 2.0], requires_grad=True)
s = torch.ones(2, requires_grad=True)
print(Scale.apply(x, k=3.0))
print(Scale.apply(x))
print(Scale.apply(k=0.5, x=x))
y = Scale.apply(x, 1.5, shift=s)
y.sum().backward()
print(x.grad, s.grad)
cases = [((x,), {"j": 1}), ((x,), {"x": x}), ((x,), {"shift": 1.0}), ((), {"k": 1.0}),
         ((x, 1.0, 2.0), {"k": 3.0}), ((x,), {"ctx": 1}), ((x,), {"j": 1, "x": 2}),
         ((x,), {"x": 2, "j": 1})]
for args, kwargs in cases:
    try:
        Scale.apply(*args, **kwargs)
    except TypeError as e:
        print(e)
class Affine(torch.autograd.Function):
    @staticmethod
    def forward(x, w, b=0.5, *rest):
        return x * w + b
    @staticmethod
    def setup_context(ctx, inputs, output):
        print(len(inputs), ctx.needs_input_grad)
        ctx.w = inputs[1]
    @staticmethod
    def backward(ctx, g):
        return g * ctx.w, None, None
x.grad = None
Affine.apply(x, 3.0).sum().backward()
print(x.grad)
print(Affine.apply(w=2.0, x=x), Affine.apply(x, b=1.0, w=2.0))
with torch.no_grad():
    print(Affine.apply(x, 1.0, 0.0, 7, 8))
class KeywordOnly(torch.autograd.Function):
    @staticmethod
    def forward(x, *, k=1.0):
        return x * k
    @staticmethod
    def setup_context(ctx, inputs, output):
        pass
    @staticmethod
    def backward(ctx, g):
        return g
class Plain(torch.autograd.Function):
    @staticmethod
    def forward(x, y):
        return x * y
    @staticmethod
    def setup_context(ctx, inputs, output):
        print(len(inputs))
    @staticmethod
    def backward(ctx, g):
        return g, g
print(Plain.apply(y=x, x=x))
for f in (lambda: Affine.apply(x), lambda: Affine.apply(x, 2.0, w=1.0),
          lambda: Affine.apply(x, w=2.0, z=1), lambda: Affine.apply(x, 1.0, b=2.0, w=3.0),
          lambda: KeywordOnly.apply(x), lambda: KeywordOnly.apply(x, k=2.0),
          lambda: Plain.apply(x, x, x), lambda: Plain.apply(x), lambda: Plain.apply(x, z=1)):
    try:
        f()
    except TypeError as e:
        print(e)
""",
    "apply keywords for a class without a plan (once_differentiable backward)": """
import torch
from torch.autograd.function import once_differentiable
class Scale(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k=2.0):
        ctx.k = k
        return x * k
    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        return g * ctx.k, None
class Shift(torch.autograd.Function):
    @staticmethod
    def forward(x, b=1.0):
        return x + b
    @staticmethod
    def setup_context(ctx, inputs, output):
        print(len(inputs), ctx.needs_input_grad)
    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        return g, None
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = Scale.apply(x, k=3.0)
y.sum().backward()
print(y, x.grad)
print(Shift.apply(x), Shift.apply(x, b=0.5))
for f in (lambda: Scale.apply(x, j=1), lambda: Shift.apply(x, 1.0, 2.0)):
    try:
        f()
    except TypeError as e:
        print(e)
""",
    "a program's attribute shadows a library object's method": """
import torch
w = torch.ones(2, requires_grad=True)
opt = torch.optim.SGD([w], lr=0.5)
other = torch.optim.SGD([w], lr=0.5)
def mine():
    print("mine")
(w * w).sum().backward()
other.step = mine
other.step()
print(w)
opt.step()
print(w)
setattr(opt, "zero_grad", mine)
opt.zero_grad()
print(w.grad)
""",
    "hooks of two parameters called with other counts, apply from functions and classes": """
import torch
class Sq(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x
    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 2 * x * g
class Pair(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x + 1, x * 3
    @staticmethod
    def backward(ctx, ga, gb):
        return ga + 3 * gb
class Nested(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return Sq.apply(x) + 1
    @staticmethod
    def backward(ctx, g):
        return g * 5
class Plain:
    @staticmethod
    def apply(x):
        return x + 100
def through(x):
    return Sq.apply(x)
x = torch.tensor([1.0, -2.0], requires_grad=True)
for cls in [Sq, Nested]:
    x.grad = None
    cls.apply(x).sum().backward()
    print(cls.__name__, x.grad)
a, b = Pair.apply(x)
x.grad = None
(a * b).sum().backward()
print(a, b, x.grad)
x.grad = None
through(x).sum().backward()
print(x.grad)
print(Plain.apply(1), Plain.apply(x))
for args in [(x, 2), ()]:
    try:
        Sq.apply(*args)
    except TypeError as e:
        print(e)
""",
    "one call site, library objects of several types and a shadowing attribute": """
import torch
w = torch.ones(2, requires_grad=True)
sgd = torch.optim.SGD([w], lr=0.5)
adam = torch.optim.Adam([w], lr=0.1)
def step_all(opts):
    for o in opts:
        o.step()
def mine():
    print("mine")
(w * w).sum().backward()
step_all([sgd, adam, sgd])
print(w)
other = torch.optim.SGD([w], lr=0.5)
other.step = mine
step_all([sgd, other, adam])
print(w)
""",
}


def _oracle(source: str) -> list[str]:
    pytest.importorskip("torch")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(source, "<program>", "exec"), {"__name__": "__main__"})  # the oracle
    text = buffer.getvalue()
    return text[:-1].split("\n") if text.endswith("\n") else text.split("\n")


def _run(source: str, form: str) -> list[str]:
    program = compile_source(source)
    if form == "json":
        result = run_program(json.loads(json.dumps(program)), Environment(), Limits())
    else:
        result = run_program(program, Environment(), Limits(), source=source)
    return [line for entry in result.printed for line in entry.split("\n")]


@pytest.mark.parametrize("form", ["source", "json"])
@pytest.mark.parametrize("name", list(PROGRAMS))
def test_custom_functions_and_library_methods_print_what_torch_prints(name, form):
    source = PROGRAMS[name]
    assert _run(source, form) == _oracle(source)
