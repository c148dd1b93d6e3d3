"""Small gaps closed one by one, each checked against torch 2.13 or CPython."""

from __future__ import annotations

import pytest

from app.lang import Environment, Limits, compile_source, run_program

torch = pytest.importorskip("torch")

HOOKS = """x = torch.ones(2, requires_grad=True)
h = x.register_hook(lambda g: g)
m = torch.nn.Linear(2, 2)
h2 = m.register_forward_hook(lambda *a: None)
print(type(h))
print(type(h2))
print(type(h).__name__, type(h2).__name__)
print(str(h).split(' at ')[0])
"""


def test_hook_handles_are_torchs_removable_handle():
    printed = run_program(compile_source(HOOKS), Environment(), Limits()).printed
    x = torch.ones(2, requires_grad=True)
    h = x.register_hook(lambda g: g)
    h2 = torch.nn.Linear(2, 2).register_forward_hook(lambda *a: None)
    assert printed == [str(type(h)), str(type(h2)),
                       f"{type(h).__name__} {type(h2).__name__}",
                       str(h).split(" at ")[0]]


HANDLES = """x = torch.ones(2, requires_grad=True)
h = x.register_hook(lambda g: g * 2)
m = torch.nn.Linear(1, 1)
h2 = m.register_forward_hook(lambda *a: None)
print(type(h) is type(h2), type(h).__name__, type(h))
y = x * 3
h3 = y.register_hook(lambda g: g)
h4 = y.grad_fn.register_hook(lambda *a: None)
h5 = y.grad_fn.register_prehook(lambda *a: None)
opt = torch.optim.SGD([x], lr=0.1)
h6 = opt.register_step_pre_hook(lambda *a: None)
print([type(k) is type(h) for k in (h3, h4, h5, h6)])
print(isinstance(h, torch.utils.hooks.RemovableHandle), h2.id > h.id, h6.id > h5.id)
from torch.utils.hooks import RemovableHandle
import torch.utils.hooks as hooks
print(RemovableHandle is hooks.RemovableHandle, RemovableHandle)
with x.register_hook(lambda g: print('in hook', g)) as hh:
    print(hh is None, type(hh).__name__)
h.remove(); h.remove()
(x * 2).sum().backward()
print(x.grad)
def twice(g):
    return g * 10
a = torch.ones(1, requires_grad=True)
k1 = a.register_hook(twice)
k2 = a.register_hook(twice)
k2.remove()
(a * 1).sum().backward()
print(a.grad)
with h2:
    pass
print(h2.id >= 0)
"""


@pytest.mark.parametrize("form", ["source", "json"])
def test_one_handle_class_for_every_hook(form):
    """A tensor's, a graph node's, a module's and an optimizer's hook handles are one class,
    torch.utils.hooks.RemovableHandle (importable, usable with isinstance, a context manager
    that removes the hook; remove() twice is harmless; removing one of two registrations of
    the same function leaves the other): printed lines as torch's."""
    import contextlib
    import io

    from app.lang import parse_source

    env = Environment()
    program = compile_source(HANDLES) if form == "json" else parse_source(HANDLES)
    printed = run_program(program, env, Limits(), source=HANDLES if form == "source" else None
                          ).printed
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(HANDLES, "<handles>", "exec"), {"torch": torch})  # the oracle side
    assert printed == buf.getvalue().splitlines()


def test_handle_internals_are_out_of_reach():
    for line in ("h._table", "h._entry", "h.__dict__", "type(h).__init__"):
        source = "x = torch.ones(1, requires_grad=True)\nh = x.register_hook(lambda g: g)\n" \
            + f"print({line})"
        with pytest.raises(Exception):  # noqa: B017,PT011  (the language refuses each)
            run_program(compile_source(source), Environment(), Limits())


TIME_ERRORS = [
    "time.sleep(-1)", "time.sleep('a')", "time.sleep(None)", "time.sleep()",
    "time.sleep(1, 2)", "time.sleep(secs=1)", "time.sleep(float('nan'))", "time.time(1)",
    "time.perf_counter(x=1)", "time.nope",
]


@pytest.mark.parametrize("form", ["source", "json"])
@pytest.mark.parametrize("line", TIME_ERRORS)
def test_time_fails_as_cpython_does(line, form):
    import time  # noqa: F401  (the oracle's module, for exec)

    from app.lang import LangError

    try:
        exec(compile(line, "<line>", "exec"), {"time": time})  # the oracle side only
    except Exception as exc:  # noqa: BLE001
        expected = (type(exc).__name__, str(exc))
    source = f"import time\n{line}"
    program = compile_source(source)
    with pytest.raises(LangError) as info:
        run_program(program, Environment(), Limits(), source=None if form == "json" else source)
    assert (info.value.extra["exception"], info.value.detail.rsplit(": ", 1)[-1]) == \
        (expected[0], expected[1].rsplit(": ", 1)[-1])


def test_time_clocks_are_clocks():
    source = """import time
from time import perf_counter as pc, sleep
t0, s, m = time.time(), pc(), time.monotonic()
sleep(0.001)
print(time.time() >= t0, pc() > s, time.monotonic() > m, time.process_time() > 0)
print(type(time.time_ns()).__name__, type(time.perf_counter_ns()).__name__)"""
    printed = run_program(compile_source(source), Environment(), Limits()).printed
    assert printed == ["True True True True", "int int"]


def test_sleep_ends_at_the_runs_time_limit():
    from app.lang import LangError

    env = Environment()
    with pytest.raises(LangError) as info:
        run_program(compile_source("import time\nx = 1\ntime.sleep(3600)"), env,
                    Limits(timeout_s=0.2))
    assert info.value.code == "limit_exceeded" and info.value.extra["limit"] == "timeout_s"
    assert env.variables["x"] == 1


@pytest.mark.parametrize("name", ["strftime", "localtime", "ctime"])
def test_time_formatting_is_refused_by_name(name):
    from app.lang import LangError

    with pytest.raises(LangError, match=f"time.{name} is not supported"):
        run_program(compile_source(f"import time\ntime.{name}"), Environment(), Limits())


UNICODE_LINES = [
    "print(unicodedata.normalize('NFD', 'Ślusàrski'), unicodedata.category('a'))",
    "print([unicodedata.category(c) for c in unicodedata.normalize('NFKD', 'ﬁé½')])",
    "unicodedata.normalize('X', 'a')", "unicodedata.normalize('NFD', 1)",
    "unicodedata.normalize(1, 'a')", "unicodedata.normalize('NFD')",
    "unicodedata.normalize(form='NFD', unistr='a')", "unicodedata.category('ab')",
    "unicodedata.category(1)", "unicodedata.category()", "unicodedata.category(c='a')",
    "unicodedata.nope",
]


@pytest.mark.parametrize("form", ["source", "json"])
@pytest.mark.parametrize("line", UNICODE_LINES)
def test_unicodedata_as_cpython(line, form):
    import contextlib
    import io
    import unicodedata

    from app.lang import LangError

    buf, expected = io.StringIO(), None
    with contextlib.redirect_stdout(buf):
        try:
            exec(compile(line, "<line>", "exec"), {"unicodedata": unicodedata})  # oracle only
        except Exception as exc:  # noqa: BLE001
            expected = (type(exc).__name__, str(exc))
    source = f"import unicodedata\n{line}"
    try:
        result = run_program(compile_source(source), Environment(), Limits(),
                             source=None if form == "json" else source)
        got = (result.printed, None)
    except LangError as exc:
        got = ([], (exc.extra["exception"], exc.detail.rsplit(": ", 1)[-1]))
        expected = (expected[0], expected[1].rsplit(": ", 1)[-1]) if expected else None
    assert got == (buf.getvalue().splitlines(), expected)


def test_char_rnn_unicode_to_ascii():
    source = """import unicodedata
import string
all_letters = string.ascii_letters + " .,;'"
def unicodeToAscii(s):
    return ''.join(c for c in unicodedata.normalize('NFD', s)
                   if unicodedata.category(c) != 'Mn' and c in all_letters)
print(unicodeToAscii('Ślusàrski'))"""
    assert run_program(compile_source(source), Environment(), Limits()).printed == ["Slusarski"]


def test_normalize_is_bounded():
    from app.lang import LangError

    with pytest.raises(LangError) as info:
        run_program(compile_source("import unicodedata\nunicodedata.normalize('NFKD', "
                                   "'\\ufdfa' * 1000)"), Environment(),
                    Limits(max_value_elements=10_000))
    assert info.value.extra["limit"] == "max_value_elements"
