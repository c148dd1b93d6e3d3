"""float32 ``sigmoid``, ``silu``, ``softmax`` and ``log_softmax`` bit for bit with torch 2.13's CPU
kernels, asked live (no recorded values): SLEEF's vectorised ``expf``/``logf`` in whole vectors
(``engine.ops.sleef``), the C library's ``expf`` in the scalar remainders, at the positions
torch's loops give them (``engine.ops.vector_loops``: rows, layouts, thread splits).

Before, with the correctly rounded exp and log, of 20,000 values in [-12, 12] (Intel Xeon,
Sapphire Rapids; the AMD EPYC's counts were alike): sigmoid 820, softmax 2,272 (last dim) and
2,441 (dim 0), log_softmax 155 and 36 differed. The kernels' split between vector and scalar
loops depends on the thread count, so each case sets it on both sides (and puts torch's
back). Where torch's vectorised kernels are not SLEEF's FMA builds (no AVX2/FMA), the engine
keeps the correctly rounded functions and these comparisons are not made."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402
import engine.backends  # noqa: E402
import engine.func  # noqa: E402
from engine._cpu import sleef_fma  # noqa: E402
from engine.ops import sleef  # noqa: E402

pytestmark = pytest.mark.skipif(
    not sleef_fma(), reason="torch's vectorised float32 exp/log here are not SLEEF's FMA builds")


def _differ(a, b) -> int:
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    same = (a.view(np.uint32) == b.view(np.uint32)) | (np.isnan(a) & np.isnan(b))
    return int(np.sum(~same))


@pytest.fixture(params=[1, 2], ids=["1 thread", "2 threads"])
def threads(request):
    before = torch.get_num_threads()
    torch.set_num_threads(request.param)
    engine.backends.set_num_threads(request.param)
    yield request.param
    torch.set_num_threads(before)
    engine.backends.set_num_threads(before)


def _inputs(shape, seed=0):
    x = np.random.default_rng(seed).uniform(-12, 12, shape).astype(np.float32)
    if x.size >= 8:  # (the ends of exp's range and the special values)
        x.reshape(-1)[:8] = [0.0, -0.0, np.inf, -np.inf, np.nan, 88.8, -104.5, 1e-30]
    return x


# (shapes: one loop a multiple of 32 or not, rows with remainders, more than GRAIN_SIZE
# elements (split between threads), a single element, 0-d)
SIGMOID_SHAPES = [(20000,), (20031,), (200, 100), (1000, 33), (3, 37, 41), (70001,), (7,), ()]
LAYOUTS = {
    "contiguous": lambda t: t,
    "transposed": lambda t: t.mT if t.ndim >= 2 else t,
    "row slices": lambda t: t[..., :30] if t.ndim else t,
    "strided": lambda t: t[..., ::2] if t.ndim else t,
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("shape", SIGMOID_SHAPES, ids=str)
def test_sigmoid_is_torchs(shape, layout, threads):
    x = _inputs(shape)
    got = [LAYOUTS[layout](m.tensor(x)).sigmoid().numpy() for m in (torch, engine)]
    assert _differ(*got) == 0


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("shape", [(20031,), (1000, 33), (70001,), ()], ids=str)
def test_silu_is_torchs(shape, layout, threads):
    """``x / (1 + exp(-x))``: 851 of 20,000 values differed with the correctly rounded exp."""
    x = _inputs(shape)
    got = [m.nn.functional.silu(LAYOUTS[layout](m.tensor(x))).numpy() for m in (torch, engine)]
    assert _differ(*got) == 0
    inplace = [m.nn.functional.silu(m.tensor(x), inplace=True).numpy() for m in (torch, engine)]
    assert _differ(*inplace) == 0


SOFTMAX_CASES = [((200, 100), 1), ((200, 100), 0), ((20, 30, 40), 1), ((7, 33), 0),
                 ((3, 5, 7, 9), 1), ((64, 1000), 0), ((2, 3000, 17), 1), ((40, 3000), 0),
                 ((20, 300, 1), 1), ((64, 10), 1), ((100, 7, 3), 2), ((5,), 0), ((), 0)]


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape, dim", SOFTMAX_CASES, ids=str)
def test_softmax_is_torchs(name, shape, dim, threads):
    x = _inputs(shape, seed=1)
    for layout in ("contiguous", "transposed"):
        got = [getattr(LAYOUTS[layout](m.tensor(x)), name)(dim).numpy() for m in (torch, engine)]
        assert _differ(*got) == 0, layout


def test_through_cross_entropy_and_vmap(threads):
    x = _inputs((64, 10), seed=2)
    y = np.random.default_rng(3).integers(0, 10, 64)
    losses = [m.nn.functional.cross_entropy(m.tensor(x[8:]), m.tensor(y[8:]), reduction="none")
              for m in (torch, engine)]
    assert _differ(*[v.numpy() for v in losses]) == 0
    # (torch runs a vmapped softmax on the batch, dim moved by one: its thread split is the
    # batch's, and so the engine's)
    x3 = _inputs((4, 30, 17), seed=4)
    calls = {"softmax": (lambda r: r.softmax(0), lambda t: t.softmax(1)),
             "log_softmax": (lambda r: r.log_softmax(0), lambda t: t.log_softmax(1)),
             "sigmoid": (lambda r: r.sigmoid(), lambda t: t.sigmoid())}
    for name, (per_sample, whole) in calls.items():
        got = engine.func.vmap(per_sample)(engine.tensor(x3)).numpy()
        assert _differ(got, whole(torch.tensor(x3)).numpy()) == 0, name


def test_the_scalar_loops_exp_is_the_c_librarys():
    """``sleef.expf_libc`` calls the C library only near rounding midpoints: it is glibc's
    ``expf`` on values where that differs from the correctly rounded one."""
    from engine.ops._fma import libm

    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-110, 90, 200000), rng.uniform(-1, 1, 50000),
                        np.log(2.0 ** np.arange(-140, 128)), [0, np.inf, -np.inf, np.nan]])
    x = x.astype(np.float32)
    want = libm("exp", x)
    assert _differ(sleef.expf_libc(x), want) == 0
    assert _differ(np.exp(x.astype(np.float64)).astype(np.float32), want) > 20
