"""``optim.LBFGS`` against torch 2.13: trajectories with and without the strong-Wolfe line
search (float64 to rounding noise, float32 to its rounding over a few iterations), the number
of closure calls, the global state torch keeps, reprs and errors."""

from __future__ import annotations

import numpy as np
import pytest

import engine

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(11)
W0, X, Y = RNG.normal(size=(4, 3)), RNG.normal(size=(16, 4)), RNG.normal(size=(16, 3))


def fit(lib, dtype, steps, **kwargs):
    """A small regression with a quartic penalty (the line search brackets and zooms)."""
    dt = getattr(lib, dtype)
    w = lib.tensor(W0, dtype=dt, requires_grad=True)
    b = lib.zeros(3, dtype=dt, requires_grad=True)
    x, y = lib.tensor(X, dtype=dt), lib.tensor(Y, dtype=dt)
    opt = lib.optim.LBFGS([w, b], **kwargs)
    calls = []

    def closure():
        calls.append(lib.is_grad_enabled())
        opt.zero_grad()
        loss = (((x @ w + b).tanh() - y) ** 2).mean() + 0.1 * (w ** 4).sum()
        loss.backward()
        return loss

    losses = [opt.step(closure).item() for _ in range(steps)]
    return np.array(w.detach().tolist()), losses, calls, opt


def rosenbrock(lib, **kwargs):
    p = lib.tensor([-1.5, 2.0], dtype=lib.float64, requires_grad=True)
    opt = lib.optim.LBFGS([p], **kwargs)
    evals = []

    def closure():
        opt.zero_grad()
        loss = (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
        loss.backward()
        evals.append(loss.item())
        return loss

    for _ in range(3):
        opt.step(closure)
    return p.detach().tolist(), evals, opt


def state_summary(opt):
    """The state torch keeps, by key: the type and, for lists, their length."""
    state = opt.state_dict()["state"]
    assert list(state) == [0]
    out = {}
    for key, value in state[0].items():
        kind = "Tensor" if type(value).__name__ == "Tensor" else type(value).__name__
        out[key] = (kind, len(value) if isinstance(value, list) else None)
    return out


CASES = [{}, {"line_search_fn": "strong_wolfe"}, {"lr": 0.5, "history_size": 3, "max_iter": 7},
         {"line_search_fn": "strong_wolfe", "history_size": 2, "max_iter": 30,
          "tolerance_grad": 1e-12, "tolerance_change": 1e-14}]


@pytest.mark.parametrize("case", range(len(CASES)), ids=[str(k) for k in CASES])
def test_float64_trajectory_matches_torch(case):
    ours, losses, calls, opt = fit(engine, "float64", 4, **CASES[case])
    theirs, tlosses, tcalls, topt = fit(torch, "float64", 4, **CASES[case])
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(losses, tlosses, rtol=1e-13)
    assert calls == tcalls and all(calls)  # same evaluations, each with grad enabled
    assert state_summary(opt) == state_summary(topt)
    ours_state, their_state = opt.state_dict()["state"][0], topt.state_dict()["state"][0]
    assert ours_state["n_iter"] == their_state["n_iter"]
    assert ours_state["func_evals"] == their_state["func_evals"] == len(calls)
    assert opt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]
    assert repr(opt) == repr(topt)


@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
@pytest.mark.parametrize("max_iter", [3, 8])
def test_float32_iterations_match_torch(line_search, max_iter):
    ours, losses, calls, _ = fit(engine, "float32", 1, max_iter=max_iter,
                                 line_search_fn=line_search)
    theirs, tlosses, tcalls, _ = fit(torch, "float32", 1, max_iter=max_iter,
                                     line_search_fn=line_search)
    np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=2e-6)
    assert losses == tlosses and len(calls) == len(tcalls)


@pytest.mark.parametrize("kwargs", [{"line_search_fn": "strong_wolfe"},
                                    {"line_search_fn": "strong_wolfe", "max_eval": 6},
                                    {"lr": 1e-3, "max_iter": 10}])
def test_rosenbrock_line_search_paths(kwargs):
    """Far from the minimum the search extrapolates, zooms and runs out of evaluations: the
    same number of evaluations at the same points. Along Rosenbrock's curved valley the last
    bits (torch's fused ``add_(alpha=)``, BLAS dot order) grow to ~1e-10 over 50 evaluations."""
    ours, evals, opt = rosenbrock(engine, **kwargs)
    theirs, tevals, topt = rosenbrock(torch, **kwargs)
    assert len(evals) == len(tevals)
    np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(evals, tevals, rtol=1e-8, atol=1e-12)
    assert state_summary(opt) == state_summary(topt)


def quadratic_closure(opt, p, shift=0.0):
    def closure():
        opt.zero_grad()
        loss = ((p - shift) ** 2).sum()
        loss.backward()
        return loss
    return closure


def test_converged_start_returns_without_iterating():
    for lib in (engine, torch):
        p = lib.nn.Parameter(lib.zeros(3))
        opt = lib.optim.LBFGS([p])
        assert opt.step(quadratic_closure(opt, p)).item() == 0.0
        assert opt.state_dict()["state"][0] == {"func_evals": 1, "n_iter": 0}


def hooked_run(lib):
    a, b = lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(2))
    opt = lib.optim.LBFGS([a, b], max_iter=3)
    seen = []
    opt.register_step_pre_hook(lambda o, args, kw: seen.append("pre"))
    opt.register_step_post_hook(lambda o, args, kw: seen.append("post"))
    opt.step(quadratic_closure(opt, a, 3.0))
    return a.detach().tolist(), b.detach().tolist(), seen


def test_missing_grads_count_as_zero_and_hooks_run():
    assert hooked_run(engine) == hooked_run(torch)


def test_errors_are_torchs():
    def texts(make):
        out = []
        for lib in (engine, torch):
            with pytest.raises(Exception) as info:
                make(lib)
            out.append(info.value)
        assert isinstance(out[0], type(out[1])), (out[0], out[1])
        return [str(e) for e in out]

    def p(lib):
        return lib.nn.Parameter(lib.ones(2))

    cases = [
        lambda lib: lib.optim.LBFGS([p(lib)], lr=-1.0),
        lambda lib: lib.optim.LBFGS([p(lib)], lr=lib.tensor([0.1, 0.2])),
        lambda lib: lib.optim.LBFGS([{"params": [p(lib)]}, {"params": [p(lib)]}]),
    ]
    for make in cases:
        ours, theirs = texts(make)
        assert ours == theirs

    def bad_search(lib):
        q = p(lib)
        opt = lib.optim.LBFGS([q], line_search_fn="armijo")
        opt.step(quadratic_closure(opt, q))

    ours, theirs = texts(bad_search)
    assert ours == theirs

    def no_closure(lib):
        lib.optim.LBFGS([p(lib)]).step()

    texts(no_closure)  # a TypeError in both (the texts name different functions)
