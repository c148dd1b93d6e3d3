"""Positional-only parameters (``def f(a, /, b)``): bound as CPython binds them, with its
``TypeError`` texts, in both forms."""

from __future__ import annotations

import pytest

from app.lang import LangError, compile_source

from .conftest import our_cells, python_cells

CELLS = [
    "def f(a, b, /, c):\n    return a, b, c\nprint(f(1, 2, 3), f(1, 2, c=3))",
    "f(a=1, b=2, c=3)",
    "f(1, b=2, c=3)",
    "f(1)",
    "f()",
    "f(1, 2, 3, 4)",
    "f(1, 2, c=3, d=4)",
    "f(1, 2, d=4, b=2)",
    "def g(a, /, **kw):\n    return a, kw\nprint(g(1, a=2))",
    "g(a=2)",
    "h = lambda x, /: x\nprint(h(5))\nh(x=1)",
    "def k(a, b=2, /, c=3):\n    return a, b, c\nprint(k(1), k(1, 5, c=6), k(1, 5, 6))",
    "k(1, b=3)",
    "def m(a, /, *args, b, **kw):\n    return a, args, b, kw\nprint(m(1, 2, b=3, a=4))",
    "class P:\n    def __init__(self, x, /):\n        self.x = x\n    def get(self, /, d=0):\n"
    "        return self.x + d\nprint(P(2).get(d=1), P(2).get(3))",
    "P(x=2)",
    "def n(a, /, a2):\n    return a2\nargs = {'a2': 1}\nprint(n(0, **args))\n"
    "n(**{'a': 1, 'a2': 2})",
    "import functools\np = functools.partial(f, 1)\nprint(p(2, c=3))\np(b=2, c=3)",
    "def many(a, b, c, /):\n    pass\nmany(a=1, b=2, c=3)",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_positional_only_parameters_as_cpython(form):
    assert our_cells(CELLS, form) == python_cells(CELLS)


def test_the_json_form_counts_the_positional_only_parameters():
    program = compile_source("def f(a, b=1, /, c=2):\n    pass\ng = lambda x, /: x")
    assert program[0]["posonly"] == 2 and program[0]["params"][0] == "a"
    assert program[1]["value"]["posonly"] == 1


def test_more_positional_only_parameters_than_parameters_is_refused():
    from app.lang import Environment, run_program

    with pytest.raises(LangError) as info:
        run_program([{"def": "f", "params": ["a"], "posonly": 2, "body": [{"return": None}]}],
                    Environment())
    assert "posonly" in info.value.detail


@pytest.mark.parametrize(("source", "text"), [
    ("def dup(a, /, a):\n    pass", "duplicate argument"),
    ("def bad(a=1, /, b):\n    pass", "non-default argument follows default argument")])
def test_a_bad_positional_only_definition_is_a_syntax_error(source, text):
    with pytest.raises(SyntaxError, match=text):
        compile(source, "<cell>", "exec")  # CPython's own refusal, for the record
    with pytest.raises(LangError) as info:
        compile_source(source)
    assert info.value.code == "syntax_error"
