"""``vmap`` against a Python loop for every op in the table (its gradcheck samples, batched
over three perturbed copies of their float inputs), ``vmap(grad)`` per-sample gradients, and
the errors torch gives."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import engine
from engine.func import grad, vmap
from tests.engine.samples import SAMPLES
from tests.engine.test_gradcheck import CASES, _call, _diff_positions

vmap_module = sys.modules["engine.func.vmap"]

# families that must run batched (no per-sample fallback) on their samples
MUST_BATCH = {"add", "sub", "mul", "div", "exp", "log", "sin", "tanh", "sigmoid", "relu", "pow",
              "sum", "mean", "amax", "logsumexp", "softmax", "log_softmax", "matmul", "mm",
              "mv", "dot", "reshape", "view", "transpose", "permute", "squeeze", "unsqueeze",
              "cat", "stack", "expand", "flatten", "linear", "where", "clamp", "abs", "sqrt",
              "neg", "cumsum", "t", "narrow", "select"}


def _copies(arrays, n=3):
    rng = np.random.default_rng(5)
    return [np.stack([a + 0.01 * rng.standard_normal(a.shape) * (k > 0) for k in range(n)])
            for a in arrays]


@pytest.mark.parametrize("name,index", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_vmap_matches_a_loop(name, index):
    sample = SAMPLES[name][index]
    pos = _diff_positions(sample)
    arrays = [np.asarray(sample.args[p], dtype=np.float64) for p in pos]
    batched = [engine.tensor(b) for b in _copies(arrays)]

    def f(*ts):
        return tuple(_call(name, sample, pos, list(ts)))

    before = vmap_module.stats["fallbacks"]
    got = vmap(f, randomness="same" if "dropout" in name else "error")(*batched)
    fell_back = vmap_module.stats["fallbacks"] > before
    for k in range(3):
        want = f(*[b[k] for b in batched])
        for g, w in zip(got, want):
            np.testing.assert_allclose(engine.to_numpy(g[k]), engine.to_numpy(w), rtol=1e-12,
                                       atol=1e-12, err_msg=f"sample {k}")
    if name in MUST_BATCH:
        assert not fell_back, f"{name} ran once per sample instead of batched"


def test_per_sample_gradients_run_batched():
    rng = np.random.default_rng(0)
    W = engine.tensor(rng.standard_normal((3, 2)))
    xs = engine.tensor(rng.standard_normal((6, 3)))
    ys = engine.tensor(rng.standard_normal((6, 2)))

    def loss(w, x, y):
        return (((x @ w).tanh() - y) ** 2).mean()

    before = dict(vmap_module.stats)
    got = vmap(grad(loss), in_dims=(None, 0, 0))(W, xs, ys)
    assert vmap_module.stats["fallbacks"] == before["fallbacks"]
    for i in range(6):
        np.testing.assert_allclose(engine.to_numpy(got[i]),
                                   engine.to_numpy(grad(loss)(W, xs[i], ys[i])), rtol=1e-12)


def test_backward_through_vmap_sums_over_the_batch():
    w = engine.randn(3, requires_grad=True)
    xs = engine.randn(5, 3)
    vmap(lambda w, x: (x * w).sin().sum(), in_dims=(None, 0))(w, xs).sum().backward()
    want = ((xs * w.detach()).cos() * xs).sum(0)
    np.testing.assert_allclose(engine.to_numpy(w.grad), engine.to_numpy(want), rtol=1e-5)


def test_vmap_errors_use_torch_texts():
    with pytest.raises(ValueError, match=r"^vmap\(sin, in_dims=0, \.\.\.\)\(<inputs>\): Got "
                                         r"in_dim=0 for an input but the input is of type "
                                         r"<class 'float'>"):
        vmap(engine.sin)(1.0)
    with pytest.raises(ValueError, match=r"got sizes \[2, 3\] for the mapped dimension"):
        vmap(engine.add)(engine.ones(2, 3), engine.ones(3, 3))
    with pytest.raises(RuntimeError, match="^vmap: called random operation while in "
                                           "randomness error mode"):
        vmap(lambda x: engine.randn(3) + x)(engine.ones(2, 3))
    assert vmap(lambda x: engine.randn(3) * 0 + x, randomness="same")(engine.ones(2, 3)).shape \
        == (2, 3)


def test_in_dims_out_dims_and_chunks():
    a = engine.arange(24.0).reshape(2, 3, 4)
    assert vmap(lambda x: x.sum(0), in_dims=2, out_dims=1)(a).shape == (3, 4)
    got = vmap(lambda x: x * 2, chunk_size=2)(a)
    np.testing.assert_array_equal(engine.to_numpy(got), engine.to_numpy(a) * 2)
    nested = vmap(vmap(lambda x: x.max()))(a)
    np.testing.assert_array_equal(engine.to_numpy(nested), engine.to_numpy(a).max(-1))
