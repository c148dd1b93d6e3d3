"""Hostile programs: each is stopped with the right code, and the session stays usable."""

from __future__ import annotations

import pytest

from app.lang import (
    Environment,
    LangError,
    Limits,
    compile_source,
    parse_program,
    run_program,
)

from .conftest import missing_ops

LIMITS = Limits(max_steps=200_000, timeout_s=10.0, max_tensor_elements=10_000_000,
                max_session_bytes=200_000_000, max_recursion_depth=100,
                max_loop_iterations=100_000, max_program_nodes=50_000, max_nesting_depth=200,
                max_value_elements=1_000_000, max_int_bits=100_000)


def _nested_json(depth: int) -> list:
    expr = {"var": "keep"}
    for _ in range(depth):
        expr = {"call": "neg", "args": [expr]}
    return [{"expr": expr}]


# (name, program: source text or JSON list, code, limit or None, ops the engine must have)
HOSTILE = [
    ("import os", "import os", "syntax_error", None, ()),
    ("import subprocess", "import subprocess\nsubprocess.run('ls')", "syntax_error", None, ()),
    ("from-import", "from os import system", "syntax_error", None, ()),
    ("__import__", "__import__('os').system('ls')", "syntax_error", None, ()),
    ("dunder attr", "keep.__class__", "syntax_error", None, ()),
    ("__class__ walk", "().__class__.__bases__[0].__subclasses__()", "syntax_error", None, ()),
    ("__builtins__", "__builtins__", "syntax_error", None, ()),
    ("non-whitelisted attr", "keep.grad_fn.next_functions", "syntax_error", None, ()),
    ("getattr", "getattr(keep, '__class__')", "syntax_error", None, ()),
    ("open", "open('/etc/passwd').read()", "syntax_error", None, ()),
    ("python eval", "eval('1 + 1')", "syntax_error", None, ()),
    ("exec", "exec('import os')", "syntax_error", None, ()),
    ("compile", "compile('1', 'f', 'eval')", "syntax_error", None, ()),
    ("globals", "globals()", "syntax_error", None, ()),
    ("type", "type(keep)", "syntax_error", None, ()),
    ("lambda", "f = lambda: 1", "syntax_error", None, ()),
    ("class", "class A:\n    pass", "syntax_error", None, ()),
    ("global", "def f():\n    global keep\n    keep = 0", "syntax_error", None, ()),
    ("json __import__", [{"expr": {"call": "__import__", "args": ["os"]}}],
     "invalid_request", None, ()),
    ("json dunder attr", [{"expr": {"attr": "__class__", "of": 1}}], "invalid_request", None, ()),
    ("json dunder var", [{"expr": {"var": "__builtins__"}}], "invalid_request", None, ()),
    ("json dotted call", [{"expr": {"call": "os.system", "args": ["ls"]}}],
     "program_error", None, ()),
    ("while True", "while True:\n    pass", "limit_exceeded", "max_loop_iterations", ()),
    ("while True with work", "n = 0\nwhile True:\n    n = n + 1", "limit_exceeded", None, ()),
    ("endless function", "def f():\n    while True:\n        pass\nf()", "limit_exceeded",
     "max_loop_iterations", ()),
    ("step bomb", "for i in range(100000):\n    for j in range(100000):\n        pass",
     "limit_exceeded", "max_steps", ()),
    ("deep recursion", "def f(n):\n    return f(n + 1)\nf(0)", "limit_exceeded",
     "max_recursion_depth", ()),
    ("mutual recursion", "def f(n):\n    return g(n)\ndef g(n):\n    return f(n)\nf(0)",
     "limit_exceeded", "max_recursion_depth", ()),
    ("5000-deep json", _nested_json(5000), "limit_exceeded", "max_nesting_depth", ()),
    ("5000-deep source", "y = " + "-" * 5000 + "keep", "limit_exceeded", "max_nesting_depth",
     ()),
    ("5000-deep parens", "y = " + "(" * 5000 + "1" + ")" * 5000, "syntax_error", None, ()),
    ("huge program", [{"expr": 1}] * 60_000, "limit_exceeded", "max_program_nodes", ()),
    ("string bomb", "'a' * 10**9", "limit_exceeded", "max_value_elements", ()),
    ("list bomb", "[0] * 10**9", "limit_exceeded", "max_value_elements", ()),
    ("string doubling", "s = 'a'\nfor i in range(64):\n    s = s + s", "limit_exceeded",
     "max_value_elements", ()),
    ("power bomb", "10**10**10", "limit_exceeded", "max_int_bits", ()),
    ("squaring bomb", "x = 3\nfor i in range(64):\n    x = x * x", "limit_exceeded",
     "max_int_bits", ()),
    ("range materialized", "list(range(10**12))", "limit_exceeded", "max_value_elements", ()),
    ("max over a huge range", "max(range(10**12))", "limit_exceeded", "max_value_elements",
     ()),
    ("format width bomb", "format(1, '999999999d')", "program_error", None, ()),
    ("f-string width bomb", "f'{1:>999999999}'", "program_error", None, ()),
    ("percent formatting", "'%0999999999d' % 1", "program_error", None, ()),
    ("print flood", "for i in range(10000):\n    print('x' * 1000)", "limit_exceeded",
     "max_value_elements", ()),
    ("huge zeros", "torch.zeros(10**10)", "limit_exceeded", "max_tensor_elements", ("zeros",)),
    ("huge 2-d ones", "torch.ones(100000, 100000)", "limit_exceeded", "max_tensor_elements",
     ("ones",)),
    ("broadcast bomb", "a = torch.ones(100000, 1)\nb = torch.ones(1, 100000)\nc = a + b",
     "limit_exceeded", "max_tensor_elements", ("ones",)),
    ("matmul bomb", "a = torch.ones(100000, 1)\nb = torch.ones(1, 100000)\nc = a @ b",
     "limit_exceeded", "max_tensor_elements", ("ones", "matmul")),
    ("doubling cat", "x = torch.ones(1)\nfor i in range(100):\n    x = torch.cat([x, x])",
     "limit_exceeded", None, ("ones", "cat")),
    ("session memory", "xs = []\nfor i in range(1000):\n    xs.append(torch.ones(1000000))",
     "limit_exceeded", "max_session_bytes", ("ones",)),
    # mul saves its inputs, so the graph behind y holds every step's tensor
    ("graph memory", "w = torch.ones(1000000, requires_grad=True)\ny = w\n"
     "for i in range(1000):\n    y = y * w", "limit_exceeded", "max_session_bytes", ("ones",)),
]


def _run(program, env):
    if isinstance(program, str):
        return run_program(compile_source(program, LIMITS), env, LIMITS, source=program)
    return run_program(program, env, LIMITS)


@pytest.mark.parametrize("name, program, code, limit, ops", HOSTILE,
                         ids=[entry[0] for entry in HOSTILE])
def test_hostile_program_is_stopped_and_the_session_survives(name, program, code, limit, ops):
    if missing_ops(*ops):
        pytest.skip(f"engine lacks ops {missing_ops(*ops)}")
    env = Environment()
    _run("keep = 41", env)
    with pytest.raises(LangError) as info:
        _run(program, env)
    err = info.value
    assert err.code == code, err.detail
    if limit is not None:
        assert err.extra["limit"] == limit, err.detail
    if code == "limit_exceeded":
        assert err.extra["value"] is not None or err.extra["limit"] != "max_steps"
    assert _run("keep + 1", env).result == 42
    assert set(env.variables) <= {"keep", "s", "x", "n", "a", "b", "xs", "w", "y"}


def test_a_slow_loop_hits_the_wall_clock_limit():
    limits = Limits(timeout_s=0.2, max_steps=10**12, max_loop_iterations=10**12)
    env = Environment()
    with pytest.raises(LangError) as info:
        run_program(compile_source("n = 0\nwhile True:\n    n = n + 1"), env, limits)
    assert info.value.extra["limit"] == "timeout_s" and info.value.extra["steps"] > 0


def test_nesting_is_checked_before_pydantic_sees_the_document():
    with pytest.raises(LangError) as info:
        parse_program(_nested_json(5000))
    assert (info.value.code, info.value.status) == ("limit_exceeded", 413)
