"""Tensor methods that are not math: autograd controls, copies, casts, sizes, in-place fills."""

from __future__ import annotations

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..autograd.forward_ad import transfer_tangent
from ..autograd.graph import FW_ACTIVE
from ..device import bind, names_cpu_index
from ..device import device as as_device
from ..dtypes import (
    TYPE_NAMES,
    as_dtype,
    bool_,
    float16,
    float32,
    float64,
    half_source,
    int8,
    int16,
    int32,
    int64,
    uint8,
)
from ..tensor import Size, Tensor, _wrap
from . import memory_format as _mf
from ._args import check_fits, norm_dim
from .families import apply_inplace, check_inplace, check_mem_overlap, check_overlap, writing_into
from .registry import op, register

register("backward", Tensor.backward, kind="method", differentiable=False,
         doc="Compute gradients of this tensor w.r.t. graph leaves, accumulating into .grad.")
register("requires_grad_", Tensor.requires_grad_, kind="method", differentiable=False,
         doc="Set requires_grad on a leaf in place; returns the tensor.", inplace=False)
register("retain_grad", Tensor.retain_grad, kind="method", differentiable=False,
         doc="Keep .grad for this non-leaf tensor after backward.")
register("register_hook", Tensor.register_hook, kind="method", differentiable=False,
         doc="Call a function with this tensor's gradient during backward.")
register("register_post_accumulate_grad_hook", Tensor.register_post_accumulate_grad_hook,
         kind="method", differentiable=False,
         doc="Call a function with this leaf after backward has accumulated its .grad.")
register("item", Tensor.item, kind="method", differentiable=False,
         doc="The value of a one-element tensor as a Python number.")
register("tolist", Tensor.tolist, kind="method", differentiable=False,
         doc="The data as (nested) Python lists.")


@op(kind="method", differentiable=False)
def detach(self):
    """A tensor sharing storage with this one, cut off from the graph."""
    out = _wrap(self._data, self.dtype, self.device)
    out._vc = self._vc
    return out


@op(kind="method", differentiable=False, inplace=True)
def detach_(self):
    """Detach this tensor from the graph in place (it becomes a leaf); views refuse."""
    if self._base is not None:
        raise errors.EngineRuntimeError(errors.DETACH_VIEW_INPLACE)
    self._grad_fn = None
    self.requires_grad = False
    return self


@op(grad_fns=("CloneBackward0",))
def clone(input, *, memory_format=None):
    """A copy with its own storage (gradients flow through), laid out as ``memory_format``
    asks (by default torch's preserve_format: a dense input keeps its strides)."""
    fmt = _mf.check(memory_format, "clone")
    out = _wrap(_mf.copy_in(input._data, fmt, input.device.xp), input.dtype, input.device)
    if needs_grad(input):
        record(out, "CloneBackward0", (lambda g: g,), (input,))
    return out


@op(kind="method", differentiable=True, grad_fns=("ZeroBackward0",))
def zero_(self):
    """Fill with zeros in place."""
    return _fill(self, 0, "ZeroBackward0")


@op(kind="method", differentiable=True, grad_fns=("FillBackward2", "FillBackward3"))
def fill_(self, value):
    """Fill with ``value`` (a number or a 0-d tensor) in place."""
    check_inplace(self, value)  # (torch's autograd layer, before the kernel's checks)
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise errors.EngineRuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value._data.ndim} dimensions.")
        return _fill(self, value, "FillBackward3")
    value = check_fits(value, self.dtype)
    return _fill(self, value, "FillBackward2")


@op(kind="method", differentiable=True, grad_fns=("CopySlices",))
def fill_diagonal_(self, fill_value, wrap=False):
    """The main diagonal filled with ``fill_value`` in place: of a matrix, or of a tensor
    whose dimensions are all equal (``x[i, i, ..., i]``); with ``wrap``, a matrix taller than
    wide starts its diagonal again every ``width + 1`` rows. Written through strided views
    of the diagonal (torch's as_strided), so a tensor in a graph records CopySlices."""
    from .shape_more import storage_offset, stride
    from .strided import as_strided

    shape = tuple(self.shape)
    if len(shape) < 2:
        raise errors.EngineRuntimeError("dimensions must larger than 1")
    if len(shape) > 2 and any(s != shape[0] for s in shape):
        raise errors.EngineRuntimeError("all dimensions of input must be of equal length")
    strides = tuple(stride(self))
    step, offset = sum(strides), storage_offset(self)
    starts = range(0, shape[0], shape[1] + 1) if len(shape) == 2 and wrap and \
        shape[0] > shape[1] else (0,)
    for row in starts:
        length = min(min(shape[1:]), shape[0] - row)
        fill_(as_strided(self, (length,), (step,), offset + row * strides[0]), fill_value)
    return self


def _fill(self: Tensor, value, node: str) -> Tensor:
    """Every element becomes ``value``; the old contents get no gradient, a tensor ``value``
    gets the sum of the gradient. Through a view, the base's history is rewritten."""
    check_inplace(self)
    tensor_value = isinstance(value, Tensor)
    if tensor_value:  # fill_(Tensor) refuses an internally overlapping target; fill_(Scalar)
        check_overlap(self)  # writes an expanded one
    if needs_grad(self, value if tensor_value else None):  # (an integer self too, as torch)
        return writing_into(self, _fill_recorded, self, value, node)
    self._data[...] = value._data if tensor_value else value
    self._vc[0] += 1
    if FW_ACTIVE[0]:  # a filled tensor's tangent is zero
        transfer_tangent(None, self)
    return self


def _fill_recorded(self: Tensor, value, node: str) -> Tensor:
    from .creation import zeros_like

    arr = self.device.xp.full(self._data.shape, value._data if isinstance(value, Tensor)
                              else value, dtype=self.dtype.np)
    out = _wrap(arr, self.dtype, self.device)
    if isinstance(value, Tensor):
        record(out, node, (lambda g: zeros_like(g), lambda g: g.sum()), (self, value))
    else:
        record(out, node, (lambda g: zeros_like(g),), (self,))
    return apply_inplace(self, out, overlap_ok=True)


@op(kind="method", grad_fns=("CopyBackwards",))
def copy_(self, src, non_blocking=False):
    """Copy ``src`` (broadcast, cast) into this tensor in place."""
    check_inplace(self, src)
    if not isinstance(src, Tensor):
        src = _number_as_tensor(src, self)
    if 0 in self._data.strides:  # (torch: self's own overlap, then src's, then the shapes)
        check_overlap(self)
    check_mem_overlap(self, (src,))
    moved = to(src, device=self.device) if src.device != self.device else src
    return apply_inplace(self, _copy_result(self, moved))


# (TORCH_WARN's text without its "(Triggered internally at ...)" location, as errors.py's)
_COMPLEX_TO_REAL_WARNING = "Casting complex values to real discards the imaginary part"


def _number_as_tensor(value, self: Tensor) -> Tensor:
    """A Python number passed where ``copy_`` takes a tensor, as torch's argument parser lets
    it (``copy_`` is one of its numbers-as-tensors functions): a 0-d tensor of the number's
    own type (bool, int64, float64; an int past int64's range is a uint64 Scalar, taken
    straight to ``self``'s dtype as C++ converts it; a complex number keeps its real part,
    with torch's warning: the engine's tensors are real). Anything else is the parser's
    TypeError."""
    import warnings

    from ._args import check_scalar_int
    from .signatures import _is_number

    if not _is_number(value):
        raise errors.EngineTypeError(
            f"copy_(): argument 'other' (position 1) must be Tensor, not "
            f"{type(value).__name__}")
    xp = self.device.xp
    if isinstance(value, complex):
        warnings.warn(_COMPLEX_TO_REAL_WARNING, UserWarning, stacklevel=3)
        value = value.real
    if isinstance(value, (bool, np.bool_)):
        return _wrap(xp.asarray(bool(value)), bool_, self.device)
    if isinstance(value, (int, np.integer)):
        value = int(value)
        check_scalar_int(value)
        if value >= 1 << 63:
            data = np.asarray(np.uint64(value)).astype(self.dtype.np)
            return _wrap(xp.asarray(data), self.dtype, self.device)
        return _wrap(xp.asarray(value, dtype=np.int64), int64, self.device)
    return _wrap(xp.asarray(float(value), dtype=np.float64), float64, self.device)


def _copy_result(self: Tensor, src: Tensor) -> Tensor:
    """What ``self`` holds after ``copy_(src)``, recorded as PyTorch's ``CopyBackwards``: the
    gradient goes to ``src`` (summed over broadcasting, cast back), none to the old ``self``."""
    from ._args import broadcast_shape
    from .creation import zeros_like

    shape = self._data.shape
    if src._data.shape != shape:
        full = broadcast_shape(shape, src._data.shape)
        if full != shape:
            raise errors.EngineRuntimeError(
                f"output with shape {list(shape)} doesn't match the broadcast shape {list(full)}")
    xp = self.device.xp
    data = half_source(src._data) if self.dtype is float16 else src._data
    out = _wrap(xp.array(xp.broadcast_to(data, shape), dtype=self.dtype.np), self.dtype,
                self.device)
    if self.dtype.is_floating_point and needs_grad(self, src):
        record(out, "CopyBackwards", (lambda g: zeros_like(g), lambda g: g), (self, src),
               jvp=lambda tangents: tangents[1])
    return out


# --------------------------------------------------------------------------- casts, devices
def _parse_to(args, kwargs):
    """``to``'s arguments by torch's three overloads (the call already bound by torch's
    signatures: ``signatures.GUARDED``): ``(device=None, dtype=None, non_blocking=False,
    copy=False)``, ``(dtype, non_blocking=False, copy=False)`` and ``(tensor, non_blocking=False,
    copy=False)``, each with ``memory_format=``. A string, an int or a ``torch.device`` first
    is a device (``x.to('float64')`` is torch's "Invalid device string"); a bool or a float
    value first is a dtype, as torch's parser reads them (bool, float64)."""
    from ..device import Device
    from ..dtypes import DType

    rest = list(args)
    dtype = device = None
    if rest:
        a = rest.pop(0)
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, bool):
            dtype = bool_
        elif isinstance(a, float):
            dtype = float64
        elif a is None or isinstance(a, (Device, str, int)):
            device = a
            if rest:
                dtype = rest.pop(0)
        elif isinstance(a, DType):
            dtype = a
        else:
            dtype = as_dtype(a)  # (NumPy's dtypes, Python's types from the engine's callers)
    non_blocking = rest.pop(0) if rest else False
    copy = rest.pop(0) if rest else False
    if rest:
        raise errors.EngineTypeError(
            f"to() takes at most 4 positional arguments ({len(args)} given)")
    dtype = kwargs.pop("dtype", dtype)
    device = kwargs.pop("device", device)
    copy = kwargs.pop("copy", copy)
    kwargs.pop("non_blocking", non_blocking)
    fmt = _mf.check(kwargs.pop("memory_format", None), "to")
    if kwargs:
        raise errors.EngineTypeError(f"to() got an unexpected keyword argument "
                                     f"'{next(iter(kwargs))}'")
    return dtype, device, bool(copy), fmt


@op(kind="method", grad_fns=("ToCopyBackward0",))
def to(self, *args, **kwargs):
    """Cast to a dtype and/or move to a device: ``to(torch.float64)``, ``to("cuda")``,
    ``to(other)``; returns ``self`` when nothing changes."""
    dtype, device, copy, fmt = _parse_to(args, dict(kwargs))
    dt = self.dtype if dtype is None else as_dtype(dtype)
    dev = self.device if device is None else bind(as_device(device))
    if dt is self.dtype and dev == self.device and not copy and (
            fmt is None or fmt is _mf.preserve_format or _mf.suggest(self._data) is fmt) and \
            (device is None or not names_cpu_index(device)):  # (``to("cpu:0")`` copies)
        return self
    src = half_source(self._data) if dt is float16 else self._data
    if dev != self.device:
        if dev.type == "cpu":
            arr = self.device.xp.asnumpy(src)
        else:
            with dev.scope():
                arr = dev.xp.asarray(src)
        arr = arr.astype(dt.np, copy=False)
        if fmt is not None and fmt is not _mf.preserve_format:
            arr = _mf.copy_in(arr, fmt, dev.xp)
    elif fmt is None or fmt is _mf.preserve_format:  # (torch's preserve_format strides)
        arr = _mf.preserve_copy(src, dev.xp, dt.np) if type(src) is np.ndarray \
            else src.astype(dt.np, copy=True)
    else:
        arr = _mf.copy_in(src, fmt, dev.xp, dt.np)
    out = _wrap(arr, dt, dev)
    if needs_grad(self) and dt.is_floating_point:
        src_dtype, src_dev = self.dtype, self.device
        record(out, "ToCopyBackward0", (lambda g: to(g, src_dev, src_dtype),), (self,))
    return out


def _cast(name, dt):
    def cast(self, *args, memory_format=None):
        if args:  # (torch's: memory_format is keyword-only)
            n = len(args)
            raise errors.EngineTypeError(
                f"{name}() takes 0 positional arguments but {n} {'was' if n == 1 else 'were'} "
                "given")
        fmt = _mf.check(memory_format, name)
        return to(self, dt) if fmt is None else to(self, dt, memory_format=fmt)

    cast.__name__ = cast.__qualname__ = name
    register(name, cast, kind="method", doc=f"Cast to {dt} (``to({dt})``).",
             grad_fns=("ToCopyBackward0",), differentiable=dt.is_floating_point)


for _n, _dt in (("float", float32), ("double", float64), ("half", float16), ("long", int64),
                ("int", int32), ("bool", bool_), ("short", int16), ("char", int8),
                ("byte", uint8)):
    _cast(_n, _dt)


@op(kind="method")
def type_as(self, other):
    """Cast to ``other``'s dtype."""
    return to(self, other.dtype)


@op(kind="method")
def cpu(self):
    """A copy on the CPU (``self`` if already there)."""
    return to(self, "cpu")


@op(kind="method")
def cuda(self, device=None):
    """A copy on a CUDA device (``cuda:0`` by default)."""
    return to(self, "cuda" if device is None else (f"cuda:{device}" if isinstance(device, int)
                                                   else device))


# --------------------------------------------------------------------------- sizes
@op(kind="method", differentiable=False)
def size(self, dim=None):
    """The shape (a ``torch.Size``), or the size of one dimension."""
    if dim is None:
        return Size(self._data.shape)
    return self._data.shape[norm_dim(dim, self._data.ndim)] if self._data.ndim else \
        _size_0d(dim)


def _size_0d(dim):
    raise errors.EngineIndexError(
        f"Dimension specified as {dim} but tensor has no dimensions")


@op(differentiable=False)
def numel(input):
    """The number of elements."""
    return int(input._data.size)


@op(kind="method", differentiable=False, aliases=("ndimension",))
def dim(self):
    """The number of dimensions."""
    return self._data.ndim


@op(kind="method", differentiable=False)
def element_size(self):
    """Bytes per element."""
    return self.dtype.itemsize


@op(differentiable=False)
def get_device(input):
    """The device's ordinal: -1 for a CPU tensor, the GPU's index for a CUDA one."""
    return -1 if input.device.type == "cpu" else input.device.index or 0


@op(differentiable=False)
def is_floating_point(input):
    """Whether the dtype is a floating point type."""
    return input.dtype.is_floating_point


@op(differentiable=False)
def is_inference(input):
    """Whether the tensor was made in inference mode (or views one that was)."""
    from ..autograd.grad_mode import is_inference as made_in_inference_mode

    return made_in_inference_mode(input)


@op(kind="function", differentiable=False)
def is_tensor(obj):
    """Whether ``obj`` is a tensor."""
    return isinstance(obj, Tensor)



@op(name="nelement", kind="method", differentiable=False)
def _nelement(self):
    """The number of elements (``numel``)."""
    return int(self._data.size)


_TYPE_NAMES = {f"torch.{name}": dt for dt, name in TYPE_NAMES.items()}


@op(name="type", kind="method", grad_fns=("ToCopyBackward0",))
def type_(self, dtype=None, non_blocking=False, **kwargs):
    """Without ``dtype``: the type name, e.g. ``'torch.FloatTensor'``; with a dtype or such a
    name (``'torch.cuda.DoubleTensor'`` also moves to the GPU): ``self`` cast to it."""
    if "async" in kwargs:
        non_blocking = kwargs.pop("async")
    if kwargs:
        raise errors.EngineTypeError(
            f"type() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if dtype is None:
        return errors.type_name(self)
    device = None
    if isinstance(dtype, type):  # torch.LongTensor and its siblings
        from ..legacy import dtype_of

        typed = dtype_of(dtype)
        if typed is None:
            raise errors.EngineValueError(f"invalid type: '{dtype.__name__}'")  # (torch's)
        dtype, device = typed, ("cpu" if self.device.type != "cpu" else None)
    elif isinstance(dtype, str):
        name = dtype
        cuda = name.startswith("torch.cuda.")
        dt = _TYPE_NAMES.get(name.replace("torch.cuda.", "torch.", 1) if cuda else name)
        if dt is None:
            raise errors.EngineValueError(f"invalid type: '{name}'")
        dtype, device = dt, ("cuda" if cuda else "cpu")
        if (device == "cuda") == (self.device.type == "cuda"):
            device = None
    return to(self, as_dtype(dtype), device=device, non_blocking=non_blocking)


def _type_signature():
    import inspect

    P = inspect.Parameter
    return inspect.Signature([P("self", P.POSITIONAL_OR_KEYWORD),
                              P("dtype", P.POSITIONAL_OR_KEYWORD, default=None),
                              P("non_blocking", P.POSITIONAL_OR_KEYWORD, default=False)])


type_.__signature__ = _type_signature()  # (``async=`` is also accepted, as in PyTorch)
