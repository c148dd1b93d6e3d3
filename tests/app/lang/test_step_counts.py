"""Statements that run in one closure with their expression (``op1_statement`` and the other
fused shapes) count steps and fail exactly as the statement closure around the expression's
own closure: for every ``max_steps`` a program can be stopped at, the same outcome (printed
lines, the error, its ``steps`` and location), in both forms."""

from __future__ import annotations

import json

import pytest

from app.lang import Environment, Limits, compile_source, interpreter, run_program
from app.lang.compile_statements import StatementCompiler
from app.lang.errors import LangError

PROGRAMS = {
    "ops into locals, globals, returns and bare; a function in a loop": """
import torch
def f(y):
    out = torch.tanh(y)
    print('a')
    z = torch.relu(out)
    torch.sigmoid(z)
    return torch.exp(z)
x = torch.ones(2)
for i in range(3):
    x = f(x)
    print(i)
w = torch.tanh(x * 2 + 1)
torch.sin(w)
""",
    "ops of a binary operator on locals: tensors, numbers, failures, other operands": """
import torch
def f(y, s):
    a = torch.tanh(y * s)
    b = torch.relu(a - 0.5)
    try:
        c = torch.exp(y * torch.ones(3))
    except RuntimeError as e:
        print(type(e).__name__)
    try:
        c = torch.exp(y * [1, 2, 3])
    except Exception as e:
        print(type(e).__name__)
    try:
        c = torch.exp(nope * s)
    except NameError as e:
        print(type(e).__name__)
    torch.sigmoid(b + a)
    return torch.exp(b * 2)
x = torch.ones(2)
for i in range(3):
    x = f(x, 0.5)
    x = f(x, x)
    print(i, x)
z = torch.tanh(x * 1.01)
q = 2
try:
    z = torch.tanh(q * 1.5)
except TypeError as e:
    print(e)
print(torch.tanh(z - z))
""",
    "an unbound argument, a missing name, an op's error, caught": """
import torch
def g(y):
    try:
        q = torch.tanh(nope)
    except NameError as e:
        print('name', e)
    try:
        q = torch.tanh(later)
        later = 1
    except Exception as e:
        print(type(e).__name__, e)
    try:
        r = torch.tanh('s')
    except Exception as e:
        print(type(e).__name__)
    return torch.tanh(y)
print(g(torch.zeros(1)))
""",
    "a custom autograd.Function in a loop, with backward": """
import torch
class Tanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, y):
        out = torch.tanh(y)
        ctx.save_for_backward(out)
        return out
    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (1 - out * out)
y = torch.ones(3, requires_grad=True)
z = y
for i in range(4):
    z = Tanh.apply(z * 1.01)
z.sum().backward()
print(y.grad)
""",
    "methods and binary operators as statements": """
import torch
w = torch.ones(2, requires_grad=True)
opt = torch.optim.SGD([w], lr=0.1)
def loss_of(a, b):
    c = a * b
    d = c + a
    return d.sum()
for i in range(2):
    opt.zero_grad()
    loss = loss_of(w, w)
    loss.backward()
    opt.step()
    print(w)
""",
    "unpacking attributes: a library object's, an object's, a property, errors": """
import torch
class P:
    def __init__(self):
        self.pair = (1, 2)
    @property
    def both(self):
        print('property')
        return [3, 4]
class Two(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y
    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        try:
            only, = ctx.saved_tensors
        except ValueError as e:
            print(e)
        try:
            a, = ctx.not_there
        except AttributeError as e:
            print(e)
        return g * y, g * x
def f(p):
    a, b = p.pair
    c, d = p.both
    try:
        e, = later.pair
    except NameError as e:
        print(type(e).__name__)
    later = p
    return a + b + c + d
print(f(P()))
x = torch.ones(2, requires_grad=True)
Two.apply(x, x * 2).sum().backward()
print(x.grad)
""",
    "library methods as statements: errors, an unbound receiver, a shadowing attribute": """
import torch
w = torch.ones(2, requires_grad=True)
opt = torch.optim.SGD([w], lr=0.1)
def run(o, arg):
    o.zero_grad()
    try:
        o.step(arg)
    except TypeError as e:
        print(type(e).__name__)
    try:
        later.step()
    except NameError as e:
        print(type(e).__name__)
    later = o
    o.step()
(w * w).sum().backward()
run(opt, 5)
print(w)
def mine():
    print('mine')
other = torch.optim.SGD([w], lr=0.1)
other.step = mine
run(other, 1)
run(opt, 2)
print(w)
""",
}

STRAIGHT = """
import torch
def zero(y):
    return y
def one(y):
    a = y * 2
    return torch.exp(a)
def two(y):
    a = y * 2
    b = torch.tanh(a)
    return a + b
def three(y):
    a = y * 2
    print('three', a)
    b, c = a, a
    return later + b
def five(y):
    a = y * 2
    b = a + 1
    c = b - 1
    d = torch.relu(c)
    e = d * d
    return e.sum()
def none(y):
    a = y * 2
    print('none', a)
def deep(n):
    m = n - 1
    return n if m < 0 else deep(m) + 1
sq = lambda v: v * v
bad = lambda v: v.nope
x = torch.ones(2)
for f in (zero, one, two, five, none, sq, bad, three, deep):
    try:
        print(f(x) if f is not deep else f(3))
    except Exception as e:
        print(type(e).__name__, e)
    later = 1
print(three(x))
"""


ZERO_ARGUMENTS = """
class A:
    def sum(self):
        return 41
    def item(self):
        return self.sum() + 1
def f(b):
    while b.norm().item() < 10:
        b = b * 2
    return b.sum().item()
t = torch.tensor([1.0, 2.0], requires_grad=True)
xs = [3, 1, 2]
xs.sort()
lin = torch.nn.Linear(2, 2).double()
print(A().item(), xs, f(t), t.abs().sum().item() > 2, lin.weight.dtype)
try:
    t.item()
except RuntimeError as e:
    print(e)
try:
    z = 5
    z.item()
except AttributeError as e:
    print(e)
loss = t.exp().sum()
loss.backward()
print(t.grad)
"""


def _outcomes(source: str, form: str) -> list[tuple]:
    program = compile_source(source)
    if form == "json":
        program = json.loads(json.dumps(program))
    total = run_program(program, Environment(), Limits()).steps
    seen = []
    for k in range(1, total + 2):
        try:
            result = run_program(program, Environment(), Limits(max_steps=k),
                                 source=source if form == "source" else None)
            seen.append(("ok", result.steps, result.printed))
        except LangError as exc:
            seen.append((type(exc).__name__, str(exc), json.dumps(exc.extra, sort_keys=True,
                                                                  default=str)))
    return seen


@pytest.mark.parametrize("form", ["source", "json"])
@pytest.mark.parametrize("name", list(PROGRAMS))
def test_fused_statements_count_and_fail_as_separate_closures(name, form, monkeypatch):
    interpreter._code_cache.clear()  # compiled closures are cached by the program's content
    fused = _outcomes(PROGRAMS[name], form)
    monkeypatch.setattr(StatementCompiler, "counted_value", StatementCompiler.statement_value)
    interpreter._code_cache.clear()
    separate = _outcomes(PROGRAMS[name], form)
    interpreter._code_cache.clear()
    assert fused == separate
    assert fused[-1][0] == "ok" and fused[-2][0] == "ok" and fused[-3][0] == "LimitExceeded"


@pytest.mark.parametrize("form", ["source", "json"])
@pytest.mark.parametrize("name", ["straight", *PROGRAMS])
def test_straight_bodies_count_and_fail_as_the_statement_loop(name, form, monkeypatch):
    """A function body of plain statements and a final return runs as one closure
    (``straight_body``): for every ``max_steps``, the same outcome as the statement loop."""
    from app.lang import compile_statements

    source = STRAIGHT if name == "straight" else PROGRAMS[name]
    interpreter._code_cache.clear()
    straight = _outcomes(source, form)
    monkeypatch.setattr(compile_statements, "straight_body", lambda compiled: None)
    interpreter._code_cache.clear()
    looped = _outcomes(source, form)
    interpreter._code_cache.clear()
    assert straight == looped
    assert straight[-1][0] == "ok" and straight[-3][0] == "LimitExceeded"


def test_the_straight_bodies_are_taken():
    from app.lang.values import Function

    env = Environment()
    run_program(compile_source(STRAIGHT.split("sq = lambda")[0] + "sq = lambda v: v * v"),
                env, Limits())
    for name in ("zero", "one", "two", "three", "five", "none", "deep", "sq"):
        value = env.variables[name]
        assert isinstance(value, Function) and value.code.straight is not None, name


FORWARDING = """
def f(y, scale):
    return y * scale
def g(y, scale=2.0):
    return y * scale
def wrap(*args, **kwargs):
    return f(*args, **kwargs)
def logged(fn):
    def inner(*args, **kwargs):
        print('call')
        return fn(*args, **kwargs)
    return inner
def odd(*args, **kwargs):
    args = list(args)
    kwargs = {1: 2} if args else kwargs
    return f(*args, **kwargs)
def unbound(*rest, **named):
    try:
        return f(*args, **kwargs)
    except NameError as e:
        print(type(e).__name__)
    args, kwargs = rest, named
    return f(*args, **kwargs)
t = torch.ones(2)
for call in (lambda: wrap(t, scale=3.0), lambda: wrap(t, 3.0), lambda: wrap(scale=1.5, y=t),
             lambda: logged(f)(t, scale=2), lambda: logged(g)(t), lambda: logged(max)(1, 2),
             lambda: logged(torch.add)(t, t, alpha=2), lambda: wrap(t), lambda: wrap(t, 1, 2),
             lambda: wrap(t, y=t), lambda: wrap(t, shift=1), lambda: wrap(t, 2, scale=1),
             lambda: odd(t, scale=2), lambda: odd(), lambda: unbound(t, scale=4.0),
             lambda: wrap(*[t], **{'scale': 5.0})):
    try:
        print(call())
    except Exception as e:
        print(type(e).__name__, e)
"""


@pytest.mark.parametrize("form", ["source", "json"])
def test_forwarding_calls_count_and_fail_as_the_general_call(form, monkeypatch):
    """``f(*args, **kwargs)`` of two locals binds in the call's closure (a wrapper's call):
    for every ``max_steps``, the same outcome as the general call's binding, errors too."""
    from app.lang import calls

    interpreter._code_cache.clear()
    own = _outcomes(FORWARDING, form)
    monkeypatch.setattr(calls, "FORWARDING_CLOSURE", False)
    interpreter._code_cache.clear()
    general = _outcomes(FORWARDING, form)
    interpreter._code_cache.clear()
    assert own == general
    assert own[-1][0] == "ok" and own[-3][0] == "LimitExceeded"
    assert own[-1][2][:3] == ["tensor([3., 3.])", "tensor([3., 3.])", "tensor([1.5000, 1.5000])"]


@pytest.mark.parametrize("form", ["source", "json"])
def test_tensor_methods_without_arguments_count_and_fail_as_the_general_call(form, monkeypatch):
    """``b.norm()``, ``x.item()`` (a tensor method, no arguments) have their own closure; on
    tensors, program objects, lists, library objects and numbers, for every ``max_steps``, the
    same outcome as the general method-call closure."""
    from app.lang import calls

    interpreter._code_cache.clear()
    own = _outcomes(ZERO_ARGUMENTS, form)
    monkeypatch.setattr(calls, "ZERO_ARGUMENT_CLOSURE", False)
    interpreter._code_cache.clear()
    general = _outcomes(ZERO_ARGUMENTS, form)
    interpreter._code_cache.clear()
    assert own == general
    assert own[-1] == ("ok", own[-1][1], [
        "42 [1, 2, 3] 24.0 True torch.float64",
        "a Tensor with 2 elements cannot be converted to Scalar",
        "'int' object has no attribute 'item'", "tensor([2.7183, 7.3891])"])
    assert own[-3][0] == "LimitExceeded"


@pytest.mark.parametrize(("source", "steps"), [
    ("pass", 0), ("x = 1", 1), ("x = 1 + 2", 2), ("x = [1]\ny = x[0]", 2),
    ("import torch\nx = torch.ones(2) + 1", 3 + 1),
    ("def f(a):\n    return a\nf(1)", 1 + 3), ("def f(a):\n    b = a\n    return b\nf(1)", 5),
    ("for i in range(3):\n    x = i", 8), ("i = 0\nwhile i < 3:\n    i += 1", 15),
    ("x = sum(i for i in range(3))", 9), ("[i for i in range(3)]", 5),
])
def test_steps_counted_as_the_readme_says(source, steps):
    """app/lang/README.md's "How steps are counted", its examples, in both forms."""
    program = compile_source(source)
    assert run_program(program, Environment(), Limits(), source=source).steps == steps
    assert run_program(compile_source(source), Environment(), Limits()).steps == steps
