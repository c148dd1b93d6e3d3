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
