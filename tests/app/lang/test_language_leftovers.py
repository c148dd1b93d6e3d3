"""Session-14 leftovers of the language, each checked against torch 2.13 or CPython run on
the same text: ``torch.func.linearize``, the repr of a plain value's method, and op names
that are no bare names."""

from __future__ import annotations

import contextlib
import io
import re
import warnings

import pytest

from app.lang import Environment, Limits, compile_source, run_program
from app.lang.errors import ProgramError

torch = pytest.importorskip("torch")


def ours(source: str) -> list[str]:
    printed = run_program(compile_source(source), Environment(), Limits()).printed
    return "\n".join(printed).splitlines()


def theirs(source: str) -> list[str]:
    """What CPython with torch prints for ``source`` (addresses dropped, as ours are)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's linearize warns from its graph folding
        exec(compile(source, "<program>", "exec"), {"torch": torch})  # the oracle only
    return [re.sub(r" at 0x[0-9a-f]+", "", line) for line in out.getvalue().splitlines()]


LINEARIZE = """from torch.func import linearize
def f(x):
    return x.sin()
out, jfn = linearize(f, torch.zeros(3))
print(out, jfn(torch.ones(3)))
def g(x, y):
    return (x * y, {"a": x.exp()})
x = torch.tensor([1., 2.])
y = torch.tensor([3., 4.], requires_grad=True)
out, jfn = linearize(g, x, y)
print(out)
r = jfn(torch.ones(2), torch.zeros(2))
print(r, r[0].requires_grad, out[0].grad_fn.name())
for bad in [lambda: jfn(torch.ones(2)), lambda: jfn(torch.ones(3), torch.ones(2)),
            lambda: jfn(torch.ones(2, dtype=torch.float64), torch.ones(2)),
            lambda: jfn((torch.ones(2), torch.ones(2))), lambda: jfn(1, 2),
            lambda: linearize(f, 1.0), lambda: linearize(f, (torch.ones(2),)),
            lambda: linearize(lambda x: 3, torch.ones(2)),
            lambda: linearize(f, torch.ones(2, dtype=torch.int64)),
            lambda: jfn(torch.ones(2), torch.ones(2), torch.ones(2)),
            lambda: linearize(lambda x, n: x * n, torch.ones(2), 3)]:
    try:
        print("OK", bad()[0])
    except Exception as e:
        print(type(e).__name__, e)
out, jfn = linearize(lambda x: 3, torch.ones(2))
print(jfn(torch.ones(2)))
out, jfn = linearize(lambda x: (x * 2, 5, "s"), torch.ones(2))
print(jfn(torch.ones(2)))
x = torch.ones(2, requires_grad=True)
out, jfn = linearize(lambda x: x.exp(), x)
print(out, jfn(torch.ones(2)))
out, jfn = linearize(lambda x: [x.sum()], torch.ones(2, dtype=torch.float64))
print(out, jfn(torch.ones(2, dtype=torch.float64)))
out, jfn = linearize(lambda x: x, torch.ones(2))
print(out, jfn(torch.ones(2) * 2))
out, jfn = linearize(lambda x: x @ x.T, torch.arange(6.).reshape(2, 3))
print(out, jfn(torch.ones(2, 3)))
out, jfn = linearize(lambda a, b: {"s": (a * b).tanh()}, torch.tensor(0.5, dtype=torch.float64),
                     torch.tensor([1., 2.], dtype=torch.float64))
print(jfn(torch.tensor(1., dtype=torch.float64), torch.tensor([0.5, -1.], dtype=torch.float64)))
"""


def test_linearize_as_torch():
    assert ours(LINEARIZE) == theirs(LINEARIZE)


def test_linearize_evaluates_func_again_per_call():
    """The documented difference: torch replays the graph it traced, we evaluate ``func``
    again by forward-mode AD on each ``jvp_fn`` call (values equal, side effects repeat)."""
    source = """from torch.func import linearize
def p(x):
    print("called")
    return x.cos()
out, jfn = linearize(p, torch.ones(2))
print("after")
print(jfn(torch.ones(2)))
"""
    assert theirs(source) == ["called", "called", "after", "tensor([-0.8415, -0.8415])"]
    assert ours(source) == ["called", "called", "after", "called", "tensor([-0.8415, -0.8415])"]


METHODS = """import collections
def g():
    yield 1
P = collections.namedtuple("P", "x y")
for v in [[].append, {}.get, 'a'.upper, (1,).count, {1}.add, frozenset().union,
          (3).bit_length, (2.0).is_integer, g().send, collections.deque().append,
          collections.Counter().most_common, collections.Counter().get,
          collections.OrderedDict().move_to_end, collections.defaultdict(list).get,
          P(1, 2)._asdict, P(1, 2).count, torch.Size([2]).count]:
    print(v)
"""


def test_plain_values_methods_print_as_python():
    assert ours(METHODS) == theirs(METHODS)
    assert ours("print([].append)") == ["<built-in method append of list object>"]


@pytest.mark.parametrize(("source", "name"), [
    ("print(t)", "t"), ("def f():\n    return relu\nf()", "relu"), ("y = add", "add"),
    ("print(tanh)", "tanh")])
def test_an_op_name_is_no_bare_name(source, name):
    with pytest.raises(ProgramError) as info:
        ours(source)
    assert str(info.value).endswith(f"name '{name}' is not defined")
    assert info.value.extra["exception"] == "NameError"


def test_an_op_name_bound_by_the_program_is_its_variable():
    assert ours("t = 3\nprint(t)\nprint(torch.t(torch.ones(2, 1)).shape)") == \
        ["3", "torch.Size([1, 2])"]
    # the SPEC's call by name still calls the op when the program binds none
    assert ours("print(tanh(torch.zeros(1)))") == ["tensor([0.])"]
