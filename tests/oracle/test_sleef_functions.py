"""``engine.ops.sleef.expf``/``logf`` against libtorch's own ``Sleef_expf16_u10`` and
``Sleef_logf16_u10`` (the vector functions torch's float32 kernels call), bit for bit, called
through a C shim (``scripts/prove_sleef_expf.py``, which checks all 2**32 inputs; here a few
million: dense runs of consecutive floats where the algorithms change branch, and random ones).

Skipped where there is no C compiler or no AVX512 (the shim calls the 16-lane function)."""

import importlib.util
import pathlib
import shutil

import numpy as np
import pytest

pytest.importorskip("torch")

from engine import _parallel  # noqa: E402
from engine._cpu import float32_lanes, sleef_fma  # noqa: E402
from engine.ops import sleef  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (sleef_fma() and float32_lanes() == 16 and shutil.which("cc")),
    reason="needs AVX512 and a C compiler to call libtorch's SLEEF")

_SCRIPT = pathlib.Path(__file__).parents[2] / "scripts" / "prove_sleef_expf.py"


@pytest.fixture(scope="module")
def reference():
    spec = importlib.util.spec_from_file_location("prove_sleef_expf", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {"expf": module.torch_sleef("Sleef_expf16_u10"),
            "logf": module.torch_sleef("Sleef_logf16_u10")}


def _differ(a, b) -> int:
    same = (a.view(np.uint32) == b.view(np.uint32)) | (np.isnan(a) & np.isnan(b))
    return int(np.sum(~same))


def _runs(*starts, length=1 << 18):
    """Consecutive float32 bit patterns from each start (a float32 value)."""
    bits = [np.arange(length, dtype=np.uint64) + int(np.float32(s).view(np.uint32))
            for s in starts]
    return np.concatenate(bits).astype(np.uint32).view(np.float32)


SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1.0, -1.0,
                    np.finfo(np.float32).max, np.finfo(np.float32).tiny], np.float32)


def test_expf_is_libtorchs(reference):
    rng = np.random.default_rng(0)
    x = np.concatenate([
        _runs(0.3, -0.3, 88.0, -87.0, -103.9, 99.99, 1e-8, -1e-8),  # (branch ends, subnormal
        rng.uniform(-110, 110, 1 << 20).astype(np.float32),           # results, tiny s)
        rng.integers(0, 2**32, 1 << 18, dtype=np.uint64).astype(np.uint32).view(np.float32),
        SPECIAL])
    assert _differ(reference["expf"](x), sleef.expf(x)) == 0


def test_logf_is_libtorchs(reference):
    rng = np.random.default_rng(1)
    x = np.concatenate([
        _runs(1.0, 0.75, 1.5, 2.0, 1e-40, 3e38, 0.9999),
        rng.integers(0, 2**32, 1 << 20, dtype=np.uint64).astype(np.uint32).view(np.float32),
        rng.uniform(1, 1000, 1 << 18).astype(np.float32), SPECIAL])
    want = reference["logf"](x)
    assert _differ(want, sleef.logf(x)) == 0
    # (the correctly rounded log is not it: SLEEF's differs in ~0.05 % of inputs)
    with np.errstate(all="ignore"):
        rounded = np.log(x.astype(np.float64)).astype(np.float32)
    assert _differ(want, rounded) > 100


def test_expf_on_threads_is_expf_in_one(monkeypatch):
    x = np.random.default_rng(2).uniform(-20, 20, _parallel.MIN_ELEMENTS + 4097)
    x = x.astype(np.float32)
    monkeypatch.setattr(_parallel, "THREADS", 2)
    threaded = sleef.expf(x)
    monkeypatch.setattr(_parallel, "THREADS", 1)
    assert _differ(threaded, sleef.expf(x)) == 0


def test_logf_takes_sleefs_arithmetic_only_near_a_rounding_midpoint(reference, monkeypatch):
    """``logf`` rounds its float64 value once and runs SLEEF's double-float arithmetic only
    for elements within 2**-15 ulp of a rounding midpoint, and for the inputs outside its
    fast path's domain (0, -0, negatives, inf, NaN, from 0.75 * 2**128): both agree with
    libtorch, and the slow path sees a few elements, not the array."""
    seen = []
    slow = sleef._logf_sleef

    def counting(x):
        seen.append(x.size)
        return slow(x)

    monkeypatch.setattr(sleef, "_logf_sleef", counting)
    rng = np.random.default_rng(3)
    x = rng.integers(1, 0x7f400000, 1 << 20, dtype=np.uint64).astype(np.uint32).view(np.float32)
    assert _differ(reference["logf"](x), sleef.logf(x)) == 0
    assert len(seen) == 1 and 0 < seen[0] < 200  # (2**-14 of 2**20 is 64)
    seen.clear()
    edge = np.concatenate([SPECIAL, np.float32([2.6e38, -3.0, 0.75 * 2.0**128])])
    assert _differ(reference["logf"](edge), sleef.logf(edge)) == 0
    assert sum(seen) >= 11  # (0, -0, +-inf, NaN, -1e-45, -1, -3, float32 max, 2.6e38, top)
    strided = edge.reshape(2, -1)[:, ::2]
    y = sleef.logf(strided)
    assert y.shape == (2, 4) and _differ(y.ravel(), reference["logf"](strided.ravel())) == 0
