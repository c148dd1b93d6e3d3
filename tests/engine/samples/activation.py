"""Samples for the activations of ``engine/ops/activation.py`` and for ``bilinear`` and
``group_norm``. Inputs keep away from the kinks (finite differences straddle them)."""

import numpy as np

from . import Sample, samples, skip

rng = np.random.default_rng(11)
SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def r(*shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape)


def away(*shape, points=(0.0,), gap=0.1, lo=-4.0, hi=4.0):
    """Uniform in [lo, hi] but at least ``gap`` from each of ``points``."""
    x = rng.uniform(lo, hi, size=shape)
    for p in points:
        x = np.where(np.abs(x - p) < gap, p + np.sign(x - p + 1e-300) * gap + (x - p), x)
    return x


def _unary(name, oracle, make, **kwargs):
    samples(name,
            Sample((make(3, 4),), dict(kwargs), oracle=oracle),
            Sample((make(),), dict(kwargs), oracle=oracle, name="0-d"),
            Sample((r(0, 3),), dict(kwargs), name="empty"))


def _sigmoid(anp, a):
    return 1 / (1 + anp.exp(-a))


def _softplus(anp, a):
    return anp.logaddexp(0.0, a)


_unary("hardtanh", lambda anp, a: anp.clip(a, -1.0, 1.0),
       lambda *s: away(*s, points=(-1.0, 1.0)))
samples("hardtanh", Sample((away(5, points=(-0.5, 2.0)),), {"min_val": -0.5, "max_val": 2.0},
                           oracle=lambda anp, a: anp.clip(a, -0.5, 2.0), name="bounds"))
_unary("relu6", lambda anp, a: anp.clip(a, 0.0, 6.0),
       lambda *s: away(*s, points=(0.0, 6.0), lo=-3, hi=9))
_unary("threshold", lambda anp, a: anp.where(a > 0.5, a, -2.0),
       lambda *s: away(*s, points=(0.5,)), threshold=0.5, value=-2.0)
_unary("selu", lambda anp, a: SELU_S * anp.where(a > 0, a, SELU_A * (anp.exp(a) - 1)),
       lambda *s: away(*s))
_unary("celu", lambda anp, a: anp.where(a > 0, a, 0.5 * (anp.exp(a / 0.5) - 1)),
       lambda *s: away(*s), alpha=0.5)
_unary("mish", lambda anp, a: a * anp.tanh(_softplus(anp, a)), r)
_unary("logsigmoid", lambda anp, a: -_softplus(anp, -a), r)
# second order: torch does not implement hardsigmoid's (a NotImplemented node that refuses)
samples("hardsigmoid", *(
    Sample((make,), oracle=lambda anp, a: anp.clip(a + 3, 0, 6) / 6, name=name,
           second_order=False)
    for make, name in ((away(3, 4, points=(-3.0, 3.0), lo=-5, hi=5), ""),
                       (away(points=(-3.0, 3.0), lo=-5, hi=5), "0-d"), (r(0, 3), "empty"))))
_unary("hardswish", lambda anp, a: a * anp.clip(a + 3, 0, 6) / 6,
       lambda *s: away(*s, points=(-3.0, 3.0), lo=-5, hi=5))
_unary("hardshrink", lambda anp, a: anp.where(anp.abs(a) > 0.5, a, 0.0),
       lambda *s: away(*s, points=(-0.5, 0.5)))
_unary("softshrink", lambda anp, a: anp.where(a > 0.3, a - 0.3, anp.where(a < -0.3, a + 0.3,
                                                                          0.0)),
       lambda *s: away(*s, points=(-0.3, 0.3)), lambd=0.3)
_unary("softsign", lambda anp, a: a / (1 + anp.abs(a)), lambda *s: away(*s))
_unary("tanhshrink", lambda anp, a: a - anp.tanh(a), r)
samples("softmin",
        Sample((r(3, 4),), {"dim": 1},
               oracle=lambda anp, a: anp.exp(-a) / anp.sum(anp.exp(-a), axis=1, keepdims=True)),
        Sample((r(2, 3),), {"dim": 0}, name="dim0"))
samples("glu",
        Sample((r(3, 4),), oracle=lambda anp, a: a[:, :2] * _sigmoid(anp, a[:, 2:])),
        Sample((r(4, 3),), {"dim": 0},
               oracle=lambda anp, a: a[:2] * _sigmoid(anp, a[2:]), name="dim0"),
        Sample((r(2, 6, 2),), {"dim": 1}, name="3-d"))
samples("prelu",
        Sample((away(2, 3, 4), r(3, lo=0.05, hi=0.5)),
               oracle=lambda anp, a, w: anp.where(a > 0, a, w[None, :, None] * a)),
        Sample((away(4, 3), r(1, lo=0.05, hi=0.5)),
               oracle=lambda anp, a, w: anp.where(a > 0, a, w * a), name="shared"),
        Sample((away(5), r(1, lo=0.05, hi=0.5)), name="1-d"))
samples("rrelu",
        Sample((away(3, 4),), oracle=lambda anp, a: anp.where(a > 0, a, a * (1 / 8 + 1 / 3) / 2),
               name="eval"),
        Sample((away(3, 4),), {"lower": 0.1, "upper": 0.3}, name="eval-bounds"))

for _inplace in ("hardtanh_", "threshold_"):
    skip(_inplace, "in-place twin: gradchecked through its out-of-place op")


# --------------------------------------------------------------------------- bilinear
def _bilinear(anp, x1, x2, w, b=None):
    y = anp.einsum("ni,oij,nj->no", x1, w, x2)
    return y if b is None else y + b


samples("bilinear",
        Sample((r(4, 2), r(4, 3), r(5, 2, 3), r(5)), oracle=_bilinear),
        Sample((r(4, 2), r(4, 3), r(5, 2, 3)), oracle=_bilinear, name="no-bias"),
        Sample((r(2, 3, 2), r(2, 3, 3), r(4, 2, 3), r(4)), name="3-d"),
        Sample((r(2), r(3), r(4, 2, 3), r(4)), name="1-d"))


# --------------------------------------------------------------------------- group_norm
def _group_norm_oracle(groups):
    def f(anp, x, w=None, b=None):
        n, c = x.shape[:2]
        g = anp.reshape(x, (n, groups, -1))
        mu = anp.mean(g, axis=2, keepdims=True)
        var = anp.mean((g - mu) ** 2, axis=2, keepdims=True)
        y = anp.reshape((g - mu) / anp.sqrt(var + 1e-5), x.shape)
        shape = (1, c) + (1,) * (x.ndim - 2)
        if w is not None:
            y = y * anp.reshape(w, shape)
        if b is not None:
            y = y + anp.reshape(b, shape)
        return y
    return f


samples("group_norm",
        Sample((r(2, 4, 3), 2, r(4), r(4)), oracle=_group_norm_oracle(2)),
        Sample((r(3, 6), 3), oracle=_group_norm_oracle(3), name="2-d-affine-free"),
        Sample((r(2, 4, 2, 2), 1, r(4)), {"eps": 0.1}, name="one-group-weight-only"),
        Sample((r(2, 3, 2), 3, r(3), r(3)), name="group-per-channel"))

for _inplace in ("celu_", "selu_", "rrelu_"):
    skip(_inplace, "in-place twin: gradchecked through its out-of-place op")
