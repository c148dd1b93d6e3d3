"""``import warnings`` as notebooks use it (``warnings.filterwarnings("ignore")`` at the top of
PyTorch's knowledge-distillation tutorial): the filters and ``warn`` check their arguments as
CPython does and print nothing (warnings go to the reply's ``warnings``, never to ``printed``,
as Python writes them to stderr: ``test_run_warnings.py``); the "error" action, which would
turn warnings into exceptions, is refused."""

from __future__ import annotations

import contextlib
import io
import warnings

import pytest

from app.lang.errors import ProgramError

ACCEPTED = """\
import warnings
from warnings import filterwarnings, simplefilter
warnings.filterwarnings("ignore")
filterwarnings("default", message=".*deprecated.*", category=DeprecationWarning)
simplefilter("once", UserWarning)
warnings.simplefilter("always", category=RuntimeWarning, lineno=3, append=True)
warnings.warn("careful")
warnings.warn("old", DeprecationWarning, stacklevel=2)
warnings.warn(UserWarning("as an instance"))
warnings.resetwarnings()
for bad in ("loud", 3):
    try:
        warnings.filterwarnings(bad)
    except AssertionError as e:
        print(type(e).__name__, e)
for category in (3, ValueError, int):
    try:
        warnings.filterwarnings("ignore", category=category)
    except AssertionError as e:
        print(type(e).__name__, e)
warnings.simplefilter("ignore", 3)
for args in ((3,), ("ignore", "", None, 5), ("ignore", "", None, "", -1)):
    try:
        warnings.filterwarnings(*args)
    except AssertionError as e:
        print(type(e).__name__, e)
for category in (ValueError, 3):
    try:
        warnings.warn("x", category)
    except TypeError as e:
        print(type(e).__name__, e)
print("done")
"""


def cpython_lines(source: str) -> list[str]:
    out = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(out):
        warnings.simplefilter("ignore")
        exec(compile(source, "<program>", "exec"), {"__name__": "__main__"})  # the oracle
    return out.getvalue().splitlines()


def test_filters_and_warn_check_as_cpython_and_print_nothing(form):
    ours = [line for entry in form(ACCEPTED).printed for line in entry.split("\n")]
    assert ours == cpython_lines(ACCEPTED)


def test_the_error_action_is_refused(form):
    for source in ('import warnings\nwarnings.simplefilter("error")',
                   'import warnings\nwarnings.filterwarnings("error", category=UserWarning)'):
        with pytest.raises(ProgramError) as info:
            form(source)
        assert "'error') is not supported" in info.value.detail
        assert info.value.extra["exception"] == "NotImplementedError"


def test_no_path_leads_to_the_real_module(form):
    for source in ("import warnings\nwarnings.filters", "import warnings\nwarnings._showwarnmsg",
                   "import warnings\nwarnings.catch_warnings()._filters"):
        with pytest.raises(Exception) as info:
            form(source)
        assert "not supported" in str(info.value) or "dunder" in str(info.value) or \
            "not allowed" in str(info.value) or "has no attribute" in str(info.value)
