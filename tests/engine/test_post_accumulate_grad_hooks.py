"""``Tensor.register_post_accumulate_grad_hook`` as torch 2.13 runs it (the optimizer-step-in-
backward tutorial's mechanism): the hook gets the leaf after its ``.grad`` is accumulated,
after the leaf's gradient hooks; it fires in ``backward`` (also for zero gradients and under
``create_graph``) and never in ``autograd.grad``; it must return None; only leaves that require
grad take one; handles remove it. Each scenario runs on the engine and on torch and prints the
same log."""

from __future__ import annotations

import builtins
import importlib

import numpy as np
import pytest

import engine

torch = pytest.importorskip("torch")


def _values(t) -> list:
    data = t.detach().numpy() if hasattr(t, "detach") else engine.to_numpy(t)
    return np.round(np.asarray(data, dtype=np.float64), 6).tolist()


def scenario_order(m, log):
    x = m.ones(2, requires_grad=True)
    x.register_hook(lambda g: log.append(("pre", _values(g))) or g * 10)
    h = x.register_post_accumulate_grad_hook(lambda p: log.append(("post", _values(p.grad))))
    x.register_post_accumulate_grad_hook(lambda p: log.append(("post2", p is x)))
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    h.remove()
    (x * 1).sum().backward()
    log.append(("grad", _values(x.grad)))


def scenario_grad_does_not_fire(m, log):
    x = m.ones(3, requires_grad=True)
    x.register_post_accumulate_grad_hook(lambda p: log.append("post"))
    (g,) = m.autograd.grad((x * 2).sum(), x)
    log.append(("grad", _values(g), x.grad is None))
    (x * 0).sum().backward()
    log.append(("zeros", _values(x.grad)))


def scenario_create_graph(m, log):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    x.register_post_accumulate_grad_hook(
        lambda p: log.append(("post", _values(p.grad), p.grad.requires_grad)))
    (x ** 3).sum().backward(create_graph=True)
    x.grad = None


def scenario_step_in_backward(m, log):
    lin = [m.tensor([[0.5, -0.25], [0.125, 1.0]], requires_grad=True),
           m.tensor([0.1, -0.2], requires_grad=True)]
    opts = {id(p): m.optim.SGD([p], lr=0.1, momentum=0.9) for p in lin}

    def step(p):
        opts[id(p)].step()
        opts[id(p)].zero_grad()

    for p in lin:
        p.register_post_accumulate_grad_hook(step)
    x = m.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    for _ in range(4):
        ((x @ lin[0].T + lin[1]) ** 2).mean().backward()
    log.append(("w", _values(lin[0]), _values(lin[1]), lin[0].grad is None))


def scenario_partial_inputs(m, log):
    a = m.ones(2, requires_grad=True)
    b = m.ones(2, requires_grad=True)
    a.register_post_accumulate_grad_hook(lambda p: log.append("a"))
    b.register_post_accumulate_grad_hook(lambda p: log.append("b"))
    (a * b).sum().backward(inputs=[b])
    log.append((a.grad is None, _values(b.grad)))


SCENARIOS = [scenario_order, scenario_grad_does_not_fire, scenario_create_graph,
             scenario_step_in_backward, scenario_partial_inputs]


class _EngineModule:
    """``torch``-shaped access to the engine for the scenarios."""

    def __getattr__(self, name):
        if name == "optim":
            return importlib.import_module("engine.optim")
        return getattr(engine, name)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_the_hooks_run_as_torchs(scenario):
    ours, theirs = [], []
    scenario(_EngineModule(), ours)
    scenario(torch, theirs)
    assert ours == theirs


def _failure(m, make):
    try:
        make(m)
    except Exception as exc:  # noqa: BLE001 - the class and text are compared
        kind = next(c.__name__ for c in type(exc).__mro__ if getattr(builtins, c.__name__, None)
                    is c)  # the engine's errors are RuntimeError / TypeError subclasses
        return kind, str(exc)
    return None


@pytest.mark.parametrize("make", [
    lambda m: m.ones(2).register_post_accumulate_grad_hook(lambda p: None),
    lambda m: (m.ones(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(
        lambda p: None),
], ids=["no grad", "non-leaf"])
def test_registration_errors_are_torchs(make):
    assert _failure(engine, make) == _failure(torch, make)


@pytest.mark.parametrize("value", ["zeros", "text"])
def test_a_hook_must_return_none(value):
    def make(m):
        x = m.ones(2, requires_grad=True)
        x.register_post_accumulate_grad_hook(
            lambda p: m.zeros(2) if value == "zeros" else "a")
        (x * 3).sum().backward()

    ours, theirs = _failure(engine, make), _failure(torch, make)
    assert ours is not None and ours == theirs


def test_a_session_holding_a_hooked_leaf_is_rebuilt_by_replay_not_by_snapshot():
    """A snapshot stores tensors' bytes: a leaf carrying a hook cannot be stored that way
    (the hook is a program's function), so the session is rebuilt by replaying its runs."""
    from app.lang import Environment, Limits, compile_source, run_program
    from app.services.snapshots import NotPlain, capture

    env = Environment()
    run_program(compile_source("import torch\nw = torch.ones(2, requires_grad=True)"), env,
                Limits())
    capture(env)  # plain so far
    run_program(compile_source("w.register_post_accumulate_grad_hook(lambda p: None)\nx = 1"),
                env, Limits())
    with pytest.raises(NotPlain):
        capture(env)
