"""A run's warnings (``RunResult.warnings``, the reply's ``"warnings"``): what Python and torch
2.13 write to stderr for the same program run as ``__main__`` (category, text, line), under
Python's default filters and the ones the session's programs set, per run; never in
``printed``; bounded; kept apart between runs and sessions."""

from __future__ import annotations

import re
import warnings

import pytest

from app.lang import Environment, LangError, Limits, compile_source, run_program

#: torch appends where in its C++ sources a warning was raised (a path of its build).
_TRIGGERED = re.compile(r" \(Triggered internally at .*\)$", re.DOTALL)

PROGRAMS = {
    "torch's and the program's, once per statement": """\
import torch
import warnings
x = torch.ones(2, requires_grad=True)
y = x * 2
print(y.grad)
for i in range(3):
    y.grad
warnings.warn("careful")
warnings.warn("careful")
def f():
    warnings.warn("in f", DeprecationWarning)
f()
f()
warnings.simplefilter("ignore")
y.grad
warnings.warn("ignored")
""",
    "through aliases: import warnings as w, from warnings import warn (as ...)": """\
import torch
import warnings as w
from warnings import warn
from warnings import warn as say
import torch.nn.functional as F
w.warn("aliased module")
warn("aliased function", FutureWarning)
say("renamed")
shout = w.warn
shout("a value")
grid = F.affine_grid(torch.eye(2, 3).unsqueeze(0), (1, 1, 2, 2))
""",
    "engine texts, a program's category, a module's forward, once, reset": """\
import torch
import torch.nn.functional as F
a = F.softmax(torch.ones(2))
b = torch.tensor(torch.ones(2))
c = torch.as_tensor(torch.ones(2), dtype=torch.float64)
class MyWarning(UserWarning):
    pass
import warnings
warnings.warn("mine", MyWarning)
warnings.warn(MyWarning("inst"))
class Net(torch.nn.Module):
    def forward(self, x):
        return F.softmax(x)
Net()(torch.ones(3))
warnings.simplefilter("once")
warnings.warn("o")
warnings.warn("o")
warnings.resetwarnings()
warnings.warn("dep", DeprecationWarning)
warnings.warn("dep", DeprecationWarning)
""",
    "filters by message, category, append; always": """\
import warnings
warnings.filterwarnings("ignore", message="care")
warnings.warn("careful")
warnings.warn("Careless")
warnings.warn("other")
warnings.filterwarnings("ignore", category=RuntimeWarning)
warnings.warn("rt", RuntimeWarning)
warnings.warn("fw", FutureWarning)
warnings.warn("pdw", PendingDeprecationWarning)
warnings.simplefilter("always", append=True)
warnings.warn("x")
warnings.simplefilter("always")
for i in range(3):
    warnings.warn("loop")
warnings.warn(3)
""",
}


def torch_warnings(source: str) -> list[tuple[str, str, int]]:
    """The oracle: the program run by CPython and torch as ``__main__`` under Python's
    default filters, what its ``showwarning`` receives."""
    import torch  # noqa: F401  (the oracle imports torch for the program)

    seen: list[tuple[str, str, int]] = []
    with warnings.catch_warnings():
        warnings.resetwarnings()
        for action, category in (("ignore", ResourceWarning), ("ignore", ImportWarning),
                                 ("ignore", PendingDeprecationWarning),
                                 ("ignore", DeprecationWarning)):
            warnings.filterwarnings(action, category=category)
        warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
        warnings.showwarning = lambda message, category, filename, lineno, *rest: \
            seen.append((category.__name__, _TRIGGERED.sub("", str(message)), lineno))
        exec(compile(source, "<program>", "exec"), {"__name__": "__main__"})  # the oracle
    return seen


def ours(source: str, form: str) -> list[tuple[str, str, int]]:
    result = run_program(compile_source(source), Environment(), Limits(),
                         source=source if form == "source" else None)
    assert result.printed == ["None"] * result.printed.count("None")
    if form == "json":
        assert all("line" not in w for w in result.warnings)
        lines = _lines(source)
        return [(w["category"], w["message"], lines[w["pointer"]]) for w in result.warnings]
    return [(w["category"], w["message"], w["line"]) for w in result.warnings]


def _lines(source: str) -> dict[str, int]:
    from app.lang.compiler import compile_source_with_positions

    return {p: line for p, (line, _) in compile_source_with_positions(source)[1].items()}


@pytest.mark.parametrize("form", ["source", "json"])
@pytest.mark.parametrize("name", list(PROGRAMS))
def test_warnings_as_torch_writes_them(name, form):
    expected = torch_warnings(PROGRAMS[name])
    assert expected  # the program warns
    assert ours(PROGRAMS[name], form) == expected


def test_a_run_without_warnings_has_none():
    result = run_program(compile_source("x = 1\nprint(x)"), Environment(), Limits())
    assert result.warnings == []


def test_filters_stay_with_the_session_and_counts_with_the_run(form):
    env = Environment()
    grad = "import torch\ny = torch.ones(2, requires_grad=True) * 2\ny.grad"
    assert len(form(grad, env).warnings) == 1
    assert len(form("y.grad", env).warnings) == 1  # a new run shows it again
    form("import warnings\nwarnings.filterwarnings('ignore', message='The .grad')", env)
    assert form("y.grad", env).warnings == []
    assert len(form("warnings.warn('other')", env).warnings) == 1
    other = Environment()
    assert len(form(grad, other).warnings) == 1  # another session's filters are its own
    form("warnings.resetwarnings()", env)
    assert len(form("y.grad", env).warnings) == 1


def test_a_failing_statement_keeps_the_filters_set_before_it(form):
    env = Environment()
    with pytest.raises(LangError):
        form("import warnings\nwarnings.simplefilter('ignore')\nraise ValueError('x')", env)
    assert form("warnings.warn('quiet')", env).warnings == []


def test_a_warning_in_a_function_of_an_earlier_run_points_at_the_call(form):
    env = Environment()
    form("import warnings\ndef f():\n    warnings.warn('inside')", env)
    result = form("x = 1\nf()", env)
    assert result.warnings[0]["pointer"] == "#/program/1"
    if form.form == "source":
        assert result.warnings[0]["line"] == 2


def test_warnings_are_bounded_in_number_and_size():
    source = "import warnings\nwarnings.simplefilter('always')\nfor i in range(1000):\n" \
             "    warnings.warn('w')"
    result = run_program(compile_source(source), Environment(), Limits())
    assert len(result.warnings) == 100
    huge = "import warnings\nwarnings.warn('x' * 20000)"
    with pytest.raises(LangError) as info:
        run_program(compile_source(huge), Environment(), Limits(max_value_elements=10_000))
    assert info.value.extra["limit"] == "max_value_elements"
    loop = "import warnings\nwarnings.simplefilter('always')\nwhile True:\n    warnings.warn('w')"
    with pytest.raises(LangError) as info:
        run_program(compile_source(loop), Environment(), Limits(max_steps=1000))
    assert info.value.extra["limit"] == "max_steps"


def test_a_warning_message_object_runs_its_str_under_the_run():
    source = """import warnings
class M:
    def __str__(self):
        while True:
            pass
warnings.warn(M())"""
    with pytest.raises(LangError) as info:
        run_program(compile_source(source), Environment(), Limits(max_steps=500))
    assert info.value.extra["limit"] == "max_steps"


def test_an_engine_module_that_bound_warn_by_another_name_reports_to_the_run(monkeypatch):
    """``from warnings import warn`` in a module imported before the wrapper: the run gets
    its warnings all the same (install rebinds such names; a later import reads the wrapper)."""
    import sys
    import types

    from app.lang import run_warnings

    probe = types.ModuleType("engine._warn_alias_probe")
    probe.warn = run_warnings._python_warn
    monkeypatch.setitem(sys.modules, probe.__name__, probe)
    run_warnings.install()
    assert probe.warn is run_warnings._warn and warnings.warn is run_warnings._warn
    assert run_warnings._python_warn is not run_warnings._warn


def test_outside_a_run_python_warns_as_usual():
    with pytest.warns(UserWarning, match="plain"):
        warnings.warn("plain", stacklevel=1)


ANOMALY = """import torch
q = torch.tensor([0.0, 1.0], requires_grad=True)
with torch.autograd.set_detect_anomaly(True):
    r = q.sqrt() * 0
    s = q / r
    try:
        s.sum().backward()
    except RuntimeError as e:
        print(type(e).__name__)
"""


@pytest.mark.parametrize("form", ["source", "json"])
def test_anomaly_traces_show_the_programs_lines_never_the_interpreters(form):
    """Anomaly mode's warning shows the forward call of the failing node as torch does, from
    the program: its statement (source form; the JSON form has no lines to show), never the
    interpreter's or the engine's own frames (server paths)."""
    result = run_program(compile_source(ANOMALY), Environment(), Limits(),
                         source=ANOMALY if form == "source" else None)
    assert result.printed == ["RuntimeError"]
    (w,) = [w for w in result.warnings if "Error detected" in w["message"]]
    head = ("Error detected in DivBackward0. Traceback of forward call that caused the "
            "error:\n")
    trace = '  File "<program>", line 5, in <module>\n    s = q / r\n' if form == "source" \
        else ""
    assert w["message"] == head + trace
    with warnings.catch_warnings(record=True) as seen:  # torch's: the same frame of the file
        warnings.simplefilter("always")
        exec(compile(ANOMALY, "<program>", "exec"), {})
    # (torch's whole Python stack ends with the program's frame; exec'd text has no line)
    theirs = [str(x.message) for x in seen if "Error detected" in str(x.message)]
    assert theirs and theirs[0].startswith(head)
    assert theirs[0].split("\n")[-2] == '  File "<program>", line 5, in <module>'
