"""``optim.Rprop`` and ``optim.ASGD`` against torch 2.13: 100-step trajectories from the same
start (float64 to 1e-13, float32 to its rounding), the state torch keeps (ASGD's average
``ax``, ``eta``, ``mu``; Rprop's ``prev`` and ``step_size``), param_groups, reprs, errors."""

from __future__ import annotations

import numpy as np
import pytest

import engine

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(5)
W0, X = RNG.normal(size=(4, 3)), RNG.normal(size=(8, 4))

CASES = [
    ("Rprop", {}), ("Rprop", {"lr": 0.05, "etas": (0.3, 1.7), "step_sizes": (1e-3, 0.2)}),
    ("Rprop", {"maximize": True}),
    ("ASGD", {}), ("ASGD", {"lr": 0.05, "lambd": 1e-2, "alpha": 0.5, "t0": 10}),
    ("ASGD", {"t0": 20, "weight_decay": 0.1, "maximize": True}),
]


def run(lib, name, kwargs, dtype, steps=100):
    w = lib.tensor(W0, dtype=getattr(lib, dtype), requires_grad=True)
    x = lib.tensor(X, dtype=getattr(lib, dtype))
    opt = getattr(lib.optim, name)([w], **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        sign = -1 if kwargs.get("maximize") else 1
        (sign * (x @ w).tanh() ** 2).sum().backward()
        opt.step()
    return w, opt


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", range(len(CASES)), ids=[f"{n}{k}" for n, k in CASES])
def test_trajectory_matches_torch(case, dtype):
    name, kwargs = CASES[case]
    w, opt = run(engine, name, kwargs, dtype)
    tw, topt = run(torch, name, kwargs, dtype)
    tol = 1e-13 if dtype == "float64" else 2e-6
    np.testing.assert_allclose(w.detach().tolist(), tw.detach().tolist(), rtol=tol, atol=tol)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    state, tstate = sd["state"][0], tsd["state"][0]
    assert list(state) == list(tstate)
    for key, value in state.items():
        theirs = tstate[key]
        assert str(value.dtype) == str(theirs.dtype) and tuple(value.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(value.tolist(), theirs.tolist(), rtol=tol * 10, atol=tol)
    assert repr(opt) == repr(topt)


def test_rprop_nan_gradient_and_zero_sign_as_torch():
    out = []
    for lib in (engine, torch):
        p = lib.nn.Parameter(lib.tensor([1.0, 2.0, 3.0, 4.0]))
        opt = lib.optim.Rprop([p])
        for g in ([1.0, -1.0, 0.0, float("nan")], [1.0, 1.0, 2.0, 1.0], [-2.0, 1.0, 0.0, 1.0]):
            p.grad = lib.tensor(g)
            opt.step()
            st = opt.state[p]
            out.append((p.detach().tolist(), st["prev"].tolist(), st["step_size"].tolist()))
    half = len(out) // 2
    assert repr(out[:half]) == repr(out[half:])


def test_errors_are_torchs():
    bad = [("Rprop", {"lr": -1.0}), ("Rprop", {"etas": (1.5, 1.2)}),
           ("Rprop", {"etas": (0.5, 0.9)}), ("ASGD", {"lr": -0.1}),
           ("ASGD", {"weight_decay": -1})]
    for name, kwargs in bad:
        texts = []
        for lib in (engine, torch):
            with pytest.raises(ValueError) as info:
                getattr(lib.optim, name)([lib.nn.Parameter(lib.ones(1))], **kwargs)
            texts.append(str(info.value))
        assert texts[0] == texts[1]
