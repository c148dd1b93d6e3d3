"""Helpers for the language tests: run a snippet in both forms, skip when an op has not landed."""

from __future__ import annotations

import pytest

import engine
from app.lang import Environment, Limits, RunResult, compile_source, run_program


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
