"""``import collections``, ``itertools`` (lazy, under the budget) and ``typing``'s names (for
annotations and aliases): Counter, defaultdict, OrderedDict, deque and namedtuple as CPython has
them (each program's printed lines are compared with CPython running the same source), in both
forms; d2l's ``Vocab`` unchanged; the values live in the session between runs."""

from __future__ import annotations

import contextlib
import io

import pytest

from app.lang import Environment, LangError, Limits
from app.lang.errors import ProgramError

COUNTER = """\
import collections
from collections import Counter
c = collections.Counter("abracadabra")
print(c, c.most_common(2), c['z'], len(c), 'z' in c)
c.update(["a", "z"])
c.subtract({"b": 5})
print(c, sorted(c.elements())[:5], c.total(), c.most_common())
print(c + Counter(a=1), c - Counter(a=100), c | Counter(q=2), type(c), Counter)
print(isinstance(c, dict), isinstance(c, Counter), type(c) is Counter, c.copy() == c)
print(Counter({'x': 2}), Counter(x=1, y=2), Counter(), Counter(w for w in "a b a".split()))
print(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])), list(c.keys())[:3], c.get('a'))
"""

DEFAULTDICT = """\
from collections import defaultdict
d = defaultdict(list)
d["x"].append(1)
d["y"]
print(d, d.default_factory, type(d), dict(d), isinstance(d, dict), len(d))
n = defaultdict(int)
for w in "a b a c a".split():
    n[w] += 1
print(n, n.copy(), sorted(n, key=n.get), n.get('zz'), 'zz' in n)
def zero():
    return 0.0
s = defaultdict(zero, {'a': 1.5}, b=2)
s['c'] += 1
print(sorted(s.items()), s.pop('a'), s.setdefault('e', 3))
nested = defaultdict(lambda: defaultdict(int))
nested['u']['v'] += 2
print(dict(nested['u']), len(nested), repr(defaultdict(None)))
try:
    defaultdict(None)[1]
except KeyError as e:
    print('KeyError', repr(e), e.args)
try:
    defaultdict(lambda: 1 / 0)[1]
except ZeroDivisionError as e:
    print('ZeroDivisionError', e)
"""

ORDERED_DEQUE = """\
from collections import OrderedDict, deque
o = OrderedDict(a=1, b=2)
o["c"] = 3
o.move_to_end("a")
print(o, list(o), o.popitem(), o.popitem(last=False), list(o.items()), o == {'c': 3})
o.update([('z', 0)], y=1)
o.move_to_end('z', last=False)
print(o, type(o), OrderedDict)
print(o.keys(), o.values(), o.items(), len(o.keys()), 'c' in o.keys(), list(reversed(o.keys())))
q = deque([1, 2, 3], maxlen=3)
q.append(4)
q.appendleft(0)
print(q, q.maxlen, q.popleft(), q.pop(), q, len(q), list(q), q[0])
q2 = deque()
q2.extend(range(4))
q2.rotate(1)
q2.extendleft('ab')
q2.insert(2, 9)
print(q2, q2 * 2, q2 + q2, q2.count(9), q2.index(9), 9 in q2, deque(), type(q2))
"""

NAMEDTUPLE = """\
from collections import namedtuple
Point = namedtuple("Point", ["x", "y"])
p = Point(1, y=2)
print(p, p.x, p[1], Point, type(p), p._asdict(), p._replace(x=5), isinstance(p, tuple))
x, y = p
print(x + y, type(p) is Point, p == (1, 2), len(p), p.count(1), p.index(2))
P3 = namedtuple('P3', 'a, b c', defaults=[0])
print(P3(1, 2), P3(1, 2, 3), sorted([P3(2, 1), P3(1, 5)]))
try:
    Point(1)
except TypeError as e:
    print('TypeError', e)
try:
    namedtuple('Bad', ['_x'])
except ValueError as e:
    print('ValueError', e)
"""

VOCAB = """\
import collections


class Vocab:
    \"\"\"Vocabulary for text.\"\"\"
    def __init__(self, tokens=[], min_freq=0, reserved_tokens=[]):
        # Flatten a 2D list if needed
        if tokens and isinstance(tokens[0], list):
            tokens = [token for line in tokens for token in line]
        # Count token frequencies
        counter = collections.Counter(tokens)
        self.token_freqs = sorted(counter.items(), key=lambda x: x[1],
                                  reverse=True)
        # The list of unique tokens
        self.idx_to_token = list(sorted(set(['<unk>'] + reserved_tokens + [
            token for token, freq in self.token_freqs if freq >= min_freq])))
        self.token_to_idx = {token: idx
                             for idx, token in enumerate(self.idx_to_token)}

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, self.unk)
        return [self.__getitem__(token) for token in tokens]

    def to_tokens(self, indices):
        if hasattr(indices, '__len__') and len(indices) > 1:
            return [self.idx_to_token[int(index)] for index in indices]
        return self.idx_to_token[indices]

    @property
    def unk(self):  # Index for the unknown token
        return self.token_to_idx['<unk>']


text = "the time machine by h g wells the time traveller for so it will be convenient"
tokens = list(text.replace(" ", ""))
vocab = Vocab(tokens)
indices = vocab[tokens[:10]]
print('indices:', indices)
print('words:', vocab.to_tokens(indices))
print(len(vocab), vocab.token_freqs[:5], vocab.to_tokens(3), vocab['zz'])
words = text.split()
wv = Vocab([words, words[:4]], min_freq=2, reserved_tokens=['<pad>'])
print(len(wv), wv.idx_to_token, wv[['the', 'time', 'nope']], wv.to_tokens([1, 2]))
print(hasattr(wv, '__len__'), hasattr(wv, '__iter__'), hasattr(3, '__len__'),
      hasattr(len, '__call__'), hasattr(Vocab, '__getitem__'), hasattr('s', '__iter__'),
      hasattr(vocab.to_tokens, '__call__'), hasattr(wv, '__repr__'))
"""


TYPING = """\
from typing import List, Optional, Tuple, Dict, Any, Callable, Union, cast, TypeVar
import typing
Pair = Tuple[float, float]
T = TypeVar("T")
def first(xs: List[int], default: Optional[int] = None) -> Optional[int]:
    return xs[0] if xs else default
def pair(x: float) -> Pair:
    return x, x * 2
cache: Dict[str, Any] = {}
total: int
print(first([4]), first([], 7), pair(1.5), cast(int, 3), cache)
print(Pair, Optional[int], List, typing.Any, Dict[str, List[float]], Callable[[int], str])
print(Union[int, None], T, List[int] == List[int], typing.TYPE_CHECKING)
"""


ITERTOOLS = """\
import itertools
from itertools import chain, product, count, islice, groupby, accumulate, zip_longest
from itertools import combinations, permutations, cycle, repeat, starmap, takewhile
from itertools import dropwhile, filterfalse, compress, pairwise, tee
from itertools import combinations_with_replacement
print(list(chain([1, 2], (3,), "ab")), list(chain.from_iterable([[1], [2, 3]])), chain)
print(list(product("ab", range(2))), len(list(product(range(3), repeat=2))))
print(list(islice(count(5, 2), 3)), list(islice(cycle("xy"), 5)), list(repeat(7, 3)))
print([(k, list(g)) for k, g in groupby("aabbbc")])
print([(k, len(list(g))) for k, g in groupby([1, 3, 2, 4], key=lambda v: v % 2)])
print(list(accumulate([1, 2, 3])), list(accumulate([1, 2, 3], lambda a, b: a * b)),
      list(accumulate([1, 2], initial=10)))
print(list(zip_longest("ab", [1], fillvalue=0)), list(combinations(range(4), 2)),
      list(permutations("abc", 2))[:3])
print(list(starmap(pow, [(2, 3), (3, 2)])), list(takewhile(lambda v: v < 3, [1, 2, 5, 1])),
      list(dropwhile(lambda v: v < 3, [1, 2, 5, 1])))
print(list(filterfalse(lambda v: v % 2, range(6))), list(compress("abc", [1, 0, 1])),
      list(pairwise([1, 2, 3])))
a, b = tee([1, 2])
print(list(a), list(b), list(combinations_with_replacement("ab", 2)))
def gen():
    n = 0
    while True:
        yield n
        n += 1
print(list(islice(gen(), 4)), next(count()), sum(islice(count(), 10)))
"""


def cpython_lines(source: str) -> list[str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<program>", "exec"), {"__name__": "__main__"})  # the oracle
    return out.getvalue().splitlines()


@pytest.mark.parametrize("source", [COUNTER, DEFAULTDICT, ORDERED_DEQUE, NAMEDTUPLE, VOCAB,
                                    TYPING, ITERTOOLS],
                         ids=["Counter", "defaultdict", "OrderedDict+deque", "namedtuple",
                              "d2l Vocab", "typing", "itertools"])
def test_programs_print_what_cpython_prints(form, source):
    ours = [line for entry in form(source).printed for line in entry.split("\n")]
    assert ours == cpython_lines(source)


def test_the_values_live_in_the_session_and_a_factory_runs_in_a_later_run(form):
    env = Environment()
    form("from collections import defaultdict, Counter, deque\nk = 10\n"
         "d = defaultdict(lambda: [k])\nc = Counter('aab')\nq = deque(maxlen=2)", env)
    form("k = 11\nd['a'].append(1)\nc.update('b')\nq.extend([1, 2, 3])", env)
    result = form("(d, c, q, d['b'])", env).result
    assert repr(result[0]) .startswith("defaultdict(<function <lambda>")
    assert dict(result[0]) == {"a": [11, 1], "b": [11]}
    assert repr(result[1:]) == "(Counter({'a': 2, 'b': 2}), deque([2, 3], maxlen=2), [11])"


def test_a_lazy_iterator_kept_in_the_session_runs_its_function_in_a_later_run(form):
    env = Environment()
    form("import itertools\nscale = 2\nit = itertools.accumulate(itertools.count(1), "
         "lambda a, b: a + b * scale)\nfirst = next(it)", env)
    assert form("scale = 10\n[next(it), next(it), first]", env).result == [21, 51, 1]
    with pytest.raises(LangError) as info:
        form("for v in it:\n    pass", env, Limits(max_steps=500))
    assert info.value.extra["limit"] == "max_steps"
    assert form("next(it) > 51", env).result is True


def test_a_failing_factory_keeps_what_ran_before(form):
    env = Environment()
    form("from collections import defaultdict\nd = defaultdict(int)\nd['a'] += 1", env)
    with pytest.raises(ProgramError, match="integer division or modulo by zero"):
        form("d['b'] += 1\nd.default_factory = lambda: 1 // 0\nd['c'] += 1\nd['e'] = 2", env)
    assert form("d", env).result == {"a": 1, "b": 1}
    with pytest.raises(ProgramError, match="default_factory must be callable or None"):
        form("d.default_factory = 3", env)
    form("d.default_factory = None", env)
    with pytest.raises(ProgramError, match="KeyError|'c'"):
        form("d['c']", env)
    assert repr(form("d", env).result) == "defaultdict(None, {'a': 1, 'b': 1})"


@pytest.mark.parametrize("source, limit", [
    ("from collections import defaultdict\nd = defaultdict(int)\nfor i in range(10**6):\n"
     "    d[i]", "max_value_elements"),
    ("from collections import defaultdict\nd = defaultdict(list)\ni = 0\nwhile True:\n"
     "    d[i].append(i)\n    i += 1", "max_value_elements"),
    ("from collections import defaultdict\nd = defaultdict(lambda: d[len(d)])\nd[0]",
     "max_recursion_depth"),
    ("from collections import defaultdict\ndef f():\n    return g[0]\ng = defaultdict(f)\ng[1]",
     "max_recursion_depth"),
    ("from collections import Counter\nCounter(range(10**9))", "max_value_elements"),
    ("from collections import Counter\nc = Counter()\nc.update(range(10**9))",
     "max_value_elements"),
    ("from collections import Counter\nlist(Counter(a=10**12).elements())",
     "max_value_elements"),
    ("from collections import deque\ndeque([1] * 1000) * 10**6", "max_value_elements"),
    ("from collections import deque\nq = deque()\nwhile True:\n    q.append(1)",
     "max_value_elements"),
    ("from collections import deque\nq = deque('ab')\nwhile True:\n    q.extend(q)",
     "max_value_elements"),
    ("from collections import deque\nq = deque('ab')\nwhile True:\n    q = q + q",
     "max_value_elements"),
    ("from collections import OrderedDict\nOrderedDict.fromkeys(range(10**9))", None),
    ("from collections import namedtuple\nwhile True:\n    namedtuple('P', 'x y')",
     "max_library_subclasses"),
    ("from collections import Counter\ndef gen():\n    while True:\n        yield 1\n"
     "Counter(gen())", "max_value_elements"),
    ("import itertools\nlist(itertools.count())", "max_value_elements"),
    ("import itertools\nfor i in itertools.count():\n    pass", "max_steps"),
    ("import itertools\nlist(itertools.product(range(100), repeat=4))", "max_value_elements"),
    ("import itertools\nitertools.product(range(10**9), 'ab')", "max_value_elements"),
    ("import itertools\nitertools.permutations(range(10**9))", "max_value_elements"),
    ("import itertools\nitertools.tee([1], 10**9)", "max_value_elements"),
    ("import itertools\nlist(itertools.repeat(1))", "max_value_elements"),
    ("import itertools\nf = lambda v: list(itertools.groupby([v], key=f))\nf(1)",
     "max_recursion_depth"),
    ("import itertools\nfor v in itertools.accumulate(itertools.repeat(3), lambda a, b: a * a):"
     "\n    pass", "max_int_bits"),
])
def test_hostile_growth_is_stopped_by_the_budget(form, source, limit):
    env = Environment()
    limits = Limits(max_value_elements=10_000, max_steps=200_000, max_recursion_depth=50)
    with pytest.raises(LangError) as info:
        form(source, env, limits)
    if limit is None:
        assert info.value.code == "program_error"
    else:
        assert info.value.extra["limit"] == limit, info.value.detail
    assert form("1 + 1", env).result == 2


@pytest.mark.parametrize("source, message", [
    ("from collections import namedtuple\nnamedtuple('P', ['__class__'])",
     "Field names cannot start with an underscore"),
    ("from collections import namedtuple\nnamedtuple('import os', ['a'])",
     "must be valid identifiers"),
    ("from collections import namedtuple\nnamedtuple('P', ['a'], module='os')",
     "unexpected keyword"),
    ("from collections import defaultdict\ndefaultdict(3)",
     "first argument must be callable or None"),
    ("import collections\ncollections.abc", "collections.abc is not supported"),
    ("import collections\ncollections._sys", "collections._sys is not supported"),
    ("from collections import deque\ngetattr(deque(), '__init__')", "not allowed"),
    ("from collections import Counter\ngetattr(Counter(), '_keep_positive')", "no attribute"),
    ("from typing import List\nList.__origin__", "dunder attributes are not allowed"),
    ("from typing import List\nList._name", "no attribute"),
    ("from typing import List\nList()", "not callable"),
    ("from typing import List\nList[int][str]", "is not a generic class"),
    ("import typing\ntyping.get_type_hints", "typing.get_type_hints is not supported"),
    ("import typing\ntyping.Nope", "module 'typing' has no attribute 'Nope'"),
    ("from collections import defaultdict\nd = defaultdict(int)\n"
     "getattr(d.default_factory, '__globals__')", "not allowed"),
])
def test_no_path_leads_to_python_internals(form, source, message):
    with pytest.raises(LangError, match=message):
        form(source)


def test_dunder_probes_are_hasattr_only(form):
    with pytest.raises(LangError, match="dunder attributes are not allowed"):
        form("getattr([], '__len__')")
    with pytest.raises(LangError, match="not allowed"):
        form("getattr([], '__l' + 'en__')")
    assert form("hasattr([], '__l' + 'en__')").result is True
    assert form("hasattr(1, '__glob' + 'als__')").result is False
    with pytest.raises(LangError, match="dunder attributes are not allowed"):
        form("hasattr(len, '__globals__')")
