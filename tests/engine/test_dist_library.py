"""Library names published programs use (issue 11): torch.compile, the per-session CPU
settings (threads, float32 matmul precision) ... Each program prints what torch 2.13 prints
(run side by side, in both program forms); the refusals name what the service cannot do."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.lang import Environment, Limits, compile_source, run_program
from app.lang.errors import LangError
from tests.app.lang.published import cells_of, run_ours, same_lines

PROGRAMS = Path(__file__).parent / "dist_programs"


def run_torch_apart(path: Path, cwd: Path) -> list[str]:
    """torch's lines for a program, in a process of its own: torch.compile changes torch's
    process-wide state (importing Dynamo turns off the distributions' argument validation),
    and the programs set torch's thread counts and matmul precision."""
    import json
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    code = ("import json, sys\nfrom tests.app.lang.published import cells_of\n"
            "from tests.engine.test_checkpoints import run_torch\n"
            "print(json.dumps(run_torch(cells_of(__import__('pathlib').Path(sys.argv[1])))))")
    done = subprocess.run([sys.executable, "-c", code, str(path)], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env={**__import__("os").environ,
                                                       "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name, n_lines", [("compile", 57), ("utils_checkpoint", 49),
                                           ("amp", 60), ("assert_close", 68)])
def test_program_prints_what_torch_prints(name, n_lines, tmp_path):
    pytest.importorskip("torch")
    path = PROGRAMS / f"{name}.py.txt"
    theirs = run_torch_apart(path, tmp_path)
    cells = cells_of(path)
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


@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_recomputes_with_the_same_random_draws(reentrant):
    """preserve_rng_state (the default): dropout's mask in the recomputation is the
    forward's, so values and gradients are those of the function run plainly."""
    result, _ = _run(f"""import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint
torch.manual_seed(3)
lin = nn.Linear(6, 6)
drop = nn.Dropout(0.5)
x = torch.randn(4, 6, requires_grad=True)
def f(h):
    return drop(lin(h)).tanh()
torch.manual_seed(5)
y1 = f(x)
y1.sum().backward()
g1, gx1 = lin.weight.grad.clone(), x.grad.clone()
lin.zero_grad()
x.grad = None
torch.manual_seed(5)
y2 = checkpoint(f, x, use_reentrant={reentrant})
after = torch.rand(1)
y2.sum().backward()
print(torch.equal(y1, y2), torch.equal(g1, lin.weight.grad), torch.equal(gx1, x.grad))
torch.manual_seed(5)
f(x)
print(torch.equal(after, torch.rand(1)))
""")
    assert result.printed == ["True True True", "True"]


def test_checkpoint_finds_a_recomputation_that_differs():
    err = _error("""import torch
from torch.utils.checkpoint import checkpoint
calls = []
def f(h):
    calls.append(1)
    return (h[:len(calls)] * 2).exp()
x = torch.ones(3, requires_grad=True)
checkpoint(f, x, use_reentrant=False).sum().backward()
""")
    assert err.extra["exception"] == "CheckpointError"
    assert err.detail == (
        "torch.utils.checkpoint: Recomputed values for the following tensors have different "
        "metadata than during the forward pass.\ntensor at position 0:\nsaved metadata: "
        "{'shape': torch.Size([1]), 'dtype': torch.float32, 'device': device(type='cpu')}\n"
        "recomputed metadata: {'shape': torch.Size([2]), 'dtype': torch.float32, 'device': "
        "device(type='cpu')}\n.\n\nTip: To see a more detailed error message, either pass "
        "`debug=True` to\n`torch.utils.checkpoint.checkpoint(...)` or wrap the code block\n"
        "with `with torch.utils.checkpoint.set_checkpoint_debug_enabled(True):` to\nenable "
        "checkpoint\u2011debug mode globally.\n\nIf this error occurs under torch.compile "
        "with automatic_dynamic_shapes enabled,\nit may be because the recomputation selected "
        "a different compiled graph than the\nforward pass (e.g., a dynamic graph instead of "
        "the original static graph).\nTo fix this, either:\n  - Use "
        "torch._dynamo.mark_dynamic() to explicitly mark varying dimensions as\n    dynamic "
        "upfront, avoiding the static-to-dynamic transition.\n  - Call "
        "torch._C._dynamo.eval_frame._set_lru_cache(False) to disable LRU cache\n    "
        "reordering, which can change which graph is checked first between forward\n    and "
        "recompute.\nSee https://github.com/pytorch/pytorch/issues/166926 for more details "
        "and\nworkaround examples.\n")  # torch 2.13's text


@pytest.mark.parametrize("source", [
    "with torch.autocast('cpu'):\n    pass",
    "with torch.amp.autocast(device_type='cpu', dtype=torch.float16):\n    pass",
    "with torch.cpu.amp.autocast():\n    pass",
    "@torch.autocast('cpu')\ndef f(x):\n    return x\nf(1)",
])
def test_enabled_cpu_autocast_is_refused_by_name(source):
    err = _error("import torch\n" + source)
    assert err.extra["exception"] == "NotImplementedError"
    assert "torch.autocast(device_type='cpu') enabled is not supported" in err.detail


@pytest.mark.parametrize("source", ["import torch\ntorch.jit.script(lambda x: x)",
                                    "import torch.jit", "from torch.jit import trace",
                                    "import torch\nm = torch.jit.trace"])
def test_torchscript_is_refused_with_its_reason(source):
    err = _error(source)
    assert "is not supported: TorchScript compiles a program's Python" in err.detail


def test_json_form_reaches_the_names():
    # the canonical form: calls by dotted name, as POST /v1/compile emits them
    program = compile_source("import torch\nf = torch.compile(lambda x: x * 2, backend='eager')\n"
                             "torch.set_num_threads(3)\n"
                             "torch.testing.assert_close(f(torch.ones(2)), torch.full((2,), 2.0))\n"
                             "print(torch.get_num_threads())")
    result = run_program(program, Environment(), Limits())
    assert result.printed == ["3"]


def test_a_compiled_module_survives_a_snapshot():
    from app.services import snapshots

    _, env = _run("import torch\nm = torch.nn.Linear(2, 2)\n"
                  "cm = torch.compile(m, backend='aot_eager')\n")
    restored = Environment()
    snapshots.restore(snapshots.capture(env), restored, Limits())
    result, _ = _run("print(type(cm).__name__, cm._orig_mod is m, cm.weight is m.weight)\n"
                     "print(cm(torch.ones(2, requires_grad=True)).grad_fn.name())", restored)
    assert result.printed == ["OptimizedModule True True", "CompiledFunctionBackward"]


@pytest.mark.parametrize("source", [
    # nesting deeper than Python's stack, compared recursively
    "import torch\na = []\nfor i in range(50000):\n    a = [a]\ntorch.testing.assert_close(a, a)",
    # a checkpointed function that checkpoints itself, without end
    "import torch\nfrom torch.utils.checkpoint import checkpoint\n"
    "def f(x):\n    return checkpoint(f, x, use_reentrant=False)\nf(torch.ones(1))",
    # a compiled function that calls itself compiled, without end
    "import torch\ndef f(x):\n    return g(x)\ng = torch.compile(f)\ng(torch.ones(1))",
])
def test_hostile_use_ends_in_a_limit(source):
    from app.lang.errors import LimitExceeded

    with pytest.raises(LimitExceeded):
        _run(source)
