"""``torch.linalg.lstsq`` per driver against torch 2.13: ``rcond`` as each CPU driver uses it
(gelsy: incremental condition estimation of an unpivoted QR; gelsd/gelss: singular values;
gels: not at all), gels's rank error, the outputs each driver fills, a vector ``b``'s
residuals and the gradients.

torch's gelsy pivots on an uninitialized array (engine/ops/lstsq_drivers.py), so a batch's
first matrix is not compared where the pivoting can matter: those cases put the matrix under
test second in a batch, where torch's answer is deterministic."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402
from tests.engine.test_device_seam import fake_cuda  # noqa: E402,F401 (a fixture)
from tests.engine.torch_compare import compare  # noqa: E402


def _deficient(rng, m, n, noise):
    """A random ``(m, n)`` matrix whose last column nearly repeats a mix of the first two."""
    a = rng.standard_normal((m, n))
    if n > 2:
        a[:, -1] = a[:, 0] - 0.3 * a[:, 1] + noise * rng.standard_normal(m)
    return a


def _gelsy_cases():
    rng = np.random.default_rng(15)
    cases = []
    for k in range(60):
        m, n = [(5, 3), (3, 5), (6, 6), (7, 4), (2, 6), (4, 4)][k % 6]
        dtype = ("float64", "float32")[k % 2]
        rcond = (0.5, 0.1, 1e-2, 1e-4, 0.9, None)[k // 6 % 6]
        a = _deficient(rng, m, n, (1e-1, 1e-2, 1e-3)[k % 3])
        if k % 7 == 0:
            a[:, k % n] = 0
        b = rng.standard_normal((m, 1 + k % 3))
        cases.append((a, b, dtype, rcond))
    return cases


@pytest.mark.parametrize("k", range(60))
def test_gelsy_rank_and_solution_as_torch(k):
    a, b, dtype, rcond = _gelsy_cases()[k]
    got = []
    for lib in (engine, torch):
        dt = getattr(lib, dtype)
        A = lib.stack([lib.ones(a.shape, dtype=dt), lib.tensor(a, dtype=dt)])
        B = lib.stack([lib.tensor(b, dtype=dt)] * 2)
        out = lib.linalg.lstsq(A, B, rcond=rcond, driver="gelsy")
        got.append([np.asarray(x[1].tolist() if x.numel() else []) for x in out])
    (x, res, rank, sv), (tx, tres, trank, tsv) = got
    assert rank == trank and res.size == tres.size == 0 and sv.size == tsv.size == 0
    tol = (2e-4 if dtype == "float32" else 1e-10) * max(1.0, np.abs(tx).max())
    np.testing.assert_allclose(x, tx, rtol=0, atol=tol)


def test_gelsy_is_not_the_svds_truncation():
    """Issue 10's case: a rank cut by ``rcond`` keeps R12's coupling; the engine used to
    answer with gelsd's solution (same rank, another solution)."""
    rng = np.random.default_rng(10)
    a = _deficient(rng, 5, 3, 0.05)
    b = rng.standard_normal((5, 2))
    ours = engine.linalg.lstsq(engine.tensor(a), engine.tensor(b), rcond=0.2)
    svd = engine.linalg.lstsq(engine.tensor(a), engine.tensor(b), rcond=0.2, driver="gelsd")
    theirs = torch.linalg.lstsq(torch.tensor(np.stack([np.eye(5, 3), a])),
                                torch.tensor(np.stack([b, b])), rcond=0.2)
    assert int(ours.rank) == int(theirs.rank[1]) == int(svd.rank) == 2
    np.testing.assert_allclose(engine.to_numpy(ours.solution), theirs.solution[1].numpy(),
                               rtol=1e-10, atol=1e-12)
    assert np.abs(engine.to_numpy(ours.solution) - engine.to_numpy(svd.solution)).max() > 1e-3


@pytest.mark.parametrize("driver", ["gelsd", "gelss"])
@pytest.mark.parametrize("rcond", [None, 0.5, 1e-2, -1.0])
def test_svd_drivers_cut_at_rcond_as_torch(driver, rcond):
    rng = np.random.default_rng(3)
    a, b = _deficient(rng, 6, 4, 1e-2), rng.standard_normal((6, 2))

    def case(m, F, leaf):
        return m.linalg.lstsq(leaf(a), leaf(b), rcond=rcond, driver=driver)

    compare(case, grads=False)  # (the gradient, pinv's, is another test's)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6)])
@pytest.mark.parametrize("rcond", [None, 0.5])
def test_gels_ignores_rcond_as_torch(shape, rcond):
    rng = np.random.default_rng(4)
    a, b = _deficient(rng, *shape, 1e-2), rng.standard_normal((shape[0], 2))

    def case(m, F, leaf):
        return m.linalg.lstsq(leaf(a), leaf(b), rcond=rcond, driver="gels")

    compare(case)


@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("shape", [(3, 2), (2, 3)])
def test_gels_on_a_rank_deficient_matrix_raises_as_torch(batched, shape):
    """gels raises where the triangular factor has an exactly zero diagonal element. For a
    matrix of ones that zero is a rounding residue or not by the CPU: MKL's QR on the AMD
    EPYC leaves exactly 0 (torch raises), on the Intel Xeon -3.1e-17, as NumPy's QR there (no
    error: torch divides residues by it, [3e-16, 1.0] for the 3 x 2 case, a value the engine
    does not reproduce: MKL's ormqr/trsm rounding). So the engine must raise exactly where
    torch does, asked live, and its answer is compared where torch raises."""
    a = np.ones(shape)
    if batched:
        a = np.stack([np.eye(*shape), a])

    def case(m, F, leaf):
        b = m.ones(a.shape[:-1] + (1,), dtype=m.float64)
        return m.linalg.lstsq(m.tensor(a), b, driver="gels")

    try:
        case(torch, None, None)
    except RuntimeError:
        ours = compare(case)
        assert isinstance(ours.error, engine.linalg.LinAlgError)
    else:
        out = case(engine, None, None)  # (no error here either)
        assert tuple(out.solution.shape) == a.shape[:-2] + (a.shape[-1], 1)


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize("rcond", [None, 0.5])
@pytest.mark.parametrize("vector", [False, True])
def test_outputs_and_gradients_per_driver_as_torch(driver, rcond, vector):
    """Each output's shape (a vector ``b``'s residuals keep their dim of one), the values and
    both gradients (torch's backward is pinv's, whatever the driver and ``rcond``)."""
    rng = np.random.default_rng(5)  # (first a matrix whose gelsy answer no pivoting changes)
    a = np.stack([np.eye(5, 3) * [2.0, 1.5, 1.2], _deficient(rng, 5, 3, 0.05)])
    b = rng.standard_normal((2, 5, 2))

    def case(m, F, leaf):
        return m.linalg.lstsq(leaf(a), leaf(b[..., 0] if vector else b), rcond=rcond,
                              driver=driver)

    compare(case)


@pytest.mark.usefixtures("fake_cuda")
def test_cuda_lstsq_is_gels_only():
    """torch's CUDA lstsq defaults to gels (rank and singular values empty) and refuses the
    others (its text, as torch's own test_linalg pins it)."""
    A = engine.tensor(np.eye(5, 3) + 0.1)
    B = engine.tensor(np.ones((5, 2)))
    out = engine.linalg.lstsq(A, B)
    assert [tuple(x.shape) for x in out] == [(3, 2), (2,), (0,), (0,)]
    for driver in ("gelsy", "gelsd", "gelss", "fictitious"):
        with pytest.raises(RuntimeError, match="`driver` other than `gels` is not supported on "
                                               "CUDA"):
            engine.linalg.lstsq(A, B, driver=driver)
