"""Numeric ops real programs meet: ``nextafter``, ``frexp``, ``trapezoid`` / ``trapz`` /
``cumulative_trapezoid`` (torch's composites, node for node), ``renorm`` (+ ``renorm_``),
the view method ``Tensor.unfold`` (not ``F.unfold``) and ``histogram``.
"""

from __future__ import annotations

import math

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..autograd.graph import FW_ACTIVE
from ..dtypes import int32
from ..modes import is_grad_enabled, no_grad
from ..tensor import Tensor, _wrap
from ._args import check_fits, norm_dim
from .creation import float_linspace as _linspace
from .families import apply_inplace, binary, check_inplace, inplace_twin
from .memory_format import as_row_major
from .pointwise import _no_derivative, _no_kernel, _quiet, _require_tensors
from .reduction import _return_type
from .registry import register


def _label(x) -> str:
    return "Tensor" if isinstance(x, Tensor) else type(x).__name__


def _combination(name: str, args: tuple, kwargs: dict, overloads: tuple[str, ...]):
    got = ", ".join([_label(a) for a in args] + [f"{k}={_label(v)}" for k, v in kwargs.items()])
    lines = "".join(f" * ({o})\n" for o in overloads)
    return errors.EngineTypeError(f"{name}() received an invalid combination of arguments - got "
                                  f"({got}), but expected one of:\n{lines}")


def _num(v: float) -> str:
    """A double as C++'s ``ostream`` prints it (6 significant digits, no trailing zeros)."""
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:g}"


def _smul(t: Tensor, c: float) -> Tensor:
    from .special import _smul as smul

    return smul(t, c)


def _sdiv(t: Tensor, c: float) -> Tensor:
    """``t / c`` as torch's C++ divides by a double (``div(Tensor, Scalar)``: DivBackward1;
    integers give the default float)."""
    from ..dtypes import default_float

    dt = t.dtype if t.dtype.is_floating_point else default_float()
    with np.errstate(all="ignore"):
        res = t.device.xp.asarray(t._data.astype(dt.np, copy=False) / dt.np.type(c))
    out = _wrap(res.astype(dt.np, copy=False), dt, t.device)
    if needs_grad(t):
        record(out, "DivBackward1", (lambda g: _sdiv(g, c),), (t,))
    return out


# --------------------------------------------------------------------------- nextafter
def _nextafter_fwd(xp, a, b):
    dt = getattr(a, "dtype", None)
    if dt is None or dt.kind != "f":
        raise _no_kernel("nextafter", xp, dt if dt is not None else np.dtype(type(a)))
    if dt == np.float16:  # NumPy's half version returns x where x == y, C's (and torch's) y:
        return xp.where(a == b, b, xp.nextafter(a, b))  # nextafter(-0., 0.) is 0.
    return xp.nextafter(a, b)


def _nextafter_grad_self(g, x, y):
    from .pointwise import where

    return where(x != y, g, 0.0)  # torch's: the gradient passes where the value moved


def _nextafter_grad_other(g, *_):
    from .creation import zeros_like

    return zeros_like(g)


_nextafter = binary("nextafter", _quiet(_nextafter_fwd),
                    (_nextafter_grad_self, _nextafter_grad_other), node="NextafterBackward0",
                    save=("input:input", "other:input"), doc="", inplace=False, public=False)


def nextafter(input, other):
    """Elementwise next floating-point value after ``input`` towards ``other``."""
    _require_tensors("nextafter", input, other)
    return _nextafter(input, other)


register("nextafter", nextafter, grad_fns=("NextafterBackward0",))


inplace_twin("nextafter", nextafter)  # (the shape error first: families._shape_before_kernel)


# --------------------------------------------------------------------------- frexp
_frexp_type = _return_type("frexp", ("mantissa", "exponent"))


def frexp(input):
    """Elementwise decomposition ``input = mantissa * 2 ** exponent``, mantissa in (-1, 1)
    (0 with exponent 0 at 0, inf and NaN), exponent int32."""
    if not isinstance(input, Tensor):
        raise errors.EngineTypeError(errors.MUST_BE_TENSOR.format(
            op="frexp", arg="input", pos=1, type=type(input).__name__))
    if not input.dtype.is_floating_point:
        raise errors.EngineRuntimeError("torch.frexp() only supports floating-point dtypes")
    xp = input.device.xp
    m, e = xp.frexp(input._data)
    mant = _wrap(xp.asarray(m, dtype=input.dtype.np), input.dtype, input.device)
    expo = _wrap(xp.asarray(e, dtype=np.int32), int32, input.device)
    if needs_grad(input):
        # torch's: grad / exponent.exp2() (exp2 of int32 is float32: 0 or inf beyond its range)
        record(mant, "FrexpBackward0", (lambda g: g / expo.exp2(),), (input,))
    return _frexp_type(mant, expo)


register("frexp", frexp, grad_fns=("FrexpBackward0",))


# --------------------------------------------------------------------------- trapezoid
_NO_DX = object()
_TRAPEZOID_OVERLOADS = ("Tensor y, Tensor x, *, int dim = -1",
                        "Tensor y, *, Number dx = 1, int dim = -1")
_TRAPZ_OVERLOADS = ("Tensor y, *, float dx = 1, int dim = -1",
                    "Tensor y, Tensor x, *, int dim = -1")


def _parse(name: str, overloads, args: tuple, kwargs: dict):
    """Which of torch's two overloads the call is: ``(y, x_tensor, None, dim)`` or
    ``(y, None, dx_number, dim)``; its TypeError otherwise. (A 0-d tensor passes as a
    number, as torch's argument parser takes it.)"""

    def fail():
        return _combination(name, args, kwargs, overloads)

    if len(args) > 2 or set(kwargs) - {"y", "x", "dx", "dim"}:
        raise fail()
    named = dict(zip(("y", "x"), args))
    if set(named) & set(kwargs):
        raise fail()
    named.update(kwargs)
    y, x, dx, dim = (named.get(k, _NO_DX) for k in ("y", "x", "dx", "dim"))
    dim = -1 if dim is _NO_DX else dim
    if not isinstance(y, Tensor) or type(dim) is bool or \
            not isinstance(dim, (int, np.integer)):
        raise fail()
    if x is not _NO_DX:
        if not isinstance(x, Tensor) or dx is not _NO_DX:
            raise fail()
        return y, x, None, int(dim)
    if dx is _NO_DX:
        return y, None, 1.0, int(dim)
    if isinstance(dx, Tensor):
        if dx._data.ndim != 0:
            raise fail()
        dx = dx.item()
    if not isinstance(dx, (int, float, np.integer, np.floating)):
        raise fail()
    if isinstance(dx, (bool, np.bool_)) and name != "trapz":
        raise errors.EngineRuntimeError(
            f"{name}: Currently, we only support dx as a real number.")
    return y, None, float(dx), int(dim)


def _with_signature(fn, text: str):
    import inspect

    def sig(y, x=None, *, dx=1, dim=-1):
        pass

    fn.__signature__ = inspect.signature(sig)
    fn.__doc__ = text
    return fn


def _slice(t: Tensor, d: int, start: int, stop: int | None) -> Tensor:
    n = t._data.shape[d]
    stop = n if stop is None else (stop + n if stop < 0 else stop)
    start = min(start, n)
    return t.narrow(d, start, max(stop - start, 0))


def _x_spacing(name: str, y: Tensor, x: Tensor, d: int) -> Tensor:
    """torch's ``x`` shaped against ``y`` (1-D along ``dim``, fewer dims padded in front,
    else as it is) and differenced along ``dim``."""
    if x._data.ndim == 1:
        if x._data.shape[0] != y._data.shape[d]:
            raise errors.EngineRuntimeError(
                f"{name}: There must be one `x` value for each sample point")
        shape = [1] * y._data.ndim
        shape[d] = x._data.shape[0]
        x = x.view(tuple(shape))
    elif x._data.ndim < y._data.ndim:
        x = x.view((1,) * (y._data.ndim - x._data.ndim) + tuple(x._data.shape))
    return _slice(x, d, 1, None) - _slice(x, d, 0, -1)


def _trapezoid(y, x, dx, dim) -> Tensor:
    if y._data.ndim == 0:
        raise errors.EngineIndexError(
            f"Dimension specified as {dim} but tensor has no dimensions")
    d = norm_dim(dim, y._data.ndim)
    if y._data.shape[d] == 0:
        from .creation import zeros

        shape = y._data.shape[:d] + y._data.shape[d + 1:]
        return zeros(shape, dtype=y.dtype, device=y.device)
    if x is None:
        if y.dtype.name == "bool":
            raise errors.EngineRuntimeError(
                "trapezoid: received a bool input for `y`, but bool is not supported")
        ends = y.select(d, 0) + y.select(d, -1)
        return _smul(y.sum(d) - _smul(ends, 0.5), dx)
    if y.dtype.name == "bool" or x.dtype.name == "bool":
        raise errors.EngineRuntimeError(
            "trapezoid: received a bool input for `x` or `y`, but bool is not supported")
    spacing = _x_spacing("trapezoid", y, x, d)
    return _sdiv(((_slice(y, d, 1, None) + _slice(y, d, 0, -1)) * spacing).sum(d), 2.0)


def trapezoid(*args, **kwargs):
    y, x, dx, dim = _parse("trapezoid", _TRAPEZOID_OVERLOADS, args, kwargs)
    return _trapezoid(y, x, dx, dim)


def trapz(*args, **kwargs):
    y, x, dx, dim = _parse("trapz", _TRAPZ_OVERLOADS, args, kwargs)
    return _trapezoid(y, x, dx, dim)


def cumulative_trapezoid(*args, **kwargs):
    y, x, dx, dim = _parse("cumulative_trapezoid", _TRAPEZOID_OVERLOADS, args, kwargs)
    if y._data.ndim == 0:
        raise errors.EngineIndexError("slice() cannot be applied to a 0-dim tensor.")
    d = norm_dim(dim, y._data.ndim)
    if x is None:
        if y.dtype.name == "bool":
            raise errors.EngineRuntimeError(
                "cumulative_trapezoid: received a bool input for `y`, but bool is not "
                "supported")
        return _smul(_slice(y, d, 0, -1) + _slice(y, d, 1, None), dx / 2.0).cumsum(d)
    if y.dtype.name == "bool" or x.dtype.name == "bool":
        raise errors.EngineRuntimeError(
            "cumulative_trapezoid: received a bool input for `x` or `y`, but bool is not "
            "supported")
    spacing = _x_spacing("cumulative_trapezoid", y, x, d)
    return _sdiv(((_slice(y, d, 0, -1) + _slice(y, d, 1, None)) * spacing).cumsum(d), 2.0)


_with_signature(trapezoid, "The trapezoidal rule along ``dim``: sample points ``x`` (a tensor) "
                           "or a constant spacing ``dx`` (1 by default).")
_with_signature(trapz, "The trapezoidal rule along ``dim`` (``trapezoid``'s older name).")
_with_signature(cumulative_trapezoid, "The cumulative trapezoidal rule along ``dim`` (one "
                                      "fewer element there).")
register("trapezoid", trapezoid, kind="function",
         grad_fns=("MulBackward1", "DivBackward1"))
register("trapz", trapz, kind="function", grad_fns=("MulBackward1", "DivBackward1"))
register("cumulative_trapezoid", cumulative_trapezoid, kind="function",
         grad_fns=("CumsumBackward0", "DivBackward1"))


# --------------------------------------------------------------------------- renorm
def _renorm_args(input, p, dim, maxnorm, name: str):
    if not isinstance(input, Tensor):
        raise errors.EngineTypeError(errors.MUST_BE_TENSOR.format(
            op=name, arg="input", pos=1, type=type(input).__name__))
    for arg, pos, v in (("p", 2, p), ("maxnorm", 4, maxnorm)):
        if not isinstance(v, (int, float, np.integer, np.floating)):
            raise errors.EngineTypeError(
                f"{name}(): argument '{arg}' (position {pos}) must be Number, not "
                f"{_label(v)}")
    if type(dim) is bool or not isinstance(dim, (int, np.integer)):
        raise errors.EngineTypeError(
            f"{name}(): argument 'dim' (position 3) must be int, not {_label(dim)}")
    p, maxnorm = float(p), float(maxnorm)
    if not p > 0:
        raise errors.EngineRuntimeError("renorm: non-positive-norm not supported")
    if not maxnorm >= 0:
        raise errors.EngineRuntimeError(
            f"renorm: expected maxnorm to be >= 0 but got {_num(maxnorm)}")
    n = input._data.ndim
    if n < 2:
        raise errors.EngineRuntimeError(
            f"renorm: input needs at least 2 dimensions, got {n} dimensions")
    d = norm_dim(int(dim), n)
    return p, d, maxnorm, tuple(i for i in range(n) if i != d)


def _norm_grad(grad: Tensor, x: Tensor, norm: Tensor, p: float, dims: tuple) -> Tensor:
    """torch's norm_backward (keepdim ``grad`` and ``norm``), op for op (its order decides
    the signs of zeros in second derivatives): ties of the inf-norm share the gradient, 0
    where the norm is 0."""
    if p == 1.0:
        return x.sgn() * grad
    if p == 2.0:
        return grad * (x / norm).masked_fill(norm == 0, 0)
    # (torch's C++ evaluates the operands of a product right to left: the nodes of ``a * b``
    # are made b's first, and backward runs the node made last first)
    if math.isinf(p):
        ax = x.abs()
        hit = ax.eq(norm).logical_or(ax.isnan())
        right = (grad / hit.sum(dims, True)) * hit
        return x.sgn() * right
    if p < 1.0:
        right = x.abs().pow(p - 1).masked_fill(x == 0, 0)
        scaled = x.sgn() * right
        right = norm.pow(1 - p)
        return scaled * grad * right
    if p < 2.0:
        right = x.abs().pow(p - 1)
        scaled = x.sgn() * right
    else:
        scaled = x * x.abs().pow(p - 2)
    scale = (grad / norm.pow(p - 1)).masked_fill(norm == 0, 0)
    return scaled * scale


def _norm(x: Tensor, p: float, dims: tuple) -> Tensor:
    """The keepdim ``p``-norm, correctly rounded for float32 and float16 (computed in float64:
    torch's float32 norms are; the engine's own float32 reduction may be an ulp off, which the
    gradient's cancellation magnifies)."""
    from ..dtypes import float64
    from .norms import linalg_vector_norm

    if x.dtype is float64:
        return linalg_vector_norm(x, p, dims, True)
    return linalg_vector_norm(x, p, dims, True, dtype=float64).to(x.dtype)


def _renorm_grad(g: Tensor, x: Tensor, p: float, dims: tuple, maxnorm: float) -> Tensor:
    """torch's renorm_backward, op for op, in the CPU accumulate type (float64 for float32
    and float64, float32 for float16): ``where(norm > maxnorm, (factor * (g - inv * nb))
    .to(g.dtype), g)``, ``nb`` the norm's backward of ``(x * g).sum(dims)``. (float32 in
    float32 cancelled to ~1e-6 relative where torch's is ~1e-8: seed 10.)"""
    from ..dtypes import float32, float64
    from .pointwise import where

    half = x.dtype.name == "float16"
    acc = float32 if half else float64
    # (the norm correctly rounded: _norm's float64 reduction, cast for float16)
    norm = _norm(x.to(float64) if not half else x.float(), p, dims) if x.dtype is not acc \
        else _norm(x, p, dims)
    nb = _norm_grad((x * g).sum(dims, keepdim=True, dtype=acc), x, norm, p, dims)
    inv = (norm + 1e-7).reciprocal()
    return where(norm > maxnorm, ((inv * maxnorm) * (g - inv * nb)).to(g.dtype), g)


def renorm(input, p, dim, maxnorm):
    """Each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm`` scaled down to norm
    ``maxnorm`` (by ``maxnorm / (norm + 1e-7)``)."""
    from ..dtypes import float32, float64
    from .norms import linalg_vector_norm

    p, d, maxnorm, dims = _renorm_args(input, p, dim, maxnorm, "renorm")
    dt = input.dtype
    acc = float32 if dt.name == "float16" else None
    with no_grad():
        norm = linalg_vector_norm(input.detach(), p, dims, True, dtype=float64)
        if acc is not None or dt is not float64:
            norm = norm.to(acc or dt)
    xp = input.device.xp
    nd = norm._data
    with np.errstate(all="ignore"):
        scale = xp.where(nd > nd.dtype.type(maxnorm),
                         nd.dtype.type(maxnorm) / (nd + nd.dtype.type(1e-7)), nd.dtype.type(1))
        res = input._data * scale.astype(dt.np)
    out = _wrap(as_row_major(xp.asarray(res, dtype=dt.np)), dt, input.device)  # (torch's)
    if input.requires_grad and is_grad_enabled() or FW_ACTIVE[0]:
        record(out, "RenormBackward0", (lambda g, x: _renorm_grad(g, x, p, dims, maxnorm),),
               (input,), (input,))
    return out


def _renorm_(self, p, dim, maxnorm):
    _renorm_args(self, p, dim, maxnorm, "renorm_")
    check_inplace(self)
    return apply_inplace(self, renorm(self, p, dim, maxnorm))


_renorm_.__name__ = _renorm_.__qualname__ = "renorm_"
register("renorm", renorm, grad_fns=("RenormBackward0",))
register("renorm_", _renorm_, doc="In-place version of renorm.", kind="method")


# --------------------------------------------------------------------------- Tensor.unfold
def _unfold_geometry(shape: tuple, strides: tuple, d: int, size: int, step: int):
    if not shape:
        return (size,), (1,)
    n = shape[d]
    out_shape = shape[:d] + ((n - size) // step + 1,) + shape[d + 1:] + (size,)
    out_strides = strides[:d] + (strides[d] * step,) + strides[d + 1:] + (strides[d],)
    return out_shape, out_strides


def _unfold_array(xp, arr, d: int, size: int, step: int):
    shape, strides = _unfold_geometry(arr.shape, arr.strides, d, size, step)
    if not arr.shape:
        return arr.reshape(1)[:size]
    return xp.lib.stride_tricks.as_strided(arr, shape, strides, writeable=True)


def _unfold_backward(g: Tensor, shape: tuple, d: int, size: int, step: int) -> Tensor:
    """The sum of each window's gradient into its positions (``UnfoldBackward0``); its own
    gradient unfolds again (``UnfoldBackwardBackward0``)."""
    xp = g.device.xp
    ga = g._data
    if not shape:
        res = ga.sum().reshape(())
    else:
        res = xp.zeros(shape, dtype=ga.dtype)
        windows = ga.shape[d]
        for k in range(size):
            idx = [slice(None)] * len(shape)
            idx[d] = slice(k, k + step * (windows - 1) + 1, step) if windows else slice(0, 0)
            res[tuple(idx)] += ga[..., k]
    out = _wrap(res, g.dtype, g.device)
    if needs_grad(g):
        record(out, "UnfoldBackwardBackward0", (lambda gg: _unfold(gg, d, size, step),), (g,))
    return out


def _unfold(input: Tensor, d: int, size: int, step: int) -> Tensor:
    from .shape import make_view

    shape = tuple(input._data.shape)

    def replay(t):
        return _unfold(t, d, size, step)

    out = make_view(input, _unfold_array(input.device.xp, input._data, d, size, step), replay)
    if needs_grad(input):
        record(out, "UnfoldBackward0", (lambda g: _unfold_backward(g, shape, d, size, step),),
               (input,))
    return out


def _int(fn: str, arg: str, pos: int, v) -> int:
    if type(v) is bool or not isinstance(v, (int, np.integer)):
        raise errors.EngineTypeError(
            f"{fn}(): argument '{arg}' (position {pos}) must be int, not {_label(v)}")
    return int(v)


def tensor_unfold(self, dimension, size, step):
    """A view of every window of ``size`` elements along ``dimension``, ``step`` apart (the
    window as a new last dimension): ``Tensor.unfold``, not ``F.unfold``."""
    dimension = _int("unfold", "dimension", 1, dimension)
    size = _int("unfold", "size", 2, size)
    step = _int("unfold", "step", 3, step)
    n = input_ndim = self._data.ndim
    d = norm_dim(dimension, n)
    length = self._data.shape[d] if input_ndim else 1
    if size > length:
        raise errors.EngineRuntimeError(
            f"maximum size for tensor at dimension {d} is {length} but size is {size}")
    if size < 0:
        raise errors.EngineRuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise errors.EngineRuntimeError(f"step is {step} but must be > 0")
    return _unfold(self, d, size, step)


tensor_unfold.__name__ = tensor_unfold.__qualname__ = "unfold"
Tensor.unfold = tensor_unfold


# --------------------------------------------------------------------------- histogram
_histogram_type = _return_type("histogram", ("hist", "bin_edges"))
_HISTOGRAM_OVERLOADS = (
    "Tensor input, Tensor bins, *, Tensor weight = None, bool density = False, tuple of "
    "Tensors out = None",
    "Tensor input, int bins = 100, *, tuple of floats range = None, Tensor weight = None, "
    "bool density = False, tuple of Tensors out = None")


def _upper_bound(xp, edges, lo, hi, values):
    """libstdc++'s ``std::upper_bound`` over ``edges[lo:hi]`` for each value (its exact
    probe order, so an unsorted ``bins`` tensor counts as torch's does): the index of the
    first element greater than the value."""
    first = lo.copy()
    length = hi - lo
    last = max(edges.shape[0] - 1, 0)
    while (length > 0).any():
        half = length >> 1
        middle = first + half
        left = values < edges[xp.minimum(middle, last)]
        active = length > 0
        first = xp.where(active & ~left, middle + 1, first)
        length = xp.where(active, xp.where(left, half, length - half - 1), length)
    return first


def histogram(input, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
    """A histogram of ``input``'s elements: ``bins`` equal bins over ``range`` (the data's
    own by default) or the edges in a ``bins`` tensor; ``weight`` per element, ``density``
    normalizes. Returns ``(hist, bin_edges)``."""
    kwargs = {k: v for k, v in (("range", range), ("weight", weight)) if v is not None}
    if density:
        kwargs["density"] = density
    tensor_bins = isinstance(bins, Tensor)
    if not isinstance(input, Tensor) or not tensor_bins and (
            type(bins) is bool or not isinstance(bins, (int, np.integer))) or \
            tensor_bins and range is not None or \
            weight is not None and not isinstance(weight, Tensor) or \
            range is not None and not (isinstance(range, (tuple, list)) and all(
                isinstance(v, (int, float, np.integer, np.floating)) and type(v) is not bool
                for v in range)):
        raise _combination("histogram", (input, bins), kwargs, _HISTOGRAM_OVERLOADS)
    dt = input.dtype
    find_range = range is None and not tensor_bins
    if dt.name == "bool" and not find_range and not tensor_bins:
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="linspace_cpu", dtype="Bool"))  # (its edges, first)
    if range is not None and not tensor_bins and not dt.is_floating_point and dt.name != "bool":
        for v in range:  # torch's edges: linspace(*range) in the input's dtype, checked
            check_fits(v, dt)
    if tensor_bins:  # (torch checks the bins before the kernel's dtype)
        if bins.dtype is not dt:
            raise errors.EngineRuntimeError(
                "torch.histogramdd: input tensor and bins tensors should have the same dtype, "
                f"but got input with dtype {dt.c_name} and bins for dimension 0 with "
                f"dtype {bins.dtype.c_name}")
        if bins._data.ndim != 1:
            raise errors.EngineRuntimeError(
                "torch.histogramdd: bins tensor should have one dimension, but got "
                f"{bins._data.ndim} dimensions in the bins tensor for dimension 0")
        if bins._data.shape[0] - 1 <= 0:
            raise errors.EngineRuntimeError(
                "torch.histogram(): bins must be > 0, but got "
                f"{bins._data.shape[0] - 1} for dimension 0")
    if dt.name not in ("float32", "float64", "float16") or \
            dt.name == "float16" and find_range and input._data.size:
        # (torch's data range step fails first when it has to find the range itself)
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="histogramdd" if find_range else "histogram_cpu", dtype=dt.scalar_name))
    xp = input.device.xp
    data = input._data.reshape(-1)
    if not tensor_bins and int(bins) <= 0:
        raise errors.EngineRuntimeError(
            f"torch.histogram(): bins must be > 0, but got {int(bins)} for dimension 0")
    if tensor_bins:
        edges = bins._data.copy()
        binary_search = True
    else:
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
        elif data.size:
            lo, hi = float(data.min()), float(data.max())
        else:
            lo, hi = 0.0, 1.0
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise errors.EngineRuntimeError(
                f"torch.histogramdd: dimension 0's range [{_num(lo)}, {_num(hi)}] is not "
                "finite")
        if lo > hi:
            raise errors.EngineRuntimeError(
                "torch.histogramdd: min should not exceed max, but got min "
                f"{_num(lo)} max {_num(hi)} for dimension 0")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = xp.asarray(_linspace(lo, hi, int(bins) + 1, dt.np))
        binary_search = False
    if weight is not None:
        if weight.dtype is not dt:
            raise errors.EngineRuntimeError(
                "torch.histogramdd: if weight tensor is provided, input tensor and weight "
                f"tensor should have the same dtype, but got input({dt.c_name}), and "
                f"weight({weight.dtype.c_name})")
        if weight._data.size != data.shape[0]:  # (torch flattens the weight as the input)
            raise errors.EngineRuntimeError(
                "torch.histogramdd: if weight tensor is provided it should have the same shape "
                "as the input tensor excluding its innermost dimension, but got input with "
                f"shape [{data.shape[0]}, 1] and weight with shape [{weight._data.size}]")
    nbins = edges.shape[0] - 1
    left, right = edges[0], edges[-1]
    with np.errstate(all="ignore"):
        keep = (data >= left) & (data <= right)
        vals = data[keep]
        if binary_search:
            pos = _upper_bound(xp, edges, xp.zeros(vals.shape, np.int64),
                               xp.full(vals.shape, nbins + 1, np.int64), vals) - 1
        else:
            guess = ((vals - left) * dt.np.type(nbins) / (right - left))
            guess = xp.where(xp.isfinite(guess), guess, 0).astype(np.int64)
            pos = _upper_bound(xp, edges, xp.maximum(guess - 1, 0),
                               xp.minimum(guess + 2, nbins + 1), vals) - 1
        pos = xp.where(pos == nbins, nbins - 1, pos)
        w = weight._data.reshape(-1)[keep] if weight is not None else None
        hist = xp.zeros(nbins, dtype=dt.np)
        if pos.size:
            xp.add.at(hist, pos, w if w is not None else dt.np.type(1))
        if density:
            hist = hist / hist.sum(dtype=dt.np)
            hist = hist / xp.diff(edges)
    h = _wrap(xp.asarray(hist, dtype=dt.np), dt, input.device)
    e = _wrap(xp.asarray(edges, dtype=dt.np), dt, input.device)
    if needs_grad(input) or weight is not None and needs_grad(weight) or \
            tensor_bins and needs_grad(bins):
        rule = _no_derivative("histogram")
        record((h, e), "NotImplemented", lambda g, needs, *_: rule(g),
               (input,), per_input=False)
    return _histogram_type(h, e)


register("histogram", histogram, differentiable=False)
