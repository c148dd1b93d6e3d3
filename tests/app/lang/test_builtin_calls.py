"""Builtins called with the wrong arguments raise CPython's own TypeError text (never the name
of the function behind them), directly and through a variable, in both program forms; and
``id()``: unique among live objects and stable while an object lives, as Python's, without
being its memory address."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from app.lang import Environment, Limits, compile_source, run_program

CALLS = ["len()", "len(1, 2)", "divmod(1)", "abs()", "isinstance(1)", "sum()", "next()",
         "callable()", "chr()", "getattr(1)", "sorted()", "pow(1)", "repr()", "enumerate()",
         "zip(1, x=2)", "print(1, foo=2)", "min()", "max(1, 2, key=abs, foo=1)", "round()",
         "hasattr(1)", "id()", "id(1, 2)", "iter()", "format()", "ord()", "any()", "all(1, 2)",
         "f = len\nf()", "g = divmod\ng(1, 2, 3)"]


def _program(call: str) -> str:
    body = "\n".join("    " + line for line in call.split("\n"))
    return f"try:\n{body}\nexcept TypeError as e:\n    print(type(e).__name__, e)\n"


def _python(source: str, scope: dict | None = None) -> list[str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<program>", "exec"), scope or {})  # the oracle: CPython itself
    return out.getvalue().splitlines()


def _ours(source: str, form: str) -> list[str]:
    program = compile_source(source)
    if form == "json":
        program = json.loads(json.dumps(program))
        result = run_program(program, Environment(), Limits())
    else:
        result = run_program(program, Environment(), Limits(), source=source)
    return [line for entry in result.printed for line in entry.split("\n")]


@pytest.mark.parametrize("form", ["source", "json"])
@pytest.mark.parametrize("call", CALLS)
def test_wrong_arguments_to_a_builtin_raise_cpythons_text(call, form):
    source = _program(call)
    assert _ours(source, form) == _python(source)


#: Methods of plain values (the language's helpers behind them) called wrongly: CPython's text.
METHOD_CALLS = ["{'a': 1}.pop('a', c=1)", "[].append(1, x=2)", "{1}.add(2, k=1)",
                "' '.join([], k=1)", "d = {}\nd.get()", "{}.setdefault(1, 2, 3)",
                "[].insert(1)", "d = {}\nm = d.pop\nm()", "[3].extend()",
                "{1}.union(x=1)", "'a'.center()", "dict.get({})"]


@pytest.mark.parametrize("form", ["source", "json"])
@pytest.mark.parametrize("call", METHOD_CALLS)
def test_wrong_arguments_to_a_plain_method_raise_cpythons_text(call, form):
    source = _program(call)
    assert _ours(source, form) == _python(source)


#: torch's Tensor methods written in Python: Python's texts, naming ``Tensor.x``.
TENSOR_CALLS = ["torch.ones(3).split(sep='b')", "torch.ones(3).split(1, 0, 3)",
                "torch.ones(3).norm(x=1)", "torch.ones(3).unique(foo=1)",
                # no NumPy ``axis=`` / ``keepdims=`` (torch's C parser's methods take them)
                "torch.ones(4, 3).split(1, axis=0)", "torch.ones(4, 3).norm(axis=0)",
                "torch.ones(4, 3).norm(dim=0, keepdims=True)",
                "torch.ones(4, 3).unique(axis=0)",
                "torch.ones(4, 3).unflatten(axis=0, sizes=(2, 2))",
                # the method's parameter is ``split_size`` (the function's
                # ``split_size_or_sections``)
                "torch.ones(3).split()", "torch.ones(3).split(split_size_or_sections=1)",
                "print(len(torch.ones(3).split(split_size=2)))",
                "print(torch.ones(4, 3).sum(axis=0, keepdims=True).shape)"]


@pytest.mark.parametrize("form", ["source", "json"])
@pytest.mark.parametrize("call", TENSOR_CALLS)
def test_wrong_arguments_to_a_python_tensor_method_raise_torchs_text(call, form):
    torch = pytest.importorskip("torch")
    source = _program(call)
    assert _ours(source, form) == _python(source, {"torch": torch})


def test_id_is_identity_not_an_address():
    source = """
import torch
a = torch.rand(2, 2)
c = torch.zeros(2, 2)
old_id = id(c)
d = torch.matmul(a, a, out=c)
x = [1, 2]
y = x
print(id(c) == old_id, id(d) == id(c), id(a) == id(c), id(x) == id(y), id(x) == id(list(x)))
print(type(id(a)).__name__, id(a) >= 0, id(a) == id(a))
"""
    for form in ("source", "json"):
        assert _ours(source, form) == ["True True False True False", "int True True"]
    env = Environment()
    run_program(compile_source("import torch\nt = torch.ones(1)\nfirst = id(t)"), env, Limits())
    later = run_program(compile_source("print(id(t) == first, id(t) != id(first))"), env,
                        Limits())
    assert later.printed == ["True True"]  # stable between the runs of a session


def test_id_does_not_reveal_addresses():
    env = Environment()
    run_program(compile_source("x = [1]\ni = id(x)"), env, Limits())
    assert env.variables["i"] != id(env.variables["x"])
