"""``import heapq`` and ``import operator``: CPython's heap functions over the program's lists
(beam-search decoders keep their hypotheses in a heap ordered by a user class's ``__lt__``)
and ``operator``'s functions as the language's operators (``sorted(..., key=
operator.itemgetter(0))``); bounded as the operators and ``list.append`` are, and closed to
Python's internals."""

from __future__ import annotations

import pytest

from app.lang import Environment, LangError, Limits, compile_source, run_program

from .conftest import our_cells, python_cells

CELLS = [
    "import heapq\nimport operator\nfrom operator import itemgetter, attrgetter",
    "h = []\nfor x in [5, 1, 4, 2, 3]:\n    heapq.heappush(h, (x, str(x)))\n"
    "print(h)\nprint(heapq.heappop(h), h)",
    "a = [9, 3, 7, 1]\nheapq.heapify(a)\nprint(a, heapq.heapreplace(a, 8), a)\n"
    "print(heapq.heappushpop(a, 0), heapq.heappushpop(a, 10), a)",
    "print(heapq.nlargest(2, [3, 1, 4, 1, 5]), heapq.nsmallest(2, 'hello'),\n"
    "      heapq.nlargest(2, {'a': 3, 'b': 1, 'c': 2}.items(), key=lambda kv: kv[1]))",
    "print(list(heapq.merge([1, 4, 9], [2, 3], [0])),\n"
    "      list(heapq.merge([3, 1], [2], reverse=True)))",
    # a beam of hypotheses: (score, node) pairs, ties broken by the class's __lt__
    "class Node:\n    def __init__(self, n, score):\n        self.n, self.score = n, score\n"
    "    def __lt__(self, other):\n        return self.n < other.n\n"
    "    def __repr__(self):\n        return f'Node({self.n})'\n"
    "beam = []\nfor i, s in enumerate([0.5, 0.25, 0.5, 0.125]):\n"
    "    heapq.heappush(beam, (-s, Node(i, s)))\n"
    "print([heapq.heappop(beam) for _ in range(4)])",
    "print(heapq.nsmallest(2, [Node(3, 0), Node(1, 0), Node(2, 0)]))",
    "heapq.heappush((), 1)",
    "heapq.heappush([1], 'x')",
    "heapq.heappop([])",
    "heapq.heapify(3)",
    "print(itemgetter(1)([5, 6]), itemgetter(0, 2)('abc'), itemgetter('k')({'k': 1}))\n"
    "print(itemgetter('k'), itemgetter(1, 'a'), attrgetter('n', 'score'))",
    "print(sorted([(1, 'b'), (0, 'c'), (2, 'a')], key=operator.itemgetter(1)))\n"
    "print(max([Node(1, 5), Node(2, 7)], key=attrgetter('score')))",
    "class Box:\n    pass\nb = Box()\nb.inner = Box()\nb.inner.v = 4\n"
    "print(attrgetter('inner.v')(b), attrgetter('inner.v', 'inner.v')(b))",
    "attrgetter('missing')(b)",
    "attrgetter(1)",
    "itemgetter(5)([1])",
    "print(operator.add([1], [2]), operator.mul(3, 4), operator.truediv(1, 4),\n"
    "      operator.mod(7, 3),\n"
    "      operator.floordiv(7, 2), operator.pow(2, 10), operator.sub(5, 8))",
    "print(operator.lt(1, 2), operator.ge(1, 2), operator.eq('a', 'a'), operator.ne(1, 1),\n"
    "      operator.and_(6, 3), operator.or_(6, 3), operator.xor(6, 3), operator.lshift(1, 4),\n"
    "      operator.rshift(16, 2))",
    "print(operator.neg(2), operator.pos(-2), operator.invert(5), operator.inv(5),\n"
    "      operator.not_(0),\n"
    "      operator.truth([]), operator.abs(-3.5), operator.index(7))",
    "print(operator.getitem({'a': 1}, 'a'), operator.contains([1, 2], 2),\n"
    "      operator.contains('ab', 'c'))",
    "import functools\nprint(functools.reduce(operator.mul, range(1, 6)),\n"
    "      functools.reduce(operator.add, ['a', 'b']))",
    "operator.add(1, 'a')",
    "operator.neg('a')",
    "operator.getitem([1], 3)",
    "from heapq import heappush, heappop\nq = []\nheappush(q, 2)\nheappush(q, 1)\n"
    "print(heappop(q), q)",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_heapq_and_operator_as_cpython(form):
    assert our_cells(CELLS, form) == python_cells(CELLS)


TORCH_CELLS = [
    "import heapq\nimport operator\nimport torch",
    "print(operator.mul(torch.tensor([1., 2.]), 3), operator.add(2, torch.ones(2)))\n"
    "print(operator.matmul(torch.eye(2), torch.tensor([1., 2.])), operator.neg(torch.ones(1)))\n"
    "print(operator.lt(torch.tensor([1, 3]), 2), operator.getitem(torch.arange(4), 2))",
    "h = []\nfor s in [0.5, 0.1, 0.9]:\n    heapq.heappush(h, (torch.tensor(s), int(s * 10)))\n"
    "print([heapq.heappop(h)[1] for _ in range(3)])",
    "x = torch.ones(2, requires_grad=True)\ny = operator.mul(x, x)\nprint(y)\n"
    "y.sum().backward()\nprint(x.grad)",
    "operator.matmul(torch.ones(2, 3), torch.ones(2, 3))",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_operator_on_tensors_as_torch(form):
    import torch  # the oracle

    assert our_cells(TORCH_CELLS, form) == python_cells(TORCH_CELLS, {"torch": torch})


def _run(source: str, **limits) -> LangError:
    with pytest.raises(LangError) as info:
        run_program(compile_source(source), Environment(), Limits(**limits), source=source)
    return info.value


@pytest.mark.parametrize(("source", "limits", "limit"), [
    ("import heapq\nh = []\nwhile True:\n    heapq.heappush(h, 1)", {"max_value_elements": 1000},
     "max_value_elements"),
    ("import operator\noperator.mul([0], 10 ** 9)", {}, "max_value_elements"),
    ("import operator\noperator.pow(10, 10 ** 9)", {}, "max_int_bits"),
    ("import heapq\nheapq.nsmallest(1, range(10 ** 9))", {}, "max_value_elements"),
    ("import heapq\nlist(heapq.merge([0] * 600, [0] * 600))", {"max_value_elements": 1000},
     "max_value_elements"),
    ("import heapq\nclass N:\n    def __lt__(self, o):\n        return self < o\n"
     "heapq.heappush([N()], N())", {}, "max_recursion_depth"),
])
def test_heapq_and_operator_are_bounded(source, limits, limit):
    assert _run(source, **limits).extra["limit"] == limit


@pytest.mark.parametrize("source", [
    "import operator\noperator.attrgetter('__class__.__subclasses__')(1)",
    "import operator\noperator.attrgetter('__dict__')(1)",
    "import operator\nclass A:\n    pass\noperator.attrgetter('x.__globals__')(A())",
    "import torch, operator\noperator.attrgetter('_data')(torch.ones(1))",
    "import heapq\nheapq.__dict__", "import heapq\nheapq.heappush.__globals__",
    "import operator\noperator.methodcaller", "import operator\noperator.setitem",
    "import heapq\nheapq._heapify_max",
])
def test_heapq_and_operator_internals_stay_out(source):
    with pytest.raises(LangError):
        run_program(compile_source(source), Environment(), Limits(), source=source)
