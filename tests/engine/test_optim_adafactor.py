"""``optim.Adafactor`` against torch 2.13: trajectories of a matrix, a vector and a 3-d
parameter from the same start (float64 to 1e-12, float32 to its rounding), the factored state's
shapes and values, param_groups, repr, errors, a tensor lr, closures."""

from __future__ import annotations

import numpy as np
import pytest

import engine

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(53)
STARTS = [RNG.normal(size=s) for s in ((4, 3), (3,), (2, 3, 5))]
X = RNG.normal(size=(6, 4))

CASES = [
    {}, {"lr": 0.1}, {"lr": 0.5, "weight_decay": 0.1, "maximize": True},
    {"beta2_decay": -0.5, "eps": (1e-20, 1e-2), "d": 2.0}, {"eps": (1e-3, 1e-3)},
]


def run(lib, kwargs, dtype, steps=30):
    dt = getattr(lib, dtype)
    ps = [lib.tensor(s, dtype=dt, requires_grad=True) for s in STARTS]
    x = lib.tensor(X, dtype=dt)
    opt = lib.optim.Adafactor(ps, **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((x @ ps[0] + ps[1]).tanh() ** 2).sum() + (ps[2] ** 2).sum() * 0.5 \
            + ps[2].sin().sum()
        loss.backward()
        opt.step()
    return [np.array(p.detach().tolist()) for p in ps], opt.state_dict(), opt


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", range(len(CASES)), ids=[str(k) for k in CASES])
def test_trajectory_matches_torch(case, dtype):
    kwargs = CASES[case]
    ours, sd, opt = run(engine, kwargs, dtype)
    theirs, tsd, topt = run(torch, kwargs, dtype)
    tol = 1e-12 if dtype == "float64" else 1e-5
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    assert sd["param_groups"] == tsd["param_groups"]
    for index in range(3):
        mine, real = sd["state"][index], tsd["state"][index]
        assert list(mine) == list(real)  # step, then row_var/col_var or variance
        for key in real:
            assert tuple(mine[key].shape) == tuple(real[key].shape), key
            assert mine[key].dtype.__repr__() == repr(real[key].dtype), key
            np.testing.assert_allclose(np.array(mine[key].tolist()),
                                       np.array(real[key].tolist()), rtol=tol * 10, atol=tol)
    assert float(sd["state"][0]["step"]) == 30.0
    assert repr(opt) == repr(topt)


def test_given_gradients_give_torchs_float32_state_bits():
    """With the same gradients (no loss in between), the factored float32 state is torch's to
    the bit (the engine's norm along a row can differ from torch's by an ulp: not tested)."""
    grads = [RNG.normal(size=s).astype(np.float32) for s in ((1, 3), (5,))]
    states = []
    for lib in (engine, torch):
        ps = [lib.zeros(g.shape, requires_grad=True) for g in grads]
        opt = lib.optim.Adafactor(ps, lr=0.1)
        for p, g in zip(ps, grads):
            p.grad = lib.tensor(g)
        opt.step()
        states.append([{k: np.array(v.tolist(), dtype=np.float32) for k, v in s.items()}
                       for s in opt.state_dict()["state"].values()])
    for mine, real in zip(*states):
        for key in real:
            assert np.array_equal(mine[key], real[key]), key


def test_tensor_lr_and_closure():
    results = []
    for lib in (engine, torch):
        w = lib.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=lib.float64, requires_grad=True)
        opt = lib.optim.Adafactor([w], lr=lib.tensor(0.05))

        def closure(opt=opt, w=w):
            opt.zero_grad()
            loss = (w ** 4).sum()
            loss.backward()
            return loss

        losses = [opt.step(closure).item() for _ in range(5)]
        results.append((losses, w.detach().tolist()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_errors_are_torchs():
    for kwargs in ({"lr": -1.0}, {"beta2_decay": 0.5}, {"eps": (-1.0, 1e-3)},
                   {"eps": (None, -1.0)}, {"d": 0.5}, {"weight_decay": -1.0}):
        texts = []
        for lib in (engine, torch):
            with pytest.raises(ValueError) as info:
                lib.optim.Adafactor([lib.nn.Parameter(lib.ones(1))], **kwargs)
            texts.append(str(info.value))
        assert texts[0] == texts[1]
    texts = []
    for lib in (engine, torch):
        with pytest.raises(ValueError) as info:
            lib.optim.Adafactor([lib.nn.Parameter(lib.ones(1))], lr=lib.tensor([0.1, 0.2]))
        texts.append(str(info.value))
    assert texts[0] == texts[1]
