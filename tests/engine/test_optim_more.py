"""``optim.NAdam`` and ``optim.RAdam`` against torch 2.13: 100-step trajectories from the same
start (float64 to 1e-13, float32 to its rounding), state and param_groups keys, reprs, errors."""

from __future__ import annotations

import numpy as np
import pytest

import engine

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(47)
W0, X = RNG.normal(size=(4, 3)), RNG.normal(size=(8, 4))

CASES = [
    ("NAdam", {}), ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "momentum_decay": 0.01}),
    ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {}), ("RAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("RAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True, "betas": (0.8, 0.9)}),
]


def run(lib, name, kwargs, dtype, steps=100):
    w = lib.tensor(W0, dtype=getattr(lib, dtype), requires_grad=True)
    x = lib.tensor(X, dtype=getattr(lib, dtype))
    opt = getattr(lib.optim, name)([w], **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        ((x @ w).tanh() ** 2).sum().backward()
        opt.step()
    sd = opt.state_dict()
    return np.array(w.detach().tolist()), sd, opt


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", range(len(CASES)), ids=[f"{n}{k}" for n, k in CASES])
def test_trajectory_matches_torch(case, dtype):
    name, kwargs = CASES[case]
    ours, sd, opt = run(engine, name, kwargs, dtype)
    theirs, tsd, topt = run(torch, name, kwargs, dtype)
    tol = 1e-13 if dtype == "float64" else 2e-6
    np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol)
    assert list(sd["param_groups"][0]) == list(tsd["param_groups"][0])
    assert sd["param_groups"] == tsd["param_groups"]
    assert {k: tuple(v.shape) for k, v in sd["state"][0].items()} == {
        k: tuple(v.shape) for k, v in tsd["state"][0].items()}
    assert float(sd["state"][0]["step"]) == 100.0
    assert repr(opt) == repr(topt)


def test_errors_are_torchs():
    for kwargs in ({"lr": -1.0}, {"eps": -1.0}, {"betas": (1.0, 0.9)}, {"weight_decay": -1},
                   {"momentum_decay": -0.5}):
        texts = []
        for lib in (engine, torch):
            with pytest.raises(ValueError) as info:
                lib.optim.NAdam([lib.nn.Parameter(lib.ones(1))], **kwargs)
            texts.append(str(info.value))
        assert texts[0] == texts[1]
