"""What arguments each op of the table is called with in the differential suite.

An op's spec comes, in this order, from: a custom spec in ``CUSTOM`` below; the gradcheck
samples in ``tests/engine/samples`` (every sample's float arrays become generated tensors of the
same shape and value range, its other arguments are kept); for an in-place op ``x_`` the spec of
``x`` (called on a target that is a non-leaf, a plain tensor, a leaf that requires grad, or a
view of a non-leaf). An op with none of these fails ``test_every_op_has_an_oracle_spec`` unless
``EXCLUDED`` lists it with a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

import engine
from engine.ops import OPS
from tests.engine.samples import SAMPLES, Sample

from .generate import ALL_DTYPES, TArg, const
from .program import DT, FLOATS, INTS

EXCLUDED: dict[str, str] = {
    "resize_": "grown storage is torch's uninitialized memory (values not comparable); "
               "compared with torch in tests/engine/test_strided_ops.py",
    "resize_as_": "as resize_: compared with torch in tests/engine/test_strided_ops.py",
    "cuda": "needs a GPU: the GPU suite (tests/engine/test_gpu.py) covers the device",
    "backward": "every program of the suite ends in backward(); its arguments are pinned in "
                "tests/engine/test_autograd.py",
    "ctc_loss": "needs valid lengths and label sequences: compared with torch (values, nodes, "
                "gradients, errors) in tests/engine/test_ctc_loss.py",
    "cholesky_inverse": "reads one triangle of its argument and torch's gradient is not masked "
                        "to it, so no generated input gradchecks: compared with torch (values, "
                        "nodes, gradients, errors) in tests/engine/test_linalg_more_ops.py",
    **dict.fromkeys(
        ("linalg.ldl_factor", "linalg.ldl_factor_ex", "linalg.ldl_solve"),
        "ldl_solve needs a factorization's (LD, pivots), and generated values would hide the "
        "pivots' 2x2 blocks: compared with torch (LD, pivots, info, solutions, errors, nodes) "
        "in tests/oracle/test_ldl_pins.py"),
}
# Sparse COO tensors: the generated programs hold dense tensors only; each of these is compared
# with torch (values, reprs, nodes, gradients, errors) and gradchecked in float64 (first and
# second order) in tests/engine/test_sparse_coo.py.
_SPARSE_REASON = ("takes or makes a sparse COO tensor: compared with torch in "
                  "tests/engine/test_sparse_coo.py")
EXCLUDED.update(dict.fromkeys(
    ("sparse_coo_tensor", "to_dense", "to_sparse", "coalesce", "is_coalesced", "indices",
     "_indices", "values", "_values", "_nnz", "sparse_dim", "dense_dim", "spmm", "sparse.mm",
     "sparse.sum"), _SPARSE_REASON))


@dataclass
class Call:
    args: tuple
    kwargs: dict
    order: int = 2      # highest derivative order to check
    values: bool = True  # False: random results (only dtype, shape and flags are compared)


@dataclass
class OpSpec:
    name: str
    draw: Callable       # draw -> Call
    origin: str


# --------------------------------------------------------------------------- from samples
def _targ(a: np.ndarray) -> TArg:
    lo, hi = (float(a.min()), float(a.max())) if a.size else (-2.0, 2.0)
    if hi - lo < 1e-3:
        lo, hi = lo - 0.5, hi + 0.5
    return TArg(tuple(a.shape), lo=lo, hi=hi, values=a)


def _convert(x):
    if isinstance(x, np.ndarray):
        if x.dtype.kind == "f":
            return _targ(x)
        return const(x, "bool" if x.dtype == np.bool_ else "int64")
    if isinstance(x, engine.Tensor):
        vals = engine.to_numpy(x)
        if x.dtype.is_floating_point:
            t = _targ(vals)
            t.grad = t.layout = False
            return t
        return const(vals, x.dtype.name)
    if isinstance(x, engine.DType):
        return DT(x.name)
    if isinstance(x, tuple):
        return tuple(_convert(v) for v in x)
    if isinstance(x, list):
        return [_convert(v) for v in x]
    if isinstance(x, dict):
        return {k: _convert(v) for k, v in x.items()}
    return x


def _kwargs_no_grad(kwargs: dict) -> dict:
    out = {}
    for k, v in kwargs.items():
        v = _convert(v)
        if isinstance(v, TArg):
            v.grad = False
        out[k] = v
    return out


def from_samples(samples: list[Sample]) -> Callable:
    def draw_call(draw) -> Call:
        s = draw(st.sampled_from(samples))
        # second order even where the gradcheck skips it (``second_order=False``: torch's
        # derivative is not implemented or not smooth there): whether torch refuses it (a
        # ``NotImplemented`` node) or computes it, the engine must do the same
        return Call(_convert(s.args), _kwargs_no_grad(s.kwargs), 2)

    return draw_call


# --------------------------------------------------------------------------- helpers
SHAPES = ((), (1,), (3,), (2, 3), (3, 1), (1, 3), (2, 3, 4), (0,), (2, 0), (4, 1, 2))


def shape(draw, shapes=SHAPES) -> tuple:
    return draw(st.sampled_from(shapes))


def broadcastable(draw, s: tuple) -> tuple:
    """A shape that broadcasts with ``s`` (a suffix of it, some dims set to 1, or one more)."""
    cut = draw(st.integers(0, len(s)))
    out = [1 if d and draw(st.integers(0, 3)) == 0 else d for d in s[cut:]]
    if draw(st.integers(0, 5)) == 0:
        out.insert(0, 2)
    return tuple(out)


def any_tensor(draw, s: tuple | None = None, dtypes=ALL_DTYPES, **kw) -> TArg:
    dt = draw(st.sampled_from(dtypes))
    return TArg(shape(draw) if s is None else s, dtype=None if dt in FLOATS and
                draw(st.booleans()) else dt, **kw)


def scalar(draw, kinds=("float", "int", "bool")):
    kind = draw(st.sampled_from(kinds))
    if kind == "float":
        return draw(st.sampled_from((0.5, -1.5, 2.0, 0.0, -0.0, float("inf"), float("nan"),
                                     1e-3)))
    if kind == "int":
        return draw(st.sampled_from((0, 1, -2, 3)))
    return draw(st.booleans())


def binary_args(draw, dtypes=ALL_DTYPES) -> tuple:
    a = any_tensor(draw, dtypes=dtypes)
    if draw(st.integers(0, 3)) == 0:
        b = scalar(draw)
    else:
        b = any_tensor(draw, broadcastable(draw, a.shape), dtypes=dtypes)
    if draw(st.integers(0, 5)) == 0 and not isinstance(b, TArg):
        return b, a  # a number first (``torch.eq(2, t)``: torch's argument checks)
    return a, b


def dim_arg(draw, ndim: int, allow_none=True):
    choices = list(range(-max(ndim, 1), max(ndim, 1)))
    if allow_none:
        choices.append(None)
    return draw(st.sampled_from(choices))


# --------------------------------------------------------------------------- custom specs
CUSTOM: dict[str, Callable] = {}


def custom(*names: str):
    def deco(fn):
        for n in names:
            CUSTOM[n] = fn
        return fn

    return deco


@custom("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor")
def _compare(draw):
    return Call(binary_args(draw), {})


@custom("bitwise_and", "bitwise_or", "bitwise_xor")
def _bitwise(draw):
    dtypes = draw(st.sampled_from((("int64", "int32", "bool"), ALL_DTYPES)))
    a, b = binary_args(draw, dtypes)
    return Call((a, b), {})


@custom("isnan", "isinf", "isfinite", "logical_not", "bitwise_not", "bool", "float", "half",
        "int", "long", "detach", "dim", "element_size", "is_contiguous", "is_floating_point",
        "is_inference", "numel", "tolist", "item", "clone", "contiguous", "double", "detach_",
        "get_device",
        "byte", "char", "short")
def _unary_any(draw):
    return Call((any_tensor(draw),), {})


@custom("size")
def _size(draw):
    t = any_tensor(draw)
    if draw(st.booleans()):
        return Call((t,), {})
    return Call((t, dim_arg(draw, len(t.shape), allow_none=False)), {})


@custom("is_tensor")
def _is_tensor(draw):
    return Call((draw(st.sampled_from((any_tensor(draw), 1.5, [1, 2], None))),), {})


@custom("all", "any")
def _all_any(draw):
    t = any_tensor(draw)
    kw = {}
    if draw(st.booleans()):
        kw["dim"] = dim_arg(draw, len(t.shape), allow_none=False)
        if draw(st.booleans()):
            kw["keepdim"] = draw(st.booleans())
    return Call((t,), kw)


@custom("argmax", "argmin")
def _argmax(draw):
    t = any_tensor(draw, dtypes=FLOATS + INTS + ("bool",))
    kw = {}
    if draw(st.booleans()):
        kw["dim"] = dim_arg(draw, len(t.shape))
        if draw(st.booleans()):
            kw["keepdim"] = draw(st.booleans())
    return Call((t,), kw)


@custom("cat", "stack")
def _cat(draw):
    s = shape(draw, ((2, 3), (3,), (1, 2, 2), (0,), (2, 0)))
    n = draw(st.integers(1, 3))
    dim = dim_arg(draw, len(s) + 1, allow_none=False)
    if draw(st.integers(0, 5)) == 0:  # past every tensor's rank (torch never reads it when
        dim = draw(st.sampled_from((3, -4, 5)))  # all are legacy empty ones)
    ts = []
    for _ in range(n):
        s2 = list(s)
        if s2 and draw(st.integers(0, 3)) == 0:
            s2[draw(st.integers(0, len(s2) - 1))] = draw(st.integers(0, 3))
        ts.append(TArg(tuple(s2)))
    if draw(st.integers(0, 3)) == 0:  # a legacy empty tensor (shape (0,)) beside any others:
        # cat skips it (its dtype still promotes), stack does not
        ts.insert(draw(st.integers(0, len(ts))), TArg((0,), dtype=draw(st.sampled_from(
            (None, "int64", "bool", "float64")))))
    args = [ts if draw(st.booleans()) else tuple(ts)]
    if draw(st.booleans()):
        return Call(tuple(args), {"dim": dim})
    return Call((args[0], dim), {})


@custom("hstack", "vstack", "row_stack", "dstack", "column_stack")
def _stack_helpers(draw):
    shapes = ((), (3,), (2, 3), (3, 1), (2, 3, 2), (0,), (1, 3), (2, 0))
    first = shape(draw, shapes)
    ts = [TArg(first)]
    for _ in range(draw(st.integers(0, 2))):
        s = first if draw(st.integers(0, 2)) else shape(draw, shapes)
        ts.append(any_tensor(draw, s) if draw(st.integers(0, 4)) == 0 else TArg(s))
    return Call((ts if draw(st.booleans()) else tuple(ts),), {})


@custom("signbit", "sgn")
def _sign_ops(draw):
    return Call((any_tensor(draw),), {})


@custom("isin")
def _isin(draw):
    def operand():
        if draw(st.integers(0, 4)) == 0:
            return draw(st.sampled_from((0, 1, 2.0, -0.0, 2.5, float("nan"))))
        dt = draw(st.sampled_from(ALL_DTYPES))
        return TArg(shape(draw, ((3,), (2, 2), (), (0,), (2, 3))), lo=-1, hi=3,
                    dtype=None if dt in FLOATS and draw(st.booleans()) else dt,
                    integer=draw(st.integers(0, 3)) > 0)

    a, b = operand(), operand()
    kw = {}
    if draw(st.booleans()):
        kw["invert"] = draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        kw["assume_unique"] = True
    return Call((a, b), kw)


@custom("broadcast_shapes")
def _broadcast_shapes(draw):
    a = shape(draw)
    b = broadcastable(draw, a) if draw(st.integers(0, 4)) else shape(draw)
    return Call((a, b), {})


@custom("copy_")
def _copy(draw):
    t = TArg(shape(draw))
    src = any_tensor(draw, broadcastable(draw, t.shape))
    return Call((t, src), {})


@custom("fill_")
def _fill(draw):
    t = TArg(shape(draw))
    v = scalar(draw) if draw(st.booleans()) else TArg((), dtype=draw(st.sampled_from(
        ALL_DTYPES)))
    return Call((t, v), {})


@custom("fill_diagonal_")
def _fill_diagonal(draw):
    s = draw(st.sampled_from(((3, 3), (4, 2), (7, 3), (2, 5), (3, 3, 3), (2, 2, 2, 2), (3,),
                              (2, 3, 2), (0, 0), (1, 4))))
    kw = {"wrap": draw(st.booleans())} if draw(st.booleans()) else {}
    return Call((TArg(s), scalar(draw)), kw)


@custom("zero_")
def _zero(draw):
    return Call((TArg(shape(draw)),), {})


@custom("requires_grad_")
def _requires_grad(draw):
    t = any_tensor(draw, grad=draw(st.booleans()))
    return Call((t,) + ((draw(st.booleans()),) if draw(st.booleans()) else ()), {})


@custom("retain_grad")
def _retain_grad(draw):
    return Call((TArg(shape(draw, ((3,), (2, 3), ()))),), {})


@custom("register_hook")
def _register_hook(draw):
    return Call((TArg(shape(draw, ((3,), (2, 3), ()))), HOOK), {})


@custom("register_post_accumulate_grad_hook")
def _register_post_accumulate_grad_hook(draw):
    return Call((TArg(shape(draw, ((3,), (2, 3), ()))), POST_HOOK), {})


class _PostHook:
    """A post-accumulate-grad hook (``lambda p: p.grad.mul_(3)`` returning None), the same
    Python function for both libraries: the doubled .grad shows that it ran after the
    accumulation."""

    def __call__(self, p):
        p.grad.mul_(3)

    def __repr__(self) -> str:
        return "lambda p: p.grad.mul_(3)"


class _Hook:
    """A gradient hook (``lambda g: g * 2``), the same Python function for both libraries."""

    def __call__(self, g):
        return g * 2

    def __repr__(self) -> str:
        return "lambda g: g * 2"


HOOK = _Hook()
POST_HOOK = _PostHook()


# creation ------------------------------------------------------------------------------
def _dtype_kw(draw, allow=ALL_DTYPES) -> dict:
    return {} if draw(st.booleans()) else {"dtype": DT(draw(st.sampled_from(allow)))}


def _rg_kw(draw) -> dict:
    return {"requires_grad": True} if draw(st.integers(0, 4)) == 0 else {}


def _number(draw):
    return draw(st.sampled_from((0, 1, 3, -2, 5, 0.5, -1.5, 2.25, 4.0, 1e-3)))


@custom("arange")
def _arange(draw):
    n = draw(st.integers(1, 3))
    args = tuple(_number(draw) for _ in range(n))
    return Call(args, {**_dtype_kw(draw), **_rg_kw(draw)})


@custom("linspace")
def _linspace(draw):
    args = (_number(draw), _number(draw), draw(st.sampled_from((0, 1, 2, 5))))
    return Call(args, {**_dtype_kw(draw), **_rg_kw(draw)})


def _size_args(draw) -> tuple:
    s = shape(draw)
    form = draw(st.sampled_from(("varargs", "tuple", "list")))
    return s if form == "varargs" else (s,) if form == "tuple" else (list(s),)


@custom("zeros", "ones")
def _zeros(draw):
    return Call(_size_args(draw), {**_dtype_kw(draw), **_rg_kw(draw)})


@custom("empty")
def _empty(draw):
    return Call(_size_args(draw), {**_dtype_kw(draw), **_rg_kw(draw)}, values=False)


@custom("full")
def _full(draw):
    fill = draw(st.sampled_from((1.5, 2, True, float("inf"), float("nan"), -3, 0.0)))
    return Call((shape(draw), fill), {**_dtype_kw(draw), **_rg_kw(draw)})


@custom("eye")
def _eye(draw):
    args = (draw(st.integers(0, 3)),) + ((draw(st.integers(0, 3)),) if draw(st.booleans())
                                         else ())
    return Call(args, {**_dtype_kw(draw), **_rg_kw(draw)})


def _nested(draw, depth: int):
    kinds = draw(st.sampled_from((("float",), ("int",), ("bool",), ("float", "int", "bool"))))
    if depth == 0:
        return scalar(draw, kinds)
    n = draw(st.integers(0, 3))
    inner = draw(st.integers(0, depth - 1))
    return [_nested(draw, inner) for _ in range(n)] if inner == 0 else \
        [_nested_fixed(draw, inner, kinds) for _ in range(max(n, 1))]


def _nested_fixed(draw, depth, kinds):
    if depth == 0:
        return scalar(draw, kinds)
    return [_nested_fixed(draw, depth - 1, kinds) for _ in range(2)]


@custom("tensor", "as_tensor")
def _tensor(draw):
    return Call((_nested(draw, draw(st.integers(0, 2))),), _dtype_kw(draw))


@custom("zeros_like", "ones_like")
def _like(draw):
    return Call((any_tensor(draw),), {**_dtype_kw(draw), **_rg_kw(draw)})


@custom("empty_like")
def _empty_like(draw):
    return Call((any_tensor(draw),), {**_dtype_kw(draw), **_rg_kw(draw)}, values=False)


@custom("full_like")
def _full_like(draw):
    fill = draw(st.sampled_from((1.5, 2, True, float("inf"), -3)))
    return Call((any_tensor(draw), fill), {**_dtype_kw(draw), **_rg_kw(draw)})


@custom("rand", "randn")
def _rand(draw):
    return Call(_size_args(draw), {**_dtype_kw(draw), **_rg_kw(draw)}, values=False)


@custom("rand_like", "randn_like")
def _rand_like(draw):
    return Call((any_tensor(draw),), {**_dtype_kw(draw), **_rg_kw(draw)}, values=False)


@custom("randint")
def _randint(draw):
    hi = draw(st.integers(1, 5))
    args = (hi, shape(draw)) if draw(st.booleans()) else (-2, hi, shape(draw))
    return Call(args, _dtype_kw(draw), values=False)


@custom("randperm")
def _randperm(draw):
    return Call((draw(st.integers(0, 5)),), _dtype_kw(draw), values=False)


@custom("normal")
def _normal(draw):
    if draw(st.booleans()):
        return Call((TArg((3,)), TArg((3,), lo=0.1, hi=1.0)), {}, values=False)
    return Call((0.5, 2.0, shape(draw)), _dtype_kw(draw, FLOATS), values=False)


@custom("randint_like")
def _randint_like(draw):
    hi = draw(st.integers(1, 5))
    args = (hi,) if draw(st.booleans()) else (-2, hi)
    return Call((any_tensor(draw), *args), _dtype_kw(draw), values=False)


# torch's per-element kernels (bit for bit: tests/oracle/test_kernel_draw_ops.py)
@custom("poisson")
def _poisson(draw):
    rates = TArg(shape(draw), lo=0.0, hi=20.0, specials=False)
    return Call((rates,), {}, order=1, values=False)


@custom("binomial")
def _binomial(draw):
    s = shape(draw)
    count = TArg(s, lo=0.0, hi=30.0, integer=True, grad=False, mix=False, specials=False)
    return Call((count, TArg(s, lo=0.0, hi=1.0, grad=False, mix=False, specials=False)), {},
                order=0, values=False)


@custom("_standard_gamma")
def _standard_gamma(draw):
    return Call((TArg(shape(draw), lo=0.1, hi=5.0, mix=False, specials=False),), {}, order=0,
                values=False)


@custom("_standard_gamma_grad")
def _standard_gamma_grad(draw):
    s = shape(draw)
    return Call((TArg(s, lo=0.1, hi=5.0, grad=False, mix=False, specials=False),
                 TArg(s, lo=0.05, hi=8.0, grad=False, mix=False, specials=False)), {}, order=0)


@custom("bernoulli")
def _bernoulli(draw):
    return Call((TArg(shape(draw), lo=0.0, hi=1.0, specials=False),), {}, values=False)


# in-place samplers: values are random (only dtype, shape, flags, nodes and errors compare;
# tests/oracle/test_samplers.py checks supports, moments and gradients against torch)
def _sample_target(draw) -> TArg:
    return any_tensor(draw, shape(draw, ((3,), (2, 3), (), (0,), (4, 1, 2))))


def _param(draw, values):
    return draw(st.sampled_from(values))


def _sampler_call(draw, names_values, positional_ok=True) -> Call:
    """The target, then each parameter left out, given by position or by keyword."""
    args, kwargs = [_sample_target(draw)], {}
    by_name = not positional_ok or draw(st.booleans())
    for name, values in names_values:
        if not draw(st.integers(0, 2)):
            by_name = True  # a parameter left out: the next ones by keyword
            continue
        v = _param(draw, values)
        if by_name:
            kwargs[name] = v
        else:
            args.append(v)
    return Call(tuple(args), kwargs, order=1, values=False)


_REALS = (0.0, 1.5, -2.0, 0.25, 3)
_SCALES = (1.0, 0.5, 2, 0.0, -1.0, float("inf"), float("nan"))


@custom("uniform_")
def _uniform_(draw):
    return _sampler_call(draw, (("from", (-2.0, 0.0, 0.5, 3)), ("to", (1.0, 2.5, 0.0, -1))),
                         positional_ok=True)


@custom("exponential_")
def _exponential_(draw):
    return _sampler_call(draw, (("lambd", _SCALES),))


@custom("cauchy_")
def _cauchy_(draw):
    return _sampler_call(draw, (("median", _REALS), ("sigma", _SCALES)))


@custom("log_normal_")
def _log_normal_(draw):
    return _sampler_call(draw, (("mean", _REALS), ("std", _SCALES)))


@custom("geometric_")
def _geometric_(draw):
    call = _sampler_call(draw, (("p", (0.3, 0.9, 0.5, 0.0, 1.0, 1.5, -0.2)),))
    if len(call.args) == 1 and "p" not in call.kwargs:  # p has no default
        call.kwargs["p"] = 0.5
    return call


@custom("random_")
def _random_(draw):
    target = _sample_target(draw)
    form = draw(st.sampled_from(("none", "to", "from-to", "kw")))
    ends = (0, 1, 3, -2, 10, 2 ** 12, 2 ** 40)
    if form == "none":
        return Call((target,), {}, order=1, values=False)
    if form == "to":
        return Call((target, _param(draw, ends[1:])), {}, order=1, values=False)
    if form == "from-to":
        return Call((target, _param(draw, ends), _param(draw, ends)), {}, order=1,
                    values=False)
    return Call((target,), {"to": _param(draw, ends[1:])}, order=1, values=False)


@custom("multinomial")
def _multinomial(draw):
    s = shape(draw, ((4,), (2, 4), (3,), (1, 5), (0,), (2, 0), ()))
    probs = TArg(s, lo=0.0, hi=1.0, specials=draw(st.integers(0, 4)) == 0, grad=False,
                 dtype=draw(st.sampled_from(("float64", "float32", "float64", "int64"))))
    args = (probs, draw(st.sampled_from((1, 2, 3, 5, 0))))
    kw = {"replacement": draw(st.booleans())} if draw(st.booleans()) else {}
    return Call(args, kw, order=0, values=False)


_SPD = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.25], [0.5, 0.25, 2.0]])


@custom("cholesky", "linalg.cholesky", "linalg.cholesky_ex")
def _cholesky(draw):
    s = draw(st.sampled_from(((3, 3), (2, 3, 3))))
    vals = _SPD if s == (3, 3) else np.stack([_SPD, 2 * _SPD])
    t = TArg(s, values=vals, lo=-4, hi=4)
    kw = {"upper": draw(st.booleans())} if draw(st.booleans()) else {}
    return Call((t,), kw)


@custom("linalg.eigh", "linalg.eigvalsh")
def _eigh(draw):
    # any square matrix: only the UPLO triangle is read (eigenvector signs: tests/oracle/gauge.py)
    s = draw(st.sampled_from(((3, 3), (2, 2), (2, 3, 3), (1, 1), (0, 0), (2, 0, 0), (3, 2))))
    kw = {"UPLO": draw(st.sampled_from(("L", "U")))} if draw(st.booleans()) else {}
    return Call((TArg(s),), kw)


@custom("linalg.matrix_rank")
def _matrix_rank(draw):
    s = draw(st.sampled_from(((3, 3), (3, 4), (2, 3, 2), (4, 1), (0, 3), (2, 2))))
    kw = {}
    if draw(st.booleans()):
        kw["hermitian"] = draw(st.booleans())
    if draw(st.booleans()):
        kw[draw(st.sampled_from(("atol", "rtol")))] = draw(st.sampled_from((0.0, 0.5, 1e-3)))
    return Call((TArg(s),), kw, order=0)


@custom("linalg.multi_dot")
def _multi_dot(draw):
    dims = draw(st.sampled_from(((2, 3, 4), (3, 2, 2, 3), (4, 3), (3,))))
    shapes = [(dims[i], dims[i + 1]) for i in range(len(dims) - 1)] or [(3,)]
    return Call(([TArg(sh) for sh in shapes],), {})


# --------------------------------------------------------------------------- the table
OPERATOR = {"add": "+", "sub": "-", "mul": "*", "div": "/", "floor_divide": "//",
            "remainder": "%", "pow": "**", "matmul": "@", "bitwise_and": "&",
            "bitwise_or": "|", "bitwise_xor": "^", "eq": "==", "ne": "!=", "lt": "<",
            "le": "<=", "gt": ">", "ge": ">=", "neg": "neg", "bitwise_not": "invert",
            "abs": "abs", "positive": "pos"}
INPLACE_OPERATOR = {f"{k}_": f"{v}=" for k, v in OPERATOR.items()
                    if v in ("+", "-", "*", "/", "//", "%", "**", "&", "|", "^")}


def canonical_names() -> list[str]:
    return sorted({d.name for d in OPS.values()})


def base_of_inplace(name: str) -> str | None:
    """``add_`` -> ``add`` (through aliases: ``absolute_`` -> ``abs``), or None."""
    if not name.endswith("_") or name.startswith("_"):
        return None
    d = OPS.get(name[:-1])
    return None if d is None else d.name


# LAPACK-backed ops: torch's results (and whether it raises) on inputs holding NaN or inf are
# its MKL build's arithmetic on them, not a semantics (docs/oracle.md, "Linear algebra"): their
# matrices are drawn finite (dtypes, layouts, integer-valued and rank-deficient ones stay).
FINITE_ONLY = frozenset((
    "linalg.svd", "svd", "linalg.svdvals", "linalg.pinv", "pinverse", "linalg.qr", "qr",
    "linalg.solve", "linalg.solve_triangular", "linalg.slogdet", "slogdet", "logdet",
    "linalg.lstsq", "linalg.eigh", "linalg.eigvalsh", "linalg.matrix_rank", "linalg.inv",
    "inverse", "linalg.matrix_norm", "linalg.det", "det", "linalg.inv_ex", "linalg.tensorinv",
    "linalg.tensorsolve", "linalg.cond", "linalg.lu_factor", "linalg.lu_factor_ex", "linalg.lu",
    "lu", "linalg.lu_solve", "lu_solve", "linalg.cholesky_ex", "linalg.solve_ex",
    "linalg.householder_product", "orgqr", "triangular_solve"))
# torch.special's orthogonal polynomials: for a NaN x and n >= 2 several of torch 2.13's kernels
# return uninitialized memory (6.95e-310, 5e-324, 0 ...: no value to compare), so their x is
# drawn finite too (engine/ops/special_more.py gives NaN there)
FINITE_ONLY = FINITE_ONLY | frozenset("special." + k for k in (
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
    "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
    "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p"))

# grid_sample: with an inf in the input, torch's double backward (a composite) multiplies
# values read at clamped out-of-bounds indices by zero masks (NaN) where the exact second
# derivative (engine/ops/grid_sample.py) is +-inf; first order agrees: drawn finite (ops, s9)
FINITE_ONLY = FINITE_ONLY | {"grid_sample"}


def _finite(a):
    if isinstance(a, TArg):
        return replace(a, specials=False)
    if isinstance(a, (tuple, list)):
        return type(a)(_finite(x) for x in a)
    if isinstance(a, dict):
        return {k: _finite(v) for k, v in a.items()}
    return a


def _finite_draw(inner: Callable) -> Callable:
    def draw_call(draw):
        call = inner(draw)
        return replace(call, args=_finite(call.args), kwargs=_finite(call.kwargs))

    return draw_call


def spec_for(name: str) -> OpSpec | None:
    spec = _spec_for(name)
    if spec is not None and name in FINITE_ONLY:
        return replace(spec, draw=_finite_draw(spec.draw), origin=spec.origin + ", finite")
    return spec


def _spec_for(name: str) -> OpSpec | None:
    if name in CUSTOM:
        return OpSpec(name, CUSTOM[name], "custom")
    if name in SAMPLES:
        return OpSpec(name, from_samples(SAMPLES[name]), "samples")
    base = base_of_inplace(name)
    if base is not None and OPS[name].inplace:
        inner = spec_for(base)
        if inner is not None:
            return OpSpec(name, _on_a_tensor(inner.draw), f"in-place twin of {base} "
                                                          f"({inner.origin})")
    return None


def _on_a_tensor(draw_call: Callable) -> Callable:
    """An in-place twin's calls: the out-of-place op's, where the first argument is a tensor."""

    def draw_in_place(draw) -> Call:
        call = draw_call(draw)
        assume(bool(call.args) and isinstance(call.args[0], TArg) and call.args[0].grad)
        return call

    return draw_in_place


def forms(name: str, args: tuple, kwargs: dict) -> list[str]:
    """The ways a program may call the op with these arguments."""
    kind = OPS[name].kind
    from .program import Ref

    first_tensor = bool(args) and isinstance(args[0], Ref)
    out = []
    if kind in ("function", "both"):
        out.append("function")
    if kind in ("method", "both") and first_tensor:
        out.append("method")
    if name in OPERATOR and not kwargs:
        unary = OPERATOR[name] in ("neg", "invert", "abs", "pos")
        if (unary and len(args) == 1 and first_tensor) or (not unary and len(args) == 2 and (
                first_tensor or isinstance(args[1], Ref))):
            out.append("operator")
    if name in INPLACE_OPERATOR and not kwargs and len(args) == 2 and first_tensor:
        out.append("operator")
    if name == "getitem":
        return ["getitem"]
    if name == "setitem":
        return ["setitem"]
    return out or ["function"]


# indexing ---------------------------------------------------------------------------------
def index_key(draw, s: tuple):
    """A key for ``t[key]`` on shape ``s`` (mostly valid), and the numpy key to size it."""
    items, np_items = [], []
    dims = list(s)
    used_ellipsis = False
    while dims and draw(st.integers(0, 3)):
        n = dims.pop(0)
        kind = draw(st.sampled_from(("int", "slice", "slice", "none", "ellipsis", "index",
                                     "mask", "list")))
        if kind == "int" and n:
            i = draw(st.integers(-n, n - 1))
            items.append(i)
            np_items.append(i)
        elif kind == "slice":
            sl = slice(draw(st.sampled_from((None, 0, 1, -1))),
                       draw(st.sampled_from((None, 2, -1, 5))),
                       draw(st.sampled_from((None, None, 2))))
            items.append(sl)
            np_items.append(sl)
        elif kind == "none":
            items.append(None)
            np_items.append(None)
            dims.insert(0, n)
        elif kind == "ellipsis" and not used_ellipsis:
            used_ellipsis = True
            items.append(Ellipsis)
            np_items.append(Ellipsis)
            dims.clear()
        elif kind == "index" and n:
            idx = np.asarray(draw(st.lists(st.integers(-n, n - 1), min_size=0, max_size=3)),
                             dtype=np.int64)
            items.append(const(idx, "int64"))
            np_items.append(idx)
        elif kind == "mask":
            m = np.asarray(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
            items.append(const(m, "bool"))
            np_items.append(m)
        elif kind == "list" and n:
            idx = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3))
            items.append(idx)
            np_items.append(np.asarray(idx))
        else:
            items.append(slice(None))
            np_items.append(slice(None))
    if len(items) == 1 and draw(st.booleans()):
        return items[0], np_items[0]
    return tuple(items), tuple(np_items)


def _indexed_shape(s: tuple, np_key) -> tuple | None:
    try:
        return np.empty(s)[np_key].shape
    except (IndexError, ValueError):
        return None


# values torch refuses before it reads the key (or casts as it reads them): an int past 64
# bits, a float past the target's range (half is read as double), NaN into an integer
# tensor, a list
_ODD_VALUES = (2 ** 70, -2 ** 63 - 1, 1e300, 70000.0, float("nan"), float("-inf"), [1.0, 2.0])


@custom("setitem")
def _setitem(draw):
    s = shape(draw, ((3,), (2, 3), (2, 3, 4), (4, 1, 2), ()))
    key, np_key = index_key(draw, s)
    sub = _indexed_shape(s, np_key)
    if sub is None or draw(st.integers(0, 2)) == 0:
        value = scalar(draw) if draw(st.integers(0, 3)) else draw(st.sampled_from(_ODD_VALUES))
    else:
        value = TArg(broadcastable(draw, sub), mix=True)
    # an integer or bool target written with a value that requires grad: torch records the
    # write on it (FillBackward3, CopySlices, IndexPutBackward0), then refuses its gradient
    dtype = draw(st.sampled_from((None, None, None, "int64", "int32", "bool")))
    return Call((TArg(s, dtype=dtype), key, value), {})


_masked_fill_samples = from_samples(SAMPLES["masked_fill"])


@custom("masked_fill")
def _masked_fill(draw):
    """The samples, and integer or bool inputs with a 0-d value that may require grad (torch:
    "Autograd not support dtype" out of place; in place the write is recorded)."""
    if draw(st.booleans()):
        return _masked_fill_samples(draw)
    s = shape(draw, ((3,), (2, 3), ()))
    m = np.asarray(draw(st.lists(st.booleans(), min_size=int(np.prod(s)),
                                 max_size=int(np.prod(s)))), dtype=bool).reshape(s)
    value = TArg((), mix=True) if draw(st.integers(0, 2)) else scalar(draw)
    t = any_tensor(draw, s, dtypes=("int64", "int32", "bool", "float32"))
    return Call((t, const(m, "bool"), value), {})


_getitem_samples = from_samples(SAMPLES["getitem"])


@custom("getitem")
def _getitem(draw):
    if draw(st.booleans()):
        return _getitem_samples(draw)
    s = shape(draw, ((3,), (2, 3), (2, 3, 4), (4, 1, 2), (), (0, 2)))
    key, _ = index_key(draw, s)
    return Call((any_tensor(draw, s), key), {})


# added by the ops issue ---------------------------------------------------------------------
@custom("equal", "allclose", "isclose")
def _close(draw):
    a, b = binary_args(draw)
    kw = {}
    if draw(st.booleans()):
        kw["rtol"] = draw(st.sampled_from((0.0, 1e-5, 0.1)))
        kw["atol"] = draw(st.sampled_from((0.0, 1e-8, 0.5)))
    if draw(st.booleans()):
        kw["equal_nan"] = draw(st.booleans())
    return Call((a, b), kw if draw(st.booleans()) else {})


@custom("nelement")
def _nelement(draw):
    return Call((any_tensor(draw),), {})


@custom("logspace")
def _logspace(draw):
    args = (_number(draw), _number(draw), draw(st.sampled_from((0, 1, 2, 5))))
    kw = {"base": draw(st.sampled_from((2.0, 10.0, 0.5)))} if draw(st.booleans()) else {}
    return Call(args, {**kw, **_dtype_kw(draw), **_rg_kw(draw)})


@custom("new_zeros", "new_ones")
def _new_filled(draw):
    return Call((any_tensor(draw), shape(draw)), {**_dtype_kw(draw), **_rg_kw(draw)})


@custom("new_empty")
def _new_empty(draw):
    return Call((any_tensor(draw), shape(draw)), {**_dtype_kw(draw), **_rg_kw(draw)},
                values=False)


@custom("new_full")
def _new_full(draw):
    fill = draw(st.sampled_from((1.5, 2, True, float("inf"), -3)))
    return Call((any_tensor(draw), shape(draw), fill), {**_dtype_kw(draw), **_rg_kw(draw)})


@custom("new")
def _new(draw):
    """torch's legacy ``Tensor.new``: a size (values are uninitialised memory in torch: not
    compared), nested data, or a tensor of the receiver's dtype (an alias)."""
    receiver = any_tensor(draw)
    form = draw(st.sampled_from(("size", "data", "empty")))
    if form == "size":
        return Call((receiver, *shape(draw)), {}, values=False)
    if form == "empty":
        return Call((receiver,), {}, values=False)
    return Call((receiver, _nested(draw, draw(st.integers(1, 2)))), {})


@custom("new_tensor")
def _new_tensor(draw):
    return Call((any_tensor(draw), _nested(draw, draw(st.integers(0, 2)))),
                {**_dtype_kw(draw), **_rg_kw(draw)})


@custom("one_hot")
def _one_hot(draw):
    s = shape(draw, ((3,), (2, 3), (), (0,)))
    t = TArg(s, lo=0, hi=3, dtype=draw(st.sampled_from(("int64", "int64", "int32"))),
             integer=True, grad=False)
    args = (t,) if draw(st.booleans()) else (t, draw(st.sampled_from((-1, 4, 5, 2))))
    return Call(args, {})


@custom("tril_indices", "triu_indices")
def _tri_indices(draw):
    args = (draw(st.integers(0, 4)), draw(st.integers(0, 4)))
    if draw(st.booleans()):
        args += (draw(st.integers(-2, 2)),)
    return Call(args, _dtype_kw(draw, INTS + FLOATS))


# selection with ties -------------------------------------------------------------------------
@custom("topk")
def _topk(draw):
    """Rows with ties and NaNs (integer-valued draws), every ``k`` from 0 to the size, both
    directions, ``sorted=False`` too (torch's order is its C++ library's selection order)."""
    s = shape(draw, ((5,), (3, 5), (2, 3, 4), (1,), (0,), (), (2, 70), (4, 1, 2)))
    dim = dim_arg(draw, len(s), allow_none=False)
    n = s[dim] if s else 1
    k = draw(st.integers(0, n)) if n else 0
    args = (any_tensor(draw, s, dtypes=FLOATS + INTS, lo=-3, hi=3), k)
    kw = {}
    if draw(st.booleans()):
        kw["dim"] = dim
    elif dim not in (-1, len(s) - 1) and s:
        args += (dim,)
    if draw(st.booleans()):
        kw["largest"] = draw(st.booleans())
    if draw(st.booleans()):
        kw["sorted"] = draw(st.booleans())
    return Call(args, kw)


_group_norm_samples = from_samples(SAMPLES["group_norm"])


@custom("group_norm")
def _group_norm(draw):
    """Half the programs from the gradcheck samples; the others draw the group count (0 and
    negative counts, one value per group, empty batches: F.group_norm's checks) and the
    parameters' presence."""
    if draw(st.booleans()):
        return _group_norm_samples(draw)
    s = shape(draw, ((2, 4, 3), (1, 4), (3, 6), (0, 4), (1, 2, 1), (2, 2), (1, 3, 0), (2,)))
    c = s[1] if len(s) > 1 else 1
    groups = draw(st.sampled_from((1, 2, c, 0, -1, 3)))
    kw = {}
    if draw(st.booleans()):
        kw["weight"] = TArg((c,), lo=-2, hi=2)
    if draw(st.booleans()):
        kw["bias"] = TArg((c,))
    return Call((TArg(s), groups), kw)
