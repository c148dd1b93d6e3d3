"""Shape ops. Most return views that share storage (and the version counter) with their
input, as PyTorch's do; ``make_view`` records how to replay the view on its base, which
in-place ops on views need."""

from __future__ import annotations

import weakref

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..dtypes import as_dtype
from ..modes import _grad_enabled, check_numel
from ..tensor import Tensor, _wrap
from . import memory_format as _mf
from ._args import broadcast_pair, norm_dim, promote_args, shape_arg
from .families import inplace_twin
from .registry import op


def make_view(input: Tensor, arr, replay, multi: bool = False, from_root: bool = False) -> Tensor:
    """Wrap ``arr`` (a NumPy view of ``input``'s data) as a view tensor of ``input``'s base.
    ``replay(t)`` re-applies the same view op to a tensor shaped like ``input``. ``multi``: one
    of several views one op returned (split, unbind): PyTorch forbids writing into those.
    ``from_root``: ``replay`` takes the base itself, not ``input`` (``as_strided``, whose
    geometry is the storage's: torch's CopySlices replays it on a tensor of the base's).

    How the view was made, when in-place ops must refuse it, rides on the replay function as
    its ``creation`` ("multi", "no_grad"; PyTorch's CreationMeta), inherited by views of it."""
    out = _wrap(arr, input.dtype, input.device)
    out._vc = input._vc
    if input._base is None:
        out._base, fn, creation = input, replay, None
    else:
        prev = input._view_fn
        out._base = input._base
        creation = getattr(prev, "creation", None)
        fn = (lambda b: replay(b)) if from_root else lambda b: replay(prev(b))  # noqa: E731
    if creation is None:
        creation = "no_grad" if not _grad_enabled.get() else "multi" if multi else None
    if creation is not None:
        if fn is replay:  # never mark a shared function (``alias``)
            fn = lambda b: replay(b)  # noqa: E731
        fn.creation = creation
    out._view_fn = fn
    vc = input._vc
    out._view_version = vc[0]
    # every view is listed (weakly) with its base: a base that comes to require grad in
    # place makes its views require it too; one whose own shape changes in place (t_,
    # transpose_, squeeze_, unsqueeze_) re-expresses their replays (relayout_views)
    vc.append(weakref.ref(out))
    n = len(vc)
    if n >= 64 and not n & (n - 1):
        vc[1:] = [r for r in vc[1:] if r() is not None]
    return out


def relayout_views(root: Tensor, inverse) -> None:
    """``root`` (no view) changed its own shape in place (``t_``, ``transpose_``,
    ``squeeze_``, ``unsqueeze_``): the views made of it before keep their elements (torch's
    views are geometry over the storage: after ``b.t_()`` the view ``b[0]`` is still the old
    first row, its node an ``AsStridedBackward0`` over the new history), but their replays
    take a tensor of the root's old shape. ``inverse(b)`` turns a tensor of the new shape back
    into the old one (a view op), which each such replay now applies first (before, a replay
    on the new shape picked other elements: a wrong gradient, or NumPy's IndexError)."""
    for ref in root._vc[1:]:
        v = ref()
        if v is None or v._base is not root or v._view_fn is None:
            continue
        fn = v._view_fn
        creation = getattr(fn, "creation", None)
        if creation == "custom":  # (a custom Function's returned input: never replayed)
            continue
        new = _replay_after(fn, inverse)
        if creation is not None:
            new.creation = creation
        v._view_fn = new


def _replay_after(fn, inverse):
    return lambda b: fn(inverse(b))


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
        if known == 0 and numel == 0:
            raise errors.EngineRuntimeError(
                f"cannot reshape tensor of 0 elements into shape {_fmt(shape)} because the "
                "unspecified dimension size -1 can be any value and is ambiguous")
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
        # torch's reshape of a non-contiguous tensor that it can view is ``_reshape_alias``;
        # one it cannot view is ``clone`` then ``_unsafe_view`` (two nodes)
        src = input
        if copied:
            src = _wrap(arr.reshape(in_shape), input.dtype, input.device)
            record(src, "CloneBackward0", (lambda g: g,), (input,), jvp=lambda ts: ts[0])
            out = _wrap(arr, input.dtype, input.device)
        node = "UnsafeViewBackward0" if copied else "ViewBackward0" if must_view or \
            getattr(input._data.flags, "c_contiguous", True) else "ReshapeAliasBackward0"
        record(out, node, (lambda g: g.reshape(in_shape),), (src,),
               jvp=lambda ts: ts[0].reshape(shape))
    return out


@op()
def reshape(input, *shape):
    """The same elements in a new shape (a view when possible, else a copy)."""
    return _reshape_like("reshape", input, shape_arg_infer(shape), False)


@op(kind="method")
def view(self, *shape, **kwargs):
    """A view with a new shape; fails when the strides do not allow it (use reshape). With a
    dtype: the same bytes read as that dtype."""
    if kwargs or not shape:  # view(dtype=...), view(size=...): one keyword, nothing else
        key = next(iter(kwargs), None)
        if shape or len(kwargs) != 1 or key not in ("dtype", "size"):
            got = ", ".join([type(s).__name__ for s in shape] +
                            [f"{k}={_arg_type(v)}" for k, v in kwargs.items()])
            raise errors.EngineTypeError(
                f"view() received an invalid combination of arguments - got ({got}), but "
                "expected one of:\n * (torch.dtype dtype)\n * (tuple of ints size)\n")
        shape = (kwargs[key],)
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
        dt = as_dtype(shape[0])
        if dt is self.dtype:
            return make_view(self, self._data.view(), lambda t: t.view(dt))
        return _view_dtype(self, dt)
    return _reshape_like("view", self, shape_arg_infer(shape), True)


def _arg_type(v) -> str:
    from ..dtypes import DType

    return "torch.dtype" if isinstance(v, DType) else type(v).__name__


def _view_dtype(self: Tensor, dt) -> Tensor:
    """The same bytes read as ``dt`` (torch's ``Tensor.view(dtype)``): across element sizes the
    last dimension is scaled by the size ratio, with torch's checks in its order; the result
    shares memory and version counter with ``self`` but, as torch's, is neither a view for
    autograd nor differentiable."""
    from .shape_more import _elem_strides, storage_offset

    old, new = self.dtype.itemsize, dt.itemsize
    if old != new:
        what = f"to view {self.dtype.scalar_name} as {dt.scalar_name} (different element sizes)"
        shape = self._data.shape
        if not shape:
            raise errors.EngineRuntimeError(f"self.dim() cannot be 0 {what}")
        strides = _elem_strides(self)
        if old < new:
            r = new // old
            if shape[-1] % r:
                raise errors.EngineRuntimeError(
                    f"self.size(-1) must be divisible by {r} {what}, but got {shape[-1]}")
            offset = storage_offset(self)
            if offset % r:
                raise errors.EngineRuntimeError(
                    f"self.storage_offset() must be divisible by {r} {what}, but got {offset}")
        if strides[-1] != 1:
            raise errors.EngineRuntimeError(
                f"self.stride(-1) must be 1 {what}, but got {strides[-1]}")
        if old < new:
            for i, st in enumerate(strides[:-1]):
                if st % r:
                    raise errors.EngineRuntimeError(
                        f"self.stride({i}) must be divisible by {r} {what}, but got {st}")
    out = _wrap(self._data.view(dt.np), dt, self.device)
    out._vc = self._vc
    return out


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
def expand(self, *sizes, implicit=False):
    """A broadcast view to a larger size (-1 keeps a dimension); no copy. (``implicit``:
    torch's tracing flag, which changes nothing in the result.)"""
    sizes = shape_arg_infer(sizes)
    in_shape = self._data.shape
    if len(sizes) < len(in_shape):
        raise errors.EngineRuntimeError(
            f"expand({_expand_type(self)}{{{_fmt(in_shape)}}}, size={_fmt(sizes)}): the "
            "number of sizes provided (%d) must be greater or equal to the number of dimensions "
            "in the tensor (%d)" % (len(sizes), len(in_shape)))
    lead = len(sizes) - len(in_shape)
    target = list(sizes)
    for i in reversed(range(len(sizes))):  # torch checks from the last dimension
        s = sizes[i]
        if i < lead:
            if s < 0:
                raise errors.EngineRuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                    f"non-existing dimension {i}")
            continue
        cur = in_shape[i - lead]
        if s == -1:
            target[i] = cur
        elif cur != 1 and s != cur:
            raise errors.EngineRuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                f"non-singleton dimension {i}.  Target sizes: {_fmt(sizes)}.  Tensor sizes: "
                f"{_fmt(in_shape)}")
    target = tuple(target)
    check_numel(target)
    data = self._data
    if target == in_shape:
        arr = data.view()
    elif type(data) is np.ndarray and data.flags.writeable:
        # a writable view, as PyTorch's: writes through it reach the input (in-place ops that
        # would write one element twice refuse it: families.check_overlap)
        strides = (0,) * lead + tuple(0 if c == 1 and s != 1 else st for c, s, st in
                                      zip(in_shape, target[lead:], data.strides))
        arr = np.lib.stride_tricks.as_strided(data, target, strides)
    else:
        arr = self.device.xp.broadcast_to(data, target)
    out = make_view(self, arr, lambda t: t.expand(target))
    if needs_grad(self):
        record(out, "ExpandBackward0", (lambda g: g,), (self,),  # the engine sums back
               jvp=lambda ts: ts[0].expand(target))
    return out


def _expand_type(t: Tensor) -> str:
    """How torch's expand error prints the tensor's type (bool has no legacy tensor type)."""
    if t.dtype.name == "bool":
        return ("CUDA" if t.device.type == "cuda" else "CPU") + "BoolType"
    return f"torch.{_type_name(t)}"


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
    src = input._data
    arr = input.device.xp.expand_dims(src, d)
    if type(src) is np.ndarray:  # torch's strides: the input's, and for the new dimension
        # the next one's size times its stride (1 last); NumPy's reshape may rewrite those of
        # size-1 (and empty) dimensions
        st = src.strides
        want = st[:d] + (st[d] * src.shape[d] if d < src.ndim else src.itemsize,) + st[d:]
        if arr.strides != want:
            arr = np.lib.stride_tricks.as_strided(arr, arr.shape, want)
    out = make_view(input, arr, lambda t: t.unsqueeze(d))
    if needs_grad(input):
        record(out, "UnsqueezeBackward0", (lambda g: g.squeeze(d),), (input,),
               jvp=lambda ts: ts[0].unsqueeze(d))
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
        record(out, name, (lambda g: _unsqueeze_to(g, axes),), (input,),
               jvp=lambda ts: ts[0].squeeze(dim))
    return out


def _unsqueeze_to(g: Tensor, axes: tuple) -> Tensor:
    """squeeze's gradient as torch's formula makes it: one ``unsqueeze`` per removed dim, in
    ascending order (UnsqueezeBackward0 nodes under create_graph), ``g`` itself if none."""
    for a in axes:
        g = g.unsqueeze(a)
    return g


@op(aliases=("swapaxes", "swapdims"))
def transpose(input, dim0, dim1):
    """A view with dimensions ``dim0`` and ``dim1`` swapped."""
    n = input._data.ndim
    d0, d1 = norm_dim(dim0, n), norm_dim(dim1, n)
    arr = input.device.xp.swapaxes(input._data, d0, d1) if n else input._data.view()
    out = make_view(input, arr, lambda t: t.transpose(d0, d1))
    if needs_grad(input):
        record(out, "TransposeBackward0", (lambda g: g.transpose(d0, d1),), (input,),
               jvp=lambda ts: ts[0].transpose(d0, d1))
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
        if node == "TBackward0":  # its gradient is a t() again (TBackward0 under create_graph)
            back = t
        else:
            inv = tuple(int(i) for i in np.argsort(perm))

            def back(g):
                return g.permute(inv)

        record(out, node, (back,), (input,), jvp=lambda ts: _permute(ts[0], perm, node))
    return out


@op()
def t(input):
    """Transpose of a matrix (0-d and 1-d tensors are returned as is)."""
    n = input._data.ndim
    if n > 2:
        raise errors.EngineRuntimeError(
            f"t() expects a tensor with <= 2 dimensions, but self is {n}D")
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
    """``self`` if already contiguous in ``memory_format`` (row-major by default), else a copy
    laid out so (``CloneBackward0``)."""
    if memory_format is None:
        if self._data.flags.c_contiguous:
            return self
        return self.clone(memory_format=_mf.contiguous_format)
    fmt = _mf.check(memory_format, "contiguous")
    if _mf.is_contiguous_as(self._data, fmt):
        return self
    if fmt is _mf.preserve_format:  # (only when a copy is needed, as torch's)
        raise errors.EngineRuntimeError(
            "preserve memory format is unsupported by the contiguous operator")
    return self.clone(memory_format=fmt)


@op(kind="method", differentiable=False)
def is_contiguous(self, memory_format=None):
    """Whether the data is laid out row-major without gaps (or as ``memory_format`` says:
    ``torch.channels_last`` / ``channels_last_3d``)."""
    if memory_format is None:
        return bool(self._data.flags.c_contiguous)
    return _mf.is_contiguous_as(self._data, _mf.check(memory_format, "is_contiguous"))


@op(kind="method")
def view_as(self, other):
    """``self.view(other.size())``."""
    return view(self, other._data.shape)


@op(kind="method")
def reshape_as(self, other):
    """``self.reshape(other.size())``."""
    return reshape(self, other._data.shape)


@op()
def unflatten(input, dim, sizes):
    """Split dimension ``dim`` into ``sizes`` (one may be -1)."""
    shape = input._data.shape
    d = norm_dim(dim, len(shape))
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise errors.EngineRuntimeError("unflatten: sizes must be non-empty")
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    if (-1 not in sizes and known != shape[d]) or (-1 in sizes and (known == 0 or
                                                                     shape[d] % known)):
        raise errors.EngineRuntimeError(
            f"unflatten: Provided sizes {_fmt(sizes)} don't multiply up to the size of dim {dim} "
            f"({shape[d]}) in the input tensor")
    return _reshape_like("view", input, shape[:d] + sizes + shape[d + 1:], True)


# --------------------------------------------------------------------------- slicing views
def _embed(g: Tensor, shape: tuple, place, replay, node: str) -> Tensor:
    """The gradient of a slicing view: zeros of the base's ``shape`` with ``g`` written where
    the view looked (``place(array)`` gives that region). Linear in ``g``; its own gradient is
    the view again (``replay``), so higher derivatives work."""
    z = g.device.xp.zeros(shape, dtype=g.dtype.np)
    place(z)[...] = g._data
    out = _wrap(z, g.dtype, g.device)
    if needs_grad(g):
        record(out, node, (replay,), (g,))
    return out


def slice_view(input: Tensor, dim: int, start: int, stop: int, step: int = 1) -> Tensor:
    """``input[..., start:stop:step]`` along ``dim`` (clamped like Python slices): a view."""
    shape = input._data.shape
    s, e, st = slice(start, stop, step).indices(shape[dim])
    key = (slice(None),) * dim + (slice(s, e, st),)

    def replay(t):
        return slice_view(t, dim, s, e, st)

    arr = input._data[key]
    if st != 1 and not arr.shape[dim] and type(arr) is np.ndarray:
        # an empty slice: NumPy drops the step from the stride, torch keeps it
        strides = list(arr.strides)
        strides[dim] = input._data.strides[dim] * st
        arr = np.ndarray(arr.shape, arr.dtype, np.empty(1, arr.dtype), 0, tuple(strides))
    out = make_view(input, arr, replay)
    if needs_grad(input):
        record(out, "SliceBackward0",
               (lambda g: _embed(g, shape, lambda z: z[key], replay, "SliceBackwardBackward0"),),
               (input,), jvp=lambda ts: replay(ts[0]))
    return out


def select_view(input: Tensor, dim: int, index: int) -> Tensor:
    """``input`` at ``index`` along ``dim`` (already checked), dropping that dimension."""
    shape = input._data.shape
    key = (slice(None),) * dim + (index, Ellipsis)  # "..." keeps a 0-d result a view

    def replay(t):
        return select_view(t, dim, index)

    out = make_view(input, input._data[key], replay)
    if needs_grad(input):
        record(out, "SelectBackward0",
               (lambda g: _embed(g, shape, lambda z: z[key], replay,
                                 "SelectBackwardBackward0"),),
               (input,), jvp=lambda ts: replay(ts[0]))
    return out


def alias(input: Tensor) -> Tensor:
    """A view of all of ``input`` (``x[...]``)."""
    out = make_view(input, input._data.view(), alias)
    if needs_grad(input):
        record(out, "AliasBackward0", (lambda g: g,), (input,), jvp=lambda ts: alias(ts[0]))
    return out


@op()
def select(input, dim, index):
    """A view of the slice at ``index`` along ``dim`` (that dimension removed)."""
    return select_view(input, *select_position(input._data.shape, dim, index))


def select_position(shape: tuple, dim, index) -> tuple[int, int]:
    """``select``'s (dim, index), both made non-negative, after torch's checks."""
    if not shape:
        raise errors.EngineIndexError("select() cannot be applied to a 0-dim tensor.")
    d = norm_dim(dim, len(shape))
    i = int(index)
    if not -shape[d] <= i < shape[d]:
        raise errors.EngineIndexError(
            f"select(): index {i} out of range for tensor of size {_fmt(shape)} at dimension {d}")
    return d, i + shape[d] if i < 0 else i


@op()
def narrow(input, dim, start, length):
    """A view of ``length`` elements from ``start`` along ``dim``."""
    shape = input._data.shape
    d = norm_dim(dim, len(shape))
    n, start, length = shape[d], int(start), int(length)
    if not -n <= start <= n:
        raise errors.EngineIndexError(
            f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if length < 0:
        raise errors.EngineRuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise errors.EngineRuntimeError(
            f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return slice_view(input, d, start, start + length)


def _diagonal_array(xp, arr, offset: int, d1: int, d2: int):
    """A writable view of a diagonal, the diagonal's axis last (as PyTorch)."""
    out = xp.diagonal(arr, offset, d1, d2)
    if not getattr(out.flags, "writeable", True):  # NumPy hands out read-only diagonals
        out.flags.writeable = True
    return out


def _diagonal(input: Tensor, offset: int, d1: int, d2: int) -> Tensor:
    shape = input._data.shape

    def replay(t):
        return _diagonal(t, offset, d1, d2)

    out = make_view(input, _diagonal_array(input.device.xp, input._data, offset, d1, d2),
                    replay)
    if needs_grad(input):
        record(out, "DiagonalBackward0",
               (lambda g: _embed(g, shape,
                                 lambda z: _diagonal_array(g.device.xp, z, offset, d1, d2),
                                 replay, "DiagonalBackwardBackward0"),),
               (input,))
    return out


@op()
def diagonal(input, offset=0, dim1=0, dim2=1):
    """A view of the diagonal of dims ``dim1`` and ``dim2`` (offset above/below), last."""
    n = input._data.ndim
    d1, d2 = norm_dim(dim1, n), norm_dim(dim2, n)
    if d1 == d2:
        raise errors.EngineRuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return _diagonal(input, int(offset), d1, d2)


@op(aliases=("moveaxis",))
def movedim(input, source, destination):
    """A view with dimensions ``source`` moved to positions ``destination``."""
    n = input._data.ndim
    src = [source] if isinstance(source, (int, np.integer)) else list(source)
    dst = [destination] if isinstance(destination, (int, np.integer)) else list(destination)
    if len(src) != len(dst):
        raise errors.EngineRuntimeError(
            f"movedim: Invalid source or destination dims: source ({_fmt(src)} dims) should "
            f"contain the same number of dims as destination ({_fmt(dst)} dims)")
    s = [norm_dim(d, n) for d in src]
    t_ = [norm_dim(d, n) for d in dst]
    if len(set(s)) != len(s):
        raise errors.EngineRuntimeError(f"movedim: repeated dim in `source` ({_fmt(src)})")
    if len(set(t_)) != len(t_):
        raise errors.EngineRuntimeError(
            f"movedim: repeated dim in `destination` ({_fmt(dst)})")
    order = [None] * n
    for a, b in zip(s, t_, strict=True):
        order[b] = a
    rest = iter(d for d in range(n) if d not in s)
    perm = tuple(next(rest) if o is None else o for o in order)
    return _permute(input, perm, "PermuteBackward0")


# --------------------------------------------------------------------------- copies
def _dims_arg(dims) -> list:
    if isinstance(dims, (int, np.integer)):
        return [int(dims)]
    if len(dims) == 1 and not isinstance(dims[0], (int, np.integer)):
        dims = dims[0]
    return [int(d) for d in dims]


@op(kind="method")
def repeat(self, *sizes):
    """Tile the tensor ``sizes[i]`` times along each dimension (new leading dims allowed)."""
    reps = shape_arg_infer(sizes)
    in_shape = self._data.shape
    if len(reps) < len(in_shape):
        raise errors.EngineRuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            "of tensor")
    padded = (1,) * (len(reps) - len(in_shape)) + in_shape
    target = tuple(r * s for r, s in zip(reps, padded, strict=True))
    if any(t < 0 for t in target):  # (a negative count of a size-0 dim is a size 0, as torch)
        raise errors.EngineRuntimeError(
            f"Trying to create tensor with negative dimension {next(t for t in target if t < 0)}"
            f": {_fmt(target)}")
    check_numel(target)
    out = _wrap(self.device.xp.tile(self._data.reshape(padded), tuple(max(r, 0) for r in reps)),
                self.dtype, self.device)
    if needs_grad(self):
        record(out, "RepeatBackward0", (lambda g: _repeat_backward(g, reps, in_shape),),
               (self,))
    return out


def _repeat_backward(g, reps: tuple, in_shape: tuple):
    """torch's ``repeat_backward``: zeros for a zero count; each new leading dim summed away
    one at a time (``sum(0)``); then the repeated dims split off and summed in one call."""
    if 0 in reps:
        return _wrap(g.device.xp.zeros(in_shape, dtype=g.dtype.np), g.dtype, g.device)
    lead = len(reps) - len(in_shape)
    for _ in range(lead):
        g = g.sum(0)
    split, axes = [], []
    for r, s in zip(reps[lead:], in_shape, strict=True):
        if r != 1:
            split.append(r)
            axes.append(len(split) - 1)
        split.append(s)
    if axes:
        g = g.reshape(tuple(split)).sum(tuple(axes))
    return g


def _tensor_list(tensors, name: str) -> list:
    if not isinstance(tensors, (list, tuple)):
        raise errors.EngineTypeError(
            f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
            f"{type(tensors).__name__}")
    out = list(tensors)
    for i, t in enumerate(out):
        if not isinstance(t, Tensor):
            raise errors.EngineTypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return out


@op(kind="function", aliases=("concat", "concatenate"), grad_fns=("CatBackward0",))
def cat(tensors, dim=0):
    """Join tensors along an existing dimension ``dim`` (dtypes promote)."""
    ts = _tensor_list(tensors, "cat")
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer, Tensor)):
        raise errors.EngineTypeError(
            f"cat(): argument 'dim' must be int, not {type(dim).__name__}")
    if not ts:
        raise errors.EngineValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(ts):
        if t._data.ndim == 0:
            raise errors.EngineRuntimeError(
                f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    # 1-D empty tensors are skipped whatever the others' rank (PyTorch's legacy rule)
    skipped = [t._data.ndim == 1 and t._data.shape[0] == 0 for t in ts]
    used = [t for t, s in zip(ts, skipped, strict=True) if not s]
    ref = used[0] if used else ts[0]
    n = ref._data.ndim
    # with nothing but legacy empty tensors torch never reads ``dim``
    d = norm_dim(dim, n) if used else 0
    for i, t in enumerate(ts):
        if skipped[i] and used:
            continue
        if t._data.ndim != n:
            raise errors.EngineRuntimeError(
                f"Tensors must have same number of dimensions: got {n} and {t._data.ndim}")
        for k in range(n):
            if k != d and t._data.shape[k] != ref._data.shape[k]:
                raise errors.EngineRuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref._data.shape[k]} but got size {t._data.shape[k]} for tensor number "
                    f"{i} in the list.")
    dt = promote_args(*ts)
    out_shape = list(ref._data.shape)
    out_shape[d] = sum(t._data.shape[d] for t in used)
    check_numel(out_shape)
    xp = ref.device.xp
    parts = [t._data if t._data.dtype == dt.np else t._data.astype(dt.np) for t in used]
    if not parts:
        arr = xp.zeros((0,), dtype=dt.np)
    elif xp is np:  # laid out as torch's (row-major, or channels-last when all suggest it)
        arr = _mf.empty_strided(xp, tuple(out_shape), _mf.cat_strides(
            tuple(out_shape), [(t._data.shape, _mf.elem_strides(t._data)) for t in ts]), dt.np)
        xp.concatenate(parts, axis=d, out=arr)
    else:
        arr = xp.concatenate(parts, axis=d)
    out = _wrap(arr, dt, ref.device)
    if needs_grad(*ts):
        spans, start = [], 0
        for t, skip in zip(ts, skipped, strict=True):
            if skip and used:
                spans.append(None)
            else:
                spans.append((start, t._data.shape[d]))
                start += t._data.shape[d]

        def rule(g, needs):
            return tuple(None if not need else g.narrow(d, *sp) if sp is not None else
                         _wrap(g.device.xp.zeros((0,), dtype=g.dtype.np), g.dtype, g.device)
                         for need, sp in zip(needs, spans, strict=True))

        record(out, "CatBackward0", rule, tuple(ts), per_input=False)
    return out


@op(kind="function", grad_fns=("StackBackward0",))
def stack(tensors, dim=0):
    """Join equally shaped tensors along a new dimension ``dim``."""
    ts = _tensor_list(tensors, "stack")
    if not ts:
        raise errors.EngineRuntimeError("stack expects a non-empty TensorList")
    shape = ts[0]._data.shape
    d = norm_dim(dim, len(shape) + 1)  # (torch wraps dim by the first tensor, then compares)
    for i, t in enumerate(ts):
        if t._data.shape != shape:
            raise errors.EngineRuntimeError(
                f"stack expects each tensor to be equal size, but got {_fmt(shape)} at entry 0 "
                f"and {_fmt(t._data.shape)} at entry {i}")
    dt = promote_args(*ts)
    check_numel((len(ts),) + shape)
    xp = ts[0].device.xp
    parts = [t._data if t._data.dtype == dt.np else t._data.astype(dt.np) for t in ts]
    if xp is np:  # laid out as torch's: ``cat`` then a view
        out_shape = shape[:d] + (len(ts),) + shape[d:]
        arr = _mf.empty_strided(xp, out_shape, _mf.stack_strides(
            out_shape, [(t._data.shape, _mf.elem_strides(t._data)) for t in ts], d), dt.np)
        xp.stack(parts, axis=d, out=arr)
    else:
        arr = xp.stack(parts, axis=d)
    out = _wrap(arr, dt, ts[0].device)
    if needs_grad(*ts):
        def rule(g, needs):
            return tuple(g.select(d, i) if need else None for i, need in enumerate(needs))

        record(out, "StackBackward0", rule, tuple(ts), per_input=False)
    return out


def _nth(replay, i: int):
    return lambda t: replay(t)[i]


def _multi_view(input: Tensor, arrays: list, replay, node: str, backward) -> tuple:
    """Several views of ``input`` made by one op (split, unbind): one node, many outputs."""
    outs = tuple(make_view(input, a, _nth(replay, i), True) for i, a in enumerate(arrays))
    if outs and needs_grad(input):
        rule = (lambda gs: backward([gs])) if len(outs) == 1 else (lambda gs: backward(list(gs)))
        record(outs, node, (rule,), (input,))
    return outs


@op(grad_fns=("SplitBackward0", "SplitWithSizesBackward0"))
def split(tensor, split_size_or_sections, dim=0):
    """Views of consecutive pieces along ``dim``: equal ``split_size`` (the last may be smaller)
    or the given list of sizes."""
    shape = tensor._data.shape
    d = norm_dim(dim, len(shape))
    n = shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size < 0:
            raise errors.EngineRuntimeError(
                f"split expects split_size be non-negative, but got split_size={size}")
        if size == 0 and n != 0:
            raise errors.EngineRuntimeError(
                "split_size can only be 0 if dimension size is 0, but got dimension size of "
                f"{n}")
        count = max(-(-n // size), 1) if size else 1
        sizes = [min(size, n - i * size) for i in range(count)]
        node = "SplitBackward0"
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise errors.EngineRuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                f"size at dimension {d}), but got split_sizes={_fmt(sizes)}")
        node = "SplitWithSizesBackward0"
    return _split(tensor, d, sizes, node)


def _split(input: Tensor, d: int, sizes: list, node: str) -> tuple:
    arrays, start = [], 0
    for s in sizes:
        arrays.append(input._data[(slice(None),) * d + (slice(start, start + s),)])
        start += s
    return _multi_view(input, arrays, lambda t: _split(t, d, sizes, node), node,
                       lambda gs: cat(gs, d))


def unsafe_chunk_pieces(input: Tensor, chunks: int, dim: int) -> tuple:
    """ATen's ``unsafe_chunk`` as its C++ callers use it (the recurrent cells split their gate
    projections with it): the pieces of ``chunk`` sharing ``input``'s memory but not views of
    it (no view history, torch's "unsafe"), one ``UnsafeSplitBackward0`` node whose gradient
    is the pieces' gradients concatenated."""
    shape = input._data.shape
    d = norm_dim(dim, len(shape))
    n = shape[d]
    size = -(-n // chunks) if n else 0
    sizes = [min(size, n - i * size) for i in range(max(-(-n // size), 1))] if size else \
        [0] * chunks
    arrays, start = [], 0
    for s in sizes:
        arrays.append(input._data[(slice(None),) * d + (slice(start, start + s),)])
        start += s
    outs = tuple(_wrap(a, input.dtype, input.device) for a in arrays)
    if needs_grad(input):
        def rule(gs):
            return cat(list(gs) if len(outs) > 1 else [gs], d)

        def jvp(tangents):
            t = tangents[0]
            return tuple(t.narrow(d, i * size, s) for i, s in enumerate(sizes))

        record(outs, "UnsafeSplitBackward0", (rule,), (input,), jvp=jvp)
    return outs


@op(grad_fns=("SplitBackward0",))
def chunk(input, chunks, dim=0):
    """Split into ``chunks`` nearly equal views along ``dim`` (fewer if it does not divide)."""
    if chunks <= 0:
        raise errors.EngineRuntimeError(
            f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    shape = input._data.shape
    d = norm_dim(dim, len(shape))
    n = shape[d]
    if n == 0:
        return _split(input, d, [0] * chunks, "SplitBackward0")
    return split(input, -(-n // chunks), d)


@op(grad_fns=("UnbindBackward0",))
def unbind(input, dim=0):
    """The views ``input.select(dim, i)`` for every ``i``."""
    shape = input._data.shape
    if not shape:
        raise errors.EngineIndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = norm_dim(dim, len(shape))
    return _unbind(input, d)


def _unbind(input: Tensor, d: int) -> tuple:
    arrays = [input._data[(slice(None),) * d + (i, Ellipsis)] for i in range(input._data.shape[d])]
    return _multi_view(input, arrays, lambda t: _unbind(t, d), "UnbindBackward0",
                       lambda gs: stack(gs, d))


@op()
def flip(input, dims):
    """A copy with the order of elements reversed along ``dims`` (a tuple or list of ints;
    the method also takes them one by one: ``x.flip(0, 1)``)."""
    if not isinstance(dims, (list, tuple)):
        raise errors.EngineTypeError(
            f"flip(): argument 'dims' (position 2) must be tuple of ints, not "
            f"{type(dims).__name__}")
    return _flip(input, dims)


def _flip_method(self, *dims, **kwargs):
    """``x.flip(0, 1)`` or ``x.flip((0, 1))`` or ``x.flip(dims=(0, 1))``."""
    if kwargs:
        extra = next((k for k in kwargs if k != "dims"), None)
        if extra is not None:
            raise errors.EngineTypeError(f"flip() got an unexpected keyword argument '{extra}'")
        if dims:
            raise errors.EngineTypeError("flip() got multiple values for argument 'dims'")
        if not isinstance(kwargs["dims"], (list, tuple)):
            raise errors.EngineTypeError("flip(): argument 'dims' must be tuple of ints, not "
                                         f"{type(kwargs['dims']).__name__}")
        return _flip(self, kwargs["dims"])
    if not dims:
        raise errors.EngineTypeError('flip() missing 1 required positional arguments: "dims"')
    if len(dims) > 1 and not isinstance(dims[0], (int, np.integer)):
        raise errors.EngineTypeError(
            f"flip() takes 1 positional argument but {len(dims)} were given")
    return _flip(self, dims)


Tensor.flip = _flip_method


def _flip(input, dims):
    n = input._data.ndim
    ds = _dims_arg(dims)
    axes = [norm_dim(x, n) for x in ds]
    if len(set(axes)) != len(axes):
        dup = next(x for x in ds if ds.count(x) > 1)
        raise errors.EngineRuntimeError(f"dim {dup} appears multiple times in the list of dims")
    arr = input.device.xp.flip(input._data, axis=tuple(axes)).copy() if n else \
        input._data.copy()
    arr = _mf.as_preserved(arr, input._data)  # (torch's: empty_like(input))
    out = _wrap(arr, input.dtype, input.device)
    if needs_grad(input):
        record(out, "FlipBackward0", (lambda g: g.flip(axes),), (input,))
    return out


def _roll_strides(a, shifts: list, axes: list) -> tuple:
    """The layout of torch's ``roll`` along ``axes``: one ``cat`` of the two narrowed pieces
    per dimension, in turn (an empty tensor: its preserved layout)."""
    if a.size == 0:
        return _mf.preserved_strides(a.shape, _mf.elem_strides(a))
    strides = _mf.elem_strides(a)
    for s, ax in zip(shifts, axes):
        n = a.shape[ax]
        start = (n - s) % n
        pieces = [(a.shape[:ax] + (k,) + a.shape[ax + 1:], strides) for k in (n - start, start)]
        strides = _mf.cat_strides(a.shape, pieces)
    return strides


@op()
def roll(input, shifts, dims=None):
    """Rotate elements by ``shifts`` along ``dims`` (over the flattened tensor if None)."""
    sh = [int(shifts)] if isinstance(shifts, (int, np.integer)) else [int(s) for s in shifts]
    if dims is None:
        if len(sh) != 1:
            raise errors.EngineRuntimeError(
                f"shifts and dimensions must align. shifts: {len(sh)}, dims:0")
        out = _wrap(_mf.as_row_major(input.device.xp.roll(input._data, sh[0])), input.dtype,
                    input.device)
        if needs_grad(input):  # one node, as torch's (it flattens inside the kernel)
            record(out, "RollBackward0", (lambda g: g.roll(-sh[0]),), (input,))
        return out
    ds = [int(dims)] if isinstance(dims, (int, np.integer)) else [int(x) for x in dims]
    if len(sh) != len(ds):
        raise errors.EngineRuntimeError(
            f"shifts and dimensions must align. shifts: {len(sh)}, dims:{len(ds)}")
    axes = [norm_dim(x, input._data.ndim) for x in ds]
    arr = input.device.xp.roll(input._data, sh, axis=axes)
    out = _wrap(_mf.as_layout(arr, _roll_strides(input._data, sh, axes)), input.dtype,
                input.device)
    if needs_grad(input):
        back = [-s for s in sh]
        record(out, "RollBackward0", (lambda g: g.roll(back, axes),), (input,))
    return out


def _tri(name: str, pick):
    node = f"{name.capitalize()}Backward0"

    def fn(input, diagonal=0):
        if input._data.ndim < 2:
            raise errors.EngineRuntimeError(
                f"{name}: input tensor must have at least 2 dimensions")
        res = _mf.as_row_major(pick(input.device.xp, input._data, diagonal))  # (torch's layout)
        out = _wrap(res, input.dtype, input.device)
        if needs_grad(input):
            record(out, node, (lambda g: fn(g, diagonal),), (input,))
        return out

    fn.__name__ = fn.__qualname__ = name
    part = "lower" if name == "tril" else "upper"
    fn.__doc__ = f"The {part} triangle of the last two dims (relative to ``diagonal``); " \
                 "zeros elsewhere."
    def writes(self, diagonal=0):  # into an expanded tensor: only the zeros are written
        def write(arr):
            xp = self.device.xp
            rows, cols = arr.shape[-2:]
            gap = xp.arange(cols)[None, :] - xp.arange(rows)[:, None]
            arr[..., (gap > diagonal) if name == "tril" else (gap < diagonal)] = 0
        return write

    op(grad_fns=(node,))(fn)
    inplace_twin(name, fn, expanded=(None, writes))
    return fn


tril = _tri("tril", lambda xp, a, k: xp.tril(a, k))
triu = _tri("triu", lambda xp, a, k: xp.triu(a, k))


# --------------------------------------------------------------------------- broadcasting
@op(kind="function", differentiable=False)
def broadcast_shapes(*shapes):
    """The shape that all ``shapes`` broadcast to (each an int or a sequence of ints)."""
    norm = []
    for s in shapes:
        if isinstance(s, (int, np.integer)):
            norm.append((s, (s,)))
        elif isinstance(s, (tuple, list, str)):
            norm.append((s, s))
        else:
            raise errors.EngineRuntimeError("Input shapes should be of type ints, a tuple of "
                                            f"ints, or a list of ints, got {s}")
    # As torch: every shape is matched against the longest one's length, padded with ones.
    dims: list = [1] * max((len(seq) for _, seq in norm), default=0)
    for idx, (given, seq) in enumerate(norm):
        for k in range(1, len(seq) + 1):
            n = seq[-k]
            if n == 1 or n == dims[-k]:
                continue
            if dims[-k] != 1:
                raise errors.EngineRuntimeError(
                    f"Attempting to broadcast a dimension of length {n} at {-k}! Mismatching "
                    f"argument at index {idx} had {given if given is seq else (given,)}; but "
                    f"expected shape should be broadcastable to {_fmt(dims)}")
            dims[-k] = n
    if any(n < 0 for n in dims):
        raise errors.EngineValueError("Attempting to broadcast a dimension with negative length!")
    from ..tensor import Size

    return Size(dims)


@op()
def broadcast_to(input, size):
    """``input.expand(size)``."""
    return expand(input, tuple(size))


@op(kind="function", grad_fns=("ExpandBackward0",))
def broadcast_tensors(*tensors):
    """Views of the tensors expanded to their common broadcast shape."""
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        tensors = tuple(tensors[0])
    target: tuple = ()
    for t in tensors:
        target = broadcast_pair(target, t._data.shape)
    # a tensor already of that shape is returned itself, as PyTorch does
    return tuple(t if t._data.shape == target else expand(t, target) for t in tensors)


__all__ = ["make_view", "shape_arg", "numpy_T", "matrix_T", "slice_view", "select_view", "alias"]
