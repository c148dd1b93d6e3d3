"""Elementwise ops. Each is one entry: forward on arrays, then one gradient formula per operand,
written with engine ops so that ``create_graph=True`` differentiates them again.

Floating ops (``exp``, ``sqrt``, ...) compute integer and bool inputs in the default float;
``abs neg sign floor ceil round trunc`` keep integer dtypes. Kinks follow PyTorch: ``abs'(0) = 0``,
``sign``/``floor``/``ceil``/``round``/``trunc`` have zero gradients, ``clamp`` passes the gradient
where ``min <= x <= max``, ties in ``maximum``/``minimum`` split it in half, ``sqrt'(0) = inf``.
"""

from __future__ import annotations

import builtins
import math
import warnings

import numpy as np

from .. import errors
from .._cpu import mkl_sqrt_table, sleef_fma
from .._fperr import Quiet
from .._fperr import ignore as ignore_fp
from .._fperr import restore as restore_fp
from .._parallel import MIN_ELEMENTS as _MIN_ELEMENTS
from .._parallel import is_numpy, times_ufunc
from ..autograd import needs_grad, record
from ..autograd.engine import borrow, grad_node, zero_gradient
from ..autograd.graph import FORMULA_ANY, FW_ACTIVE, in_formula, user_call
from ..dtypes import DEFAULT_INT, bool_, float16, float64, from_numpy_dtype, half_number, int64
from ..modes import _grad_enabled, check_numel, is_grad_enabled, set_grad_enabled
from ..tensor import Tensor, _wrap
from . import sleef
from ._args import (
    _INT64_LIMIT,
    broadcast_shape,
    check_int_scalar_conversion,
    check_scalar_int,
    device_of,
    is_scalar,
    operand,
    promote_args,
    wrap_int,
)
from ._fma import fma, log1pf, one_minus_square
from .creation import zeros_like
from .families import (
    _can_cast,
    apply_inplace,
    binary,
    check_inplace,
    check_mem_overlap,
    inplace_twin,
    method_form,
    unary,
)
from .memory_format import as_iterated
from .registry import op, register
from .vector_loops import unary_body


# --------------------------------------------------------------------------- helpers
def _half_once(xp, a, fn):
    """``fn(a)`` as torch's CPU kernel computes it for float16: the formula in float32,
    rounded to half once (each NumPy float16 ufunc would round its own step)."""
    if a.dtype == np.float16:
        return fn(a.astype(np.float32)).astype(np.float16)
    return fn(a)


def _quiet(fwd):
    """Run a forward without NumPy's floating-point warnings (PyTorch gives inf/nan silently)."""

    def run(xp, *arrays):
        token = ignore_fp()  # (np.errstate(all="ignore"), cheaper)
        try:
            return fwd(xp, *arrays)
        finally:
            restore_fp(token)

    return run


def _no_kernel(kernel: str, xp, np_dtype, vml: bool = False) -> errors.KernelNotImplemented:
    """PyTorch's error for an op without a kernel for this dtype (``"abs_cpu" ... 'Bool'``)."""
    dev = "cpu" if is_numpy(xp) else "cuda"
    suffix = "_vml_cpu" if vml and dev == "cpu" else f"_{dev}"
    return errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
        kernel=kernel + suffix, dtype=from_numpy_dtype(np_dtype).scalar_name))


def _array_dtype(*operands):
    for a in operands:
        dt = getattr(a, "dtype", None)
        if dt is not None:
            return dt
    return np.dtype(type(operands[0]))


def _refuse_bool(kernel: str, xp, *operands, vml: bool = False) -> None:
    dt = _array_dtype(*operands)
    if dt.kind == "b":
        raise _no_kernel(kernel, xp, dt, vml)


def _is_int_array(a) -> bool:
    return getattr(a, "dtype", None) is not None and a.dtype.kind in "iub"


def _check_int_divisor(a, b) -> None:
    if _array_dtype(a, b).kind in "iub" and getattr(a, "size", 1) and getattr(b, "size", 1) \
            and (b == 0 if not hasattr(b, "dtype") else (b == 0).any()):  # (empty: none divide)
        raise errors.EngineRuntimeError(errors.INT_DIV_ZERO)


def _require_tensors(name: str, *args) -> None:
    for pos, (arg, value) in enumerate(zip(("input", "other"), args, strict=True), 1):
        if not isinstance(value, Tensor):
            raise errors.EngineTypeError(errors.MUST_BE_TENSOR.format(
                op=name, arg=arg, pos=pos, type=type(value).__name__))


def _type_label(x) -> str:
    return "Tensor" if isinstance(x, Tensor) else type(x).__name__


def _invalid_combination(name: str, args: tuple, overloads: tuple[str, ...]):
    got = ", ".join(_type_label(a) for a in args)
    lines = "".join(f" * ({o})\n" for o in overloads)
    return errors.EngineTypeError(f"{name}() received an invalid combination of arguments - got "
                                  f"({got}), but expected one of:\n{lines}")


def _zero_grad(g, *_):
    return zeros_like(g)


def _no_derivative(name: str):
    def rule(g, *_):
        raise errors.EngineRuntimeError(errors.NO_DERIVATIVE.format(op=name))

    return rule


def _finish(input: Tensor, res, dt, node: str, rule, saved: tuple = ()) -> Tensor:
    """Wrap a one-input op's result and record its node when ``input`` needs a gradient."""
    if res.dtype != dt.np:
        res = res.astype(dt.np)
    out = _wrap(as_iterated(res, (input._data,)), dt, input.device)  # (torch's layout)
    if rule is not None and (input.requires_grad and is_grad_enabled() or FW_ACTIVE[0]):
        record(out, node, (rule,), (input,), saved, jvp=lambda ts: rule(ts[0], *saved))
    return out


def _alias_twins(*pairs) -> None:
    """In-place twins for aliases (``absolute_``, ``clip_``, ...)."""
    from .registry import OPS

    for alias, name in pairs:
        inplace_twin(alias, OPS[name].fn)


# --------------------------------------------------------------------------- arithmetic
_F16 = np.dtype(np.float16)


def _half_by_number(xp, a, b, ufunc: str):
    """``a * b`` / ``a / b`` for an array ``a`` and a Python number ``b``. float16 as torch's
    CPU kernels compute it (a CPU scalar operand of a half op): ``b`` in float32, the product
    or quotient in float32, rounded to half once; NumPy would round ``b`` to half first
    (x * pi: 26,506 of the 63,491 float16 values differed). Others: the plain ufunc."""
    if type(a) is np.ndarray and a.dtype is _F16:
        return getattr(np, ufunc)(a.astype(np.float32), np.float32(b)).astype(np.float16)
    return getattr(xp, ufunc)(a, b)


_add = binary("add", lambda xp, a, b: xp.add(a, b), (lambda g, *_: g, lambda g, *_: g),
              save=(), doc="", inplace=False, public=False, scalar_node="AddBackward1")


def _is_bool(x) -> bool:
    return type(x) is bool or type(x) is Tensor and x.dtype is bool_


def _sub_check(a, b) -> None:
    """PyTorch refuses ``-`` on bool operands (a Python bool counts as a bool tensor); an int
    beyond int64 and uint64 fails first, in its parser."""
    check_scalar_int(a)
    check_scalar_int(b)
    a_bool, b_bool = _is_bool(a), _is_bool(b)
    if a_bool and b_bool:
        raise errors.EngineRuntimeError(errors.BOOL_SUB)
    if a_bool or b_bool:
        raise errors.EngineRuntimeError(errors.BOOL_SUB_ONE)


_sub = binary("sub", lambda xp, a, b: xp.subtract(a, b), (lambda g, *_: g, lambda g, *_: -g),
              save=(), doc="", inplace=False, public=False, check=_sub_check,
              scalar_node="SubBackward1")
_div = binary("div", _quiet(lambda xp, a, b: xp.true_divide(a, b) if type(b) is not float and
                            type(b) is not int else _half_by_number(xp, a, b, "true_divide")),
              (lambda g, a, b: g / b if type(b) is Tensor else user_call(_div_number, g, b),
               lambda g, a, b: -g * ((a / b) / b)),  # torch's formula
              out="float", doc="", inplace=False, public=False, half_scalar=True,
              scalar_node="DivBackward1", save="quotient")
def _times_other(g: Tensor, other) -> Tensor:
    """A product's gradient rule, ``g * other``. When ``g`` is one 1 broadcast to ``other``'s
    shape and dtype (the gradient ``y.sum().backward()`` hands on), the product is ``other``
    bit for bit: a plain backward borrows its memory instead of a pass over it."""
    od = other._data
    if type(g) is not Tensor:
        return g * other
    d = g._data
    if od.size >= 65536:
        if d.shape == od.shape and d.dtype == od.dtype and type(d) is np.ndarray and \
                not any(d.strides) and d.item(0) == 1 and g.device is other.device:
            res = borrow(other)
            if res is not None:
                return res
    elif type(d) is np.ndarray and type(od) is np.ndarray and g.dtype is other.dtype and \
            g.dtype.is_floating_point and g.device is other.device and \
            (d.size == 1 or d.shape == od.shape) and \
            d.size < _MIN_ELEMENTS and not FW_ACTIVE[0] and not _grad_enabled.get():
        # a plain backward (nothing records it) of small same-typed NumPy operands: what
        # ``mul``'s fast path computes (one ``numpy.multiply``), without the op's dispatch
        return _wrap(np.multiply(d, od), g.dtype, g.device)
    return g * other


def _times_number(g: Tensor, n) -> Tensor:
    """A product's gradient rule for a Python number operand, ``g * n``. In a plain backward
    (grad mode off, no forward-AD level or vmap) with ``g`` a floating NumPy array below the
    threaded size, that is exactly what ``mul``'s fast path computes (one ``numpy.multiply``,
    the result in ``g``'s dtype), without the op's dispatch."""
    d = g._data
    if type(d) is np.ndarray and not FW_ACTIVE[0] and not _grad_enabled.get() and \
            g.dtype.is_floating_point and d.size < _MIN_ELEMENTS and \
            (type(n) is float or type(n) is int):
        return _wrap(_half_by_number(np, d, n, "multiply") if d.dtype is _F16 else
                     np.multiply(d, n), g.dtype, g.device)
    # (the number a program's ``x * 2`` took is a tensor to torch: its formula's product is
    # mul.Tensor, MulBackward0, even under create_graph)
    return user_call(_mul_number, g, n)


def _mul_number(g: Tensor, n) -> Tensor:
    return g * n


def _div_number(g: Tensor, n) -> Tensor:
    return g / n


mul = binary("mul", lambda xp, a, b: xp.multiply(a, b) if type(b) is not float and
             type(b) is not int or getattr(a, "dtype", None) is not _F16 else
             _half_by_number(xp, a, b, "multiply"),  # (a: a number in torch.mul(2, 3))
             (lambda g, a, b: _times_other(g, b) if type(b) is Tensor else _times_number(g, b),
              lambda g, a, b: _times_other(g, a) if type(a) is Tensor else _times_number(g, a)),
             save="cross", doc="Elementwise product (broadcasting).", aliases=("multiply",),
             ufunc="multiply", half_scalar=True, scalar_node="MulBackward1")


def _check_alpha(alpha, input, other, negated: bool = False) -> None:
    """PyTorch's checks of ``alpha`` against the result's dtype. An integer alpha must fit the
    dtype's C type (a uint64 one does not fit int64); sub's and rsub's is negated first, as
    an int64 that wraps (2**63 becomes -2**63 and fits)."""
    check_scalar_int(alpha)
    dt = promote_args(input, other)
    if type(alpha) is bool and dt is not bool_:
        raise errors.EngineRuntimeError(errors.ALPHA_BOOL)
    if isinstance(alpha, float) and not dt.is_floating_point:
        raise errors.EngineRuntimeError(errors.ALPHA_FLOAT)
    if type(alpha) is int and not dt.is_floating_point and dt is not bool_:
        check_int_scalar_conversion(
            wrap_int(-wrap_int(alpha, int64), int64) if negated else alpha, dt)


def _negated_alpha(alpha):
    """sub's and rsub's alpha as torch applies it: negated as a wrapping int64 (a uint64
    alpha, and -2**63, come out as torch's), then subtracted again."""
    if type(alpha) is int and not -_INT64_LIMIT < alpha < _INT64_LIMIT:
        return -wrap_int(-wrap_int(alpha, int64), int64)
    return alpha


_FMA_DTYPES = (np.float32, np.float64)


def _scaled_plain(impl, a, b, dt, alpha, scale_first: bool) -> Tensor:
    """``impl`` with one operand times ``alpha`` (rounded twice)."""
    def scale(x):
        if type(x) is Tensor and x.dtype is not dt:
            x = x.to(dt)
        return x * (alpha != 0) if dt is bool_ else x * alpha  # bools: a logical and

    return impl(scale(a), b) if scale_first else impl(a, scale(b))


def _half_scalar_tail(x: np.ndarray, y: np.ndarray):
    """Where torch's float16 loop over ``x`` and ``y`` runs its scalar remainder (past the
    last whole 32-element vector of each loop; ``vector_loops.unary_body``): same-layout
    operands, or an array with a single number; None where no element is there, or for
    layouts not modelled (they keep the vector form)."""
    if x.size == 1 or y.size == 1:
        arr = y if x.size == 1 else x
    elif x.shape == y.shape and x.strides == y.strides:
        arr = x
    else:
        return None
    if not arr.size:
        return None
    body = unary_body(arr, 32)
    if body is None or body.all():
        return None
    return np.broadcast_to(~body, np.broadcast_shapes(x.shape, y.shape))


def _scaled(impl, node: str, input, other, alpha, scale_first: bool, grads) -> Tensor:
    """``impl`` with one operand times ``alpha``, recorded as ONE node (PyTorch's AddBackward0
    with alpha, not a Mul then an Add); ``grads`` are the rules of the two operands."""
    def plain(x):
        return x.detach() if type(x) is Tensor else x

    a, b = plain(input), plain(other)
    dt = promote_args(input, other)  # the scaled operand computes in the result's dtype
    if dt.np in _FMA_DTYPES and type(input) is Tensor and type(other) is Tensor:
        # torch's kernel rounds ``alpha * x + y`` once (a fused multiply-add)
        x, y = (input, other) if scale_first else (other, input)
        v = dt.np.type(alpha)
        v = -v if impl is not _add else v
        xd, yd = x._data, y._data
        if type(xd) is np.ndarray and type(yd) is np.ndarray and xd.dtype == dt.np and \
                yd.dtype == dt.np and xd.shape == yd.shape and x.device is y.device and \
                xd.flags.c_contiguous and yd.flags.c_contiguous:
            # (the plain op's result would be C-contiguous too: the fma is written straight
            # into a new array instead of over it)
            out = _wrap(fma(v, xd, yd), dt, x.device)
        else:
            out = _scaled_plain(impl, a, b, dt, alpha, scale_first)
            if out._data.size:
                fma(v, x._data.astype(dt.np, copy=False), y._data.astype(dt.np, copy=False),
                    out.device.xp, out=out._data)
    elif dt is float16 and device_of(input, other).xp is np:
        # torch's half kernel: alpha rounded to half, ``alpha * x + y`` in float32, rounded
        # to half once (x * alpha then the op would round twice, alpha not to half)
        x, y = (a, b) if scale_first else (b, a)
        xh = np.asarray(operand(x, dt), np.float16)
        yh = np.asarray(operand(y, dt), np.float16)
        sx = np.float32(np.float16(half_number(alpha))) * xh.astype(np.float32)
        yd = yh.astype(np.float32)
        tail = _half_scalar_tail(xh, yh)
        if tail is not None:
            # its scalar remainder loop multiplies in c10::Half: the product rounded to half
            # (3-5 ulps off there, 7-10 of 100,000 values)
            with np.errstate(all="ignore"):
                sx = np.where(tail, sx.astype(np.float16).astype(np.float32), sx)
        with np.errstate(all="ignore"):
            res = sx + yd if impl is _add else (sx - yd if scale_first is (impl is _sub)
                                                else yd - sx)
        out = _wrap(np.asarray(res.astype(np.float16)), dt, device_of(input, other))
    else:
        out = _scaled_plain(impl, a, b, dt, alpha, scale_first)
    if needs_grad(input, other):
        if type(other) is Tensor or node != "RsubBackward1":
            record(out, node, grads, (input, other))
        else:
            record(out, node, grads[:1], (input,))
    return out


@op(grad_fns=("AddBackward0",))
def add(input, other, *, alpha=1):
    """Elementwise ``input + alpha * other`` (broadcasting)."""
    if alpha != 1 or type(alpha) is not int:
        _check_alpha(alpha, input, other)
        if alpha != 1:
            return _scaled(_add, "AddBackward0", input, other, alpha, False,
                           (lambda g: g, lambda g: g * alpha))
    return _add(input, other)


@op(grad_fns=("SubBackward0",), aliases=("subtract",))
def sub(input, other, *, alpha=1):
    """Elementwise ``input - alpha * other`` (broadcasting)."""
    if alpha != 1 or type(alpha) is not int:
        check_scalar_int(alpha)
        _sub_check(input, other)
        _check_alpha(alpha, input, other, negated=True)
        alpha = _negated_alpha(alpha)
        if alpha != 1:
            return _scaled(_sub, "SubBackward0", input, other, alpha, False,
                           (lambda g: g, lambda g: -g * alpha))
    return _sub(input, other)


_rsub_grads = (lambda g, *_: -g, lambda g, *_: g)
_rsub0 = binary("rsub", lambda xp, a, b: xp.subtract(b, a), _rsub_grads, save=(),
                node="RsubBackward0", doc="", inplace=False, public=False, check=_sub_check,
                other_first=True)
_rsub1 = binary("rsub", lambda xp, a, b: xp.subtract(b, a), _rsub_grads, save=(),
                node="RsubBackward1", doc="", inplace=False, public=False, check=_sub_check,
                number_edges=False, other_first=True)

# PyTorch's C++ Scalar overloads, as its composite ops call them (``at::add(t, eps)`` inside
# pairwise_distance): one edge, named ...Backward1 (a Python ``t + 0.5`` is AddBackward0 with an
# empty second edge). The number is the second operand.
add_scalar = binary("add", lambda xp, a, b: xp.add(a, b), (lambda g, *_: g, None), save=(),
                    node="AddBackward1", doc="", inplace=False, public=False, number_edges=False)
sub_scalar = binary("sub", lambda xp, a, b: xp.subtract(a, b), (lambda g, *_: g, None),
                    save=(), node="SubBackward1", doc="", inplace=False, public=False,
                    check=_sub_check, number_edges=False)
# (its gradient ``grad * other`` is mul(Tensor, Scalar) again: MulBackward1 under create_graph)
mul_scalar = binary("mul", lambda xp, a, b: xp.multiply(a, b) if type(b) is not float and
                    type(b) is not int or a.dtype is not _F16 else
                    _half_by_number(xp, a, b, "multiply"),  # (float16: as ``mul``)
                    (lambda g, a, b: mul_scalar(g, b) if needs_grad(g) else
                     _times_number(g, b), None), save="cross",
                    node="MulBackward1", doc="", inplace=False, public=False,
                    number_edges=False)


@op(kind="function", grad_fns=("RsubBackward0", "RsubBackward1"))
def rsub(input, other, *, alpha=1):
    """``other - alpha * input`` (``other`` a tensor or a number): ``4.2 - x``."""
    if not isinstance(input, Tensor):
        raise _invalid_combination("rsub", (input, other), (
            "Tensor input, Tensor other, *, Number alpha = 1",
            "Tensor input, Number other, Number alpha = 1"))
    tensor_other = isinstance(other, Tensor)
    if not tensor_other and alpha == 1 and type(alpha) is int and FORMULA_ANY[0] and \
            input.requires_grad and in_formula() and input.dtype.is_floating_point:
        # C++'s ``1 - t`` in torch's formulas: empty_like(t).fill_(1).sub_(t), SubBackward0
        # with an empty first edge
        xp = input.device.xp
        return _sub(_wrap(xp.full(input._data.shape, other, dtype=input.dtype.np), input.dtype,
                          input.device), input)
    impl = _rsub0 if tensor_other else _rsub1
    if alpha != 1 or type(alpha) is not int:
        check_scalar_int(alpha)
        _sub_check(input, other)
        _check_alpha(alpha, input, other, negated=True)
        alpha = _negated_alpha(alpha)
        if alpha != 1:
            return _scaled(impl, "RsubBackward0" if tensor_other else "RsubBackward1", input,
                           other, alpha, True, (lambda g: -g * alpha, lambda g: g))
    return impl(input, other)


@op(grad_fns=("DivBackward0", "DivBackward2"), aliases=("divide",))
def div(input, other, *, rounding_mode=None):
    """Elementwise division; ``rounding_mode`` None (true), "trunc" or "floor"."""
    if rounding_mode is None:
        return _div(input, other)
    if rounding_mode == "trunc":
        return _div_trunc(input, other)
    if rounding_mode == "floor":
        return _div_floor(input, other)
    raise errors.EngineRuntimeError(
        "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
        f"'{rounding_mode}'")


@op(grad_fns=("DivBackward0",))
def true_divide(input, other):
    """Elementwise true division (``div`` without ``rounding_mode``, which it refuses)."""
    return _div(input, other)


add.operator, sub.operator, div.operator = _add, _sub, _div  # ``a + b`` has no alpha to parse


def _sub_precheck(self, *args, **kwargs) -> None:
    """sub's meta function refuses bool operands before the write's overlap check."""
    if args or "other" in kwargs:
        _sub_check(self, args[0] if args else kwargs["other"])


def _alpha_into(negate: bool):
    """``add_``/``sub_`` with ``alpha`` of a same-shaped tensor of ``self``'s dtype (float32 or
    float64, NumPy arrays), recording nothing: the fused multiply-add written straight into
    ``self`` (``p.add_(g, alpha=-lr)``: no plain result computed first, no copy)."""
    def fast(self, *args, **kwargs):
        if len(args) != 1 or len(kwargs) != 1:
            return None
        alpha = kwargs.get("alpha")
        other = args[0]
        ta = type(alpha)
        if not (ta is float or ta is int and -_INT64_LIMIT < alpha < _INT64_LIMIT) or \
                alpha == 1 or type(other) is not Tensor or other.dtype is not self.dtype or \
                other.device is not self.device:
            return None
        arr, od = self._data, other._data
        if type(arr) is not np.ndarray or type(od) is not np.ndarray or \
                arr.dtype.type not in _FMA_DTYPES or od.shape != arr.shape:
            return None
        v = arr.dtype.type(alpha)
        fma(-v if negate else v, od, arr, out=arr)
        self._vc[0] += 1
        return self

    return fast


for _fn in (add, sub, div):
    inplace_twin(_fn.__name__, _fn,
                 ufunc={"add": "add", "sub": "subtract", "div": "true_divide"}[_fn.__name__],
                 precheck=_sub_precheck if _fn is sub else None,
                 fast=None if _fn is div else _alpha_into(_fn is sub))


def _floor_div(xp, a, b):
    _refuse_bool("div_floor", xp, a, b)
    _check_int_divisor(a, b)
    return xp.floor_divide(a, b)


def _trunc_div(xp, a, b):
    _refuse_bool("div_trunc", xp, a, b)
    if _array_dtype(a, b).kind in "iu":
        _check_int_divisor(a, b)
        q = xp.floor_divide(a, b)
        return q + ((q < 0) & (q * b != a))
    return xp.trunc(xp.true_divide(a, b))


_zero_grads = (_zero_grad, _zero_grad)
_div_trunc = binary("div", _quiet(_trunc_div), _zero_grads, save="quotient", node="DivBackward2",
                    doc="", inplace=False, public=False)
_div_floor = binary("div", _quiet(_floor_div), _zero_grads, save="quotient", node="DivBackward2",
                    doc="", inplace=False, public=False)
# PyTorch has no derivative for floor_divide: backward through it fails, as there.
floor_divide = binary("floor_divide", _quiet(_floor_div),
                      (_no_derivative("floor_divide"),) * 2, save=(), node="NotImplemented",
                      doc="", inplace=False, public=False)
register("floor_divide", floor_divide, doc="Elementwise division rounded down (Python's ``//``).",
         differentiable=False)
inplace_twin("floor_divide", binary(  # its backward error names the in-place op, as torch's
    "floor_divide", _quiet(_floor_div), (_no_derivative("floor_divide_"),) * 2, save=(),
    node="NotImplemented", doc="", inplace=False, public=False))


def _remainder_fwd(xp, a, b):
    """Python's ``%``: the result takes the divisor's sign (PyTorch's ``remainder``)."""
    _refuse_bool("remainder", xp, a, b)
    _check_int_divisor(a, b)
    if _array_dtype(a, b).kind in "iu":
        return xp.remainder(a, b)
    m = xp.fmod(a, b)
    return xp.where((m != 0) & ((b < 0) != (m < 0)), m + b, m)


def _fmod_fwd(xp, a, b):
    """C's ``fmod``: the result takes the dividend's sign."""
    _refuse_bool("fmod", xp, a, b)
    _check_int_divisor(a, b)
    return xp.fmod(a, b)


_remainder_grads = (lambda g, a, b: g, lambda g, a, b: -g * div(a, b, rounding_mode="floor"))
_fmod_grads = (lambda g, a, b: g, lambda g, a, b: -g * div(a, b, rounding_mode="trunc"))
_scalar_other_grads = (lambda g: g, None)
_remainder0 = binary("remainder", _quiet(_remainder_fwd), _scalar_other_grads, save=(),
                     node="RemainderBackward0", doc="", inplace=False, public=False,
                     number_edges=False)
_remainder1 = binary("remainder", _quiet(_remainder_fwd), _remainder_grads, save="for other",
                     node="RemainderBackward1", doc="", inplace=False, public=False)
_remainder2 = binary("remainder", _quiet(_remainder_fwd), (None, _no_derivative("remainder")),
                     save=(), node="NotImplemented", doc="", inplace=False, public=False,
                     number_edges=False)
_fmod0 = binary("fmod", _quiet(_fmod_fwd), _scalar_other_grads, save=(), node="FmodBackward0",
                doc="", inplace=False, public=False, number_edges=False)
_fmod1 = binary("fmod", _quiet(_fmod_fwd), _fmod_grads, save="for other", node="FmodBackward1",
                doc="", inplace=False, public=False)


@op(grad_fns=("RemainderBackward0", "RemainderBackward1"))
def remainder(input, other):
    """Elementwise remainder with Python's sign rule (the divisor's sign), as ``%``."""
    if not isinstance(input, Tensor):
        return _remainder2(input, other)
    return _remainder1(input, other) if isinstance(other, Tensor) else _remainder0(input, other)


@op(grad_fns=("FmodBackward0", "FmodBackward1"))
def fmod(input, other):
    """Elementwise remainder with C's sign rule (the dividend's sign)."""
    if not isinstance(input, Tensor):
        raise _invalid_combination("fmod", (input, other), (
            "Tensor input, Tensor other, *, Tensor out = None",
            "Tensor input, Number other, *, Tensor out = None"))
    return _fmod1(input, other) if isinstance(other, Tensor) else _fmod0(input, other)


inplace_twin("remainder", remainder)
inplace_twin("fmod", fmod)


def _pow_fwd(xp, a, b):
    dt = _array_dtype(a, b)
    if dt.kind == "b":
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="pow", dtype="Bool"))
    if dt.kind not in "iu":
        if dt.kind == "f" and dt.itemsize >= 4 and type(b) in (int, float):
            # torch's kernel takes these exponents as products (bit for bit its rounding)
            if b == 3:
                return a * a * a
            if b == -2:
                return 1 / (a * a)
            if b == -0.5:
                return 1 / xp.sqrt(a)
            if b == 0.5:  # (torch's sqrt kernel: MKL's, see sqrt_array)
                return sqrt_array(xp, a)
        if dt == np.float32:
            # torch's float32 pow (SLEEF's powf_u10 in the vector body, the C library's
            # powf in the tail) is the correctly rounded value for ~98 % of inputs; NumPy's
            # float32 power for ~79 %: through float64, rounded once
            # (a Python number is taken as a float first, as the kernel's Scalar is)
            def wide(x):
                return (x if hasattr(x, "dtype") else np.float32(x)).astype(np.float64)

            return xp.power(wide(a), wide(b)).astype(np.float32)
        return xp.power(a, b)
    if not hasattr(b, "dtype"):
        if b < 0:
            raise errors.EngineRuntimeError(errors.INT_NEG_POW)
        return xp.power(a, b)
    if not (b < 0).any():
        return xp.power(a, b)
    # PyTorch's integer powers with negative tensor exponents: 1 -> 1, -1 -> +-1, else 0
    mag = xp.abs(b)
    neg_one = xp.where(mag % 2 == 0, 1, -1)
    small = xp.where(a == 1, 1, xp.where(a == -1, neg_one, 0))
    return xp.where(b < 0, small, xp.power(a, mag))


def _pow_grad_base(g, a, b, *out):
    # torch's pow_backward / pow_backward_self: grad * (b * a^(b - 1)), zero where b == 0
    if not isinstance(b, Tensor):
        return zeros_like(g) if b == 0 else g * (b * a ** (b - 1))
    return where(b == 0, 0.0, g * (b * a ** (b - 1)))


def _pow_grad_exponent(g, a, b, out):
    # torch's pow_backward_exponent: grad * where(a == 0 & b >= 0, 0, out * log(a)), the log
    # of the base in the result's dtype (so its double backward has torch's NaNs and nodes)
    if not isinstance(a, Tensor):
        log_a = math.log(a) if a > 0 else float("-inf") if a == 0 else float("nan")
        if a == 0:
            return g * where(b >= 0, 0.0, out * log_a)
        return g * (out * log_a)
    if a.dtype is not out.dtype:
        a = a.to(out.dtype)
    return g * where((a == 0) & (b >= 0), 0.0, out * a.log())


# What PyTorch saves: PowBackward0 (a number exponent) the base only, so ``y = a ** 2;
# y.zero_()`` still differentiates; PowBackward1/2 the base, the exponent and the result
# whether or not the exponent needs a gradient (changing ``a ** t`` in place makes its
# backward raise in torch).
_pow_grads = (_pow_grad_base, _pow_grad_exponent)
_pow0, _pow1, _pow2 = (
    binary("pow", _quiet(_pow_fwd), _pow_grads, save=save, node=f"PowBackward{i}", doc="",
           inplace=False, public=False, number_edges=False, row_major=i == 2)
    for i, save in ((0, ("input", "other")), (1, ("input", "other", "out")),
                    (2, ("input", "other", "out"))))


@op(grad_fns=("PowBackward0", "PowBackward1", "PowBackward2"))
def pow(input, exponent):
    """Elementwise power ``input ** exponent`` (either may be a scalar)."""
    if not isinstance(input, Tensor):
        return _pow2(input, exponent)
    if not isinstance(exponent, Tensor):
        if type(exponent) is int and not input.dtype.is_floating_point:
            # read as int64_t (a uint64 exponent overflows), then as the base's C type
            check_int_scalar_conversion(exponent, int64)
            if input.dtype is not bool_:
                if exponent < 0:
                    raise errors.EngineRuntimeError(errors.INT_NEG_POW)
                check_int_scalar_conversion(exponent, input.dtype)
        return _pow0(input, exponent)
    return _pow1(input, exponent)


@op(grad_fns=("PowBackward0",))
def square(input):
    """Elementwise ``input ** 2``."""
    return pow(input, 2)


inplace_twin("pow", pow)
inplace_twin("square", square)


def _ties(loses):
    """A gradient rule of ``maximum``/``minimum``: none where this operand ``loses(x, y)``,
    half on ties, all of it otherwise (NaN counts as winning). torch's formula fills the
    losing positions in place: under ``create_graph`` the gradient is MaskedFillBackward0's,
    at version 1."""
    return lambda g, x, y: where(x == y, g / 2, g).masked_fill_(loses(x, y), 0)


def _tensor_only(name: str, impl, doc: str, grad_fns=(), aliases=()):
    def fn(input, other):
        _require_tensors(name, input, other)
        return impl(input, other)

    fn.__name__ = fn.__qualname__ = name
    register(name, fn, doc=doc, differentiable=bool(grad_fns), grad_fns=grad_fns,
             aliases=aliases)
    setattr(Tensor, name, method_form(fn, name))
    return fn


def first_on_ties(xp, res, first):
    """``res`` (a maximum or minimum of ``first`` and another operand) with torch's rule for
    equal elements: the first operand's, so ``maximum(-0., 0.)`` is ``-0.``. (torch's SIMD
    loop returns the second one instead; which elements it covers depends on the CPU and
    the position, see docs/oracle.md: the engine follows the scalar loop everywhere.)"""
    dt = getattr(res, "dtype", None)
    if dt is None or dt.kind != "f":
        return res
    return xp.where(res == first, first, res).astype(dt, copy=False)


maximum = _tensor_only("maximum", binary(
    "maximum", lambda xp, a, b: first_on_ties(xp, xp.maximum(a, b), a),
    (_ties(lambda x, y: x < y), _ties(lambda x, y: x > y)), doc="", inplace=False,
    public=False), "Elementwise maximum (NaN wins; ties split the gradient).",
    ("MaximumBackward0",))
minimum = _tensor_only("minimum", binary(
    "minimum", lambda xp, a, b: first_on_ties(xp, xp.minimum(a, b), a),
    (_ties(lambda x, y: x > y), _ties(lambda x, y: x < y)), doc="", inplace=False,
    public=False), "Elementwise minimum (NaN wins; ties split the gradient).",
    ("MinimumBackward0",))
def _nan_aware(keep_first):
    """fmax/fmin's gradients: the first operand's where it was chosen (ties included, or the
    other is NaN), the second's elsewhere, as torch's masked_fill formulas."""
    return (lambda g, x, y: g.masked_fill((keep_first(x, y) | y.isnan()).logical_not(), 0),
            lambda g, x, y: g.masked_fill(keep_first(x, y) | y.isnan(), 0))


fmax = _tensor_only("fmax", binary(
    "fmax", lambda xp, a, b: first_on_ties(xp, xp.fmax(a, b), a),
    _nan_aware(lambda x, y: x >= y), doc="", inplace=False, public=False),
    "Elementwise maximum ignoring NaN (NaN only where both are NaN).", ("FmaxBackward0",))
fmin = _tensor_only("fmin", binary(
    "fmin", lambda xp, a, b: first_on_ties(xp, xp.fmin(a, b), a),
    _nan_aware(lambda x, y: x <= y), doc="", inplace=False, public=False),
    "Elementwise minimum ignoring NaN (NaN only where both are NaN).", ("FminBackward0",))


def _atan2_recip(y: Tensor, x: Tensor) -> Tensor:
    """``1 / (y² + x²)``, 0 where both are 0 (torch's atan2 gradient is 0 at the origin)."""
    d = y * y + x * x
    return d.reciprocal().masked_fill(_wrap(d._data == 0, bool_, d.device), 0)


def _atan2_backward(g: Tensor, needs: tuple, y: Tensor, x: Tensor) -> tuple:
    """torch's atan2_backward: one ``recip`` for both gradients."""
    recip = _atan2_recip(y, x)
    return (g * x * recip if needs[0] else None, g * -y * recip if needs[1] else None)


atan2 = _tensor_only("atan2", binary(
    "atan2", lambda xp, a, b: xp.arctan2(a, b),
    (lambda g, y, x: g * x * _atan2_recip(y, x), lambda g, y, x: g * -y * _atan2_recip(y, x)),
    out="float", doc="", inplace=False, public=False, joint=_atan2_backward),
    "Elementwise angle of the point ``(other, input)`` (``atan(input / other)`` by quadrant).",
    ("Atan2Backward0",), aliases=("arctan2",))
inplace_twin("atan2", atan2)
inplace_twin("arctan2", atan2)


# --------------------------------------------------------------------------- unary
def _neg(xp, a):
    if a.dtype.kind == "b":
        raise errors.EngineRuntimeError(errors.NEG_BOOL)
    return xp.negative(a)


def _abs(xp, a):
    _refuse_bool("abs", xp, a)
    return xp.abs(a)


def _sign(xp, a):
    if a.dtype.kind == "b":
        return a.copy()
    return (a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)  # sign(nan) = 0, as PyTorch


def _rounding(name: str, ufunc: str):
    def fwd(xp, a):
        _refuse_bool(name, xp, a, vml=True)
        return a.copy() if a.dtype.kind in "iu" else getattr(xp, ufunc)(a)

    return fwd


def _frac(xp, a):
    if a.dtype.kind != "f":
        raise _no_kernel("frac", xp, a.dtype)
    return a - xp.trunc(a)


_AS_P = np.float32(0.3275911)  # Abramowitz and Stegun 7.1.26
_AS_COEFFS = tuple(np.float32(c) for c in (1.061405429, -1.453152027, 1.421413741,
                                           -0.284496736, 0.254829592))


def _erf_half(a):
    """erf of a float16 array as torch's CPU kernel computes it in every layout: in float32
    (``erf_as_float32``), rounded to half."""
    return erf_as_float32(a.astype(np.float32)).astype(np.float16)


def erf_as_float32(x):
    """erf of a float32 array as ATen's vectorized float32 erf (``Vectorized<float>::erf``,
    the one float16 erf and gelu's dense non-oneDNN inputs use): the rational approximation
    of Abramowitz and Stegun 7.1.26 (|error| < 1.5e-7) evaluated with fused multiply-adds,
    ``1 - r t exp(-x^2)``, its sign copied from x. (The float32 exp is taken as float64
    rounded: every float16 value agrees with torch.)"""
    one = np.ones_like(x)
    with Quiet():
        t = np.float32(1) / fma(np.full_like(x, _AS_P), np.abs(x), one)
        r = np.full_like(x, _AS_COEFFS[0])
        for c in _AS_COEFFS[1:]:
            r = fma(r, t, np.full_like(x, c))
        e = np.exp(-(x * x).astype(np.float64)).astype(np.float32)
        res = fma(-e * t, r, one)
    return np.copysign(res, x)


def _erf(xp, a):
    """erf to double precision with array ops only: an all-positive series below 2.5, the
    continued fraction of erfc above. float16 as torch computes it (``_erf_half``)."""
    if a.dtype == np.float16 and type(a) is np.ndarray:
        return _erf_half(a)
    x = a.astype(np.float64)
    mag = xp.abs(x)
    small = xp.minimum(mag, 2.5)
    two_a2 = 2.0 * small * small
    term = small.copy()
    total = small.copy()
    for n in range(1, 40):
        term = term * two_a2 / (2 * n + 1)
        total = total + term
    series = (2.0 / math.sqrt(math.pi)) * xp.exp(-small * small) * total
    big = xp.maximum(mag, 2.5)
    frac = big.copy()
    for k in range(30, 0, -1):
        frac = big + (k / 2.0) / frac
    tail = 1.0 - xp.exp(-big * big) / (math.sqrt(math.pi) * frac)
    return xp.copysign(xp.where(mag < 2.5, series, tail), x)  # erf(-0.) is -0.


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

neg = unary("neg", _neg, lambda g, *_: -g, save=(), floating=False,
            doc="Elementwise negation.", aliases=("negative",))
# ``sgn`` is also abs's gradient (``g * x.sgn()``), as torch's: its own gradient is torch's
# zero tensor, which leaves the signs of zeros it is added to as they are; its node saves the
# input and the result all the same (torch's SgnBackward0: a backward after either changed in
# place raises)
sgn = unary("sgn", _sign, lambda g, x, out: zero_gradient(g), save=("input", "out"), floating=False,
            doc="Elementwise sign of a real tensor, as ``sign`` (0 for NaN); its gradient is "
                "torch's zero tensor.")


abs = unary("abs", _abs, lambda g, x: g * sgn(x), floating=False,
            doc="Elementwise absolute value (gradient 0 at 0).", aliases=("absolute",))
sign = unary("sign", _sign, _zero_grad, save=(), floating=False,
             doc="Elementwise sign: -1, 0 or 1 (0 for NaN); zero gradient.")
floor = unary("floor", _rounding("floor", "floor"), _zero_grad, save=(), floating=False,
              doc="Elementwise round down; zero gradient.")
ceil = unary("ceil", _rounding("ceil", "ceil"), _zero_grad, save=(), floating=False,
             doc="Elementwise round up; zero gradient.")
trunc = unary("trunc", _rounding("trunc", "trunc"), _zero_grad, save=(), floating=False,
              doc="Elementwise round toward zero; zero gradient.", aliases=("fix",))
frac = unary("frac", _frac, lambda g: g, save=(), floating=False,
             doc="Elementwise fractional part ``input - trunc(input)``.")
def on_cpu(xp) -> bool:
    """Is ``xp`` NumPy's API on host arrays: NumPy itself, its thread-chunking stand-in
    (``_parallel.PARALLEL_NUMPY``, large arrays) or a ``vmap`` level's namespace over either
    (a fast path must take the same branch for all three, or a batched call and the plain one
    disagree in the last bit)."""
    return getattr(xp, "ndarray", None) is np.ndarray


def host_elementwise(fn, a):
    """``fn`` (NumPy arrays to NumPy arrays, elementwise) on ``a``, or on the physical array
    of a ``vmap`` level's batched one (rewrapped)."""
    if not hasattr(a, "phys"):  # (NumPy's arrays and scalars)
        return fn(a)
    return type(a)(fn(a.phys), a.level)


def _float32_rounded_once(ufunc: str):
    """The forward of ``exp``/``expm1``/``log``/``log1p``/``tanh``: a float32 CPU array through
    float64, rounded once. torch's float32 CPU kernels for these (MKL's or its vectorised ones)
    are the correctly rounded value for all but 0.5-2 % of inputs (``tanh``: 12 of 20,000 in
    [-12, 12]); NumPy's float32 SIMD functions are not in 5-39 % (``exp`` 39 %, ``tanh`` 32 %,
    ``expm1`` 12 %, ``log1p`` 9 %, ``log`` 5 %: docs/oracle.md). torch's fused float32 kernels
    (sigmoid, silu, elu, softplus, ...) take SLEEF's vectorised functions (1 ulp), nearer the
    correctly rounded value than NumPy's as well. float64 stays NumPy's (within 0.6 % of
    torch's)."""

    def fwd(xp, a):
        f = getattr(xp, ufunc)
        if getattr(a, "dtype", None) == np.float32 and on_cpu(xp):  # (a Python scalar: NumPy's)
            return f(a.astype(np.float64)).astype(np.float32)
        return f(a)

    fwd.__name__ = ufunc
    return fwd


# (xp, array) -> the op's value, as the op computes it: every fused path or array fast path
# in the engine that takes one of these functions calls these (one rule: a fast path and the
# op chain it shortcuts agree bit for bit; tests/oracle/test_float32_fast_paths.py)
exp_array = _float32_rounded_once("exp")
expm1_array = _float32_rounded_once("expm1")
log_array = _float32_rounded_once("log")
log1p_array = _float32_rounded_once("log1p")
tanh_array = _float32_rounded_once("tanh")


def libc_log_array(xp, a):
    """``std::log`` of a NumPy array as torch's scalar CPU kernels call it (xlogy, the
    binary_cross_entropy kernels): float64 glibc's own (``random._glibc``: NumPy's SIMD log
    differs in 0.35 % of values); float32 through float64, rounded once (glibc's ``logf`` is
    that in all but ~0.1 %; calling it per element would cost ~300x)."""
    if on_cpu(xp) and getattr(a, "dtype", None) == np.float64 and a.size:
        from ..random import _glibc

        with Quiet():
            return host_elementwise(lambda v: _glibc("log", v), a)
    return log_array(xp, a)


def libc_log1p_array(xp, a):
    """``std::log1p`` of a NumPy array as torch's scalar CPU kernels call it (xlog1py,
    binary_cross_entropy): the C library's ``log1pf``/``log1p`` bit for bit (float32
    ``_fma.log1pf``; float64 ``random._glibc``)."""
    if on_cpu(xp) and getattr(a, "dtype", None) in (np.float32, np.float64) and a.size:
        if a.dtype == np.float32:
            return host_elementwise(log1pf, a)
        from ..random import _glibc

        with Quiet():
            return host_elementwise(lambda v: _glibc("log1p", v), a)
    return log1p_array(xp, a)


exp = unary("exp", _quiet(exp_array), lambda g, out: g * out,
            save=("out",), arith=True, doc="Elementwise exponential.")
expm1 = unary("expm1", _quiet(expm1_array), lambda g, out: g * (out + 1),
              save=("out",), arith=True,
              doc="Elementwise ``exp(input) - 1``, accurate near 0.")
log = unary("log", _quiet(log_array), lambda g, x: g / x,
            arith=True, doc="Elementwise natural logarithm.")
log1p = unary("log1p", _quiet(log1p_array), lambda g, x: g / (x + 1),
              arith=True, doc="Elementwise ``log(1 + input)``, accurate near 0.")
log2 = unary("log2", _quiet(lambda xp, a: xp.log2(a)), lambda g, x: g / (x * _LN2),
             arith=True, doc="Elementwise base-2 logarithm.")
log10 = unary("log10", _quiet(lambda xp, a: xp.log10(a)), lambda g, x: g / (x * _LN10),
              arith=True, doc="Elementwise base-10 logarithm.")
_MKL_SQRT: list = []  # [the packed bitmap of mkl_sqrt_f32.npz's keys], loaded on first use


def _mkl_sqrt_bitmap() -> np.ndarray:
    if not _MKL_SQRT:
        import pathlib

        gaps = np.load(pathlib.Path(__file__).with_name("mkl_sqrt_f32.npz"))["gaps"]
        keys = np.cumsum(gaps, dtype=np.uint32)
        bits = np.zeros(1 << 24, bool)
        bits[keys] = True
        _MKL_SQRT.append(np.packbits(bits, bitorder="little"))
    return _MKL_SQRT[0]


def _mkl_sqrt32(a, table=None):
    """torch's float32 ``sqrt`` on this CPU (MKL VML's ``vsSqrt``): on an Intel processor
    with AVX512 (``engine._cpu.mkl_sqrt_table``) the correctly rounded value, or one ulp below
    it for the inputs of ``mkl_sqrt_f32.npz`` (recorded from torch by
    scripts/record_mkl_sqrt.py: 98,955 of the 2**24 mantissa and exponent-parity keys; the
    result scales exactly by powers of 4, subnormals as ``sqrt(x 2**24) / 2**12``). Measured:
    the correctly rounded value differed from torch's in 6,485 of a million inputs in [0, 4),
    the model in none of a million over the whole float32 range. Elsewhere (AMD: MKL's generic
    path, ~20 % of values a last bit off, no rule found) the correctly rounded value."""
    if table is None:
        table = mkl_sqrt_table()
    if not table:
        return np.sqrt(a)
    a = np.asarray(a)
    if a.ndim == 0:
        return _mkl_sqrt32(a.reshape(1), True).reshape(())
    out = np.sqrt(a)
    u = a.view(np.uint32)
    normal = (u - np.uint32(0x00800000)) < np.uint32(0x7F000000)  # (positive, finite)
    if not normal.all():
        sub = (u - np.uint32(1)) < np.uint32(0x007FFFFF)  # (positive subnormals)
        if sub.any():
            out[sub] = _mkl_sqrt32(a[sub] * np.float32(2.0 ** 24), True) * np.float32(2.0 ** -12)
    key = ((u >> np.uint32(23)) & np.uint32(1) ^ np.uint32(1)) << np.uint32(23)
    key |= u & np.uint32(0x7FFFFF)
    below = (_mkl_sqrt_bitmap()[key >> np.uint32(3)] >> (key & np.uint32(7)).astype(np.uint8)) & 1
    below = below.astype(bool) & normal
    out.view(np.uint32)[below] -= np.uint32(1)
    return out


def sqrt_array(xp, a):
    """``sqrt`` of an array as torch's kernel computes it (``_mkl_sqrt32`` for float32 on the
    host; NumPy's, correctly rounded, otherwise): the op's forward and the optimizers'
    ``exp_avg_sq.sqrt()``."""
    if getattr(a, "dtype", None) == np.float32 and on_cpu(xp) and mkl_sqrt_table():
        token = ignore_fp()
        try:
            return host_elementwise(_mkl_sqrt32, a)
        finally:
            restore_fp(token)
    return xp.sqrt(a)


sqrt = unary("sqrt", _quiet(sqrt_array), lambda g, out: g / (2 * out),
             save=("out",), arith=True, doc="Elementwise square root (gradient inf at 0).")
rsqrt = unary("rsqrt", _quiet(lambda xp, a: _half_once(xp, a, lambda b: 1 / xp.sqrt(b))),
              lambda g, out: -0.5 * g * out ** 3, save=("out",),
              doc="Elementwise ``1 / sqrt(input)``.")
reciprocal = unary("reciprocal", _quiet(lambda xp, a: 1 / a),
                   lambda g, out: -g * (out * out), save=("out",),
                   arith=True, doc="Elementwise ``1 / input``.")
def _times(g: Tensor, name: str, x: Tensor) -> Tensor:
    """``g * x.<name>()`` (a gradient rule). When nothing records it (a plain backward) and the
    arrays are large NumPy ones, it is one fused pass (``_parallel.times_ufunc``: the same
    bits, one temporary fewer)."""
    if not _grad_enabled.get() and not FW_ACTIVE[0] and type(g) is Tensor and \
            g.device is x.device:
        res = times_ufunc(g._data, getattr(np, name), x._data)
        if res is not None:
            return _wrap(res, x.dtype, x.device)
    return g * getattr(x, name)()


sin = unary("sin", lambda xp, a: xp.sin(a), lambda g, x: _times(g, "cos", x),
            doc="Elementwise sine.")
cos = unary("cos", lambda xp, a: xp.cos(a),
            lambda g, x: _times(-g, "sin", x) if not _grad_enabled.get() else g * -x.sin(),
            doc="Elementwise cosine.")
tan = unary("tan", lambda xp, a: xp.tan(a),
            lambda g, out: g * (1 + out * out) if not _grad_enabled.get() else
            g * (out.pow(2) + 1),  # (torch's formula, as create_graph records it)
            save=("out",), arith=True, doc="Elementwise tangent.")
asin = unary("asin", _quiet(lambda xp, a: xp.arcsin(a)),
             lambda g, x: g * (-x * x + 1).rsqrt(),  # (torch's form: one edge, AddBackward1)
             doc="Elementwise inverse sine.", aliases=("arcsin",))
acos = unary("acos", _quiet(lambda xp, a: xp.arccos(a)),
             lambda g, x: g * -((-x * x + 1).rsqrt()), doc="Elementwise inverse cosine.",
             aliases=("arccos",))
atan = unary("atan", lambda xp, a: xp.arctan(a), lambda g, x: g / (x * x + 1),
             arith=True, doc="Elementwise inverse tangent.", aliases=("arctan",))
sinh = unary("sinh", _quiet(lambda xp, a: xp.sinh(a)), lambda g, x: g * x.cosh(),
             doc="Elementwise hyperbolic sine.")
cosh = unary("cosh", _quiet(lambda xp, a: xp.cosh(a)), lambda g, x: g * x.sinh(),
             doc="Elementwise hyperbolic cosine.")


def _tanh_backward(g, out):
    """``g * (1 - out * out)`` rounded as torch's CPU kernel rounds it: GCC contracts
    ``1 - out * out`` into one fused multiply-add, so the difference is rounded once (float16
    in float32). The plain formula differs from torch in the last bit for about half of all
    float32 and float64 values (a hand-written tanh backward compared with ``x.grad``
    exactly, as Karpathy's backprop exercise does, tells them apart), and by far more than a
    bit where tanh saturates. The plain formula stays what a recorded (double) backward and
    forward mode differentiate."""
    if needs_grad(g, out):  # recorded, or carrying tangents
        return g * (1 - out * out)
    with set_grad_enabled(False):
        if out.dtype is float64:
            return g * one_minus_square(out)
        b = out.double()
        one_minus = (1 - b * b).float()  # b * b is exact in float64
        return (g.float() * one_minus).half() if out.dtype is float16 else g * one_minus


def _tanh_backward_arrays(g, out):
    """``_tanh_backward``'s plain-backward branch on NumPy arrays: the same NumPy calls (the
    casts are the ones ``.double()``, ``.float()`` and ``.half()`` make)."""
    if out.dtype == np.float64:
        return g * one_minus_square(out)
    b = out.astype(np.float64)
    one_minus = (1 - b * b).astype(np.float32)
    if out.dtype == np.float16:
        return (g.astype(np.float32) * one_minus).astype(np.float16)
    return g * one_minus


tanh = unary("tanh", tanh_array,
             lambda g, out: grad_node("TanhBackwardBackward0", _tanh_backward, g, out),
             save=("out",), arith=_tanh_backward_arrays, doc="Elementwise hyperbolic tangent.")
erf = unary("erf", _erf, lambda g, x: (-x.pow(2)).exp() * _TWO_OVER_SQRT_PI * g,  # (torch's order)
            doc="Elementwise Gauss error function.")


def _sigmoid_backward(g, out):
    return grad_node("SigmoidBackwardBackward0", _sigmoid_backward_formula, g, out,
                     grads=_SIGMOID_DOUBLE)


def _sigmoid_backward_formula(g, out):
    return g * (1 - out) * out


_SIGMOID_DOUBLE = (lambda gg, g, out: _sigmoid_backward(gg, out),
                   lambda gg, g, out: gg * g * (-2 * out + 1))


def _sigmoid(xp, a):
    # torch's kernel: 1 / (1 + exp(-x)) (an infinite exp(-x) gives 0), float16 in float32
    # and rounded once
    if a.dtype == np.float32 and sleef_fma() and on_cpu(xp):
        return host_elementwise(_sigmoid32, a)
    half = a.dtype == np.float16
    token = ignore_fp()
    try:
        out = 1 / (1 + exp_array(xp, -(a.astype(np.float32) if half else a)))
    finally:
        restore_fp(token)
    return out.astype(np.float16) if half else out


def exp_kernel32(a, formula):
    """A float32 ``cpu_kernel_vec`` kernel built on ``exp`` as torch computes it on ``a``:
    ``formula(x, exp)`` with SLEEF's ``expf`` in whole vectors and the C library's in the scalar
    remainders (``vector_loops.unary_body``); ``a`` a NumPy array (a new one back)."""
    if np.ndim(a) == 0:
        return exp_kernel32(np.reshape(a, 1), formula).reshape(())
    with Quiet():
        out = formula(a, sleef.expf)
        body = unary_body(a)
        if body is not None and not body.all():
            tail = ~body
            out[tail] = formula(a[tail], sleef.expf_libc)
    return out


def _sigmoid32(a):
    """float32 sigmoid as torch's vectorised kernel computes it: ``1 / (1 + exp(-x))``
    (``exp_kernel32``). Against the correctly rounded exp in every element: 820 of 20,000
    values in [-12, 12] differed from torch's; now none."""
    one = np.float32(1)
    return exp_kernel32(a, lambda x, exp: one / (one + exp(np.negative(x))))


sigmoid = unary("sigmoid", _sigmoid,
                _sigmoid_backward,
                save=("out",), arith=_sigmoid_backward_formula,
                doc="Elementwise logistic sigmoid.")
_alias_twins(("negative", "neg"), ("absolute", "abs"), ("fix", "trunc"), ("arcsin", "asin"),
             ("arccos", "acos"), ("arctan", "atan"))


@op(grad_fns=())
def positive(input):
    """Returns ``input`` itself (unary ``+``); an error for bool tensors."""
    if input.dtype.name == "bool":
        raise errors.EngineRuntimeError(errors.POS_BOOL)
    return input


@op(grad_fns=("RoundBackward0", "RoundBackward1"))
def round(input, *, decimals=0):
    """Elementwise round half to even, to ``decimals`` places (negative: tens, hundreds...)."""
    xp, a, dt = input.device.xp, input._data, input.dtype
    if decimals == 0:
        _refuse_bool("round", xp, a, vml=True)
        res = a.copy() if a.dtype.kind in "iu" else xp.rint(a)
        return _finish(input, res, dt, "RoundBackward0", _zero_grad)
    if a.dtype.kind != "f":
        raise _no_kernel("round", xp, a.dtype)
    ten = a.dtype.type(10.0 ** builtins.abs(decimals))
    with np.errstate(all="ignore"):
        res = xp.rint(a * ten) / ten if decimals > 0 else xp.rint(a / ten) * ten
    return _finish(input, res, dt, "RoundBackward1", _zero_grad)


@op(grad_fns=("NanToNumBackward0",))
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """Replace NaN, +inf and -inf with ``nan``, ``posinf`` and ``neginf`` (default: the
    dtype's largest and lowest finite values)."""
    a = input._data
    if a.dtype.kind != "f":
        res = a.copy()
    else:
        if input.dtype is float16:  # (torch writes each number as half: through float)
            nan, posinf, neginf = (half_number(v) for v in (nan, posinf, neginf))
        res = input.device.xp.nan_to_num(a, nan=0.0 if nan is None else nan, posinf=posinf,
                                         neginf=neginf)  # (torch's ``nan=None``: 0)
    return _finish(input, res, input.dtype, "NanToNumBackward0",
                   lambda g, x: g * x.isfinite(), (input,))


inplace_twin("round", round)
inplace_twin("nan_to_num", nan_to_num)


# --------------------------------------------------------------------------- clamp, where, lerp
def _clamp_input_mask(x, lo, hi):
    if lo is None:
        return x <= hi
    if hi is None:
        return x >= lo
    return (x >= lo) & (x <= hi)


def _clamp_min_mask(x, lo, hi):
    return x < lo if hi is None else (x < lo) & (lo < hi)


def _clamp_max_mask(x, lo, hi):
    return x > hi if lo is None else (x > hi) | (hi < lo)


_clamp_rules = (lambda g, x, lo, hi: where(_clamp_input_mask(x, lo, hi), g, 0.0),
                lambda g, x, lo, hi: where(_clamp_min_mask(x, lo, hi), g, 0.0),
                lambda g, x, lo, hi: where(_clamp_max_mask(x, lo, hi), g, 0.0))


_CLAMP_OVERLOADS = ("Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None",
                    "Tensor input, Number min = None, Number max = None, *, Tensor out = None")
_CLAMP_METHOD_OVERLOADS = ("Tensor min = None, Tensor max = None",
                           "Number min = None, Number max = None")


def _clamp_bounds(name: str, method: bool, input, min, max) -> tuple:
    """torch's argument parser on a tensor bound next to a number bound: that is the Number
    overload, where a tensor passes as a number only when 0-d and not requiring grad."""
    t = min if type(min) is Tensor else max if type(max) is Tensor else None
    if t is None or not (is_scalar(min) or is_scalar(max)):
        return min, max
    if t._data.ndim == 0 and not t.requires_grad:
        return (t.item(), max) if t is min else (min, t.item())
    if not method:
        raise _invalid_combination(name, (input, min, max), _CLAMP_OVERLOADS)
    got = ", ".join(_type_label(a) for a in (min, max))
    marked = ", ".join(f"!{_type_label(a)}!" for a in (min, max))
    lines = "".join(f" * ({o})\n      didn't match because some of the arguments have invalid "
                    f"types: ({marked})\n" for o in _CLAMP_METHOD_OVERLOADS)
    raise errors.EngineTypeError(f"{name}() received an invalid combination of arguments - got "
                                 f"({got}), but expected one of:\n{lines}")


@op(aliases=("clip",), grad_fns=("ClampBackward1", "ClampBackward0"))
def clamp(input, min=None, max=None):
    """Elementwise ``minimum(maximum(input, min), max)``; bounds are scalars or tensors (a
    bound above the other wins: the result is ``max``)."""
    if type(min) is Tensor or type(max) is Tensor:
        min, max = _clamp_bounds("clamp", False, input, min, max)
    return _clamp(input, min, max)


def _clamp_method(name: str):
    """``Tensor.clamp``/``clip`` and their in-place twins: torch's method parser words its
    errors apart from the function's."""
    def method(self, min=None, max=None):
        if type(min) is Tensor or type(max) is Tensor:
            min, max = _clamp_bounds(name, True, self, min, max)
        return _clamp(self, min, max)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = clamp.__doc__
    return method


def _clamp(input, min, max) -> Tensor:
    if min is None and max is None:
        raise errors.EngineRuntimeError(errors.CLAMP_NO_BOUNDS)
    bounds = tuple(b for b in (min, max) if b is not None)
    dt = promote_args(input, *bounds)
    dev = device_of(input, *bounds)
    tensors = [t for t in (input, *bounds) if type(t) is Tensor]
    if builtins.any(t._data.shape != input._data.shape for t in tensors):
        check_numel(broadcast_shape(*(t._data.shape for t in tensors)))
    xp = dev.xp
    for b in bounds:  # a number bound is read as the result's C type
        check_int_scalar_conversion(b, dt)
    res = operand(input, dt)
    # as torch's scalar kernel: a tie (``-0.`` vs ``0.``) keeps the input's value; a NaN
    # bound gives NaN
    if min is not None:
        lo = operand(min, dt)
        res = xp.where((res < lo) | (lo != lo), lo, res)
    if max is not None:
        hi = operand(max, dt)
        res = xp.where((res > hi) | (hi != hi), hi, res)
    if res.dtype != dt.np:
        res = res.astype(dt.np)
    out = _wrap(as_iterated(res, (input, *bounds)), dt, dev)
    if needs_grad(input, min, max):
        if builtins.any(isinstance(b, Tensor) for b in bounds):
            record(out, "ClampBackward0", _clamp_rules, (input, min, max), (input, min, max))
        else:
            record(out, "ClampBackward1", _clamp_rules[:1], (input,), (input, min, max))
    return out


def _clamp_inplace(name: str) -> None:
    def method(self, min=None, max=None):
        if type(min) is Tensor or type(max) is Tensor:  # (torch parses before its checks)
            min, max = _clamp_bounds(name, True, self, min, max)
        check_inplace(self, min, max)
        result = _clamp(self, min, max)
        check_mem_overlap(self, (min, max))
        if result.dtype is not self.dtype and not _can_cast(result.dtype, self.dtype) and \
                type(min) is not Tensor and type(max) is not Tensor:
            # (the number overload names the C++ type)
            raise errors.EngineRuntimeError(
                f"result type {result.dtype.scalar_name} can't be cast to the desired "
                f"output type {self.dtype.c_name}")
        return apply_inplace(self, result)

    method.__name__ = method.__qualname__ = name
    register(name, method, doc=f"In-place version of {name[:-1]}.", kind="method",
             inplace=True)


Tensor.clamp, Tensor.clip = _clamp_method("clamp"), _clamp_method("clip")
_clamp_inplace("clamp_")
_clamp_inplace("clip_")


_WHERE_OVERLOADS = ("Tensor condition",
                    "Tensor condition, Tensor input, Tensor other, *, Tensor out = None",
                    "Tensor condition, Number self, Tensor other",
                    "Tensor condition, Tensor input, Number other",
                    "Tensor condition, Number self, Number other")
_where_rules = (lambda g, c: where(c, g, 0.0), lambda g, c: where(c, 0.0, g))


_WHERE_UINT8 = ("where received a uint8 condition tensor. This behavior is deprecated and will "
                "be removed in a future version of PyTorch. Use a boolean condition instead.")
_WHERE_UINT8_WARNED: list = []


@op(kind="function", grad_fns=("WhereBackward0",))
def where(condition, input=None, other=None):
    """Elementwise ``input`` where ``condition`` holds, else ``other`` (broadcasting);
    ``where(condition)`` gives the indices of the true elements, one tensor per dimension."""
    if input is None and other is None and isinstance(condition, Tensor):
        xp = condition.device.xp
        return tuple(_wrap(i.astype(DEFAULT_INT.np), DEFAULT_INT, condition.device)
                     for i in xp.nonzero(xp.atleast_1d(condition._data)))
    if not isinstance(condition, Tensor) or input is None or other is None:
        given = tuple(a for a in (condition, input, other) if a is not None)
        raise _invalid_combination("where", given, _WHERE_OVERLOADS)
    if condition.dtype.name == "uint8":  # deprecated, still read as a mask
        if not _WHERE_UINT8_WARNED:
            _WHERE_UINT8_WARNED.append(True)  # (torch warns once per process)
            warnings.warn(_WHERE_UINT8, UserWarning, stacklevel=3)
        condition = _wrap(condition._data != 0, bool_, condition.device)
    if condition.dtype.name != "bool":
        raise errors.EngineRuntimeError(errors.WHERE_CONDITION.format(
            dtype=condition.dtype.scalar_name))
    dt = promote_args(input, other)
    dev = device_of(condition, input, other)
    shape = broadcast_shape(*(t._data.shape for t in (condition, input, other)
                              if type(t) is Tensor))
    check_numel(shape)
    for x in (input, other):  # a number is read as the result's C type
        check_int_scalar_conversion(x, dt)
    res = dev.xp.where(condition._data, operand(input, dt), operand(other, dt))
    res = as_iterated(res, (condition._data, *(t._data if isinstance(t, Tensor) else t
                                                 for t in (input, other))))
    if res.dtype != dt.np:
        res = res.astype(dt.np)
    out = _wrap(res, dt, dev)
    if needs_grad(input, other):
        record(out, "WhereBackward0", _where_rules, (input, other), (condition,))
    return out


def _where_method(self, condition, other):
    """``x.where(condition, y)`` is ``where(condition, x, y)``."""
    return where(condition, self, other)


Tensor.where = _where_method


def _lerp_rules(scalar_weight: bool):
    if scalar_weight:
        return (lambda g, s, e, w: g * (1 - w), lambda g, s, e, w: g * w)
    return (lambda g, s, e, w: g * (1 - w), lambda g, s, e, w: g * w,
            lambda g, s, e, w: g * (e - s))


def _lerp_dtypes(input, end, weight):
    """lerp's meta check: ``end`` and a tensor ``weight`` in ``input``'s dtype (lerp_ makes it
    before the overlap check)."""
    for arg, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and isinstance(input, Tensor) and t.dtype is not input.dtype:
            raise errors.EngineRuntimeError(errors.DTYPE_EXPECTED.format(
                want=input.dtype.c_name, arg=arg, got=t.dtype.c_name))


@op(grad_fns=("LerpBackward0", "LerpBackward1"))
def lerp(input, end, weight):
    """Elementwise linear interpolation ``input + weight * (end - input)``."""
    if not isinstance(input, Tensor) or not isinstance(end, Tensor):
        raise _invalid_combination("lerp", (input, end, weight), (
            "Tensor input, Tensor end, Tensor weight, *, Tensor out = None",
            "Tensor input, Tensor end, Number weight, *, Tensor out = None"))
    scalar_weight = not isinstance(weight, Tensor)
    _lerp_dtypes(input, end, weight)
    dev = device_of(input, end, weight)
    xp = dev.xp
    if not input.dtype.is_floating_point:
        kernel = "lerp_kernel_scalar" if scalar_weight else "lerp_kernel_tensor"
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel=kernel, dtype=input.dtype.scalar_name))
    tensors = (input, end) if scalar_weight else (input, end, weight)
    check_numel(broadcast_shape(*(t._data.shape for t in tensors)))
    s, e = input._data, end._data
    w = weight if scalar_weight else weight._data
    ct = input.dtype.np
    if ct == np.float16 and xp is np:
        # torch's half kernel computes in float (a number weight made a float once) and rounds
        # to half once; in half steps 28,242-50,673 of 100,000 values differed
        ct = np.dtype(np.float32)
        s, e = s.astype(ct), e.astype(ct)
        w = w if scalar_weight else w.astype(ct)
    with np.errstate(all="ignore"):
        diff = e - s
        if ct in _FMA_DTYPES:  # torch's kernel: one rounding each
            if scalar_weight:
                w = ct.type(w)
                res = fma(w, diff, s, xp) if builtins.abs(w) < 0.5 else \
                    fma(-diff, ct.type(1) - w, e, xp)
            else:
                res = xp.where(xp.abs(w) < 0.5, fma(w, diff, s, xp), fma(-diff, 1 - w, e, xp))
        elif scalar_weight:
            res = s + w * diff if builtins.abs(w) < 0.5 else e - diff * (1 - w)
        else:
            res = xp.where(xp.abs(w) < 0.5, s + w * diff, e - diff * (1 - w))
    out = _wrap(as_iterated(xp.asarray(res, dtype=input.dtype.np), (input, end, weight)),
                input.dtype, dev)
    if needs_grad(input, end, weight):
        node = "LerpBackward0" if scalar_weight else "LerpBackward1"
        # what torch's node saves: the weight, and input and end only for the weight's
        # gradient (a number weight is no saved tensor)
        span = FW_ACTIVE[0] or not scalar_weight and needs_grad(weight)
        record(out, node, _lerp_rules(scalar_weight), tensors,
               (input if span else None, end if span else None, weight))
    return out


inplace_twin("lerp", lerp, precheck=_lerp_dtypes)

# --------------------------------------------------------------------------- comparisons
def _compare_check(name: str):
    """torch's overloads of a comparison: a tensor first, then a tensor or a number."""
    def check(a, b):
        if type(a) is not Tensor or not (type(b) is Tensor or is_scalar(b)):
            raise _invalid_combination(name, (a, b), (
                "Tensor input, Tensor other, *, Tensor out = None",
                "Tensor input, Number other, *, Tensor out = None"))

    return check


for _name, _ufunc, _aliases in (("eq", "equal", ()), ("ne", "not_equal", ("not_equal",)),
                                ("lt", "less", ("less",)), ("le", "less_equal", ("less_equal",)),
                                ("gt", "greater", ("greater",)),
                                ("ge", "greater_equal", ("greater_equal",))):
    _cmp = binary(_name, (lambda u: lambda xp, a, b: getattr(xp, u)(a, b))(_ufunc), None,
                  out="bool", doc=f"Elementwise ``{_name}`` comparison (bool result).",
                  aliases=_aliases, inplace=False, check=_compare_check(_name))
    inplace_twin(_name, _cmp, zero_grad=_name.capitalize() + "Backward")


def _float_checks(a) -> bool:
    return a.dtype.kind == "f"


isnan = unary("isnan", lambda xp, a: xp.isnan(a) if _float_checks(a) else xp.zeros(a.shape, bool),
              floating=False, bool_out=True, inplace=False, doc="Elementwise test for NaN.")
isinf = unary("isinf", lambda xp, a: xp.isinf(a) if _float_checks(a) else xp.zeros(a.shape, bool),
              floating=False, bool_out=True, inplace=False,
              doc="Elementwise test for +inf or -inf.")
isfinite = unary("isfinite",
                 lambda xp, a: xp.isfinite(a) if _float_checks(a) else xp.ones(a.shape, bool),
                 floating=False, bool_out=True, inplace=False,
                 doc="Elementwise test for a finite value (not NaN or inf).")


# --------------------------------------------------------------------------- logical, bitwise
def _logical(name: str, ufunc: str) -> None:
    impl = binary(name, lambda xp, a, b: getattr(xp, ufunc)(a, b), None, out="bool", doc="",
                  inplace=False, public=False)
    word = name.split("_")[1].upper()
    fn = _tensor_only(name, impl, f"Elementwise logical {word} of truth values (bool result).")
    inplace_twin(name, fn, autograd_checks=False)


for _name in ("logical_and", "logical_or", "logical_xor"):
    _logical(_name, _name)
logical_not = unary("logical_not", lambda xp, a: xp.logical_not(a), floating=False,
                    bool_out=True, doc="Elementwise logical NOT (bool result).", inplace=False)
inplace_twin("logical_not", logical_not, autograd_checks=False)


def _bitwise(name: str, ufunc: str):
    def fwd(xp, a, b):
        dt = _array_dtype(a, b)
        if dt.kind == "f":
            raise _no_kernel(name, xp, dt)
        return getattr(xp, ufunc)(a, b)

    return fwd


def _cast_checked(fn):
    """``fn`` in place: torch checks the result's shape, then its dtype, fit ``self`` before
    the kernel runs."""
    def forward(self, other):
        if type(other) is Tensor and other._data.shape != self._data.shape:
            shape = broadcast_shape(self._data.shape, other._data.shape)
            if shape != self._data.shape:
                raise errors.EngineRuntimeError(
                    f"output with shape {list(self._data.shape)} doesn't match the broadcast "
                    f"shape {list(shape)}")
        dt = promote_args(self, other)
        if dt is not self.dtype and not _can_cast(dt, self.dtype):
            raise errors.EngineRuntimeError(
                f"result type {dt.scalar_name} can't be cast to the desired output type "
                f"{self.dtype.scalar_name}")
        return fn(self, other)

    return forward


for _name, _ufunc in (("and", "bitwise_and"), ("or", "bitwise_or"), ("xor", "bitwise_xor")):
    inplace_twin(f"bitwise_{_name}", _cast_checked(binary(
        f"bitwise_{_name}", _bitwise(f"bitwise_{_name}", _ufunc), None, inplace=False,
        doc=f"Elementwise bitwise {_name.upper()} of integer or bool tensors "
            f"(the ``{dict(_and='&', _or='|', _xor='^')['_' + _name]}`` operator).")))


def _bitwise_not(xp, a):
    if a.dtype.kind == "f":
        raise _no_kernel("bitwise_not", xp, a.dtype)
    return xp.invert(a)


bitwise_not = unary("bitwise_not", _bitwise_not, floating=False,
                    doc="Elementwise bitwise NOT of integer or bool tensors (``~``).")


def _invert(self):
    # ``~x`` checks the dtype in torch's Python binding, before the kernel (a TypeError, where
    # ``bitwise_not`` of a float tensor raises the kernel's NotImplementedError)
    if self.dtype.is_floating_point:
        raise errors.EngineTypeError(
            "~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(self)


bitwise_not.operator_form = _invert
