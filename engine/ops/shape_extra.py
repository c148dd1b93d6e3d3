"""More of the shape family: ``rot90`` (a copy with its own node, as torch's) and ``diff``
(composed of ``narrow`` and ``sub`` / ``logical_xor`` as torch composes it, so its graph is
torch's ``SubBackward0`` / ``SliceBackward0`` / ``CatBackward0`` chain)."""

from __future__ import annotations

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..tensor import Tensor, _wrap
from . import memory_format as _mf
from ._args import norm_dim
from .registry import op, register


def _int_arg(name: str, arg: str, value, position: int | None = None) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        where = f" (position {position})" if position else ""
        raise errors.EngineTypeError(
            f"{name}(): argument '{arg}'{where} must be int, not {type(value).__name__}")
    return int(value)


@op(grad_fns=("Rot90Backward0",))
def rot90(input, k=1, dims=(0, 1)):
    """A copy rotated by 90 degrees ``k`` times in the plane of ``dims``, from the first
    towards the second."""
    k = _int_arg("rot90", "k", k, 2)
    dims = [int(d) for d in dims]
    n = input._data.ndim
    if len(dims) != 2:
        raise errors.EngineRuntimeError(
            f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if n < 2:
        raise errors.EngineRuntimeError(
            f"expected total dims >= 2, but got total dims = {n}")
    a, b = norm_dim(dims[0], n), norm_dim(dims[1], n)
    if a == b:
        raise errors.EngineRuntimeError(
            f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = "
            f"{dims[1]}")
    arr = input.device.xp.rot90(input._data, k % 4, axes=(a, b)).copy()
    # torch's: a flip (empty_like(input)'s layout), transposed when k is odd; k = 0 a
    # row-major clone
    if k % 4 == 0:
        arr = _mf.as_row_major(arr)
    else:
        st = list(_mf.preserved_strides(input._data.shape, _mf.elem_strides(input._data)))
        if k % 2:
            st[a], st[b] = st[b], st[a]
        arr = _mf.as_layout(arr, tuple(st))
    out = _wrap(arr, input.dtype, input.device)
    if needs_grad(input):
        record(out, "Rot90Backward0", (lambda g: rot90(g, -k, (a, b)),), (input,))
    return out


def _diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim`` (``out[i] = x[i + 1] - x[i]``, logical
    xor for bools) of ``input`` with ``prepend`` and ``append`` joined on either side."""
    from .creation import zeros_like
    from .registry import OPS
    from .shape import cat, narrow
    from .tensor_methods import copy_

    for arg, t in (("prepend", prepend), ("append", append)):
        if t is not None and not isinstance(t, Tensor):
            raise errors.EngineTypeError(
                f"diff(): argument '{arg}' must be Tensor, not {type(t).__name__}")
    if input._data.ndim == 0:
        raise errors.EngineRuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise errors.EngineRuntimeError(f"order must be non-negative but got {n}")
    if n == 0 and prepend is None and append is None:  # (torch: ``dim`` is not read)
        return copy_(zeros_like(input), input)
    d = norm_dim(dim, input._data.ndim)
    for t in (prepend, append):
        if t is None:
            continue
        if t._data.ndim != input._data.ndim:
            raise errors.EngineRuntimeError(
                "diff expects prepend or append to be the same dimension as input")
        for i, (x, y) in enumerate(zip(input._data.shape, t._data.shape, strict=True)):
            if i != d and x != y:
                raise errors.EngineRuntimeError(
                    "diff expects the shape of tensor to prepend or append to match that of "
                    f"input except along the differencing dimension; input.size({i}) = {x}, "
                    f"but got tensor.size({i}) = {y}")
    if n == 0:  # a copy (torch: zeros_like(input).copy_(input)), prepend and append unused
        return copy_(zeros_like(input), input)
    x = input
    if prepend is not None or append is not None:
        x = cat([t for t in (prepend, input, append) if t is not None], d)
    length = x._data.shape[d] - 1
    for _ in range(min(n, x._data.shape[d])):
        later, earlier = narrow(x, d, 1, length), narrow(x, d, 0, length)
        x = OPS["logical_xor"].fn(later, earlier) if x.dtype.name == "bool" else \
            later - earlier
        length -= 1
    return x


def diff(input, *args, **kwargs):
    if args:  # torch's argument errors name the position of a positional argument
        args = (_int_arg("diff", "n", args[0], 2),) + args[1:]
    if "n" in kwargs:
        kwargs["n"] = _int_arg("diff", "n", kwargs["n"])
    return _diff(input, *args, **kwargs)


diff.__doc__, diff.__wrapped__ = _diff.__doc__, _diff  # (the catalog's doc and signature)
_diff.__qualname__ = "diff"  # (what Python's binding errors name, as torch's parser does)
register("diff", diff, grad_fns=("SubBackward0", "SliceBackward0", "CatBackward0",
                                 "CopyBackwards"))
