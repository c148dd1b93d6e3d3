"""``typing.NamedTuple``, as a class statement and called, as CPython's."""

from __future__ import annotations

import typing

import pytest

from .conftest import our_cells, python_cells

CELLS = [
    "from typing import NamedTuple\nclass P(NamedTuple):\n    x: int\n    y: float = 0.5\n"
    "p = P(1)\nprint(p, p.x, p.y, p[0], p == (1, 0.5), P._fields, P._field_defaults, "
    "type(p).__name__, isinstance(p, tuple))",
    "a, b = P(3, 4)\nprint(a, b, P(y=2, x=1), p._replace(x=9), p._asdict(), len(p), hash(p) == "
    "hash((1, 0.5)))",
    "class Q(NamedTuple):\n    a: int = 1\n    b: int\n",
    "Pt = NamedTuple('Pt', [('x', int), ('y', int)])\nprint(Pt(1, 2), Pt._fields)",
    "Kw = NamedTuple('Kw', x=int, y=str)\nprint(Kw(1, 'a'))",
    "class R(NamedTuple):\n    \"\"\"A docstring.\"\"\"\n    x: int\nprint(R(5))",
    "P(1, 2, 3)",
    "P()",
    "import typing\nclass S(typing.NamedTuple):\n    x: int\n"
    "print(S(x=2), [S(i) for i in range(2)])",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_named_tuples_as_cpython(form):
    assert our_cells(CELLS, form) == python_cells(CELLS, {"NamedTuple": typing.NamedTuple})


def test_methods_in_a_named_tuple_class_are_refused_clearly(form):
    from app.lang import LangError

    with pytest.raises(LangError, match="only its annotated fields"):
        form("from typing import NamedTuple\nclass P(NamedTuple):\n    x: int\n"
             "    def norm(self):\n        return self.x")
