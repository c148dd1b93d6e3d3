"""Runs from worker threads: modes, generators and limits stay inside each session's run."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import engine
from app.lang import Environment, Limits, compile_source, run_program
from app.lang import builtins as bi

from .conftest import needs_ops


def test_sessions_in_parallel_threads_keep_their_own_grad_mode(monkeypatch):
    monkeypatch.setitem(bi.BUILTINS, "probe_grad", lambda rs: engine.is_grad_enabled())
    program = compile_source("seen = []\nfor i in range(200):\n"
                             "    seen.append(probe_grad())\nseen")
    off = compile_source("seen = []\nwith torch.no_grad():\n    for i in range(200):\n"
                         "        seen.append(probe_grad())\nseen")
    envs = [Environment() for _ in range(8)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(
            lambda i: run_program(program if i % 2 else off, envs[i], Limits()).result,
            range(8)))
    for i, seen in enumerate(results):
        assert set(seen) == {bool(i % 2)}
    assert engine.is_grad_enabled() is True


@needs_ops("randn")
def test_each_session_draws_from_its_own_generator():
    program = compile_source("out = []\nfor i in range(50):\n"
                             "    out.append(torch.randn(1).item())\nout")
    envs = [Environment() for _ in range(4)]
    for env in envs:
        env.generator.manual_seed(123)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda env: run_program(program, env, Limits()).result, envs))
    assert all(r == results[0] for r in results)


@needs_ops("zeros")
def test_element_limit_is_per_run():
    small, big = Limits(max_tensor_elements=10), Limits(max_tensor_elements=10**6)
    program = compile_source("torch.zeros(1000).shape[0]")
    env = Environment()
    from app.lang import LimitExceeded

    try:
        run_program(program, env, small)
        raised = False
    except LimitExceeded:
        raised = True
    assert raised
    assert run_program(program, env, big).result == 1000


@needs_ops("ones")
def test_memory_bytes_counts_variables_grads_and_saved_buffers():
    env = Environment()
    run_program(compile_source("w = torch.ones(1000, requires_grad=True)"), env)
    alone = env.memory_bytes()
    assert alone >= 4000
    run_program(compile_source("y = (w * w).sum()\ny.backward(retain_graph=True)"), env)
    assert env.memory_bytes() >= alone + 4000  # w.grad (and w saved by the mul node)
    run_program(compile_source("w.grad = None\ny = None"), env)
    assert env.memory_bytes() == alone


def test_recursion_and_deep_expressions_are_safe_in_worker_threads():
    from app.lang import LimitExceeded

    deep = "1" + " + 1" * 80  # an 80-deep expression, within max_nesting_depth
    program = compile_source(f"def f(n):\n    return f(n + 1) + {deep}\nf(0)")
    limits = Limits(max_recursion_depth=200)

    def attempt(_):
        try:
            run_program(program, Environment(), limits)
        except LimitExceeded as exc:
            return exc.extra["limit"]
        return None

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(attempt, range(4))) == ["max_recursion_depth"] * 4
