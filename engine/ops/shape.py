"""Shape ops. Most return views that share storage (and the version counter) with their
input, as PyTorch's do; ``make_view`` records how to replay the view on its base, which
in-place ops on views need."""

from __future__ import annotations

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..tensor import Tensor, _wrap
from ._args import norm_dim, shape_arg
from .registry import op


def make_view(input: Tensor, arr, replay) -> Tensor:
    """Wrap ``arr`` (a NumPy view of ``input``'s data) as a view tensor of ``input``'s base.
    ``replay(t)`` re-applies the same view op to a tensor shaped like ``input``."""
    out = _wrap(arr, input.dtype, input.device)
    out._vc = input._vc
    if input._base is None:
        out._base, out._view_fn = input, replay
    else:
        prev = input._view_fn
        out._base = input._base
        out._view_fn = lambda b: replay(prev(b))
    out._view_version = input._vc[0]
    return out


def _shares(arr, data) -> bool:
    return arr.base is not None and (arr.base is data or arr.base is data.base or
                                     np.shares_memory(arr, data))


def _infer_shape(shape: tuple, numel: int) -> tuple:
    shape = list(shape)
    infer = [i for i, s in enumerate(shape) if s == -1]
    if len(infer) > 1:
        raise errors.EngineRuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise errors.EngineRuntimeError(f"invalid shape dimension {s}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if infer:
        if known == 0 or numel % known:
            raise errors.EngineRuntimeError(
                f"shape '{_fmt(shape)}' is invalid for input of size {numel}")
        shape[infer[0]] = numel // known
    elif known != numel:
        raise errors.EngineRuntimeError(
            f"shape '{_fmt(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def _fmt(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _reshape_like(name: str, input: Tensor, shape: tuple, must_view: bool) -> Tensor:
    in_shape = input._data.shape
    shape = _infer_shape(shape, input._data.size)
    if must_view:
        try:
            arr = input.device.xp.reshape(input._data, shape, copy=False)
        except ValueError:
            raise errors.EngineRuntimeError(errors.VIEW_NOT_COMPATIBLE) from None
        copied = False
    else:
        arr = input._data.reshape(shape)
        copied = not _shares(arr, input._data) and input._data.size > 0
    if copied:
        out = _wrap(arr, input.dtype, input.device)
    else:
        out = make_view(input, arr, lambda t: t.reshape(shape))
    if needs_grad(input):
        node = "UnsafeViewBackward0" if copied else "ViewBackward0"
        record(out, node, (lambda g: g.reshape(in_shape),), (input,))
    return out


@op()
def reshape(input, *shape):
    """The same elements in a new shape (a view when possible, else a copy)."""
    return _reshape_like("reshape", input, shape_arg_infer(shape), False)


@op(kind="method")
def view(self, *shape):
    """A view with a new shape; fails when the strides do not allow it (use reshape)."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
        from ..dtypes import as_dtype

        dt = as_dtype(shape[0])
        if dt is self.dtype:
            return make_view(self, self._data.view(), lambda t: t.view(dt))
        raise errors.NotSupported("view(dtype) reinterpreting bytes is not supported")
    return _reshape_like("view", self, shape_arg_infer(shape), True)


def shape_arg_infer(shape) -> tuple:
    """Like ``shape_arg`` but allows -1 (one inferred dimension)."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = tuple(shape[0])
    out = []
    for s in shape:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise errors.EngineTypeError(
                f"reshape(): argument 'shape' must be tuple of ints, but found element of type "
                f"{type(s).__name__}")
        out.append(int(s))
    return tuple(out)


@op(kind="method")
def expand(self, *sizes):
    """A broadcast view to a larger size (-1 keeps a dimension); no copy."""
    sizes = shape_arg_infer(sizes)
    in_shape = self._data.shape
    if len(sizes) < len(in_shape):
        raise errors.EngineRuntimeError(
            f"expand(torch.{_type_name(self)}{{{_fmt(in_shape)}}}, size={_fmt(sizes)}): the "
            "number of sizes provided (%d) must be greater or equal to the number of dimensions "
            "in the tensor (%d)" % (len(sizes), len(in_shape)))
    lead = len(sizes) - len(in_shape)
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise errors.EngineRuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                    "non-existing dimension 0")
            target.append(s)
            continue
        cur = in_shape[i - lead]
        if s == -1:
            target.append(cur)
        elif cur != 1 and s != cur:
            raise errors.EngineRuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                f"non-singleton dimension {i}.  Target sizes: {_fmt(sizes)}.  Tensor sizes: "
                f"{_fmt(in_shape)}")
        else:
            target.append(s)
    target = tuple(target)
    from ..modes import check_numel

    check_numel(target)
    if target == in_shape:
        arr = self._data.view()
    else:
        arr = self.device.xp.broadcast_to(self._data, target)
    out = make_view(self, arr, lambda t: t.expand(target))
    if needs_grad(self):
        record(out, "ExpandBackward0", (lambda g: g,), (self,))  # the engine sums back
    return out


def _type_name(t: Tensor) -> str:
    from ..dtypes import TYPE_NAMES

    return TYPE_NAMES[t.dtype]


@op(kind="method")
def expand_as(self, other):
    """``self.expand(other.size())``."""
    return expand(self, other._data.shape)


@op()
def unsqueeze(input, dim):
    """A view with a size-1 dimension inserted at ``dim``."""
    d = norm_dim(dim, input._data.ndim + 1)
    arr = input.device.xp.expand_dims(input._data, d)
    out = make_view(input, arr, lambda t: t.unsqueeze(d))
    if needs_grad(input):
        record(out, "UnsqueezeBackward0", (lambda g: g.squeeze(d),), (input,))
    return out


@op()
def squeeze(input, dim=None):
    """A view with size-1 dimensions removed (all, or those in ``dim``)."""
    shape = input._data.shape
    if dim is None:
        axes = tuple(i for i, s in enumerate(shape) if s == 1)
    else:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        axes = tuple(sorted({norm_dim(d, len(shape)) for d in dims}))
        axes = tuple(a for a in axes if shape and shape[a] == 1)
    arr = input.device.xp.squeeze(input._data, axis=axes) if axes else input._data.view()
    out = make_view(input, arr, lambda t: t.squeeze(dim))
    if needs_grad(input):
        name = "SqueezeBackward0" if dim is None else "SqueezeBackward1"
        record(out, name, (lambda g: g.reshape(shape),), (input,))
    return out


@op(aliases=("swapaxes", "swapdims"))
def transpose(input, dim0, dim1):
    """A view with dimensions ``dim0`` and ``dim1`` swapped."""
    n = input._data.ndim
    d0, d1 = norm_dim(dim0, n), norm_dim(dim1, n)
    arr = input.device.xp.swapaxes(input._data, d0, d1) if n else input._data.view()
    out = make_view(input, arr, lambda t: t.transpose(d0, d1))
    if needs_grad(input):
        record(out, "TransposeBackward0", (lambda g: g.transpose(d0, d1),), (input,))
    return out


@op()
def permute(input, *dims):
    """A view with the dimensions reordered."""
    if len(dims) == 1 and not isinstance(dims[0], (int, np.integer)):
        dims = tuple(dims[0])
    n = input._data.ndim
    if len(dims) != n:
        raise errors.EngineRuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            "length of the desired ordering of dimensions i.e. input.dim() = "
            f"{n} is not equal to len(dims) = {len(dims)}")
    perm = tuple(norm_dim(d, n) for d in dims)
    if len(set(perm)) != n:
        raise errors.EngineRuntimeError("permute(): duplicate dims are not allowed.")
    return _permute(input, perm, "PermuteBackward0")


def _permute(input: Tensor, perm: tuple, node: str) -> Tensor:
    arr = input.device.xp.transpose(input._data, perm)
    out = make_view(input, arr, lambda t: _permute(t, perm, node))
    if needs_grad(input):
        inv = tuple(int(i) for i in np.argsort(perm))
        record(out, node, (lambda g: g.permute(inv),), (input,))
    return out


@op()
def t(input):
    """Transpose of a matrix (0-d and 1-d tensors are returned as is)."""
    n = input._data.ndim
    if n > 2:
        raise errors.EngineRuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {n}D")
    return _permute(input, tuple(reversed(range(n))), "TBackward0")


def numpy_T(input: Tensor) -> Tensor:
    n = input._data.ndim
    return _permute(input, tuple(reversed(range(n))), "PermuteBackward0")


def matrix_T(input: Tensor) -> Tensor:
    if input._data.ndim < 2:
        raise errors.EngineRuntimeError(
            "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return transpose(input, -2, -1)


@op()
def flatten(input, start_dim=0, end_dim=-1):
    """Flatten dimensions ``start_dim``..``end_dim`` into one."""
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    s, e = norm_dim(start_dim, len(shape)), norm_dim(end_dim, len(shape))
    if s > e:
        raise errors.EngineRuntimeError("flatten() has invalid args: start_dim cannot come after "
                                        "end_dim")
    if s == e:
        return input
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return reshape(input, shape[:s] + (n,) + shape[e + 1:])


@op(kind="method")
def contiguous(self, memory_format=None):
    """``self`` if already contiguous, else a contiguous copy."""
    if self._data.flags.c_contiguous:
        return self
    return self.clone()


@op(kind="method", differentiable=False)
def is_contiguous(self, memory_format=None):
    """Whether the data is laid out row-major without gaps."""
    return bool(self._data.flags.c_contiguous)


__all__ = ["make_view", "shape_arg", "numpy_T", "matrix_T"]
