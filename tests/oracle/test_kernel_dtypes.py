"""The op table's kernel dtype rules (engine/ops/kernel_dtypes.py) against torch 2.13: for every
op with a rule and each of the nine dtypes, the engine and torch both compute or both refuse
with the same text; and the rules agree with what the small-int sweep recorded of torch's
kernels (tests/oracle/goldens/small_int_kernels.json)."""

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as TF  # noqa: E402

import engine  # noqa: E402
import engine.nn.functional as EF  # noqa: E402
from engine.ops import OPS, kernel_dtypes  # noqa: E402

from .backends import builtin_class  # noqa: E402

GOLDEN = json.loads((Path(__file__).parent / "goldens" / "small_int_kernels.json").read_text())
DTYPES = kernel_dtypes.NAMES


def _x(T, d, shape=(1, 2, 4, 4)):
    return (T.arange(32) % 5).reshape(*shape).to(getattr(T, d))


# op -> a call of it on an input of dtype d (T: torch or engine, F: its functional)
PROBES = {
    "avg_pool1d": lambda T, F, d: F.avg_pool1d(_x(T, d)[0], 2),
    "avg_pool2d": lambda T, F, d: F.avg_pool2d(_x(T, d), 2),
    "avg_pool3d": lambda T, F, d: F.avg_pool3d(_x(T, d)[None], 1),
    "adaptive_avg_pool1d": lambda T, F, d: F.adaptive_avg_pool1d(_x(T, d)[0], 3),
    "adaptive_avg_pool2d": lambda T, F, d: F.adaptive_avg_pool2d(_x(T, d), 3),
    "adaptive_avg_pool3d": lambda T, F, d: F.adaptive_avg_pool3d(_x(T, d), 3),
    "adaptive_max_pool1d": lambda T, F, d: F.adaptive_max_pool1d(_x(T, d)[0], 3),
    "adaptive_max_pool2d": lambda T, F, d: F.adaptive_max_pool2d(_x(T, d), 3),
    "adaptive_max_pool3d": lambda T, F, d: F.adaptive_max_pool3d(_x(T, d), 3),
    "max_unpool1d": lambda T, F, d: F.max_unpool1d(_x(T, d)[0], T.zeros(2, 4, 4).long(), 2),
    "max_unpool2d": lambda T, F, d: F.max_unpool2d(_x(T, d), T.zeros(1, 2, 4, 4).long(), 2),
    "max_unpool3d": lambda T, F, d: F.max_unpool3d(_x(T, d)[None], T.zeros(1, 1, 2, 4, 4).long(),
                                                   2),
    "elu": lambda T, F, d: F.elu(_x(T, d)),
    "elu_": lambda T, F, d: F.elu_(_x(T, d)),
    "selu": lambda T, F, d: F.selu(_x(T, d)),
    "selu_": lambda T, F, d: F.selu_(_x(T, d)),
    "celu": lambda T, F, d: F.celu(_x(T, d)),
    "celu_": lambda T, F, d: F.celu_(_x(T, d)),
    "leaky_relu": lambda T, F, d: F.leaky_relu(_x(T, d)),
    "leaky_relu_": lambda T, F, d: F.leaky_relu_(_x(T, d)),
    "rrelu": lambda T, F, d: F.rrelu(_x(T, d)),
    "rrelu_": lambda T, F, d: F.rrelu_(_x(T, d)),
    "mish": lambda T, F, d: F.mish(_x(T, d)),
    "silu": lambda T, F, d: F.silu(_x(T, d)),
    "gelu": lambda T, F, d: F.gelu(_x(T, d)),
    "hardsigmoid": lambda T, F, d: F.hardsigmoid(_x(T, d)),
    "hardswish": lambda T, F, d: F.hardswish(_x(T, d)),
    "hardshrink": lambda T, F, d: F.hardshrink(_x(T, d)),
    "softshrink": lambda T, F, d: F.softshrink(_x(T, d)),
    "logsigmoid": lambda T, F, d: F.logsigmoid(_x(T, d)),
    "softplus": lambda T, F, d: F.softplus(_x(T, d)),
    "glu": lambda T, F, d: F.glu(_x(T, d)),
    "prelu": lambda T, F, d: F.prelu(_x(T, d), T.ones(1, dtype=getattr(T, d))),
    "layer_norm": lambda T, F, d: F.layer_norm(_x(T, d), [4]),
    "group_norm": lambda T, F, d: F.group_norm(_x(T, d), 1),
    "batch_norm": lambda T, F, d: F.batch_norm(_x(T, d), T.zeros(2), T.ones(2)),
}


def _outcome(T, F, op, d):
    try:
        PROBES[op](T, F, d)
    except Exception as e:  # the class torch's users see, and the first line
        return builtin_class(e), str(e).split("\n")[0]
    return None


def test_every_rule_has_a_probe_and_is_an_op():
    assert sorted(PROBES) == sorted(kernel_dtypes.RULES)
    assert not [op for op in kernel_dtypes.RULES if op not in OPS]


@pytest.mark.parametrize("op", sorted(kernel_dtypes.RULES))
def test_rule_agrees_with_torch(op):
    rule = kernel_dtypes.RULES[op]
    for d in DTYPES:
        want = _outcome(torch, TF, op, d)
        got = _outcome(engine, EF, op, d)
        assert got == want, (op, d)
        refused = want is not None and "not implemented for" in want[1]
        assert refused == (d not in rule.accepts), (op, d, want)
        if refused:
            assert want[1].startswith(f'"{rule.name}"'), (op, d, want)


@pytest.mark.parametrize("op", ["rrelu", "rrelu_"])
def test_rrelu_training_runs_its_own_kernel(op):
    for d in DTYPES:
        def call(T, F, d, op=op):
            return getattr(F, op)(_x(T, d), training=True)
        PROBES["_training"] = call
        try:
            assert _outcome(engine, EF, "_training", d) == _outcome(torch, TF, "_training", d)
        finally:
            del PROBES["_training"]


def test_rules_agree_with_the_recorded_kernels():
    # where the small-int sweep met the op, torch refused a small type exactly when the rule
    # does (the golden lists the kernels torch named; an empty list: torch computed)
    met = 0
    for op, rule in kernel_dtypes.RULES.items():
        for d, kernels in GOLDEN.get(op, {}).items():
            met += 1
            assert bool(kernels) == (d not in rule.accepts), (op, d, kernels)
    assert met >= 3 * 20


# ops whose refusals of the small types the engine makes in its own code, not (yet) by a rule:
# each still refuses with torch's text (the sweep checks the texts); listed so that a new
# refusal in the golden must be placed in one or the other
OUTSIDE_RULES = {
    "bernoulli", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cholesky", "cholesky_solve", "conv_transpose1d",
    "conv_transpose2d", "conv_transpose3d", "convolution", "cross_entropy", "fold", "frac",
    "frac_", "grid_sample", "histc", "histogram", "huber_loss", "hypot", "hypot_",
    "interpolate", "lerp", "lerp_", "linalg.eigh", "linalg.eigvalsh", "linalg.lu",
    "linalg.lu_factor", "linalg.lu_factor_ex", "linalg.solve_triangular", "log_normal_",
    "log_softmax", "logaddexp", "logaddexp2", "logcumsumexp", "lu", "max_pool1d",
"mse_loss", "multi_margin_loss",
    "multilabel_margin_loss", "multilabel_soft_margin_loss", "nextafter", "nextafter_",
    "nll_loss", "normal", "rand", "rand_like", "randn", "randn_like", "repeat_interleave",
    "rms_norm", "round", "smooth_l1_loss", "softmax", "softmin", "special.log_softmax",
    "special.round", "special.softmax", "tril_indices", "triu_indices", "uniform_", "unfold",
}


def test_every_recorded_refusal_is_placed():
    refusing = {op for op, per in GOLDEN.items() if any(per.values())}
    assert sorted(refusing - set(kernel_dtypes.RULES) - OUTSIDE_RULES) == []
    assert sorted(OUTSIDE_RULES - refusing) == []


# ---------------------------------------------------------------- the ops of sessions 10-11
# pdist, linalg.matmul, AdaptiveLogSoftmaxWithLoss, Tensor.layout (view(dtype) has its own
# 9 x 9 test, test_view_dtype.py): each of the nine dtypes, everything observable compared
# (the refusal and its text, or the result's dtype, shape and values; gradients where the
# dtype can require them)

def _asls(T, d, head_bias=False):
    m = T.nn.AdaptiveLogSoftmaxWithLoss(4, 6, [2, 4], div_value=2.0, head_bias=head_bias)
    with T.no_grad():  # (the two libraries' generators differ: fixed weights)
        for i, p in enumerate(m.parameters()):
            p.copy_(((T.arange(p.numel()) * 7 + i) % 11 - 5).reshape(p.shape) / 8)
    return m.to(getattr(T, d))


def _y(T, d, shape=(3, 4)):
    n = 1
    for k in shape:
        n *= k
    return (T.arange(n) * 3 % 5).reshape(*shape).to(getattr(T, d))


def _float_in(T, d, shape=(3, 4)):
    x = _y(T, d, shape)
    return x.requires_grad_() if x.dtype.is_floating_point else x


def _with_grad(T, out, x):
    if not x.requires_grad:
        return [out]
    g, = T.autograd.grad(out.sum() if out.dim() else out, x)
    return [out, g]


NEWER = {
    "pdist": lambda T, d: (lambda x: _with_grad(T, T.nn.functional.pdist(x), x))(
        _float_in(T, d, (3, 4))),
    "pdist p=1": lambda T, d: T.nn.functional.pdist(_y(T, d, (3, 4)), p=1),
    "pdist p=0": lambda T, d: T.nn.functional.pdist(_y(T, d, (4, 2)), p=0),
    "pdist p=0.5": lambda T, d: T.nn.functional.pdist(_y(T, d, (4, 2)), p=0.5),
    "pdist p=inf": lambda T, d: T.nn.functional.pdist(_y(T, d, (4, 2)), p=float("inf")),
    "linalg.matmul": lambda T, d: T.linalg.matmul(_y(T, d, (3, 4)), _y(T, d, (4, 2))),
    "linalg.matmul 1-D": lambda T, d: T.linalg.matmul(_y(T, d, (4,)), _y(T, d, (4, 2))),
    "AdaptiveLogSoftmaxWithLoss.to(dtype)": lambda T, d: (lambda m, x: [
        *m(x, T.tensor([0, 3, 5])), m.log_prob(x), m.predict(x)])(
        _asls(T, d), _y(T, d, (3, 4))),
    "AdaptiveLogSoftmaxWithLoss, input dtype": lambda T, d: _asls(T, "float32")(
        _y(T, d, (3, 4)), T.tensor([0, 3, 5])),
    "AdaptiveLogSoftmaxWithLoss, target dtype": lambda T, d: _asls(T, "float32", True)(
        _y(T, "float32", (3, 4)), T.tensor([0, 3, 5]).to(getattr(T, d))),
    "Tensor.layout": lambda T, d: [str(_y(T, d).layout), str(_y(T, d).t().layout)],
}


_RTOL = {"float16": 2e-3, "float32": 2e-6, "float64": 1e-12}  # (a last-bit rounding apart)


def _agree(a, b) -> bool:
    """pinned_obs results equal, the values of float tensors to within their dtype's rounding
    (the same signs of zeros and NaN places)."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_agree(x, y) for x, y in zip(a, b))
    if isinstance(a, tuple) and len(a) == 5 and isinstance(b, tuple) and len(b) == 5 and \
            a[0] in _RTOL:
        if a[:4] != b[:4] or len(a[4]) != len(b[4]):
            return False
        for x, y in zip(a[4], b[4]):
            if (x == "nan") != (y == "nan"):
                return False
            if x != "nan" and (x[1] != y[1] or abs(x[0] - y[0]) > _RTOL[a[0]] * abs(y[0])):
                return False
        return True
    return a == b


@pytest.mark.parametrize("name", list(NEWER))
def test_newer_ops_agree_with_torch_for_every_dtype(name):
    from .backends import observed, pinned_obs
    for d in DTYPES:
        def probe(T, d=d):
            return NEWER[name](T, d)
        got, want = observed(probe, engine, pinned_obs), observed(probe, torch, pinned_obs)
        assert _agree(got, want), (d, got, want)
