"""float32 ``sqrt`` bit for bit with torch 2.13's CPU kernel (MKL VML's ``vsSqrt``), asked
live: on an Intel processor with AVX512 it is the correctly rounded value or one ulp below
it, on a fixed set of mantissas (``engine/ops/mkl_sqrt_f32.npz``, recorded from torch by
``scripts/record_mkl_sqrt.py``). Before (NumPy's correctly rounded sqrt), 6,485 of a million
values in [0, 4) differed; optimizer states through ``exp_avg_sq.sqrt()`` differed after 30
steps (of 2,048 parameters: Adam 5, RMSprop 16, centered 36, NAdam 8). Elsewhere (AMD: MKL's
generic path, ~20 % of values a last bit off, not modelled) these are not compared."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402
import engine.optim  # noqa: E402
from engine._cpu import mkl_sqrt_table  # noqa: E402

pytestmark = pytest.mark.skipif(
    not mkl_sqrt_table(), reason="torch's float32 sqrt here is not MKL's Intel AVX512 path")


def _differ(a, b) -> int:
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    same = (a.view(np.uint32) == b.view(np.uint32)) | (np.isnan(a) & np.isnan(b))
    return int(np.sum(~same))


def _inputs():
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.uniform(0, 4, 60000), np.exp(rng.uniform(-100, 88, 60000)),
                        rng.integers(1, 2 ** 23, 2000).astype(np.uint32).view(np.float32),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, 1e-45, 3.4e38]])
    return x.astype(np.float32)


CALLS = {
    "sqrt": lambda m, t: t.sqrt(),
    "torch.sqrt, transposed": lambda m, t: m.sqrt(t.reshape(-1, 8).mT),
    "strided": lambda m, t: t[::3].sqrt(),
    "sqrt_": lambda m, t: t.clone().sqrt_(),
    "out=": lambda m, t: m.sqrt(t, out=m.empty_like(t)),
    "0-d": lambda m, t: t[5].sqrt(),
    "pow 0.5": lambda m, t: t ** 0.5,
}


@pytest.mark.parametrize("call", sorted(CALLS))
def test_float32_sqrt_is_torchs(call):
    x = _inputs()
    got = [CALLS[call](m, m.tensor(x)).numpy() for m in (torch, engine)]
    assert _differ(*got) == 0


@pytest.mark.parametrize("name, kwargs", [("Adam", {}), ("AdamW", {"amsgrad": True}),
                                          ("RMSprop", {}), ("RMSprop", {"centered": True}),
                                          ("Adagrad", {}), ("Adadelta", {}), ("NAdam", {})])
def test_optimizers_take_torchs_sqrt(name, kwargs):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((64, 32)).astype(np.float32)
    grads = [rng.standard_normal((64, 32)).astype(np.float32) for _ in range(30)]
    ends = []
    for m in (torch, engine):
        w = m.tensor(w0, requires_grad=True)
        opt = getattr(m.optim, name)([w], lr=1e-2, **kwargs)
        for g in grads:
            w.grad = m.tensor(g)
            opt.step()
        ends.append(w.detach().numpy())
    assert _differ(*ends) == 0
