"""The Tensor: an array on a device plus its autograd metadata.

Methods and operators come from the op table (``engine/ops``), installed on the class when the
package is imported; this module holds only state, properties and conversions.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import errors
from .device import CPU, Device
from .dtypes import DType, from_numpy_dtype
from .printing import format_tensor
from .utils.hooks import RemovableHandle


class Size(tuple):
    """A shape; prints as ``torch.Size([2, 3])``."""

    __slots__ = ()

    def __getattr__(self, name):  # (torch's C type is named "torch.Size" in these errors)
        raise AttributeError(f"'torch.Size' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        if hasattr(Size, name):
            raise AttributeError(f"'torch.Size' object attribute '{name}' is read-only")
        self.__getattr__(name)

    __delattr__ = __setattr__

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(str(s) for s in self)}])"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    # slices, sums and repeats of a Size are Sizes, as in torch
    def __getitem__(self, key):
        out = tuple.__getitem__(self, key)
        return Size(out) if isinstance(key, slice) else out

    def __add__(self, other):
        return Size(tuple.__add__(self, other)) if isinstance(other, tuple) else NotImplemented

    def __radd__(self, other):
        return Size(tuple.__add__(other, self)) if isinstance(other, tuple) else NotImplemented

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__


class Tensor:
    __slots__ = (
        "_data",          # numpy / cupy ndarray (never a numpy scalar)
        "dtype",          # engine DType
        "device",         # engine Device
        "requires_grad",  # True for leaves that require grad and for every recorded output
        "_grad_fn",       # Node that produced it, None for leaves (read ``grad_fn``)
        "_output_nr",     # which output of grad_fn this is
        "_grad",          # accumulated gradient (leaves, or non-leaves that retain_grad)
        "_vc",            # version counter [n], shared with views; then weakrefs to views of a
                          # base that does not require grad (see shape.make_view)
        "_base",          # the tensor this one is a view of, or None
        "_view_fn",       # re-applies the view to a base (engine op), for views of graph tensors
        "_view_version",  # base version when this view's grad_fn was last made
        "_acc",           # weakref to this leaf's AccumulateGrad node
        "_hooks",         # leaf hooks (list) or None
        "_retains_grad",
        "_fw",            # forward-AD tangents by level; unset (not None) on most tensors, so
                          # op results pay nothing for it (see autograd.forward_ad)
        "_is_param",      # set (True) only on nn.Parameter tensors; read with getattr default
        "__weakref__",
    )

    def __init__(self, data, dtype: DType | None = None, device: Device = CPU,
                 requires_grad: bool = False):
        arr = data if isinstance(data, np.ndarray) or device.type != "cpu" else np.asarray(data)
        if dtype is None:
            dtype = from_numpy_dtype(arr.dtype)
        elif arr.dtype != dtype.np:
            arr = arr.astype(dtype.np)
        _init(self, arr, dtype, device)
        if requires_grad:
            self.requires_grad_(True)

    # ----------------------------------------------------------------- properties
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def grad_fn(self):
        """The node that produced this tensor (None for leaves). A view whose base (or another
        view of it) was written in place since gets its node regenerated, as in torch."""
        if self._base is not None and self._vc[0] != self._view_version and \
                self._view_fn is not None:
            _autograd.graph._refresh_view(self)
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def _version(self) -> int:
        return self._vc[0]

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad:
            warnings.warn(errors.NONLEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise errors.EngineTypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}")
            if value.shape != self.shape:
                raise errors.EngineRuntimeError("assigned grad has data of a different size")
            if value.dtype is not self.dtype:
                raise errors.EngineRuntimeError("assigned grad has data of a different type")
        self._grad = value

    @property
    def data(self) -> Tensor:
        """The same storage, cut off from autograd (changes to it are not tracked)."""
        return _wrap(self._data, self.dtype, self.device)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data, self.dtype, self.device = value._data, value.dtype, value.device

    # ----------------------------------------------------------------- autograd state
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self.grad_fn is not None:
            if not requires_grad:
                raise errors.EngineRuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach().")
            return self
        if requires_grad and not self.dtype.is_floating_point:
            raise errors.EngineRuntimeError(errors.FLOAT_REQUIRES_GRAD_METHOD)
        if requires_grad and _grad_mode.SEEN[0]:
            _grad_mode.check_requires_grad(self)
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        if self.grad_fn is None:
            if not self.requires_grad:
                raise errors.EngineRuntimeError(
                    "can't retain_grad on Tensor that has requires_grad=False")
            return
        if not self._retains_grad:
            self._retains_grad = True
            self.grad_fn._add_retain(self._output_nr, self)

    @property
    def retains_grad(self) -> bool:
        return bool(self._retains_grad) and self.grad_fn is not None

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a non-None return
        replaces the gradient. Returns a handle with ``remove()``."""
        if not self.requires_grad:
            raise errors.EngineRuntimeError(
                "cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            hooks = self.grad_fn._tensor_hooks(self._output_nr)
        hooks.append(hook)
        return RemovableHandle(hooks, entry=hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after backward has accumulated this leaf's ``.grad`` (an
        optimizer step inside backward); the hook must return None. It lives in the leaf's
        hook list next to :meth:`register_hook`'s, marked, and runs after the pre-hooks and
        the accumulation. Returns a handle with ``remove()``."""
        if not self.requires_grad:
            raise errors.EngineRuntimeError(
                "cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise errors.EngineRuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._hooks is None:
            self._hooks = []
        entry = PostAccumulateGradHook(hook)
        self._hooks.append(entry)
        return RemovableHandle(self._hooks, entry=entry)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute the gradient of this tensor w.r.t. graph leaves (accumulated into ``.grad``)."""
        if inputs is None:  # (autograd.backward without its argument handling)
            _run_backward([self], [gradient], retain_graph, create_graph)
        else:
            _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # ----------------------------------------------------------------- conversions
    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self.requires_grad and not force:
            raise errors.EngineRuntimeError(errors.NUMPY_REQUIRES_GRAD)
        if type(self._data) is _sparse_type:
            raise errors.EngineTypeError(
                "can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() first.")
        if self.device.type != "cpu":
            if not force:
                raise errors.EngineTypeError(
                    f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() "
                    "to copy the tensor to host memory first.")
            return self.device.xp.asnumpy(self._data)
        return self._data

    def item(self):
        data = self._data
        if data.size != 1:
            raise errors.EngineRuntimeError(errors.ITEM_MULTI.format(n=data.size))
        if type(data) is _ndarray:  # (one element, any shape)
            return data.item()
        return data.reshape(()).item() if self.device.type == "cpu" else \
            data.reshape(()).get().item()

    def tolist(self):
        arr = self._data if self.device.type == "cpu" else self._data.get()
        return arr.tolist()

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise errors.EngineRuntimeError(errors.BOOL_AMBIGUOUS)
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self._data.size != 1:
            raise errors.EngineTypeError(
                "only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise errors.EngineTypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise errors.EngineTypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __reversed__(self) -> Tensor:
        """torch's: the tensor flipped along dim 0 (a 0-d tensor itself), not an iterator."""
        return self if self._data.ndim == 0 else self.flip(0)

    def __hash__(self) -> int:
        return id(self)

    # NumPy defers to the tensor's reflected operators (``np.float64(2) * t`` is a tensor,
    # ``np.ones(2) * t`` torch's TypeError), as torch sets it
    __array_priority__ = 1000

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr if dtype is None else arr.astype(dtype)

    def __repr__(self) -> str:
        if type(self._data) is _sparse_type:
            return _sparse_repr(self)
        try:
            fn = self.grad_fn
            fn_name = None if fn is None else fn.name()
        except errors.EngineRuntimeError:  # a view torch cannot regenerate a node for
            fn_name = "Invalid"
        text = format_tensor(
            self._data if self.device.type == "cpu" else self._data.get(),
            dtype=self.dtype.name, device=str(self.device),
            requires_grad=self.requires_grad, grad_fn=fn_name,
            tangent=_autograd.forward_ad.tangent_text(self) if _FW_ACTIVE[0] else None)
        return "Parameter containing:\n" + text if getattr(self, "_is_param", False) else text

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:  # as torch: a 0-d tensor formats as its number
            return format(self.item(), spec)
        if spec:  # as object.__format__, which torch falls back to
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    def __copy__(self) -> Tensor:
        """``copy.copy``: a leaf sharing this tensor's storage (not its version counter), with its
        ``requires_grad``; no ``.grad``, as torch."""
        t = _wrap(self._data, self.dtype, self.device)
        _mark_copy(t, self)
        return t

    def __deepcopy__(self, memo: dict) -> Tensor:
        """``copy.deepcopy`` of a leaf: new storage; tensors that shared storage in the original
        share it in the copy (through ``memo``), as torch's storage-level memo does."""
        if id(self) in memo:
            return memo[id(self)]
        if self.grad_fn is not None:
            raise errors.EngineRuntimeError(errors.DEEPCOPY_NON_LEAF)
        t = _wrap(_deepcopy_array(self._data, self.device, memo), self.dtype, self.device)
        _mark_copy(t, self)
        memo[id(self)] = t
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        return t

    def __reduce_ex__(self, protocol):
        raise errors.NotSupported("pickling tensors is not supported")


class PostAccumulateGradHook:
    """A leaf's post-accumulate-grad hook in its hook list (the gradient hooks before the
    accumulation skip it)."""

    __slots__ = ("fn",)

    def __init__(self, fn) -> None:
        self.fn = fn


def _mark_copy(t: Tensor, src: Tensor) -> None:
    t.requires_grad = src.requires_grad
    t._vc = [1]  # torch builds the copy with ``set_``, which counts as one write
    if getattr(src, "_is_param", False):
        t._is_param = True


def _deepcopy_array(arr, device: Device, memo: dict):
    """A copy of ``arr``; arrays that are views of one buffer stay views of one new buffer."""
    root = arr
    while True:  # the array owning the buffer (``as_strided`` puts a holder in between)
        b = root.base
        if isinstance(b, np.ndarray):
            root = b
        elif b is not None and isinstance(getattr(b, "base", None), np.ndarray):
            root = b.base
        else:
            break
    if device.type != "cpu" or root.base is not None or not root.flags.c_contiguous:
        return arr.copy()  # a buffer NumPy does not own, or a device one: copied alone
    key = ("engine.storage", id(root))
    new_root = memo.get(key)
    if new_root is None:
        new_root = memo[key] = root.copy()
        memo.setdefault(id(memo), []).append(root)  # keep ``root`` (and so its id) alive
    if arr is root:
        return new_root
    start = arr.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    try:
        return np.ndarray(arr.shape, arr.dtype, buffer=new_root, offset=start,
                          strides=arr.strides)
    except (TypeError, ValueError):  # pragma: no cover (a layout NumPy will not rebuild)
        return arr.copy()


def _row_major_empty(arr):
    """An empty array with torch's strides for a fresh empty tensor: row-major, each
    dimension's stride the product of the later sizes counting a 0 as 1 (``zeros(0, 3)`` is
    ``(3, 1)``). NumPy gives every fresh empty array zero strides; an empty array with any
    non-zero stride is a view and already carries its strides (NumPy derives them as torch
    does), so only all-zero strides are rewritten (over a one-element buffer: nothing is
    read through them)."""
    if type(arr) is not _ndarray or any(arr.strides):
        return arr
    strides, cur = [], arr.itemsize
    for n in reversed(arr.shape):
        strides.append(cur)
        cur *= n or 1
    return _ndarray(arr.shape, arr.dtype, np.empty(1, arr.dtype), 0, tuple(reversed(strides)))


def _init(t: Tensor, arr, dtype: DType, device: Device) -> None:
    if not arr.size and arr.ndim:  # (empty: torch's row-major strides, as ``_wrap``)
        arr = _row_major_empty(arr)
    t._data = arr
    t.dtype = dtype
    t.device = device
    t.requires_grad = False
    t._grad_fn = None
    t._output_nr = 0
    t._grad = None
    t._vc = [0]
    t._base = None
    t._view_fn = None
    t._view_version = 0
    t._acc = None
    t._hooks = None
    t._retains_grad = False


_new = object.__new__
_ndarray = np.ndarray
# set by engine.func: vmap's array type, and the device its tensors live on given the asked one
_batched_type = None
_batched_device = None
# set by engine.ops.sparse_coo: the storage of a sparse COO tensor, and its repr
_sparse_type = None
_sparse_repr = None


def _wrap(arr, dtype: DType, device: Device = CPU) -> Tensor:
    """Fast constructor for op results: ``arr`` already has ``dtype``'s NumPy type.

    It repeats ``_init``'s assignments inline on purpose: every op result goes through here, and
    the extra call would cost about 4% of a small op's forward+backward."""
    if type(arr) is not _ndarray and (device is CPU or device.__class__ is not Device):
        if type(arr) is _batched_type:  # engine.func's batched arrays keep their type
            device = _batched_device(device, arr)
        elif type(arr) is not _sparse_type:  # (a sparse tensor's storage stays itself)
            arr = np.asarray(arr)
    if not arr.size and arr.ndim:  # (empty: torch's row-major strides, not NumPy's zeros)
        arr = _row_major_empty(arr)
    t = _new(Tensor)
    t._data = arr
    t.dtype = dtype
    t.device = device
    t.requires_grad = False
    t._grad_fn = None
    t._output_nr = 0
    t._grad = None
    t._vc = [0]
    t._base = None
    t._view_fn = None
    t._view_version = 0
    t._acc = None
    t._hooks = None
    t._retains_grad = False
    return t


# Last: autograd imports this module (a function-level import here cost ~2k instructions a call).
from . import autograd as _autograd  # noqa: E402
from .autograd import grad_mode as _grad_mode  # noqa: E402
from .autograd.engine import run_backward as _run_backward  # noqa: E402
from .autograd.graph import FW_ACTIVE as _FW_ACTIVE  # noqa: E402
