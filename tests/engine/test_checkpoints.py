"""torch.save / torch.load over the session's virtual file store (app.lang.checkpoints): a
program prints what torch 2.13 prints (torch run in a temporary directory), in both forms;
hostile use gets clean errors; the store is durable (snapshots and replay) and bounded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import engine
from app.lang import Environment, Limits, compile_source, run_program
from app.lang.errors import LangError
from engine import serialization
from tests.app.lang.published import _twinned, cells_of, run_ours, same_lines

PROGRAMS = Path(__file__).parent / "dist_programs"


def run_torch(cells: list[str]) -> list[str]:
    """published.run_torch, with the cells' names in a ``__main__`` module pickle can find
    (torch.save pickles a program's classes and functions by reference)."""
    import ast
    import contextlib
    import io
    import sys
    import types

    main = types.ModuleType("__main__")
    scope = main.__dict__
    buffer = io.StringIO()
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = main
    try:
        with _twinned(), contextlib.redirect_stdout(buffer):
            for cell in cells:
                tree = ast.parse(cell)
                last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) \
                    else None
                exec(compile(tree, "<cell>", "exec"), scope)  # the oracle
                if last is not None:
                    value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), scope)
                    if value is not None:
                        print(repr(value))
    finally:
        sys.modules["__main__"] = saved
    text = buffer.getvalue()
    return (text[:-1] if text.endswith("\n") else text).split("\n")


@pytest.mark.parametrize("name, n_lines", [("checkpoint", 70), ("checkpoint_more", 29),
                                           ("parametrized_type", 5)])
def test_checkpoint_program_prints_what_torch_prints(name, n_lines, tmp_path, monkeypatch):
    pytest.importorskip("torch")
    cells = cells_of(PROGRAMS / f"{name}.py.txt")
    monkeypatch.chdir(tmp_path)
    theirs = run_torch(cells)
    ours = run_ours(cells)
    assert len(ours) >= n_lines
    difference = same_lines(ours, theirs)
    assert difference is None, (difference, ours, theirs)
    assert same_lines(run_ours(cells, json=True), ours) is None


def _run(source: str, env: Environment | None = None, limits: Limits | None = None):
    env = env or Environment()
    return run_program(compile_source(source), env, limits or Limits(), source=source), env


def _error(source: str, limits: Limits | None = None) -> LangError:
    with pytest.raises(LangError) as info:
        _run(source, limits=limits)
    return info.value


def test_nothing_reaches_the_real_file_system(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result, env = _run("import torch, os\nos.makedirs('../../etc', exist_ok=True)\n"
                       "torch.save(torch.ones(2), '../../etc/passwd')\n"
                       "torch.save(1, '/tmp/x.pt') if os.path.isdir('/tmp') else None\n"
                       "[os.listdir('../..'), os.path.exists('/etc/passwd'), "
                       "torch.load('../../etc/passwd').tolist()]")
    assert result.result == [["etc"], False, [1.0, 1.0]]
    assert list(tmp_path.iterdir()) == []
    assert set(env.files.files) == {"../../etc/passwd"}
    assert env.files.dirs == {"../..", "..", "../../etc"}


HOSTILE = {
    "os.system": ("import os\nos.system('ls')\n", "os.system is not supported"),
    "open": ("open('x.pt', 'wb')\n", None),
    "a truncated checkpoint": (
        "import torch, io\nb = io.BytesIO()\ntorch.save(torch.ones(3), b)\n"
        "v = b.getvalue()\ntorch.load(io.BytesIO(v[:30]))\n",
        "not written by torch.save in this service"),
    "a checkpoint cut in its data": (
        "import torch, io\nb = io.BytesIO()\ntorch.save(torch.ones(300), b)\n"
        "v = b.getvalue()\ntorch.load(io.BytesIO(v[:len(v) - 8]))\n",
        "not written by torch.save in this service"),
    "a checkpoint spliced into itself": (
        "import torch, io\nb = io.BytesIO()\ntorch.save([torch.ones(3)], b)\n"
        "v = b.getvalue()\ntorch.load(io.BytesIO(v[:8] + v[16:] + v))\n",
        "not written by torch.save in this service"),
    "a str for a buffer": ("import torch, io\nio.BytesIO('text')\n",
                           "a bytes-like object is required, not 'str'"),
    "a nested list past pickle's recursion": (
        "import torch\nx = []\nfor i in range(2000):\n    x = [x]\ntorch.save(x, 'deep.pt')\n",
        "recursed too deeply"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_programs_get_clean_errors(name):
    source, words = HOSTILE[name]
    if words is None:
        with pytest.raises(LangError):
            compile_source(source)
        return
    err = _error(source)
    assert words in err.detail, err.detail


def test_a_crafted_header_is_refused():
    import orjson
    header = orjson.dumps({"root": {"T": 0, "n": 0}, "storages": [[0, 10**12, "cpu"]],
                           "tensors": [[0, 0, [10**6], [8], "float64", False, False]]})
    blob = serialization.MAGIC + len(header).to_bytes(8, "little") + header + b"\0" * 16
    env = Environment()
    env.files.put("evil.pt", blob)
    with pytest.raises(LangError) as info:
        _run("import torch\ntorch.load('evil.pt')\n", env)
    assert "not written by torch.save" in info.value.detail
    env.files.put("whole.pt", serialization.dumps(None, None, {"whole": 7, "first": "x"}))
    with pytest.raises(LangError) as info:
        _run("import torch\ntorch.load('whole.pt', weights_only=False)\n", env)
    assert "not in this session" in info.value.detail


def test_store_limits():
    limits = Limits(max_store_files=3, max_store_bytes=10_000)
    err = _error("import torch\nfor i in range(5):\n    torch.save(i, f'f{i}.pt')\n", limits)
    assert err.code == "limit_exceeded" and err.extra["limit"] == "max_store_files"
    err = _error("import torch\ntorch.save(torch.zeros(10_000), 'big.pt')\n", limits)
    assert err.code == "limit_exceeded" and err.extra["limit"] == "max_store_bytes"
    # overwriting one file many times stays within the limits
    result, env = _run("import torch\nfor i in range(20):\n    torch.save(torch.zeros(100), "
                       "'same.pt')\nlen(torch.load('same.pt'))", limits=limits)
    assert result.result == 100 and len(env.files.files) == 1


def test_store_counts_in_the_session_memory():
    env = Environment()
    before = env.memory_bytes()
    _run("import torch, io\ntorch.save(torch.zeros(100_000), 'z.pt')\nb = io.BytesIO()\n"
         "torch.save(torch.zeros(50_000), b)\nv = b.getvalue()\n", env)
    assert env.memory_bytes() - before >= 400_000 + 2 * 200_000
    err = _error("import torch\nkeep = []\nfor i in range(40):\n"
                 "    torch.save(torch.zeros(250_000), f'{i}.pt')\n",
                 Limits(max_session_bytes=20_000_000))
    assert err.extra["limit"] == "max_session_bytes"


def test_shared_storage_and_leaves_engine_level():
    base = engine.arange(8.0)
    x = engine.arange(6.0).reshape(2, 3).requires_grad_()
    y = x * 2
    blob = serialization.dumps({"b": base, "v": base[2:6], "x": x, "y": y, "r": x[1]},
                               lambda v: {"g": "?"})
    out = serialization.loads(blob, engine.device, lambda name: None)
    assert out["v"]._base is None and out["y"].is_leaf and out["y"].requires_grad
    out["b"]._data[3] = 100.0
    assert out["v"].tolist() == [2.0, 100.0, 4.0, 5.0]
    assert np.shares_memory(out["x"]._data, out["r"]._data)
    assert not np.shares_memory(out["b"]._data, base._data)
