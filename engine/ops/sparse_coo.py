"""Sparse COO tensors: ``torch.sparse_coo_tensor``, ``torch.sparse.mm`` / ``torch.spmm`` /
``torch.mm`` of a sparse and a dense matrix, ``to_dense``, ``to_sparse``, ``coalesce``,
``indices``/``values``, ``torch.sparse.sum``, sums of two sparse tensors, products with a
number, ``t``/``transpose``, and their gradients as torch gives them.

A sparse tensor is an ordinary ``Tensor`` whose array is a :class:`SparseCOO` (its indices,
values and dense shape) instead of a NumPy array: shape, dtype, device, autograd edges and
``.grad`` work as for any tensor. The ops that know sparse tensors read the storage; a dense op
handed one fails when it passes the storage to NumPy, with torch's NotImplementedError (the
``add``/``sub``/``mul``/``div``/``neg`` fast paths get their sparse results through the same
NumPy protocol). Gradients that reach a sparse tensor are sparse with its pattern where torch's
are (``to_dense``, ``mm``, ``sparse.sum``); a dense gradient reaching a sparse leaf is masked to
the leaf's pattern, as torch's ``mm`` backward masks it.
"""

from __future__ import annotations

import dataclasses
import sys

import numpy as np

from .. import errors
from .. import tensor as _tensor_module
from ..autograd import engine as _autograd_engine
from ..autograd.graph import OUTPUT, display_name, needs_grad, record
from ..dtypes import int64
from ..printing import format_sparse
from ..tensor import Tensor, _init, _new
from . import layouts
from .registry import OPS, register

SPARSE_BACKEND = (
    "Could not run 'aten::{op}' with arguments from the 'SparseCPU' backend. This could be "
    "because the operator doesn't exist for this backend, or was omitted during the "
    "selective/custom build process (if using custom build).")
#: NumPy's names for the ufuncs whose torch ops have other names
_ATEN = {"multiply": "mul", "subtract": "sub", "true_divide": "div", "divide": "div",
         "negative": "neg", "absolute": "abs", "power": "pow", "maximum": "maximum",
         "greater": "gt", "less": "lt", "equal": "eq", "not_equal": "ne", "matmul": "mm"}


class _Flags:
    c_contiguous = True
    f_contiguous = False
    writeable = True


class SparseCOO:
    """The storage of a sparse COO tensor, where a dense tensor keeps its array: ``indices``
    (int64, ``sparse_dim x nnz``), ``values`` (``nnz x dense dims``), the dense ``shape`` and
    whether the indices are known to be coalesced (sorted, no repeats)."""

    __slots__ = ("indices", "values", "shape", "coalesced")
    flags = _Flags()

    def __init__(self, indices: np.ndarray, values: np.ndarray, shape: tuple,
                 coalesced: bool) -> None:
        self.indices = indices
        self.values = values
        self.shape = tuple(shape)
        self.coalesced = coalesced

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def dtype(self):
        return self.values.dtype

    @property
    def itemsize(self) -> int:
        return self.values.itemsize

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        return int(self.indices.nbytes + self.values.nbytes)

    @property
    def base(self):
        return None

    def astype(self, dtype, copy: bool = True) -> SparseCOO:
        return SparseCOO(self.indices, self.values.astype(dtype), self.shape, self.coalesced)

    def copy(self) -> SparseCOO:
        return SparseCOO(self.indices.copy(), self.values.copy(), self.shape, self.coalesced)

    def __iadd__(self, other):  # a sparse leaf's .grad accumulating another sparse gradient
        return merge_add(self, other, 1)

    # a dense op's NumPy call on the storage: the few that torch's sparse kernels answer
    # (sums of two sparse tensors, products with a number), else torch's NotImplementedError
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        name = ufunc.__name__
        if method == "__call__" and not kwargs:
            done = _elementwise(name, inputs)
            if done is not None:
                return done
        raise errors.KernelNotImplemented(SPARSE_BACKEND.format(op=_ATEN.get(name, name)))

    def __array_function__(self, func, types, args, kwargs):
        name = func.__name__
        raise errors.KernelNotImplemented(SPARSE_BACKEND.format(op=_ATEN.get(name, name)))

    def __array__(self, dtype=None, copy=None):
        raise errors.KernelNotImplemented(SPARSE_BACKEND.format(op="_to_dense"))

    def __getattr__(self, name: str):
        if name.startswith("_"):  # (probes such as ``getattr(a, "_data", a)``)
            raise AttributeError(name)
        raise errors.KernelNotImplemented(SPARSE_BACKEND.format(op=name))

    def __getitem__(self, key):
        raise errors.KernelNotImplemented(SPARSE_BACKEND.format(op="index"))

    def sum(self, axis=None, keepdims=False, dtype=None):  # Tensor.sum() of all entries
        if keepdims or axis is not None and len(axis) != len(self.shape):
            raise errors.NotSupported("Tensor.sum(dim) of a sparse tensor is not supported: "
                                      "torch.sparse.sum(input, dim) is")
        return np.asarray(self.values.sum(dtype=dtype))

    def tolist(self):
        raise errors.EngineRuntimeError(
            "Cannot access data pointer of Tensor that doesn't have storage")

    def __setitem__(self, key, value):
        raise errors.KernelNotImplemented(SPARSE_BACKEND.format(op="index_put_"))


def _is_number(x) -> bool:
    return isinstance(x, (int, float, bool, np.number)) or \
        type(x) is np.ndarray and x.ndim == 0


def _elementwise(name: str, inputs: tuple):
    if len(inputs) == 1 and name == "negative":
        a = inputs[0]
        return SparseCOO(a.indices, -a.values, a.shape, a.coalesced)
    if len(inputs) != 2:
        return None
    a, b = inputs
    sa, sb = type(a) is SparseCOO, type(b) is SparseCOO
    if name in ("multiply", "true_divide", "divide") and sa and _is_number(b):
        values = np.multiply(a.values, b) if name == "multiply" else np.true_divide(a.values, b)
        return SparseCOO(a.indices, values, a.shape, a.coalesced)
    if name == "multiply" and sb and _is_number(a):
        return SparseCOO(b.indices, np.multiply(a, b.values), b.shape, b.coalesced)
    if name in ("add", "subtract"):
        if sa and sb:
            _same_shape(a.shape, b.shape, name)
            return merge_add(a, b, 1 if name == "add" else -1)
        if sa and type(b) is np.ndarray:
            which = "add" if name == "add" else "sub"
            raise errors.EngineRuntimeError(
                f"{which}(sparse, dense) is not supported. Use {which}(dense, sparse) instead.")
        if sb and type(a) is np.ndarray and a.shape == b.shape:
            out = a.copy()
            values = b.values if name == "add" else -b.values
            np.add.at(out, tuple(b.indices), values.astype(out.dtype, copy=False))
            return out
    return None


def _same_shape(sa: tuple, sb: tuple, name: str) -> None:
    if sa != sb:
        raise errors.EngineRuntimeError(
            f"{'add' if name == 'add' else 'sub'}: expected 'self' and 'other' to have same "
            f"size, but self has size {list(sa)} while other has size {list(sb)} (FYI: "
            "dense-sparse addition does not currently support broadcasting)")


def _linear(indices: np.ndarray, shape: tuple) -> np.ndarray:
    """Each entry's position in row-major order of the sparse dimensions."""
    lin = np.zeros(indices.shape[1], dtype=np.int64)
    for d in range(indices.shape[0]):
        lin = lin * shape[d] + indices[d]
    return lin


def merge_add(a: SparseCOO, b: SparseCOO, sign: int) -> SparseCOO:
    """``a + sign * b`` as torch's kernel adds: one pass over both entry lists in order, taking
    the smaller position first and summing the two entries at an equal one (the result is
    coalesced when both are)."""
    la, lb = _linear(a.indices, a.shape), _linear(b.indices, b.shape)
    bvals = b.values if sign == 1 else -b.values
    dtype = np.result_type(a.values, bvals)
    if a.coalesced and b.coalesced:  # (both sorted and unique: the merge is their union)
        unique, inverse = np.unique(np.concatenate([la, lb]), return_inverse=True)
        values = np.zeros((unique.size, *a.values.shape[1:]), dtype)
        np.add.at(values, inverse[:la.size], a.values)
        np.add.at(values, inverse[la.size:], bvals)
        sdim = a.indices.shape[0]
        indices = np.array(np.unravel_index(unique, a.shape[:sdim]), dtype=np.int64).reshape(
            sdim, unique.size)
        return SparseCOO(indices, values, a.shape, True)
    ia, ib, cols, vals = 0, 0, [], []
    na, nb = la.size, lb.size
    while ia < na or ib < nb:
        if ib >= nb or ia < na and la[ia] < lb[ib]:
            cols.append(a.indices[:, ia])
            vals.append(a.values[ia].astype(dtype))
            ia += 1
        elif ia >= na or lb[ib] < la[ia]:
            cols.append(b.indices[:, ib])
            vals.append(bvals[ib].astype(dtype))
            ib += 1
        else:
            cols.append(a.indices[:, ia])
            vals.append((a.values[ia] + bvals[ib]).astype(dtype))
            ia += 1
            ib += 1
    sdim = a.indices.shape[0]
    indices = np.stack(cols, axis=1) if cols else np.zeros((sdim, 0), np.int64)
    values = np.stack(vals) if vals else np.zeros((0, *a.values.shape[1:]), dtype)
    values = np.add(values, np.zeros((), dtype))  # (torch sums into zeros: -0. becomes 0.)
    return SparseCOO(indices, values, a.shape, a.coalesced and b.coalesced)


def coalesced(s: SparseCOO) -> SparseCOO:
    """The same tensor with sorted, unique indices (repeats summed)."""
    if s.coalesced:
        return s
    sdim = s.indices.shape[0]
    lin = _linear(s.indices, s.shape)
    unique, inverse = np.unique(lin, return_inverse=True)
    values = np.zeros((unique.size, *s.values.shape[1:]), s.values.dtype)
    np.add.at(values, inverse, s.values)
    indices = np.array(np.unravel_index(unique, s.shape[:sdim]), dtype=np.int64).reshape(
        sdim, unique.size)
    return SparseCOO(indices, values, s.shape, True)


def to_dense_array(s: SparseCOO) -> np.ndarray:
    out = np.zeros(s.shape, s.values.dtype)
    np.add.at(out, tuple(s.indices), s.values)
    return out


def sparse_tensor(storage: SparseCOO, like: Tensor | None = None, dtype=None,
                  device=None) -> Tensor:
    t = _new(Tensor)
    _init(t, storage, dtype if dtype is not None else like.dtype,
          device if device is not None else like.device)
    return t


def is_sparse(t) -> bool:
    return type(t) is Tensor and type(t._data) is SparseCOO


# --------------------------------------------------------------------------- gradients

def _values_at(g: Tensor, indices: np.ndarray, shape: tuple) -> Tensor:
    """The gradient of the values at ``indices`` from ``g`` (dense or sparse): ``g`` read at
    each entry's position (recorded when ``g`` requires grad, for second derivatives)."""
    if is_sparse(g):
        return _sparse_values_at(g, indices)
    return g[tuple(Tensor(i) for i in indices)]


def _sparse_values_at(g: Tensor, indices: np.ndarray) -> Tensor:
    s = coalesced(g._data)
    lin, want = _linear(s.indices, s.shape), _linear(indices, s.shape)
    pos = np.searchsorted(lin, want)
    pos = np.minimum(pos, max(lin.size - 1, 0))
    found = lin.size > 0
    hit = (lin[pos] == want) if found else np.zeros(want.size, bool)
    values = np.zeros((want.size, *s.values.shape[1:]), s.values.dtype)
    if found:
        values[hit] = s.values[pos[hit]]
    out = _wrap_dense(values, g)
    if needs_grad(g):
        record(out, "SparseMaskBackward0",
               (lambda gv: _from_values(indices, gv, g.shape),), (g,))
    return out


def _wrap_dense(arr: np.ndarray, like: Tensor) -> Tensor:
    t = _new(Tensor)
    _init(t, arr, like.dtype, like.device)
    return t


def _from_values(indices: np.ndarray, values: Tensor, shape: tuple) -> Tensor:
    """A sparse tensor of ``values`` at ``indices`` (differentiable in ``values``)."""
    out = sparse_tensor(SparseCOO(indices, values._data, shape, False), values)
    if needs_grad(values):
        record(out, "SparseCooTensorWithDimsAndTensorsBackward0",
               (lambda g: _values_at(g, indices, shape),), (values,))
    return out


def _mask_to(g: Tensor, like: SparseCOO) -> Tensor:
    """A dense gradient of a sparse tensor as torch gives it: sparse, on the tensor's
    (coalesced) pattern."""
    if is_sparse(g):
        return g
    c = coalesced(like)
    return _coalesced_from_values(c.indices, _values_at(g, c.indices, like.shape), like.shape)


def _coalesced_from_values(indices, values: Tensor, shape) -> Tensor:
    out = _from_values(indices, values, shape)
    out._data.coalesced = True
    return out


# --------------------------------------------------------------------------- construction

def _indices_array(indices) -> np.ndarray:
    if isinstance(indices, Tensor):
        arr = indices._data
    else:
        arr = np.asarray(indices)
    return np.asarray(arr).astype(np.int64)


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory=False,
                      requires_grad=False, check_invariants=None, is_coalesced=None):
    """A sparse COO tensor of ``values`` at ``indices`` (``sparse_dim x nnz``). Its indices are
    always checked (``check_invariants`` only chooses torch's check or none: here the same)."""
    from .creation import tensor as make_tensor

    if pin_memory:
        raise errors.EngineRuntimeError(layouts.PIN_MEMORY_UNAVAILABLE)
    if not isinstance(values, Tensor):
        values = make_tensor(values, dtype=dtype, device=device)
    elif dtype is not None and values.dtype is not dtype or \
            device is not None and values.device != _device(device):
        values = values.to(device=device, dtype=dtype)
    _check_cpu(values.device)
    idx = _indices_array(indices)
    if idx.ndim != 2:
        raise errors.EngineRuntimeError(
            f"indices must be sparse_dim x nnz, but got: {list(idx.shape)}")
    nnz = values._data.shape[0] if values.ndim else 1
    if idx.shape[1] != nnz:
        raise errors.EngineRuntimeError(
            f"indices and values must have same nnz, but got nnz from indices: {idx.shape[1]}, "
            f"nnz from values: {nnz}")
    sdim = idx.shape[0]
    if size is None:
        bounds = (idx.max(axis=1) + 1 if idx.shape[1] else np.zeros(sdim, np.int64)).tolist()
        shape = tuple(int(b) for b in bounds) + tuple(values._data.shape[1:])
    else:
        shape = tuple(int(s) for s in size)
        if len(shape) != sdim + values.ndim - 1:
            raise errors.EngineRuntimeError(
                f"number of dimensions must be sparse_dim ({sdim}) + dense_dim "
                f"({values.ndim - 1}), but got {len(shape)}")
        for d in range(sdim):  # (torch's check_invariants=True texts; its default skips it)
            if idx.shape[1] and idx[d].min() < 0:
                raise errors.EngineRuntimeError(
                    f"found negative index {idx[d].min()} for dim {d}")
            if idx.shape[1] and idx[d].max() >= shape[d]:
                raise errors.EngineRuntimeError(
                    f"size is inconsistent with indices: for dim {d}, size is {shape[d]} but "
                    f"found index {idx[d].max()}")
    if requires_grad and not values.dtype.is_floating_point:
        raise errors.EngineRuntimeError(
            "Only Tensors of floating point and complex dtype can require gradients")
    values_arr = values._data.reshape((nnz, *values._data.shape[1:]))
    out = sparse_tensor(SparseCOO(idx, values_arr, shape, bool(is_coalesced)), values)
    if needs_grad(values):  # (torch's node keeps the result: freed after backward)
        record(out, "SparseCooTensorWithDimsAndTensorsBackward0",
               (lambda g, _: _values_at(g, idx, shape).reshape(values.shape),), (values,),
               saved=(OUTPUT,))
    if requires_grad:
        out.requires_grad_(True)
    return out


def _device(spec):
    from ..device import device as make_device

    return spec if not isinstance(spec, str) else make_device(spec)


def _check_cpu(device) -> None:
    if device.type != "cpu":
        raise errors.NotSupported(f"sparse COO tensors on {device} are not supported: the "
                                  "engine's sparse tensors live on the CPU")


def _check_sparse(t, name: str) -> SparseCOO:
    if not is_sparse(t):
        raise errors.EngineRuntimeError(f"{name} expected sparse coordinate tensor layout but "
                                        "got Strided")
    return t._data


def to_dense(input, dtype=None, *, masked_grad=None):
    """The dense tensor with the sparse tensor's values (repeats summed)."""
    if not is_sparse(input):
        return input if dtype is None or input.dtype is dtype else input.to(dtype)
    s = input._data
    out = _wrap_dense(to_dense_array(s), input)
    if needs_grad(input):
        record(out, "ToDenseBackward0", (lambda g: _mask_to(g, s),), (input,))
    if dtype is not None and dtype is not input.dtype:
        out = out.to(dtype)
    return out


def to_sparse(input, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
    """The sparse COO tensor of this dense tensor's non-zero entries (coalesced)."""
    from .layouts import sparse_coo

    if layout is not None and layout is not sparse_coo:
        raise errors.NotSupported(f"to_sparse(layout={layout}) is not supported: only "
                                  "torch.sparse_coo")
    if is_sparse(input):
        return input
    _check_cpu(input.device)
    arr = input._data
    n = arr.ndim if sparse_dim is None else int(sparse_dim)
    if not 0 <= n <= arr.ndim:
        raise errors.EngineRuntimeError(
            f"sparse_dim argument must be in [0,{arr.ndim}] range, but {n} is given")
    flat = arr.reshape(*arr.shape[:n], -1) if n < arr.ndim else arr[..., None]
    keep = np.any(flat != 0, axis=-1)
    idx = np.array(np.nonzero(keep), dtype=np.int64).reshape(n, -1)
    values = arr[tuple(idx)] if n else arr[None]
    out = sparse_tensor(SparseCOO(idx, np.ascontiguousarray(values), arr.shape, True), input)
    if needs_grad(input):
        record(out, "ToSparseBackward1" if sparse_dim is not None else "ToSparseBackward1",
               (lambda g: to_dense(g) if is_sparse(g) else g,), (input,))
    return out


def coalesce(input):
    """The tensor with sorted, unique indices (values at repeated indices summed)."""
    s = _check_sparse(input, "coalesce")
    if s.coalesced:
        return input
    out = sparse_tensor(coalesced(s), input)
    if needs_grad(input):
        record(out, "CoalesceBackward0", (lambda g: g,), (input,))
    return out


def is_coalesced(input):
    """Whether the sparse tensor's indices are sorted and unique."""
    return _check_sparse(input, "is_coalesced").coalesced


def _indices_tensor(s: SparseCOO, like: Tensor) -> Tensor:
    t = _new(Tensor)
    _init(t, s.indices, int64, like.device)
    return t


def indices(input):
    """The indices of a coalesced sparse tensor (``sparse_dim x nnz``)."""
    s = _check_sparse(input, "indices")
    if not s.coalesced:
        raise errors.EngineRuntimeError(
            "Cannot get indices on an uncoalesced tensor, please call .coalesce() first")
    return _indices_tensor(s, input)


def _indices(input):
    """The indices of a sparse tensor as stored (coalesced or not)."""
    return _indices_tensor(_check_sparse(input, "_indices"), input)


def values(input):
    """The values of a coalesced sparse tensor (``nnz x dense dims``)."""
    s = _check_sparse(input, "values")
    if not s.coalesced:
        raise errors.EngineRuntimeError(
            "Cannot get values on an uncoalesced tensor, please call .coalesce() first")
    out = _wrap_dense(s.values, input)
    if needs_grad(input):
        record(out, "ValuesBackward0",
               (lambda g: _from_values(s.indices, g, s.shape),), (input,))
    return out


def _values(input):
    """The values of a sparse tensor as stored (not differentiable)."""
    return _wrap_dense(_check_sparse(input, "_values").values, input)


def _nnz(input):
    """The number of stored entries."""
    return int(_check_sparse(input, "_nnz").indices.shape[1])


def sparse_dim(input):
    """The number of sparse dimensions (0 for a dense tensor)."""
    return int(input._data.indices.shape[0]) if is_sparse(input) else 0


def dense_dim(input):
    """The number of dense dimensions (all of a dense tensor's)."""
    return input._data.values.ndim - 1 if is_sparse(input) else input.ndim


# --------------------------------------------------------------------------- products

def _sparse_mm(a: Tensor, b: Tensor, node: str) -> Tensor:
    s = a._data
    if s.ndim != 2 or len(s.values.shape) != 1:
        raise errors.NotSupported("mm of a sparse tensor is supported for 2-D sparse "
                                  "matrices with scalar values only")
    if not isinstance(b, Tensor) or b.ndim != 2:
        raise errors.EngineRuntimeError("mat2 must be a matrix")
    if is_sparse(b):
        raise errors.NotSupported("mm of two sparse tensors is not supported")
    if b.shape[0] != s.shape[1]:
        raise errors.EngineRuntimeError(
            f"addmm: Argument #3 (dense): Expected dim 0 size {s.shape[1]}, got {b.shape[0]}")
    if a.dtype is not b.dtype:
        raise errors.EngineRuntimeError(
            f"expected scalar type {a.dtype.scalar_name} but found {b.dtype.scalar_name}")
    dense = b._data
    rows, cols = s.indices
    out_arr = np.zeros((s.shape[0], dense.shape[1]), dense.dtype)
    np.add.at(out_arr, rows, s.values[:, None] * dense[cols])
    out = _wrap_dense(out_arr, b)
    if needs_grad(a, b):  # (sparse.mm's gradient of the sparse matrix is sparse, mm's dense)
        grad_a = (lambda g: _mm_grad_sparse(g, a, b)) if node == "SparseAddmmBackward0" else \
            (lambda g: g.mm(b.t()))
        record(out, node, (grad_a, lambda g: mm(t(a), g)), (a, b))
    return out


def _dense_sparse_mm(a: Tensor, b: Tensor) -> Tensor:
    """``mm`` of a dense and a sparse matrix: dense, both gradients dense (torch's)."""
    s = b._data
    if s.ndim != 2 or len(s.values.shape) != 1:
        raise errors.NotSupported("mm of a sparse tensor is supported for 2-D sparse "
                                  "matrices with scalar values only")
    if a.ndim != 2:
        raise errors.EngineRuntimeError("self must be a matrix")
    if a.shape[1] != s.shape[0]:
        raise errors.EngineRuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
            f"{s.shape[0]}x{s.shape[1]})")
    if a.dtype is not b.dtype:
        raise errors.EngineRuntimeError(
            f"expected scalar type {a.dtype.scalar_name} but found {b.dtype.scalar_name}")
    rows, cols = s.indices
    out_arr = np.zeros((a.shape[0], s.shape[1]), a._data.dtype)
    np.add.at(out_arr.T, cols, (a._data[:, rows] * s.values).T)
    out = _wrap_dense(out_arr, a)
    if needs_grad(a, b):
        record(out, "MmBackward0", (lambda g: mm(g, t(b)), lambda g: a.t().mm(g)), (a, b))
    return out


def _mm_grad_sparse(g: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """``(g @ b.T)`` on ``a``'s coalesced pattern, computed entry by entry."""
    c = coalesced(a._data)
    rows, cols = (Tensor(i) for i in c.indices)
    vals = (g.index_select(0, rows) * b.index_select(0, cols)).sum(1)
    return _coalesced_from_values(c.indices, vals, c.shape)


def sparse_mm(sparse, dense, reduce="sum"):
    """Product of a sparse COO matrix and a dense (or sparse) matrix."""
    if reduce != "sum":
        raise errors.NotSupported(f"torch.sparse.mm(reduce={reduce!r}) is not supported")
    _check_sparse(sparse, "sparse.mm")
    return _sparse_mm(sparse, dense, "SparseAddmmBackward0")


def spmm(input, mat2):
    """Product of a sparse COO matrix and a dense matrix (``torch.mm`` for sparse input)."""
    return mm(input, mat2)


def _wrap_op(name: str, sparse_fn, dense_first=None):
    """The table's ``name`` with a sparse first argument handled by ``sparse_fn`` (and a
    sparse second one by ``dense_first``)."""
    dense = OPS[name].fn

    def fn(input, *args, **kwargs):
        if type(input) is Tensor and type(input._data) is SparseCOO:
            return sparse_fn(input, *args, **kwargs)
        if args and type(args[0]) is Tensor and type(args[0]._data) is SparseCOO:
            if dense_first is None:
                raise errors.NotSupported(f"{name} of a dense and a sparse tensor is not "
                                          "supported")
            return dense_first(input, *args, **kwargs)
        return dense(input, *args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = dense.__doc__
    fn.__wrapped__ = dense
    for attr in ("operator", "operator_form"):
        if hasattr(dense, attr):
            setattr(fn, attr, getattr(dense, attr))
    OPS[name] = dataclasses.replace(OPS[name], fn=fn)
    return fn


def _transposed(input: Tensor, d0: int, d1: int, node: str) -> Tensor:
    s = input._data
    sdim = s.indices.shape[0]
    n = s.ndim
    d0, d1 = d0 % n if n else 0, d1 % n if n else 0
    if d0 == d1:
        return input
    if d0 >= sdim or d1 >= sdim:
        raise errors.NotSupported("transpose of a sparse tensor's dense dimensions is not "
                                  "supported")
    idx = s.indices.copy()
    idx[[d0, d1]] = idx[[d1, d0]]
    shape = list(s.shape)
    shape[d0], shape[d1] = shape[d1], shape[d0]
    out = sparse_tensor(SparseCOO(idx, s.values, tuple(shape), False), input)
    if needs_grad(input):
        record(out, node, (lambda g: g.transpose(d0, d1),), (input,))
    return out


def _sparse_t(input):
    if input.ndim > 2:
        raise errors.EngineRuntimeError(
            f"t() expects a tensor with <= 2 sparse and 0 dense dimensions, but self is "
            f"{input._data.indices.shape[0]} sparse and {dense_dim(input)} dense dimensions")
    return _transposed(input, 0, 1, "TBackward0") if input.ndim == 2 else input


def _sparse_transpose(input, dim0, dim1):
    return _transposed(input, int(dim0), int(dim1), "TransposeBackward0")


def _sparse_clone(input, *, memory_format=None):
    out = sparse_tensor(input._data.copy(), input)
    if needs_grad(input):
        record(out, "CloneBackward0", (lambda g: g,), (input,))
    return out


def _sparse_is_contiguous(input, memory_format=None):
    return False


def mm(input, mat2):
    return _MM[0](input, mat2)


def t(input):
    return _T[0](input)


_MM, _T = [None], [None]


def install_sparse_forms() -> None:
    """Give the table's dense ops their sparse forms (after every family has registered)."""
    _MM[0] = _wrap_op("mm", lambda a, b: _sparse_mm(a, b, "MmBackward0"), _dense_sparse_mm)
    _wrap_op("matmul", lambda a, b: _sparse_mm(a, b, "MmBackward0"), _dense_sparse_mm)
    _T[0] = _wrap_op("t", _sparse_t)
    _wrap_op("transpose", _sparse_transpose)
    _wrap_op("clone", _sparse_clone)
    _wrap_op("is_contiguous", _sparse_is_contiguous)


# --------------------------------------------------------------------------- sums

def sparse_sum(input, dim=None, dtype=None):
    """The sum of a sparse tensor's entries: over all (a dense 0-d tensor) or over ``dim``
    (sparse while sparse dimensions remain)."""
    s = _check_sparse(input, "sparse.sum")
    if dtype is not None and dtype is not input.dtype:
        input = input.to(dtype)  # (recorded: ToCopyBackward0)
        s = input._data
    n, sdim = s.ndim, s.indices.shape[0]
    dims = None if dim is None else \
        sorted({d % n for d in ((dim,) if isinstance(dim, int) else tuple(dim))})
    if dims is None or len(dims) == n:
        out = _wrap_dense(np.asarray(s.values.sum(dtype=s.values.dtype)), input)
        if needs_grad(input):
            record(out, "SumBackward0" if dims is None else "SparseSumBackward0",
                   (lambda g: _coalesced_from_values(
                       coalesced(s).indices,
                       g.expand(coalesced(s).values.shape).contiguous(), s.shape),),
                   (input,))
        return out
    if any(d >= sdim for d in dims):
        raise errors.NotSupported("torch.sparse.sum over dense dimensions is not supported")
    keep = [d for d in range(sdim) if d not in dims]
    shape = tuple(s.shape[d] for d in range(n) if d not in dims)
    reduced = coalesced(SparseCOO(s.indices[keep], s.values, shape, False))
    out = sparse_tensor(reduced, input)
    if needs_grad(input):
        record(out, "SparseSumBackward0",
               (lambda g: _sum_backward(g, input._data, keep, shape),), (input,))
    return out


def _sum_backward(g: Tensor, s: SparseCOO, keep: list, shape: tuple) -> Tensor:
    """Each entry of ``s`` gets the gradient at its kept coordinates."""
    c = coalesced(s)
    if is_sparse(g):
        vals = _sparse_values_at(g, c.indices[keep])
    else:
        vals = g[tuple(Tensor(i) for i in c.indices[keep])]
    return _coalesced_from_values(c.indices, vals, s.shape)


# --------------------------------------------------------------------------- the table

register("sparse_coo_tensor", sparse_coo_tensor, kind="function",
         grad_fns=("SparseCooTensorWithDimsAndTensorsBackward0",))
register("to_dense", to_dense, kind="method", grad_fns=("ToDenseBackward0",))
register("to_sparse", to_sparse, kind="method", grad_fns=("ToSparseBackward1",))
register("coalesce", coalesce, kind="method", grad_fns=("CoalesceBackward0",))
register("is_coalesced", is_coalesced, kind="method", differentiable=False)
register("indices", indices, kind="method", differentiable=False)
register("_indices", _indices, kind="method", differentiable=False)
register("values", values, kind="method", grad_fns=("ValuesBackward0",))
register("_values", _values, kind="method", differentiable=False)
register("_nnz", _nnz, kind="method", differentiable=False)
register("sparse_dim", sparse_dim, kind="method", differentiable=False)
register("dense_dim", dense_dim, kind="method", differentiable=False)
register("spmm", spmm, kind="function", grad_fns=("MmBackward0",))
register("sparse.mm", sparse_mm, kind="function", grad_fns=("SparseAddmmBackward0",))
register("sparse.sum", sparse_sum, kind="function",
         grad_fns=("SumBackward0", "SparseSumBackward0"))



def _repr(t: Tensor) -> str:
    s = t._data
    fn = t.grad_fn
    return format_sparse(s.indices, s.values, shape=s.shape, dtype=t.dtype.name,
                         device=str(t.device), requires_grad=t.requires_grad,
                         grad_fn=None if fn is None else display_name(fn))


def _nbytes(t: Tensor) -> int:
    if type(t._data) is SparseCOO:
        raise errors.EngineRuntimeError(
            "nbytes is not defined for sparse tensors.  If you want the size of the constituent "
            "tensors, add the nbytes of the indices and values.  If you want the size of the  "
            "equivalent dense tensor, multiply numel() by element_size()")
    return int(t._data.nbytes)


def accumulate(var: Tensor, g: Tensor) -> None:
    """Add ``g`` into the ``.grad`` of the sparse leaf ``var`` (or a sparse ``g`` into a dense
    leaf's) as torch's AccumulateGrad does: the first gradient is kept as it comes (``mm``'s
    is dense), two sparse ones are summed sparse, anything else dense."""
    old = var._grad
    if old is None:
        var._grad = sparse_tensor(g._data.copy(), g) if is_sparse(g) else g.detach().clone()
    elif is_sparse(old) and is_sparse(g):
        old._data = merge_add(old._data, g._data, 1)
        old._vc[0] += 1
    else:
        var._grad = to_dense(old.detach()) + g.detach() if is_sparse(old) else \
            old.detach() + g.detach()


_tensor_module._sparse_type = SparseCOO
_autograd_engine._SPARSE[0] = SparseCOO
_autograd_engine._sparse_coo = sys.modules[__name__]
_tensor_module._sparse_repr = _repr
Tensor.is_sparse = property(lambda self: type(self._data) is SparseCOO,
                            doc="Whether the tensor is a sparse COO tensor.")
Tensor.nbytes = property(lambda self: _nbytes(self), doc=Tensor.nbytes.__doc__)
Tensor.layout = property(
    lambda self: layouts.sparse_coo if type(self._data) is SparseCOO else layouts.strided,
    doc="The memory layout: torch.sparse_coo for a sparse tensor, else torch.strided.")

__all__ = ["SparseCOO", "sparse_coo_tensor", "sparse_mm", "sparse_sum", "spmm", "to_dense",
           "to_sparse"]
