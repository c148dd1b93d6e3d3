"""engine/ops/special_more.py against torch 2.13 beyond what the differential suite draws:
accuracy on wide grids (NumPy-only implementations against torch's values), the polynomials'
degree rules and edges, zeta's domain and gradient rules, dtypes, errors, and a program."""

from __future__ import annotations

import numpy as np
import pytest

import engine
import engine.special

torch = pytest.importorskip("torch")
from tests.engine.torch_compare import compare  # noqa: E402

rng = np.random.default_rng(41)
WIDE = np.concatenate([rng.uniform(-30, 30, 3000), rng.uniform(0, 3, 2000),
                       10 ** rng.uniform(-20, 2.7, 1000), [0.0, -0.0, np.inf, -np.inf, np.nan,
                                                           1.0, 2.0, -1.0, 700.0, 800.0]])
UNARY = [("modified_bessel_i0", 8), ("modified_bessel_i1", 8), ("modified_bessel_k0", 8),
         ("modified_bessel_k1", 8), ("scaled_modified_bessel_k0", 8),
         ("scaled_modified_bessel_k1", 8), ("spherical_bessel_j0", 2)]


def _ulps(got, want):
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.array_equal(np.isinf(got), np.isinf(want))
    fin = np.isfinite(want)
    with np.errstate(all="ignore"):
        err = np.abs(got[fin] - want[fin]) / np.maximum(np.abs(want[fin]), 1e-300)
    return err.max() / 2.0 ** -52 if err.size else 0.0


@pytest.mark.parametrize("name,ulps", UNARY)
def test_bessel_values_on_a_wide_grid_as_torch(name, ulps):
    want = getattr(torch.special, name)(torch.tensor(WIDE)).numpy()
    got = engine.to_numpy(getattr(engine.special, name)(engine.tensor(WIDE)))
    assert _ulps(got, want) <= ulps


def test_zeta_values_as_torch():
    x = np.concatenate([rng.uniform(1, 12, 800), [1.0, 0.5, 2.0, np.inf, np.nan, 3.0, 2.0, 2.5,
                                                  2.0, 3.0, 4.0]])
    q = np.concatenate([rng.uniform(-6, 20, 800), [1.0, 1.0, 0.0, 1.0, 1.0, -2.0, -2.5, -1.5,
                                                   np.inf, 1e-8, 1e6]])
    want = torch.special.zeta(torch.tensor(x), torch.tensor(q)).numpy()
    got = engine.to_numpy(engine.special.zeta(engine.tensor(x), engine.tensor(q)))
    assert _ulps(got, want) <= 8


POLYS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
         "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
         "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
         "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
         "laguerre_polynomial_l", "legendre_polynomial_p"]


@pytest.mark.parametrize("name", POLYS)
def test_polynomial_values_as_torch(name):
    # (near a root the recurrences differ from torch's fused ones by rounding: the error is
    # measured against the largest value at that degree, as the differential suite allows)
    lo = 0.0 if name.startswith("shifted") else -1.0
    x = np.concatenate([rng.uniform(lo, 1.0, 400), rng.uniform(-3, 3, 100), [lo, 1.0, 0.0]])
    for n in [0, 1, 2, 3, 5, 6, 7, 8, 9, 12, 20, 45]:
        want = getattr(torch.special, name)(torch.tensor(x), n).numpy()
        got = engine.to_numpy(getattr(engine.special, name)(engine.tensor(x), n))
        fin = np.isfinite(want)
        assert np.array_equal(fin, np.isfinite(got)), n
        scale = np.abs(want[fin]).max() if fin.any() else 1.0
        assert np.abs(got[fin] - want[fin]).max() <= 64 * 2.0 ** -52 * scale, n


@pytest.mark.parametrize("name", POLYS)
def test_polynomial_degrees_dtypes_and_errors_as_torch(name):
    def f(*args):
        compare(lambda m, F, leaf: getattr(m.special, name)(*[a(m) if callable(a) else a
                                                             for a in args]), rtol=1e-12)

    f(lambda m: m.tensor([0.5, -0.25]), lambda m: m.tensor([3, 7]))
    f(lambda m: m.tensor([0.5]), 3.0)
    f(0.5, lambda m: m.tensor([3]))
    f(lambda m: m.tensor([1, 2]), 2)
    f(lambda m: m.tensor([0.5], dtype=m.float16), 2)
    f(lambda m: m.tensor([0.5]), lambda m: m.tensor([2.5]))
    f(lambda m: m.tensor([0.5]), -1)
    f(lambda m: m.tensor([0.5], dtype=m.float64), lambda m: m.tensor([3], dtype=m.int32))
    f(lambda m: m.tensor([0.5], dtype=m.float64), lambda m: m.tensor([float("nan")]))
    f(lambda m: m.tensor([1.0, -1.0, 0.0, 1.5, -1.5, 2.0], dtype=m.float64), 4)
    f(lambda m: m.tensor([1.0, -1.0, 0.0, 1.5, -1.5], dtype=m.float64), 9)
    f(lambda m: m.tensor([0.3], dtype=m.float64), 10 ** 6)
    f(lambda m: m.tensor([0.5], requires_grad=True), 3)
    f(0.5, 3)
    f("a", 3)
    f(lambda m: m.tensor([0.5]), "a")


@pytest.mark.parametrize("name", [n for n, _ in UNARY])
def test_bessel_dtypes_and_errors_as_torch(name):
    compare(lambda m, F, leaf: getattr(m.special, name)(m.tensor([1, 2])))
    compare(lambda m, F, leaf: getattr(m.special, name)(m.tensor([True, False])))
    compare(lambda m, F, leaf: getattr(m.special, name)(m.tensor([1.0], dtype=m.float16)))
    compare(lambda m, F, leaf: getattr(m.special, name)(1.0))
    compare(lambda m, F, leaf: getattr(m.special, name)(leaf([0.5, 2.0])), rtol=1e-14)


def test_zeta_gradient_forms_as_torch():
    compare(lambda m, F, leaf: m.special.zeta(leaf([3.0, 2.0]), leaf([1.5, 2.0])))
    compare(lambda m, F, leaf: m.special.zeta(m.tensor([3.0, 2.0], dtype=m.float64),
                                              leaf([1.5, 2.0])), rtol=1e-13)
    compare(lambda m, F, leaf: m.special.zeta(2.5, leaf([1.5, 2.0])), rtol=1e-13)
    compare(lambda m, F, leaf: m.special.zeta(leaf([3.0, 2.0]), 2.5))
    compare(lambda m, F, leaf: m.special.zeta(m.tensor([2, 3]), m.tensor([1, 2])), rtol=1e-6)
    compare(lambda m, F, leaf: m.special.zeta(m.tensor([2.0], dtype=m.float16),
                                              m.tensor([1.0], dtype=m.float16)))
    compare(lambda m, F, leaf: m.special.zeta(2.0, 1.0))

    def second(m, F, leaf):
        x, q = m.tensor([3.0, 2.0], dtype=m.float64), leaf([1.5, 2.0])
        g = m.autograd.grad(m.special.zeta(x, q).sum(), q, create_graph=True)[0]
        return g, m.autograd.grad(g.sum(), q)[0]

    compare(second, rtol=1e-12)


PROGRAM = """
import torch
x = torch.tensor([0.25, 0.5, 2.0], dtype=torch.float64)
q = torch.tensor([1.5, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
z = torch.special.zeta(torch.tensor([2.0, 3.0, 4.0], dtype=torch.float64), q).sum()
z.backward()
v = torch.special.chebyshev_polynomial_t(x, 3) + torch.special.legendre_polynomial_p(x, 4)
v = v + torch.special.modified_bessel_k0(x) + torch.special.scaled_modified_bessel_k1(x)
v = v + torch.special.spherical_bessel_j0(x) + torch.special.hermite_polynomial_h(x, 2)
print(round(z.item(), 12), [round(g, 12) for g in q.grad.tolist()])
print([round(e, 12) for e in v.tolist()])
"""


def test_a_program_reaches_them_through_the_language():
    from tests.app.lang.test_library_end_to_end import ours, torch_prints

    assert ours(PROGRAM) == torch_prints(PROGRAM)
