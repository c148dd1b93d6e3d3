"""``Generator.get_state`` / ``set_state`` and ``torch.get_rng_state`` / ``set_rng_state``:
the state is a uint8 tensor that restores the draws exactly (the generator is the service's,
not torch's MT19937, so the state's size is its own), with torch's checks and texts; in
programs the functions act on the session's generator."""

from __future__ import annotations

import pytest

import engine
from app.lang import Environment, Limits, compile_source, run_program
from engine.random import STATE_BYTES


def test_a_state_restores_the_draws():
    g = engine.Generator().manual_seed(5)
    engine.rand(3, generator=g)  # a state part-way through the stream
    s = g.get_state()
    assert s.dtype is engine.uint8 and s.shape == (STATE_BYTES,) and not s.requires_grad
    a, b = engine.rand(4, generator=g), engine.randn(3, generator=g)
    assert g.set_state(s) is g
    assert engine.equal(a, engine.rand(4, generator=g))
    assert engine.equal(b, engine.randn(3, generator=g))
    fresh = engine.Generator().set_state(s)  # another generator takes it, seed included
    assert fresh.initial_seed() == 5 and engine.equal(a, engine.rand(4, generator=fresh))
    g2 = engine.Generator().manual_seed(5)
    assert engine.equal(g2.get_state(), engine.Generator().manual_seed(5).get_state())


def test_the_global_state():
    engine.manual_seed(11)
    st = engine.get_rng_state()
    x = engine.randn(3)
    assert engine.set_rng_state(st) is None
    assert engine.equal(x, engine.randn(3))


@pytest.mark.parametrize(("make", "kind", "text"), [
    (lambda s: s.float(), TypeError, "RNG state must be a torch.ByteTensor"),
    (lambda s: s[:10], RuntimeError, f"Expected a CPUGeneratorImplState of size {STATE_BYTES} "
                                     "but found the input RNG state size to be 10"),
    (lambda s: [1, 2], TypeError, "expected a torch.ByteTensor, but got list"),
    (lambda s: engine.zeros(STATE_BYTES, dtype=engine.uint8), RuntimeError,
     "Invalid mt19937 state"),
])
def test_wrong_states_are_refused(make, kind, text):
    s = engine.Generator().manual_seed(1).get_state()
    with pytest.raises(kind, match=text.replace("[", r"\[")):
        engine.Generator().set_state(make(s))
    with pytest.raises(kind, match=text.replace("[", r"\[")):
        engine.set_rng_state(make(s))


def test_torch_checks_match():
    torch = pytest.importorskip("torch")
    s = torch.get_rng_state()
    for bad, ours in ((s.float(), engine.get_rng_state().float()),
                      ([1, 2], [1, 2])):
        with pytest.raises(TypeError) as theirs:
            torch.set_rng_state(bad)
        with pytest.raises(TypeError) as mine:
            engine.set_rng_state(ours)
        assert str(mine.value) == str(theirs.value)


def test_programs_save_and_restore_the_sessions_generator():
    source = """
import torch
torch.manual_seed(3)
st = torch.get_rng_state()
x = torch.randn(3)
torch.set_rng_state(st)
print(torch.equal(x, torch.randn(3)), st.dtype, st.dim())
g = torch.Generator().manual_seed(5)
s = g.get_state()
a = torch.rand(2, generator=g)
print(g.set_state(s) is g, torch.equal(a, torch.rand(2, generator=g)))
"""
    for form in ("source", "json"):
        env = Environment()
        program = compile_source(source)
        result = run_program(program, env, Limits(), source=source if form == "source" else None)
        assert result.printed == ["True torch.uint8 1", "True True"]
