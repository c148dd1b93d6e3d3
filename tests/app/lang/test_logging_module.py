"""``logging`` as CPython's, per session: what CPython's handlers write to stderr is the run's
printed lines (compared with CPython run in a subprocess, its stderr captured)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.lang import Environment, LangError, compile_source, run_program

from .conftest import our_cells


def cpython_stderr_cells(cells: list[str]) -> list[tuple]:
    """Each cell run by CPython in one fresh process: what it printed and what its log
    handlers wrote to stderr, in order, and its error, as ``our_cells`` reports them."""
    code = """
import io, json, logging, sys
scope = {}
out = []
for cell in json.loads(sys.stdin.read()):
    buf = io.StringIO()
    error = None
    sys.stdout = sys.stderr = buf
    for handler in logging.getLogger().handlers:  # basicConfig's handler keeps its stream
        handler.stream = buf
    try:
        exec(compile(cell, "<cell>", "exec"), scope)
    except Exception as exc:
        error = [type(exc).__name__, str(exc)]
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    out.append([buf.getvalue().splitlines(), error])
sys.stdout.write(json.dumps(out))
"""
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps(cells),
                         capture_output=True, text=True, check=True)
    return [(lines, tuple(error) if error else None) for lines, error in json.loads(out.stdout)]


CELLS = [
    "import logging\nlogging.info('hidden')\nlogging.warning('shown %d', 3)\n"
    "logging.error('e: %s', [1, 2])",
    "log = logging.getLogger('app')\nlog.info('no')\nlog.warning('yes %s', 'w')\n"
    "log.setLevel(logging.DEBUG)\nlog.debug('dbg %.2f', 1.5)\n"
    "print(log.level, log.getEffectiveLevel(), log.isEnabledFor(logging.INFO), log.name)",
    "child = logging.getLogger('app.sub')\nchild.debug('inherited %d', 1)\n"
    "print(child.getEffectiveLevel(), logging.getLogger().level)",
    "logging.basicConfig(level=logging.DEBUG, format='%(name)s|%(levelname)s|%(message)s')\n"
    "logging.debug('ignored: already configured')",
    "logging.basicConfig(level=logging.DEBUG, format='%(name)s|%(levelname)s|%(message)s', "
    "force=True)\nlogging.debug('now %s', 'debug')\nlogging.getLogger('x.y').info('xy')",
    "child.propagate = False\nchild.warning('nowhere')\nprint(logging.getLevelName(20), "
    "logging.getLevelName('ERROR'), logging.WARNING, logging.getLogger() is "
    "logging.getLogger('root'))",
    "logging.getLogger('m').log(logging.ERROR, '%(a)s-%(b)s', {'a': 1, 'b': 2})",
    "logging.getLogger('m').critical('c', stack_info=True)",
    "logging.basicConfig(nonsense=1, force=True)",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_logging_writes_what_cpythons_handlers_write(form):
    ours = our_cells(CELLS, form)
    theirs = cpython_stderr_cells(CELLS)
    assert ours[:-2] == theirs[:-2]
    assert ours[-1] == theirs[-1]  # Unrecognised argument(s): nonsense
    assert ours[-2][1][0] == "NotImplementedError"  # stack_info= is not in the language


def test_unconfigured_loggers_use_the_last_resort(form):
    cells = ["import logging\nlog = logging.getLogger('quiet')\nlog.info('i')\n"
             "log.warning('last resort %d', 1)\nlog.error('e')"]
    assert our_cells(cells, form.form) == cpython_stderr_cells(cells)


def test_logging_is_the_sessions_own(form):
    first, second = Environment(), Environment()
    form("import logging\nlogging.basicConfig(level=logging.DEBUG, format='A:%(message)s')",
         first)
    assert form("import logging\nlogging.debug('x')\nlogging.warning('w')",
                second).printed == ["WARNING:root:w"]
    assert form("logging.debug('x')", first).printed == ["A:x"]


def test_files_and_streams_are_refused(form):
    for kwargs in ("filename='log.txt'", "stream=None"):
        with pytest.raises(LangError, match="not supported"):
            form(f"import logging\nlogging.basicConfig({kwargs})")


def test_asctime_is_formatted_as_cpythons():
    result = run_program(compile_source(
        "import logging\nlogging.basicConfig(format='%(asctime)s %(message)s')\n"
        "logging.warning('t')"), Environment())
    stamp, message = result.printed[0].rsplit(" ", 1)
    assert message == "t"
    import re

    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", stamp)
