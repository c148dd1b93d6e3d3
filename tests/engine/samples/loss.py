"""Samples for the losses of ``engine/ops/loss.py``. Inputs keep away from the hinges."""

import numpy as np

import engine

from . import Sample, samples, skip

rng = np.random.default_rng(23)


def r(*shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape)


def signs(*shape):
    return engine.tensor(rng.choice([-1.0, 1.0], size=shape))


def _reduce(anp, loss, reduction):
    return loss if reduction == "none" else anp.sum(loss) if reduction == "sum" else \
        anp.mean(loss)


for _red in ("mean", "sum", "none"):
    _t = rng.choice([-1.0, 1.0], size=5)
    _a, _b = r(5), r(5)
    _b = np.where(np.abs(-_t * (_a - _b) + 0.2) < 0.1, _b + 0.3 * _t, _b)
    samples("margin_ranking_loss",
            Sample((_a, _b, engine.tensor(_t)), {"margin": 0.2, "reduction": _red},
                   oracle=lambda anp, a, b, t=_t, red=_red:
                   _reduce(anp, anp.maximum(-t * (a - b) + 0.2, 0.0), red), name=_red))
    _x = r(3, 4)
    _x = np.where(np.abs(_x - 0.5) < 0.1, _x + 0.3, _x)
    _s = rng.choice([-1.0, 1.0], size=(3, 4))
    samples("hinge_embedding_loss",
            Sample((_x, engine.tensor(_s)), {"margin": 0.5, "reduction": _red},
                   oracle=lambda anp, x, s=_s, red=_red: _reduce(
                       anp, anp.where(s == 1, x, anp.maximum(0.5 - x, 0.0)), red), name=_red))
    samples("soft_margin_loss",
            Sample((r(3, 4), signs(3, 4)), {"reduction": _red}, name=_red))
    samples("cosine_embedding_loss",
            Sample((r(4, 3), r(4, 3), signs(4)), {"margin": -0.9, "reduction": _red},
                   name=_red))
    samples("triplet_margin_loss",
            Sample((r(4, 3), r(4, 3), r(4, 3) + 3), {"margin": 5.0, "reduction": _red},
                   name=_red))
    samples("multilabel_margin_loss",
            Sample((r(3, 4), engine.tensor(np.array([[3, 0, -1, 1], [1, 1, -1, 0],
                                                     [2, 0, 3, 1]]))),
                   {"reduction": _red}, name=_red, second_order=False))
    samples("poisson_nll_loss",
            Sample((r(3, 4), engine.tensor(r(3, 4, lo=0.1, hi=3.0))), {"reduction": _red},
                   name=_red))
    samples("gaussian_nll_loss",
            Sample((r(3, 4), r(3, 4), r(3, 4, lo=0.5, hi=2.0)), {"reduction": _red},
                   name=_red))
    samples("multilabel_soft_margin_loss",
            Sample((r(3, 4), engine.tensor(rng.choice([0.0, 1.0], size=(3, 4)))),
                   {"reduction": _red}, name=_red))
    samples("multi_margin_loss",
            Sample((r(5, 4), engine.tensor(np.array([0, 3, 1, 2, 3]))),
                   {"reduction": _red, "margin": 0.3}, name=_red, second_order=False))

samples("poisson_nll_loss",
        Sample((r(3, 4, lo=0.5, hi=2.0), engine.tensor(np.array(
            [[0.0, 1.0, 2.0, 5.0], [3.0, 1.0, 0.5, 4.0], [2.0, 7.0, 1.0, 0.0]]))),
            {"log_input": False, "full": True}, name="rate-full"))
samples("gaussian_nll_loss",
        Sample((r(3, 4), r(3, 4), r(3, lo=0.5, hi=2.0)), {"full": True}, name="var-per-row"))
samples("triplet_margin_loss",
        Sample((r(4, 3), r(4, 3), r(4, 3) + 3), {"margin": 5.0, "p": 1, "swap": True},
               name="swap-p1"))
samples("multilabel_margin_loss",
        Sample((r(5), engine.tensor(np.array([4, 0, -1, 2, 2]))), {}, name="vector",
               second_order=False))
samples("multi_margin_loss",
        Sample((r(5, 4), engine.tensor(np.array([0, 3, 1, 2, 3]))),
               {"p": 2, "weight": engine.tensor(np.array([1.0, 0.5, 2.0, 1.5]))},
               name="p2-weight", second_order=False))

skip("ctc_loss", "torch's gradient is the derivative through the log_softmax that makes "
     "log_probs, not the plain derivative: tests/engine/test_ctc_loss.py compares it with "
     "torch's and gradchecks the log_softmax composition")
