"""An exception class's ``__init__`` called on something that is not its exception: CPython's
``TypeError`` (session 19 leaked an internal text, "'int' object has no attribute 'attrs'")."""

from __future__ import annotations

import pytest

from .conftest import our_cells, python_cells

CELLS = [
    "Exception.__init__(1)",
    "ValueError.__init__('a')",
    "class A:\n    pass\nKeyError.__init__(A())",
    "KeyError.__init__(ValueError())",
    "e = ValueError(1)\nException.__init__(e, 2, 3)\nprint(e.args)",
    "class E(Exception):\n    def __init__(self, m):\n        super().__init__(m)\n"
    "        Exception.__init__(self, m, 2)\nprint(E(1).args)",
    "class F(ValueError):\n    pass\nF.__init__(1)",
    "s = StopIteration(4)\nprint(s.value, s.args)\nStopIteration.__init__(s, 5, 6)\n"
    "print(s.value, s.args)",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_exception_init_on_a_wrong_object_is_cpythons_type_error(form):
    assert our_cells(CELLS, form) == python_cells(CELLS)
