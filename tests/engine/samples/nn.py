"""Samples for ``torch.nn.functional``: activations, softmax, linear, normalization, embedding
and losses. Inputs keep away from kinks (finite differences straddle them); kinks are pinned in
``tests/engine/test_nn.py``."""

import numpy as np

import engine

from . import Sample, samples, skip

rng = np.random.default_rng(7)


def r(*shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape)


def away(*shape, gap=0.1):
    """Uniform in [-2, 2] but at least ``gap`` from 0."""
    x = r(*shape)
    return np.where(np.abs(x) < gap, np.sign(x + 1e-300) * gap + x, x)


def prob(*shape):
    return rng.uniform(0.05, 0.95, size=shape)


def probs_rows(n, c):
    p = rng.uniform(0.1, 1.0, size=(n, c))
    return p / p.sum(1, keepdims=True)


def idx(*values):
    return engine.tensor(np.array(values, dtype=np.int64))


def _softmax(anp, a, axis):
    e = anp.exp(a - anp.max(a, axis=axis, keepdims=True))
    return e / anp.sum(e, axis=axis, keepdims=True)


def _log_softmax(anp, a, axis):
    s = a - anp.max(a, axis=axis, keepdims=True)
    return s - anp.log(anp.sum(anp.exp(s), axis=axis, keepdims=True))


def _softplus(anp, a):
    return anp.logaddexp(0.0, a)


# --------------------------------------------------------------------------- activations
def _unary_samples(name, oracle, *, make=away, **kwargs):
    samples(name,
            Sample((make(3, 4),), dict(kwargs), oracle=oracle),
            Sample((make(),), dict(kwargs), oracle=oracle, name="0-d"),
            Sample((r(0, 3),), dict(kwargs), name="empty"))


_unary_samples("relu", lambda anp, a: anp.maximum(a, 0.0))
_unary_samples("leaky_relu", lambda anp, a: anp.where(a > 0, a, 0.2 * a), negative_slope=0.2)
samples("leaky_relu", Sample((away(5),), oracle=lambda anp, a: anp.where(a > 0, a, 0.01 * a),
                             name="default-slope"))
_unary_samples("gelu", None)
_unary_samples("gelu", None, approximate="tanh")
samples("gelu", Sample((r(6) * 4,), name="wide"))
_unary_samples("silu", lambda anp, a: a / (1 + anp.exp(-a)))
_unary_samples("elu", lambda anp, a: anp.where(a > 0, a, anp.exp(a) - 1))
samples("elu", Sample((away(4),), {"alpha": 0.5},
                      oracle=lambda anp, a: anp.where(a > 0, a, 0.5 * (anp.exp(a) - 1))))
skip("leaky_relu_",  # (the oracle calls it with leaky_relu's samples)
      "in-place twin: gradchecked through its out-of-place op")
skip("elu_",  # (the oracle calls it with elu's samples)
     "in-place twin: gradchecked through its out-of-place op")
_unary_samples("softplus", _softplus)
samples("softplus",
        Sample((away(6) * 3,), {"beta": 2, "threshold": 3},
               oracle=lambda anp, a: anp.where(2 * a > 3, a, anp.logaddexp(0.0, 2 * a) / 2),
               name="beta-threshold"))

# --------------------------------------------------------------------------- softmax
for _name, _fn in (("softmax", _softmax), ("log_softmax", _log_softmax)):
    samples(_name,
            Sample((r(3, 4),), {"dim": 1}, oracle=lambda anp, a, f=_fn: f(anp, a, 1)),
            Sample((r(2, 3, 4),), {"dim": 0}, oracle=lambda anp, a, f=_fn: f(anp, a, 0)),
            Sample((r(2, 3, 4),), {"dim": -1}, oracle=lambda anp, a, f=_fn: f(anp, a, -1)),
            Sample((r(),), {"dim": 0}, name="0-d"),
            Sample((r(0, 3),), {"dim": 1}, name="empty"),
            Sample((np.array([30.0, 0.0, -30.0]),), {"dim": 0},
                   oracle=lambda anp, a, f=_fn: f(anp, a, 0), name="large"))

# --------------------------------------------------------------------------- linear
samples("linear",
        Sample((r(4, 5), r(3, 5), r(3)),
               oracle=lambda anp, x, w, b: anp.dot(x, w.T) + b),
        Sample((r(4, 5), r(3, 5)), oracle=lambda anp, x, w: anp.dot(x, w.T), name="no-bias"),
        Sample((r(2, 4, 5), r(3, 5), r(3)),
               oracle=lambda anp, x, w, b: anp.dot(x, w.T) + b, name="3-d"),
        Sample((r(2, 4, 5), r(3, 5)), name="3-d-no-bias"),
        Sample((r(5), r(3, 5), r(3)), oracle=lambda anp, x, w, b: anp.dot(w, x) + b,
               name="1-d"),
        Sample((r(5), r(3, 5)), name="1-d-no-bias"),
        Sample((r(4, 5), r(5)), name="vector-weight"),
        Sample((r(4, 5), r(3, 5), r(1)), name="broadcast-bias"),
        Sample((r(0, 5), r(3, 5), r(3)), name="empty"))

# --------------------------------------------------------------------------- dropout
# Random masks cannot be finite-differenced: the deterministic settings are gradchecked here,
# the random mask in tests/engine/test_nn.py.
samples("dropout",
        Sample((r(3, 4),), {"training": False}, oracle=lambda anp, a: a, name="eval"),
        Sample((r(3, 4),), {"p": 0.0, "training": True}, name="p=0"),
        Sample((r(3, 4),), {"p": 1.0, "training": True}, oracle=lambda anp, a: a * 0.0,
               name="p=1"))


# --------------------------------------------------------------------------- normalization
def _layer_norm_oracle(axes):
    def f(anp, x, w=None, b=None):
        mu = anp.mean(x, axis=axes, keepdims=True)
        var = anp.mean((x - mu) ** 2, axis=axes, keepdims=True)
        y = (x - mu) / anp.sqrt(var + 1e-5)
        if w is not None:
            y = y * w
        if b is not None:
            y = y + b
        return y
    return f


samples("layer_norm",
        Sample((r(4, 5), (5,), r(5), r(5)), oracle=_layer_norm_oracle((-1,))),
        Sample((r(2, 3, 4), (3, 4)), oracle=_layer_norm_oracle((-2, -1)), name="2-dims"),
        Sample((r(3, 4), [4], r(4)), {"eps": 0.1}, name="eps-weight-only"),
        Sample((r(0, 4), (4,), r(4), r(4)), name="empty"))


def _batch_norm_oracle(anp, x, w, b):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mu = anp.mean(x, axis=axes, keepdims=True)
    var = anp.mean((x - mu) ** 2, axis=axes, keepdims=True)
    return (x - mu) / anp.sqrt(var + 1e-5) * anp.reshape(w, shape) + anp.reshape(b, shape)


samples("batch_norm",
        Sample((r(4, 3), None, None, r(3), r(3)), {"training": True},
               oracle=_batch_norm_oracle, name="train-2d"),
        Sample((r(3, 2, 4), None, None, r(2), r(2)), {"training": True},
               oracle=_batch_norm_oracle, name="train-3d"),
        Sample((r(2, 3, 2, 2), None, None), {"training": True}, name="train-4d-affine-free"),
        Sample((r(4, 3, 2), engine.tensor([0.1, -0.2, 0.3], dtype=engine.float64),
                engine.tensor([1.5, 0.5, 2.0], dtype=engine.float64), r(3), r(3)),
               {"training": False}, name="eval"))


def _normalize_oracle(p, axis):
    def f(anp, x):
        n = anp.sum(anp.abs(x) ** p, axis=axis, keepdims=True) ** (1.0 / p)
        return x / anp.maximum(n, 1e-12)
    return f


samples("normalize",
        Sample((r(3, 4),), oracle=_normalize_oracle(2.0, 1)),
        Sample((away(3, 4),), {"p": 1.0, "dim": 0}, oracle=_normalize_oracle(1.0, 0),
               name="p=1"),
        Sample((away(2, 3, 2),), {"p": 3.0, "dim": -1}, oracle=_normalize_oracle(3.0, -1),
               name="p=3"),
        Sample((r(4),), {"dim": 0}, name="1-d"))

# --------------------------------------------------------------------------- embedding
# padding_idx and scale_grad_by_freq change the gradient on purpose (it is no longer the
# derivative of the forward), so they are pinned against PyTorch in test_nn.py instead.
samples("embedding",
        Sample((idx(0, 2, 2, 5), r(6, 3))),
        Sample((engine.tensor([[1, 4], [4, 4]]), r(6, 3)), {"padding_idx": 0},
               name="unused-padding-row"),
        Sample((engine.tensor([], dtype=engine.int64), r(6, 3)), name="empty"))


# --------------------------------------------------------------------------- losses
def _reduce(anp, loss, reduction):
    return loss if reduction == "none" else anp.sum(loss) if reduction == "sum" else \
        anp.mean(loss)


_REG = {
    "mse_loss": (lambda anp, d: d * d, {}),
    "l1_loss": (lambda anp, d: anp.abs(d), {}),
    "smooth_l1_loss": (lambda anp, d: anp.where(anp.abs(d) < 0.5, d * d, anp.abs(d) - 0.25),
                       {"beta": 0.5}),
    "huber_loss": (lambda anp, d: anp.where(anp.abs(d) < 0.5, 0.5 * d * d,
                                            0.5 * (anp.abs(d) - 0.25)), {"delta": 0.5}),
}
for _name, (_elem, _kw) in _REG.items():
    for _red in ("mean", "sum", "none"):
        _x, _y = r(3, 4), r(3, 4)
        _y = np.where(np.abs(np.abs(_x - _y) - 0.5) < 0.05, _y + 0.2, _y)
        _y = np.where(np.abs(_x - _y) < 0.05, _y + 0.2, _y)
        samples(_name, Sample((_x, _y), dict(_kw, reduction=_red),
                              oracle=lambda anp, a, b, e=_elem, red=_red:
                              _reduce(anp, e(anp, a - b), red), name=_red))
    samples(_name,
            Sample((r(), np.array(0.7)), dict(_kw), name="0-d"),
            Sample((r(0, 3), r(0, 3)), dict(_kw, reduction="sum"), name="empty"))
samples("mse_loss", Sample((r(3, 4), r(4)), name="broadcast-target"),
        Sample((r(3, 4), r(3, 4)), {"weight": engine.tensor(prob(3, 4))}, name="weighted"))
samples("l1_loss", Sample((r(3, 4), r(3, 4)), {"weight": engine.tensor(prob(3, 4)),
                                               "reduction": "sum"}, name="weighted"))
samples("huber_loss", Sample((r(3, 4) * 3, r(3, 4)), {"weight": engine.tensor(prob(3, 4))},
                             name="weighted"))
samples("smooth_l1_loss", Sample((away(3, 4), np.zeros((3, 4))), {"beta": 0.0},
                                 name="beta=0"))


def _bce(anp, x, t, w=1.0):
    return -w * (t * anp.log(x) + (1 - t) * anp.log(1 - x))


def _bce_logits(anp, x, t, pw=1.0):
    sp = anp.logaddexp(0.0, -x)
    return (1 - t) * x + (1 + (pw - 1) * t) * sp


_W34 = prob(3, 4)
_PW = np.array([0.5, 1.0, 2.0, 3.0])
for _red in ("mean", "sum", "none"):
    samples("binary_cross_entropy",
            Sample((prob(3, 4), prob(3, 4)), {"reduction": _red},
                   oracle=lambda anp, x, t, red=_red: _reduce(anp, _bce(anp, x, t), red),
                   name=_red),
            Sample((prob(3, 4), prob(3, 4)),
                   {"reduction": _red, "weight": engine.tensor(_W34)},
                   oracle=lambda anp, x, t, red=_red: _reduce(anp, _bce(anp, x, t, _W34), red),
                   name=f"weighted-{_red}"))
    samples("binary_cross_entropy_with_logits",
            Sample((r(3, 4) * 2, prob(3, 4)), {"reduction": _red},
                   oracle=lambda anp, x, t, red=_red: _reduce(anp, _bce_logits(anp, x, t), red),
                   name=_red),
            Sample((r(3, 4) * 2, prob(3, 4)),
                   {"reduction": _red, "pos_weight": engine.tensor(_PW),
                    "weight": engine.tensor(_W34)},
                   oracle=lambda anp, x, t, red=_red: _reduce(
                       anp, _bce_logits(anp, x, t, _PW) * _W34, red),
                   name=f"pos-weight-{_red}"))
samples("binary_cross_entropy", Sample((prob(), prob()), name="0-d"),
        Sample((prob(0), prob(0)), {"reduction": "sum"}, name="empty"))
samples("binary_cross_entropy_with_logits", Sample((r(), prob()), name="0-d"))

_T4 = idx(0, 2, 1, 0)
_T4_IGNORE = idx(0, 2, -100, 1)
_W3 = engine.tensor([0.2, 1.0, 3.0], dtype=engine.float64)
_ONEHOT = np.eye(3)[[0, 2, 1, 0]]


def _ce_oracle(reduction):
    def f(anp, x):
        loss = -anp.sum(_log_softmax(anp, x, 1) * _ONEHOT, axis=1)
        return _reduce(anp, loss, reduction)
    return f


for _red in ("mean", "sum", "none"):
    samples("cross_entropy",
            Sample((r(4, 3), _T4), {"reduction": _red}, oracle=_ce_oracle(_red), name=_red),
            Sample((r(4, 3), _T4_IGNORE), {"reduction": _red, "weight": _W3},
                   name=f"weight-ignore-{_red}"),
            Sample((r(4, 3), _T4_IGNORE),
                   {"reduction": _red, "weight": _W3, "label_smoothing": 0.2},
                   name=f"smoothing-{_red}"),
            Sample((r(4, 3), probs_rows(4, 3)), {"reduction": _red},
                   oracle=lambda anp, x, p, red=_red: _reduce(
                       anp, -anp.sum(_log_softmax(anp, x, 1) * p, axis=1), red),
                   name=f"probabilities-{_red}"),
            Sample((r(4, 3), probs_rows(4, 3)),
                   {"reduction": _red, "weight": _W3, "label_smoothing": 0.1},
                   name=f"probabilities-weight-smoothing-{_red}"),
            Sample((r(2, 3, 4), engine.tensor([[0, 1, 2, 0], [2, 2, 1, -100]])),
                   {"reduction": _red}, name=f"spatial-{_red}"))
    samples("nll_loss",
            Sample((r(4, 3), _T4), {"reduction": _red},
                   oracle=lambda anp, x, red=_red: _reduce(
                       anp, -anp.sum(x * _ONEHOT, axis=1), red), name=_red),
            Sample((r(4, 3), _T4_IGNORE), {"reduction": _red, "weight": _W3},
                   name=f"weight-ignore-{_red}"),
            # (contiguous only: a non-contiguous 4-d input's backward raises torch's
            # "grad_input must be contiguous", pinned in tests/oracle/test_ops_pins.py)
            Sample((r(2, 3, 2, 2), engine.tensor([[[0, 1], [2, 0]], [[2, 2], [1, 0]]])),
                   {"reduction": _red}, name=f"4-d-{_red}", noncontig=False))
samples("cross_entropy",
        Sample((r(3), engine.tensor(1)), name="1-d"),
        Sample((r(0, 3), engine.tensor([], dtype=engine.int64)), {"reduction": "sum"},
               name="empty"))
samples("nll_loss", Sample((r(3), engine.tensor(2)), name="1-d"))

# --------------------------------------------------------------------------- nn_layers.py
# channel-wise and alpha dropout: the deterministic settings (random masks: test_nn_layers_ops)
for _name in ("dropout1d", "dropout2d", "dropout3d"):
    _shape = {"dropout1d": (2, 3, 4), "dropout2d": (2, 3, 2, 2), "dropout3d": (1, 2, 2, 2, 2)}
    samples(_name,
            Sample((r(*_shape[_name]),), {"training": False}, oracle=lambda anp, a: a,
                   name="eval"),
            Sample((r(*_shape[_name]),), {"p": 1.0}, oracle=lambda anp, a: a * 0.0, name="p=1"))
for _name in ("alpha_dropout", "feature_alpha_dropout"):
    samples(_name,
            Sample((r(2, 3, 2),), {"training": False}, oracle=lambda anp, a: a, name="eval"),
            Sample((r(2, 3, 2),), {"p": 1.0, "training": True},
                   oracle=lambda anp, a: a * 0.0, name="p=1"))
samples("pixel_shuffle",
        Sample((r(2, 8, 2, 3), 2), name="batch"),
        Sample((r(9, 2, 2), 3), name="unbatched"),
        Sample((r(2, 2, 4, 1, 2), 2), name="two-leading"))
samples("pixel_unshuffle",
        Sample((r(2, 2, 4, 6), 2), name="batch"),
        Sample((r(1, 3, 3), 3), name="unbatched"))
samples("channel_shuffle",
        Sample((r(2, 6, 2, 2), 3), name="4-d"),
        Sample((r(1, 4, 3), 2), name="3-d"))
samples("rms_norm",
        Sample((r(2, 3, 4), (4,)), name="last-dim"),
        Sample((r(2, 3, 4), (3, 4), r(3, 4)), name="two-dims-weight"),
        Sample((r(3, 4), [4], r(4)), {"eps": 1e-3}, name="eps"))
