"""The order in which an assignment's parts run, observable through side effects, as CPython
runs them: ``obj[key] = value`` and ``obj.a = value`` evaluate the value first, then the
object, then the key; ``obj[key] += value`` / ``obj.a += value`` evaluate the object and the
key once (before: twice, so ``counts[next(it)] += 1`` pulled two items), then read the item,
then the value (the JSON form's ``"op"`` on ``setitem`` / ``setattr``). Both forms, against
CPython (and torch for tensor items), and under the step and size limits."""

from __future__ import annotations

import pytest
import torch

from app.lang import Environment, LangError, Limits, compile_source, run_program

from .conftest import our_cells, python_cells

CELLS = ["""log = []
def f(n, v):
    log.append(n)
    return v
class O:
    pass
d = {}
o = O()
o.a = 1
f('obj', d)[f('key', 'k')] = f('value', 1)
print(log); log.clear()
f('obj', o).a = f('value', 1)
print(log); log.clear()
f('obj', d)[f('key', 'k')] += f('value', 1)
print(log, d); log.clear()
f('obj', o).a += f('value', 1)
print(log, o.a); log.clear()
a = f('obj', d)[f('key', 'k2')] = f('obj2', o).b = f('value', 5)
print(log); log.clear()
f('o1', d)[f('k1', 'a')], f('o2', d)[f('k2', 'b')] = f('v', (1, 2))
print(log); log.clear()
for f('o', d)[f('k', 'i')] in f('it', [1, 2]):
    pass
print(log, d); log.clear()
x = [0, 1, 2, 3]
f('obj', x)[f('lo', 1):f('hi', 3)] = f('value', [9])
print(log, x); log.clear()
f('obj', x)[f('lo', 0):f('hi', 1)] += f('value', [7])
print(log, x); log.clear()
f('obj', d)[f('key', 'k')] **= f('value', 3)
f('obj', d)[f('key', 'k')] //= f('value', 2)
f('obj', d)[f('key', 'k')] <<= f('value', 2)
f('obj', o).a -= f('value', 1)
f('obj', o).a |= f('value', 8)
print(log, d['k'], o.a); log.clear()
""", """it = iter([0, 1, 1, 2, 0])
counts = [0, 0, 0]
for _ in range(5):
    counts[next(it)] += 1
print(counts)
calls = []
def key():
    calls.append(1)
    return 'n'
box = {'n': 0}
box[key()] += 10
print(box, len(calls))
d = {}
d[0] = (d := {'fresh': 1})
print(d)
""", """d = {}
try:
    d[undefined_name] = 1 / 0
except ZeroDivisionError as e:
    print('value first:', e)
try:
    d['missing'] += 1
except KeyError as e:
    print('KeyError', e)
class P:
    def __init__(self):
        self.log = []
    @property
    def v(self):
        self.log.append('get')
        return 1
    @v.setter
    def v(self, value):
        self.log.append(('set', value))
p = P()
p.v += 2
print(p.log)
class L:
    def __init__(self):
        self.log = []
    def __getitem__(self, k):
        self.log.append(('get', k))
        return 10
    def __setitem__(self, k, v):
        self.log.append(('set', k, v))
q = L()
q[3] += 1
q[4] = 5
print(q.log)
"""]


@pytest.mark.parametrize("form", ["source", "json"])
def test_assignment_parts_run_in_cpythons_order(form):
    assert our_cells(CELLS, form) == python_cells(CELLS)


TENSOR = """import torch
log = []
def f(n, v):
    log.append(n)
    return v
t = torch.zeros(3)
f('obj', t)[f('key', 0)] = f('value', 1.0)
f('obj', t)[f('key', 1)] += f('value', 2.0)
m = torch.zeros(2, 2)
f('obj', m)[f('k1', 0), f('k2', 1)] = f('value', 5.0)
w = torch.ones(3, requires_grad=True)
y = w * 2
f('obj', y)[f('key', 0)] *= f('value', 3.0)
y.sum().backward()
print(log, t, m, y, w.grad)
"""


@pytest.mark.parametrize("form", ["source", "json"])
def test_tensor_items_in_cpythons_order_and_torchs_values(form):
    printed = run_program(compile_source(TENSOR), Environment(), Limits(),
                          **({"source": TENSOR} if form == "source" else {})).printed
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(TENSOR, {"torch": torch})  # the oracle
    assert "\n".join(printed) == out.getvalue().rstrip("\n")


def test_the_json_form_has_the_operator_on_the_store():
    program = compile_source("d[k] += 1\no.a -= 2")
    assert program[0] == {"setitem": {"var": "d"}, "key": {"var": "k"}, "op": "iadd",
                          "value": 1}
    assert program[1] == {"setattr": {"var": "o"}, "attr": "a", "op": "isub", "value": 2}


@pytest.mark.parametrize("program, limit", [
    ("d = {'k': 0}\nwhile True:\n    d['k'] += 1", "max_steps"),
    ("class O:\n    pass\no = O()\no.a = 0\nwhile True:\n    o.a += 1", "max_steps"),
    ("xs = [[0]]\nwhile True:\n    xs[0] += xs[0]", None),
    ("class P:\n    pass\np = P()\np.s = 'ab'\nwhile True:\n"
     "    p.s *= 2", None),
])
@pytest.mark.parametrize("form", ["source", "json"])
def test_augmented_stores_count_steps_and_sizes(program, limit, form):
    limits = Limits(max_steps=20_000, max_value_elements=100_000, timeout_s=20.0)
    env = Environment()
    with pytest.raises(LangError) as info:
        run_program(compile_source(program), env, limits,
                    **({"source": program} if form == "source" else {}))
    assert info.value.code == "limit_exceeded", info.value.detail
    if limit is not None:
        assert info.value.extra["limit"] == limit


LIST_CELLS = ["""l = [1, 2]
m = l
l *= 2
print(l, m is l)
l *= 0
print(l, m is l)
k = [[1], [2]]
k[1] *= 3
k[0] += (5, 6)
k[0] += 'ab'
print(k)
n = [3]
n *= True
print(n)
n *= -1
print(n)
""", """l = [1]
l *= 2.5""", """l = [1]
l -= [1]""", """l = [1]
l *= [2]""", """d = {'k': [0]}
d['k'] *= 3
d['k'] += range(2)
print(d)
"""]


@pytest.mark.parametrize("form", ["source", "json"])
def test_lists_repeat_and_extend_in_place_as_cpython(form):
    assert our_cells(LIST_CELLS, form) == python_cells(LIST_CELLS)


@pytest.mark.parametrize("program", ["l = [0]\nl *= 10**12", "l = [[0]]\nl[0] *= 10**12",
                                     "l = [0] * 1000\nwhile True:\n    l *= 2"])
@pytest.mark.parametrize("form", ["source", "json"])
def test_repeating_a_list_in_place_is_held_to_the_size_limit(program, form):
    limits = Limits(max_steps=20_000, max_value_elements=100_000, timeout_s=20.0)
    with pytest.raises(LangError) as info:
        run_program(compile_source(program), Environment(), limits,
                    **({"source": program} if form == "source" else {}))
    assert info.value.code == "limit_exceeded", info.value.detail
    assert info.value.extra["limit"] == "max_value_elements"
