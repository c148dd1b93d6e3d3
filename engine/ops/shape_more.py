"""More of the shape family, composed of the table's ops as torch composes them (so their
nodes are torch's): ``tile`` (repeat), ``ravel`` (contiguous + view), ``fliplr`` / ``flipud``
(flip), ``diagflat`` (diag_embed of a flat view), ``split_with_sizes``, ``narrow_copy``,
``cartesian_prod`` and ``combinations``; the in-place shape ops ``squeeze_ unsqueeze_
transpose_`` (the tensor becomes the view of itself, with torch's ``...Backward`` numbering);
the layout queries ``stride`` and ``storage_offset``; ``unravel_index``."""

from __future__ import annotations

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..autograd.graph import rename
from ..dtypes import bool_, int64
from ..tensor import Tensor, _wrap
from ._args import norm_dim
from .families import check_inplace
from .registry import OPS, op, register
from .shape import relayout_views


def _ints(value, name: str, arg: str, position: int) -> list:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return [int(value)]
    if isinstance(value, (list, tuple)) and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        return [int(v) for v in value]
    if isinstance(value, Tensor) and value._data.ndim <= 1 and value.dtype.name in (
            "int64", "int32"):
        return [int(v) for v in np.asarray(value._data).reshape(-1)]
    raise errors.EngineTypeError(
        f"{name}(): argument '{arg}' (position {position}) must be tuple of ints, not "
        f"{type(value).__name__}")


@op(grad_fns=("RepeatBackward0",))
def tile(input, dims):
    """``input`` repeated ``dims[i]`` times along each dimension; fewer ``dims`` than
    dimensions count from the last (leading ones are 1), more add leading dimensions."""
    if not isinstance(dims, (list, tuple)):  # (torch takes no single int here)
        raise errors.EngineTypeError(
            f"tile(): argument 'dims' (position 2) must be tuple of ints, not "
            f"{type(dims).__name__}")
    reps = _ints(dims, "tile", "dims", 2)
    n = input._data.ndim
    if len(reps) < n:
        reps = [1] * (n - len(reps)) + reps
    return OPS["repeat"].fn(input, *reps) if reps else OPS["repeat"].fn(input, ())


def _tile_method(self, *dims):
    """``x.tile(2, 3)`` or ``x.tile((2, 3))``."""
    if len(dims) == 1 and isinstance(dims[0], (list, tuple)):
        dims = dims[0]
    return tile(self, tuple(dims))


Tensor.tile = _tile_method


@op(grad_fns=("ViewBackward0", "CloneBackward0"))
def ravel(input):
    """A 1-D tensor of ``input``'s elements in row-major order (a view when contiguous)."""
    return input.contiguous().view(-1)


@op(kind="function", grad_fns=("FlipBackward0",))
def fliplr(input):
    """``input`` with its second dimension (columns) reversed: a copy."""
    if input._data.ndim < 2:
        raise errors.EngineRuntimeError("Input must be >= 2-d.")
    return OPS["flip"].fn(input, [1])


@op(kind="function", grad_fns=("FlipBackward0",))
def flipud(input):
    """``input`` with its first dimension (rows) reversed: a copy."""
    if input._data.ndim < 1:
        raise errors.EngineRuntimeError("Input must be >= 1-d.")
    return OPS["flip"].fn(input, [0])


@op(grad_fns=("DiagEmbedBackward0", "ViewBackward0"))
def diagflat(input, offset=0):
    """A square matrix with the elements of ``input`` (flattened) on its ``offset``-th
    diagonal, zeros elsewhere."""
    if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)):
        raise errors.EngineTypeError(
            f"diagflat(): argument 'offset' (position 2) must be int, not "
            f"{type(offset).__name__}")
    return OPS["diag_embed"].fn(input.contiguous().view(-1), int(offset))


@op(kind="method", grad_fns=("SplitWithSizesBackward0",))
def split_with_sizes(self, split_sizes, dim=0):
    """Views of consecutive pieces of the given sizes along ``dim`` (they must sum to its
    size)."""
    sizes = _ints(split_sizes, "split_with_sizes", "split_sizes", 1)
    from .shape import _split

    shape = self._data.shape
    if not shape:
        raise errors.EngineIndexError(
            "Dimension specified as 0 but tensor has no dimensions")
    d = norm_dim(dim, len(shape))
    n = shape[d]
    if sum(sizes) != n or any(s < 0 for s in sizes):
        raise errors.EngineRuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
            f"dimension {d}), but got split_sizes=[{', '.join(str(s) for s in sizes)}]")
    return _split(self, d, sizes, "SplitWithSizesBackward0")


@op(grad_fns=("NarrowCopyBackward0",))
def narrow_copy(input, dim, start, length):
    """A copy (not a view) of ``length`` elements from ``start`` along ``dim``."""
    view = OPS["narrow"].fn(input, dim, start, length)
    out = _wrap(view._data.copy(), input.dtype, input.device)
    if needs_grad(input):
        d = norm_dim(dim, input._data.ndim)
        shape = input._data.shape
        # torch's formula slices ``[start, start + length)`` as given: with a negative start
        # that region is not the one read, and its backward refuses (the same text here)
        s, e, _ = slice(int(start), int(start) + int(length)).indices(shape[d])
        e = max(s, e)

        def rule(g):
            from .scatter import _slice_scatter

            if e - s != g._data.shape[d]:
                raise errors.EngineRuntimeError(
                    f"The size of tensor a ({e - s}) must match the size of tensor b "
                    f"({g._data.shape[d]}) at non-singleton dimension {d}")
            return _slice_scatter(g.new_zeros(shape), g, d, s, e, 1)

        record(out, "NarrowCopyBackward0", (rule,), (input,),
               jvp=lambda ts: narrow_copy(ts[0], dim, start, length))
    return out


# --------------------------------------------------------------------------- in-place views
def _become(self: Tensor, view: Tensor, node: str, inverse) -> Tensor:
    """``self`` takes the shape ``view`` has (a view of it), as torch's in-place shape ops:
    same storage, one more version, the node renamed to torch's in-place numbering.
    ``inverse(b)``: the view op taking a tensor of the new shape back to the old one (the
    views of ``self`` made before replay through it: ``shape.relayout_views``)."""
    if self._base is None:
        relayout_views(self, inverse)
    self._data = view._data
    self._vc[0] += 1
    fn = view._grad_fn
    if fn is not None:
        rename(fn, node)
        self._grad_fn, self._output_nr, self.requires_grad = fn, 0, True
    if self._base is not None:
        self._view_fn = view._view_fn
        self._view_version = self._vc[0]
    fw = getattr(view, "_fw", None)
    if fw is not None:  # forward AD: the tangent takes the new shape too
        self._fw = fw
    return self


def squeeze_(self, dim=None):
    check_inplace(self)
    old = self._data.shape
    view = OPS["squeeze"].fn(self, dim)
    node = "SqueezeBackward3" if dim is None else "SqueezeBackward4" if isinstance(
        dim, (int, np.integer)) else "SqueezeBackward5"
    removed, new = [], view._data.shape
    j = 0
    for i, n in enumerate(old):  # (which size-1 dims went: any equal choice maps the same)
        if j < len(new) and new[j] == n:
            j += 1
        else:
            removed.append(i)

    def inverse(b):
        for d in removed:
            b = OPS["unsqueeze"].fn(b, d)
        return b

    return _become(self, view, node, inverse)


def unsqueeze_(self, dim):
    check_inplace(self)
    view = OPS["unsqueeze"].fn(self, dim)
    d = norm_dim(dim, self._data.ndim + 1)
    return _become(self, view, "UnsqueezeBackward1", lambda b: OPS["squeeze"].fn(b, d))


def transpose_(self, dim0, dim1):
    check_inplace(self)
    view = OPS["transpose"].fn(self, dim0, dim1)
    return _become(self, view, "TransposeBackward1",
                   lambda b: OPS["transpose"].fn(b, dim0, dim1))


squeeze_.__doc__ = "Remove size-1 dimensions of ``self`` in place (all, or those in ``dim``)."
unsqueeze_.__doc__ = "Insert a size-1 dimension into ``self`` at ``dim``, in place."
transpose_.__doc__ = "Swap dimensions ``dim0`` and ``dim1`` of ``self`` in place."
register("squeeze_", squeeze_, kind="method",
         grad_fns=("SqueezeBackward3", "SqueezeBackward4", "SqueezeBackward5"))
register("unsqueeze_", unsqueeze_, kind="method", grad_fns=("UnsqueezeBackward1",))
register("transpose_", transpose_, kind="method", aliases=("swapaxes_", "swapdims_"),
         grad_fns=("TransposeBackward1",))


# --------------------------------------------------------------------------- layout
def _storage_root(arr):
    root = arr
    while True:
        b = root.base
        if isinstance(b, np.ndarray):
            root = b
        elif b is not None and isinstance(getattr(b, "base", None), np.ndarray):
            root = b.base
        else:
            return root


def _elem_strides(t: Tensor) -> tuple:
    size = t._data.itemsize
    return tuple(int(s) // size for s in t._data.strides)


def stride(self, dim=None):
    """The step in elements between neighbours along each dimension (or along ``dim``)."""
    strides = _elem_strides(self)
    if dim is None:
        return strides
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise errors.EngineTypeError(
            f"stride(): argument 'dim' (position 1) must be int, not {type(dim).__name__}")
    if not strides:
        raise errors.EngineIndexError(
            f"Dimension specified as {int(dim)} but tensor has no dimensions")
    return strides[norm_dim(dim, len(strides))]


def storage_offset(self):
    """How many elements into its storage the tensor's first element is."""
    arr = self._data
    if arr.size == 0 or self.device.type != "cpu":
        return 0
    root = _storage_root(arr)
    start = arr.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    return int(start) // arr.itemsize


register("stride", stride, kind="method", differentiable=False)
register("storage_offset", storage_offset, kind="method", differentiable=False)


@op(kind="function", differentiable=False)
def unravel_index(indices, shape):
    """The coordinates in a tensor of ``shape`` of each flat (row-major) index, as a tuple of
    int64 tensors shaped like ``indices``."""
    if not isinstance(indices, Tensor):
        raise errors.EngineTypeError(
            f"expected 'indices' to be integer dtype, but got {type(indices)}")
    if indices.dtype.is_floating_point or indices.dtype.name == "bool":
        raise errors.EngineTypeError(
            f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    dims = [int(shape)] if isinstance(shape, (int, np.integer)) else [int(s) for s in shape]
    if any(s < 0 for s in dims):
        raise errors.EngineValueError("'shape' cannot have negative values, but got "
                                      f"{tuple(dims)}")
    total = int(np.prod(dims)) if dims else 1
    idx = np.asarray(indices._data).astype(np.int64)
    if total:  # torch wraps any index around the number of elements
        idx = idx % total
    out = []
    for s in reversed(dims):
        out.append(idx % s if s else idx)
        idx = idx // s if s else idx
    return tuple(_wrap(indices.device.xp.asarray(a.astype(np.int64)), int64, indices.device)
                 for a in reversed(out))


# --------------------------------------------------------------------------- combinatorics
@op(kind="function", grad_fns=("StackBackward0",))
def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D tensor, as rows (one column per tensor);
    a single tensor is returned as is."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for t in tensors:
        if not isinstance(t, Tensor) or t._data.ndim != 1:
            raise errors.EngineRuntimeError(
                "Expect a 1D vector, but got shape "
                f"[{', '.join(str(s) for s in getattr(t, 'shape', ()))}]")
    if len(tensors) == 1:
        return tensors[0]
    grids = OPS["meshgrid"].fn(*tensors, indexing="ij")
    return OPS["stack"].fn([g.flatten() for g in grids], 1)


@op(kind="function", grad_fns=("StackBackward0", "MaskedSelectBackward0"))
def combinations(input, r=2, with_replacement=False):
    """Every combination (sorted index tuples, with repeats if ``with_replacement``) of ``r``
    elements of the 1-D ``input``, as rows."""
    if input._data.ndim != 1:
        raise errors.EngineRuntimeError(
            f"Expect a 1D vector, but got shape [{', '.join(str(s) for s in input.shape)}]")
    if r < 0:
        raise errors.EngineRuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty((0,))
    n = input._data.shape[0]
    grids = OPS["meshgrid"].fn(*([input] * r), indexing="ij")
    idx = np.indices((n,) * r) if n else np.zeros((r,) + (0,) * r, dtype=np.int64)
    keep = np.ones((n,) * r, dtype=bool)
    for a, b in zip(idx[:-1], idx[1:], strict=True):
        keep &= (a <= b) if with_replacement else (a < b)
    mask = _wrap(input.device.xp.asarray(keep), bool_, input.device)
    return OPS["stack"].fn([OPS["masked_select"].fn(g, mask) for g in grids], 1)


__all__ = ["tile", "ravel", "fliplr", "flipud", "diagflat", "split_with_sizes", "narrow_copy",
           "stride", "storage_offset", "unravel_index", "cartesian_prod", "combinations"]
