"""``...`` (Ellipsis) as a statement in bodies and as a value, in both forms, as CPython."""

from __future__ import annotations

import pytest

from app.lang import Environment, compile_source, parse_program, run_program

from .conftest import our_cells, python_cells

CELLS = [
    "def f():\n    ...\nprint(f())",
    "class A:\n    ...\nclass B(A):\n    def g(self) -> int: ...\nprint(B().g())",
    "x = ...\nprint(x, type(x), x is Ellipsis, repr(...), [...][0] == ...)",
    "for i in range(2):\n    ...\nwhile False:\n    ...\nif True:\n    ...\nprint(i)",
    "try:\n    ...\nexcept Exception:\n    ...\nfinally:\n    ...\nprint('ok')",
    "print(len([1, ..., 3]), {...: 1}[...])",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_ellipsis_runs_as_in_python(form):
    assert our_cells(CELLS, form) == python_cells(CELLS)


def test_ellipsis_is_a_cells_value_and_a_json_node():
    assert compile_source("def f():\n    ...") == [
        {"def": "f", "params": [], "body": [{"expr": {"ellipsis": None}}]}]
    assert run_program(compile_source("..."), Environment()).result is Ellipsis
    program = parse_program([{"assign": "e", "value": {"ellipsis": None}},
                             {"expr": {"call": "repr", "args": [{"var": "e"}]}}])
    assert run_program(program, Environment()).result == "Ellipsis"
