"""``contextlib.contextmanager``: a program's generator function as a ``with`` context, an
error in the block thrown into it, suppressed when it swallows it; CPython's texts."""

from __future__ import annotations

import contextlib

import pytest

from app.lang import Environment, LangError, Limits, compile_source, run_program

from .conftest import our_cells, python_cells

CELLS = [
    "from contextlib import contextmanager\nimport contextlib\n"
    "@contextmanager\ndef tag(name):\n    print('<' + name + '>')\n    try:\n"
    "        yield name.upper()\n    finally:\n        print('</' + name + '>')\n"
    "with tag('a') as t:\n    print('inside', t)\nprint(tag.__name__, tag.__doc__)",
    "with tag('b'):\n    raise ValueError('boom')",
    "@contextlib.contextmanager\ndef swallow(*kinds):\n    try:\n        yield\n"
    "    except kinds as e:\n        print('swallowed', type(e).__name__, e)\n"
    "with swallow(KeyError, ZeroDivisionError):\n    1 / 0\nprint('after')",
    "with swallow(KeyError):\n    int('x')",
    "@contextmanager\ndef nogen():\n    return 1\nwith nogen():\n    pass",
    "@contextmanager\ndef twice():\n    yield 1\n    yield 2\nwith twice():\n    pass",
    "@contextmanager\ndef none():\n    if False:\n        yield\nwith none():\n    pass",
    "@contextmanager\ndef keep():\n    try:\n        yield\n    except ValueError:\n        yield\n"
    "with keep():\n    raise ValueError",
    "@contextmanager\ndef convert():\n    try:\n        yield\n    except KeyError as e:\n"
    "        raise RuntimeError('converted') from e\nwith convert():\n    {}['k']",
    "class Timer:\n    def __init__(self):\n        self.log = []\n    @contextmanager\n"
    "    def section(self, name):\n        self.log.append(name)\n        yield self\n"
    "        self.log.append('/' + name)\nt = Timer()\nwith t.section('a') as s:\n"
    "    with s.section('b'):\n        pass\nprint(t.log, s is t)",
    "def run():\n    with tag('f'):\n        return 5\nprint(run())",
    "def loop():\n    for i in range(3):\n        with tag(str(i)):\n            if i == 1:\n"
    "                break\nloop()",
    "print(type(tag('x')).__name__)",
    "@contextmanager\ndef stopper():\n    yield\nwith stopper():\n    raise StopIteration('s')",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_contextmanager_as_cpython(form):
    assert our_cells(CELLS, form) == python_cells(CELLS, {"contextlib": contextlib})


def test_a_timer_contextmanager_keeps_its_session():
    env = Environment()
    run_program(compile_source(
        "import time\nfrom contextlib import contextmanager\ntimes = {}\n@contextmanager\n"
        "def timed(name):\n    start = time.perf_counter()\n    yield\n"
        "    times[name] = time.perf_counter() - start"), env)
    run_program(compile_source("with timed('x'):\n    y = torch.ones(3).sum()"), env)
    result = run_program(compile_source("list(times), times['x'] >= 0"), env)
    assert result.result == (["x"], True)


def test_a_contextmanager_looping_forever_is_bounded():
    source = ("from contextlib import contextmanager\n@contextmanager\ndef spin():\n"
              "    while True:\n        pass\n    yield\nwith spin():\n    pass")
    with pytest.raises(LangError) as info:
        run_program(compile_source(source), Environment(), Limits(max_steps=2000))
    assert info.value.code == "limit_exceeded"
