"""``vmap`` over a program's functions when an op has no batching rule: the engine's
``BatchingError`` travels through the program's frames (no ``except`` of the program sees it) to
``vmap``, which runs the function once per sample, so the program prints what torch prints."""

from __future__ import annotations

import sys

import pytest

from app.lang import Environment, LangError, Limits, compile_source, run_program
from tests.app.helpers import run
from tests.app.test_autodiff_programs import torch_runs

# torch says its own vmap of quantile runs per sample too
pytestmark = pytest.mark.filterwarnings("ignore:There is a performance drop:UserWarning")

CELLS = ["""
import torch
def f(x):
    return torch.median(x) * 2
def g(x):
    try:
        m = torch.median(x)
    except RuntimeError:
        m = torch.zeros(())
    return f(x) + m
xs = torch.tensor([[1., 5., 3.], [4., 2., 6.]], dtype=torch.float64)
print(torch.vmap(f)(xs))
print(torch.func.vmap(g)(xs))
""", """
class Inv:
    def __call__(self, a):
        return torch.inverse(a) @ a.T
eyes = torch.eye(2, dtype=torch.float64).expand(3, 2, 2) * torch.arange(1., 4.).reshape(3, 1, 1)
print(torch.vmap(Inv())(eyes))
print(torch.vmap(lambda a, q: torch.quantile(a, q), in_dims=(0, None))(xs, 0.25))
"""]


@pytest.mark.parametrize("form", ["source", "json"])
def test_vmap_falls_back_per_sample_for_program_functions(client, session_id, form):
    expected, _ = torch_runs(CELLS)
    printed: list[str] = []
    for cell in CELLS:
        body = {"source": cell}
        if form == "json":
            compiled = client.post("/v1/compile", json={"source": cell})
            assert compiled.status_code == 200, compiled.text
            body = {"program": compiled.json()["program"]}
        reply = run(client, session_id, body)
        assert reply.status_code == 200, reply.text
        printed += [line for entry in reply.json()["printed"] for line in entry.split("\n")]
    assert printed == expected


def test_the_fallback_runs_and_a_batched_tensor_kept_past_vmap_is_a_program_error():
    vmap_module = sys.modules["engine.func.vmap"]
    env = Environment()
    before = vmap_module.stats["fallbacks"]
    source = ("kept = []\ndef f(x):\n    kept.append(x)\n    return torch.median(x)\n"
              "print(torch.vmap(f)(torch.tensor([[1., 5., 3.], [4., 2., 6.]])))")
    result = run_program(compile_source(source), env, Limits(), source=source)
    assert result.printed == ["tensor([3., 4.])"]
    assert vmap_module.stats["fallbacks"] == before + 1
    leak = "def g():\n    return kept[0].median()\ng()"
    with pytest.raises(LangError) as info:
        run_program(compile_source(leak), env, Limits(), source=leak)
    assert info.value.extra["exception"] == "RuntimeError"
    assert info.value.extra["location"]["line"] == 2
