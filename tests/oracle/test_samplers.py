"""The random samplers against torch, beyond what the op-table programs compare (there their
values are random, so only dtypes, shapes, flags, nodes and errors are): on a fixed seed for
each library, the samples' support and moments agree with torch's within bounds that cannot
flake (both libraries' draws are fixed, and the bounds are several standard errors wide), and
the gradients torch defines (zeros through the in-place samplers' nodes) are equal."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402

from .backends import type_name  # noqa: E402

N = 20000
# (method, args, support check, exact mean, exact variance or None)
CASES = {
    "uniform_": (("uniform_", (-2.0, 3.0)), lambda v: (v >= -2) & (v < 3), 0.5, 25 / 12),
    "normal_": (("normal_", (1.5, 0.5)), None, 1.5, 0.25),
    "exponential_": (("exponential_", (2.5,)), lambda v: v >= 0, 0.4, 0.16),
    "log_normal_": (("log_normal_", (0.0, 0.25)), lambda v: v > 0, math.exp(0.25 ** 2 / 2),
                    (math.exp(0.25 ** 2) - 1) * math.exp(0.25 ** 2)),
    "geometric_": (("geometric_", (0.3,)), lambda v: (v >= 1) & (v == np.floor(v)), 1 / 0.3,
                   0.7 / 0.09),
    "random_": (("random_", (-3, 4)), lambda v: (v >= -3) & (v < 4) & (v == np.floor(v)), 0.0,
                4.0),
    "bernoulli_": (("bernoulli_", (0.25,)), lambda v: (v == 0) | (v == 1), 0.25, 0.1875),
}


def _draw(lib, method, args, dtype="float64", n=N):
    lib.manual_seed(1234)
    t = lib.zeros(n, dtype=getattr(lib, dtype))
    getattr(t, method)(*args)
    return np.asarray(t.tolist(), dtype=np.float64)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_support_and_moments_as_torch(name, dtype):
    (method, args), support, mean, var = CASES[name]
    for lib in (engine, torch):
        v = _draw(lib, method, args, dtype)
        if support is not None:
            assert support(v).all(), (lib.__name__, v[~support(v)][:5])
        # 8 standard errors: the fixed draws sit far inside (no flake), a wrong law does not
        assert abs(v.mean() - mean) < 8 * math.sqrt(var / N), (lib.__name__, v.mean(), mean)
        if var is not None:
            assert abs(v.var() - var) < 0.1 * var, (lib.__name__, v.var(), var)


def test_cauchy_quartiles_as_torch():
    for lib in (engine, torch):
        v = _draw(lib, "cauchy_", (1.0, 0.5))
        q1, q2, q3 = np.quantile(v, [0.25, 0.5, 0.75])
        assert abs(q2 - 1.0) < 0.05 and abs(q1 - 0.5) < 0.05 and abs(q3 - 1.5) < 0.05, lib


def test_seeded_draws_repeat():
    for method, args in (("normal_", ()), ("uniform_", ()), ("random_", (0, 100))):
        a, b = _draw(engine, method, args, n=50), _draw(engine, method, args, n=50)
        assert np.array_equal(a, b)


@pytest.mark.parametrize("replacement", [False, True])
def test_multinomial_frequencies_as_torch(replacement):
    p = [0.1, 0.5, 0.0, 0.4]
    for lib in (engine, torch):
        lib.manual_seed(7)
        probs = lib.tensor([p] * 2000, dtype=lib.float64)
        picks = np.asarray(lib.multinomial(probs, 1 if not replacement else 3,
                                           replacement).tolist())
        counts = np.bincount(picks.ravel(), minlength=4) / picks.size
        assert counts[2] == 0, lib  # a zero-probability category is never drawn
        assert np.abs(counts - p).max() < 0.03, (lib, counts)
    for lib in (engine, torch):  # without replacement: distinct categories per row
        lib.manual_seed(7)
        picks = np.asarray(lib.multinomial(lib.tensor([[0.2, 0.3, 0.1, 0.4]] * 50,
                                                      dtype=lib.float64), 4).tolist())
        assert all(sorted(row) == [0, 1, 2, 3] for row in picks), lib


@pytest.mark.parametrize("method,args", [("uniform_", ()), ("normal_", (0.5, 2.0)),
                                         ("exponential_", ()), ("cauchy_", ()),
                                         ("log_normal_", ()), ("geometric_", (0.5,)),
                                         ("random_", (0, 5)), ("bernoulli_", (0.5,))])
def test_gradients_through_in_place_samplers_as_torch(method, args):
    """Sampling into a slice of a non-leaf: the overwritten part gets zero gradient, the rest
    its own; the nodes are torch's."""
    seen = []
    for lib in (engine, torch):
        x = lib.tensor([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]], dtype=lib.float64,
                       requires_grad=True)
        y = x * 3
        out = getattr(y[0], method)(*args)
        w = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64)
        (g,) = lib.autograd.grad((y * w).sum(), x)
        seen.append((type_name(out.grad_fn), type_name(y.grad_fn), g.tolist()))
    assert seen[0] == seen[1]


def test_normal_with_tensor_arguments_has_torch_gradients():
    seen = []
    for lib in (engine, torch):
        m = lib.tensor([0.5, -1.0], dtype=lib.float64, requires_grad=True)
        s = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        r = lib.normal(m, s)
        gm, gs = lib.autograd.grad(r.sum(), (m, s))
        seen.append((type_name(r.grad_fn), gm.tolist(), gs.tolist()))
    assert seen[0] == seen[1]
