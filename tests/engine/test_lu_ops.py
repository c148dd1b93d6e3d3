"""The LU family (engine/ops/lu.py) against torch 2.13: linalg.lu_factor(_ex), linalg.lu,
lu_unpack, linalg.lu_solve and the deprecated lu / lu_solve: values (pivots, L, U bitwise
from the getrf model), node chains, gradients, warnings and error texts."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("torch")
import torch  # noqa: E402

import engine  # noqa: E402
from tests.engine.torch_compare import compare  # noqa: E402

rng = np.random.default_rng(3)
A = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 10.0]]
S = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]
W = rng.uniform(-2, 2, (3, 5))
T = rng.uniform(-2, 2, (5, 3))
Bt = rng.uniform(-2, 2, (2, 3, 3))
R = rng.uniform(-2, 2, (3, 2))
R4 = rng.uniform(-2, 2, (4, 3, 2))


def lf(m, a):
    return m.linalg.lu_factor(a)


CASES = [
    lambda m, F, leaf: m.linalg.lu_factor(leaf(A)),
    lambda m, F, leaf: m.linalg.lu_factor_ex(leaf(A)),
    lambda m, F, leaf: m.linalg.lu_factor_ex(leaf(W)),
    lambda m, F, leaf: m.linalg.lu_factor_ex(leaf(T)),
    lambda m, F, leaf: m.linalg.lu_factor_ex(leaf(Bt)),
    lambda m, F, leaf: m.linalg.lu_factor_ex(leaf(Bt).mT),
    lambda m, F, leaf: m.linalg.lu_factor_ex(m.tensor(S)),
    lambda m, F, leaf: m.linalg.lu_factor_ex(m.tensor(S), check_errors=True),
    lambda m, F, leaf: m.linalg.lu_factor(m.tensor(S)),
    lambda m, F, leaf: m.linalg.lu_factor(m.stack([m.tensor(A), m.tensor(S)])),
    lambda m, F, leaf: m.linalg.lu_factor(m.ones(3)),
    lambda m, F, leaf: m.linalg.lu_factor_ex(m.ones(3, 3, dtype=m.int64)),
    lambda m, F, leaf: m.linalg.lu_factor(m.ones(3, 3, dtype=m.float16)),
    lambda m, F, leaf: m.linalg.lu_factor(leaf(A), pivot=False),
    lambda m, F, leaf: m.linalg.lu_factor(m.ones(0, 3)),
    lambda m, F, leaf: m.linalg.lu_factor(m.ones(2, 3)),
    lambda m, F, leaf: m.linalg.lu(leaf(A)),
    lambda m, F, leaf: m.linalg.lu(leaf(W)),
    lambda m, F, leaf: m.linalg.lu(leaf(T)),
    lambda m, F, leaf: m.linalg.lu(leaf(Bt)),
    lambda m, F, leaf: m.linalg.lu(m.tensor(S)),
    lambda m, F, leaf: m.linalg.lu(m.ones(2, 0, 3)),
    lambda m, F, leaf: m.linalg.lu(m.ones(3)),
    lambda m, F, leaf: m.linalg.lu(m.ones(3, 3, dtype=m.int64)),
    lambda m, F, leaf: m.linalg.lu(leaf(A), pivot=False),
    lambda m, F, leaf: m.linalg.lu(leaf(A))[1:],
    lambda m, F, leaf: m.linalg.lu(leaf(W)).U,
    lambda m, F, leaf: m.linalg.lu(leaf(T)).L,
    lambda m, F, leaf: m.linalg.lu(leaf(W)).L,
    lambda m, F, leaf: m.linalg.lu(leaf(T)).U,
    lambda m, F, leaf: m.lu_unpack(*lf(m, leaf(A))),
    lambda m, F, leaf: m.lu_unpack(*lf(m, leaf(W))),
    lambda m, F, leaf: m.lu_unpack(*lf(m, leaf(T))),
    lambda m, F, leaf: m.lu_unpack(*lf(m, leaf(T)))[2],
    lambda m, F, leaf: m.lu_unpack(*lf(m, leaf(W)))[2],
    lambda m, F, leaf: m.lu_unpack(*lf(m, leaf(Bt))),
    lambda m, F, leaf: m.lu_unpack(*lf(m, leaf(A)), unpack_data=False),
    lambda m, F, leaf: m.lu_unpack(*lf(m, leaf(A)), unpack_pivots=False),
    lambda m, F, leaf: m.lu_unpack(lf(m, leaf(A))[0], lf(m, leaf(A))[1].long()),
    lambda m, F, leaf: m.lu_unpack(lf(m, leaf(A))[0], lf(m, leaf(A))[1] + 5),
    lambda m, F, leaf: m.lu_unpack(lf(m, leaf(A))[0][0], lf(m, leaf(A))[1]),
    lambda m, F, leaf: m.lu_unpack(m.ones(3, 3, dtype=m.int32), m.tensor([3, 3, 3], dtype=m.int32)),
    lambda m, F, leaf: m.linalg.lu_solve(*lf(m, leaf(A)), leaf(R)),
    lambda m, F, leaf: m.linalg.lu_solve(*lf(m, leaf(A)), leaf(R), adjoint=True),
    lambda m, F, leaf: m.linalg.lu_solve(*lf(m, leaf(A)), leaf(R).mT, left=False),
    lambda m, F, leaf: m.linalg.lu_solve(*lf(m, leaf(A)), leaf(R).mT, left=False, adjoint=True),
    lambda m, F, leaf: m.linalg.lu_solve(*lf(m, leaf(Bt)), leaf(R4[:2])),
    lambda m, F, leaf: m.linalg.lu_solve(*lf(m, leaf(A)), leaf(R4)),
    lambda m, F, leaf: m.linalg.lu_solve(*lf(m, leaf(A)), m.ones(2, 2)),
    lambda m, F, leaf: m.linalg.lu_solve(*lf(m, leaf(A)), m.ones(2, 2), left=False),
    lambda m, F, leaf: m.linalg.lu_solve(*lf(m, leaf(A)), m.ones(3)),
    lambda m, F, leaf: m.linalg.lu_solve(*lf(m, leaf(A)), m.ones(3, 2)),
    lambda m, F, leaf: m.linalg.lu_solve(lf(m, leaf(A))[0], lf(m, leaf(A))[1].long(), leaf(R)),
    lambda m, F, leaf: m.linalg.lu_solve(lf(m, leaf(A))[0], lf(m, leaf(A))[1][:2], leaf(R)),
    lambda m, F, leaf: m.linalg.lu_solve(
        lf(m, leaf(A))[0].expand(2, 3, 3), lf(m, leaf(A))[1], leaf(R)
    ),
    lambda m, F, leaf: m.linalg.lu_solve(lf(m, leaf(A))[0], lf(m, leaf(A))[1] * 5, leaf(R)),
    lambda m, F, leaf: m.linalg.lu_solve(
        lf(m, leaf(W[:, :3]))[0][:2], lf(m, leaf(A))[1][:2], leaf(R)
    ),
    lambda m, F, leaf: m.lu_solve(leaf(R), *lf(m, leaf(A))),
    lambda m, F, leaf: m.lu_solve(m.ones(3), *lf(m, leaf(A))),
    lambda m, F, leaf: m.lu(leaf(A)),
    lambda m, F, leaf: m.lu(leaf(A), get_infos=True),
    lambda m, F, leaf: m.lu(m.tensor([[1.0, 2.0], [2.0, 4.0]])),
    lambda m, F, leaf: leaf(A).lu(),
    lambda m, F, leaf: leaf(R).lu_solve(*lf(m, leaf(A))),
    lambda m, F, leaf: m.linalg.lu_factor(m.tensor([[float("inf"), 1.0], [1.0, 1.0]])),
]


@pytest.mark.parametrize("k", range(len(CASES)))
def test_lu_family_as_torch(k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(CASES[k])


def test_factors_bitwise_as_torch():
    """Pivots, L and U equal torch's bit for bit (MKL's getrf order) on random matrices."""
    gen = np.random.default_rng(11)
    for trial in range(200):
        m, n = (int(x) for x in gen.integers(1, 9, size=2))
        dt = (np.float32, np.float64)[trial % 2]
        a = (
            gen.standard_normal((2, m, n)) if trial % 3 else gen.integers(-3, 4, size=(2, m, n))
        ).astype(dt)
        P, L, U = torch.linalg.lu(torch.from_numpy(a.copy()))
        ours = engine.linalg.lu(engine.from_numpy(a.copy()))
        for x, y in zip(ours, (P, L, U), strict=True):
            assert np.array_equal(engine.to_numpy(x), y.numpy())
            assert np.array_equal(np.signbit(engine.to_numpy(x)), np.signbit(y.numpy()))
        lu, piv, info = torch.linalg.lu_factor_ex(torch.from_numpy(a.copy()))
        e = engine.linalg.lu_factor_ex(engine.from_numpy(a.copy()))
        assert np.array_equal(engine.to_numpy(e.pivots), piv.numpy())
        assert np.array_equal(engine.to_numpy(e.info), info.numpy())


def test_deprecation_warnings_as_torch():
    """torch warns once per process (C++ TORCH_WARN_ONCE): its texts come from a fresh one."""
    import json
    import subprocess
    import sys

    script = (
        "import json, warnings, torch\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    LU, piv = torch.lu(torch.tensor([[2.0, 1.0], [1.0, 3.0]]))\n"
        "    torch.lu_solve(torch.ones(2, 1), LU, piv)\n"
        "print(json.dumps([str(w.message) for w in caught]))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout
    theirs = [t.split(" (Triggered internally")[0] for t in json.loads(out)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LU, piv = engine.lu(engine.tensor([[2.0, 1.0], [1.0, 3.0]]))
        engine.lu_solve(engine.ones(2, 1), LU, piv)
    assert [str(w.message) for w in caught] == theirs
