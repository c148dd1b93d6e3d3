"""Library names published programs use (issue 11): torch.compile, the per-session CPU
settings (threads, float32 matmul precision) ... Each program prints what torch 2.13 prints
(run side by side, in both program forms); the refusals name what the service cannot do."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.lang import Environment, Limits, compile_source, run_program
from app.lang.errors import LangError
from tests.app.lang.published import cells_of, run_ours, same_lines
from tests.engine.test_checkpoints import run_torch

PROGRAMS = Path(__file__).parent / "dist_programs"


@pytest.mark.parametrize("name, n_lines", [("compile", 57)])
def test_program_prints_what_torch_prints(name, n_lines, tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    cells = cells_of(PROGRAMS / f"{name}.py.txt")
    monkeypatch.chdir(tmp_path)
    threads, precision = torch.get_num_threads(), torch.get_float32_matmul_precision()
    try:
        theirs = run_torch(cells)
    finally:  # the programs set torch's process-wide settings
        torch.set_num_threads(threads)
        torch.set_float32_matmul_precision(precision)
    ours = run_ours(cells)
    assert len(ours) >= n_lines
    difference = same_lines(ours, theirs)
    assert difference is None, (difference, ours, theirs)
    assert same_lines(run_ours(cells, json=True), ours) is None


def _run(source: str, env: Environment | None = None):
    env = env or Environment()
    return run_program(compile_source(source), env, Limits(), source=source), env


def _error(source: str, env: Environment | None = None) -> LangError:
    with pytest.raises(LangError) as info:
        _run(source, env)
    return info.value


def test_cpu_settings_are_the_sessions_own():
    _, one = _run("import torch\ntorch.set_num_threads(5)\ntorch.set_num_interop_threads(3)\n"
                  "torch.set_float32_matmul_precision('high')\n")
    result, other = _run("import torch\nprint(torch.get_num_threads(), "
                         "torch.get_num_interop_threads(), torch.get_float32_matmul_precision())")
    assert result.printed != ["5 3 high"] and result.printed[0].endswith(" highest")
    result, _ = _run("print(torch.get_num_threads(), torch.get_num_interop_threads(), "
                     "torch.get_float32_matmul_precision())", one)
    assert result.printed == ["5 3 high"]
    # once per session, as once per process in torch
    err = _error("torch.set_num_interop_threads(2)", one)
    assert str(err.detail).startswith("Error: cannot set number of interop threads after")
    _run("import torch\ntorch.set_num_interop_threads(2)", other)
    err = _error("torch.set_num_interop_threads(0)", Environment())
    assert err.detail == "set_num_interop_threads expects a positive integer"


def test_cpu_settings_survive_a_snapshot():
    from app.services import snapshots

    _, env = _run("import torch\ntorch.set_num_threads(7)\ntorch.set_num_interop_threads(3)\n"
                  "torch.set_float32_matmul_precision('high')\n")
    restored = Environment()
    snapshots.restore(snapshots.capture(env), restored, Limits())
    assert restored.cpu == env.cpu == (7, 3, True, "high")


def test_medium_matmul_precision_is_refused_by_name():
    err = _error("import torch\ntorch.set_float32_matmul_precision('medium')")
    assert err.extra["exception"] == "NotImplementedError"
    assert "set_float32_matmul_precision('medium') is not supported" in err.detail
    assert "bfloat16" in err.detail


@pytest.mark.parametrize("call, words", [
    ("torch.compile(f, options={'max_autotune': True})", "options={'max_autotune': ...}"),
    ("torch.compile(f, backend='cudagraphs')", "backend='cudagraphs'"),
    ("torch.compile(f, backend=lambda gm, ex: gm)", "torch.fx graphs"),
])
def test_compile_refusals_name_what(call, words):
    err = _error(f"import torch\ndef f(x):\n    return x\n{call}\n")
    assert err.extra["exception"] == "NotImplementedError"
    assert words in err.detail


def test_compile_default_backend_returns_one_compiled_node():
    # inductor (the default): torch's outputs come from one CompiledFunctionBackward node
    # (checked against torch by hand: the side-by-side programs use aot_eager, which makes
    # the same node, because inductor's own compile of the twinned draws fails in tests)
    result, _ = _run("import torch\n@torch.compile\ndef f(x):\n    return x.sin(), x.cos()\n"
                     "x = torch.ones(2, requires_grad=True)\na, b = f(x)\n"
                     "print(a.grad_fn.name(), a.grad_fn is b.grad_fn, f)\n"
                     "print(torch.compile(torch.nn.Linear(1, 1))(torch.ones(1)).grad_fn)")
    assert result.printed[0].startswith("CompiledFunctionBackward True <function f at 0x")
    assert result.printed[1].startswith(
        "<torch.autograd.function.CompiledFunctionBackward object at 0x")
