"""Helpers for the language tests: run a snippet in both forms, skip when an op has not landed."""

from __future__ import annotations

import builtins
import contextlib
import io

import pytest

import engine
from app.lang import (
    Environment,
    LangError,
    Limits,
    RunResult,
    compile_source,
    parse_source,
    run_program,
)


def missing_ops(*names: str) -> list[str]:
    """Names that are neither in the op table nor (for ``__dunder__`` names) on ``Tensor``."""
    return [n for n in names if (not hasattr(engine.Tensor, n) if n.startswith("__")
                                 else engine.ops.lookup(n) is None)]


def needs_ops(*names: str) -> pytest.MarkDecorator:
    """Skip until the engine has all of ``names`` (ops, or Tensor dunders like __getitem__)."""
    missing = missing_ops(*names)
    return pytest.mark.skipif(bool(missing), reason=f"engine lacks ops {missing}")


def run_source(source: str, env: Environment | None = None,
               limits: Limits | None = None) -> RunResult:
    return run_program(compile_source(source), env if env is not None else Environment(),
                       limits or Limits(), source=source)


@pytest.fixture(params=["source", "json"])
def form(request):
    """Run a snippet through the source form, or through its JSON form without the source."""

    def run(source: str, env: Environment | None = None,
            limits: Limits | None = None) -> RunResult:
        env = env if env is not None else Environment()
        program = compile_source(source)
        if request.param == "source":
            return run_program(program, env, limits or Limits(), source=source)
        return run_program(program, env, limits or Limits())

    run.form = request.param
    return run


def python_cells(cells: list[str], names: dict | None = None) -> list[tuple]:
    """Each cell run by CPython in one namespace (``names`` added to Python's builtins):
    per cell, the printed lines and the error (its type's name, its text) or None."""
    scope: dict = {"__builtins__": {**builtins.__dict__, **(names or {})}}
    out = []
    for cell in cells:
        buf = io.StringIO()
        error = None
        with contextlib.redirect_stdout(buf):
            try:
                exec(compile(cell, "<cell>", "exec"), scope)  # the oracle side only
            except Exception as exc:  # noqa: BLE001  (the error is the result)
                error = (type(exc).__name__, str(exc))
        out.append((buf.getvalue().splitlines(), error))
    return out


def our_cells(cells: list[str], form: str, limits: Limits | None = None) -> list[tuple]:
    """Each cell run by the language in one session, as :func:`python_cells` reports them;
    ``form`` "source" (the text) or "json" (its compiled JSON form without the text)."""
    env = Environment()
    limits = limits or Limits()
    out = []
    for cell in cells:
        try:
            result = run_program(compile_source(cell), env, limits) if form == "json" else \
                run_program(parse_source(cell), env, limits, source=cell)
            out.append((result.printed, None))
        except LangError as exc:
            out.append((exc.extra.get("printed", []), (exc.extra.get("exception"),
                                                       exc.detail)))
    return out
