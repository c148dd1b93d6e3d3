"""``torch.memory_format``: ``torch.contiguous_format``, ``torch.channels_last``,
``torch.channels_last_3d`` and ``torch.preserve_format``, and the layouts they give.

The engine's tensors are NumPy arrays, so a layout is the array's strides: a channels-last
tensor is an ``(N, C, H, W)`` array whose memory is ``(N, H, W, C)``. The rules are torch's:

- **preserve_format** (``clone``, ``to``, the ``*_like`` factories): a non-overlapping and dense
  input keeps its strides exactly (a transposed or channels-last one too); any other its own
  order of dimensions in dense strides (torch's ``infer_dense_strides``). (Until session 13
  only channels-last layouts were kept: a permuted copy had made published program pt_11's
  float32 jacobians differ; with today's matmul paths it agrees either way, measured.)
- **channels_last** / **channels_last_3d**: strides ``(H*W*C, 1, W*C, C)`` (and the 5-D form);
  ``is_contiguous(memory_format=...)`` is torch's test (size-1 dimensions never disqualify).
- ``suggest_memory_format`` (what ``to`` aliases by, and conv2d follows): torch's heuristic
  on the strides of a 4-D / 5-D tensor (ambiguous cases stay contiguous)."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided


class memory_format:  # noqa: N801 (torch's class name)
    """A torch.memory_format value: prints as ``torch.channels_last``; no new instances."""

    __slots__ = ("_name",)

    def __new__(cls, *args, **kwargs):
        from .. import errors

        raise errors.EngineTypeError("cannot create 'torch.memory_format' instances")

    @classmethod
    def _make(cls, name: str) -> memory_format:
        obj = object.__new__(cls)
        object.__setattr__(obj, "_name", name)
        return obj

    def __setattr__(self, name, value):
        raise AttributeError(f"'torch.memory_format' object has no attribute '{name}'")

    def __repr__(self) -> str:
        return f"torch.{self._name}"

    __str__ = __repr__

    def __reduce__(self):  # (copies and pickles are the same object, as torch's)
        return (_by_name, (self._name,))


MemoryFormat = memory_format
contiguous_format = memory_format._make("contiguous_format")
channels_last = memory_format._make("channels_last")
channels_last_3d = memory_format._make("channels_last_3d")
preserve_format = memory_format._make("preserve_format")
FORMATS = {repr(f)[6:]: f for f in (contiguous_format, channels_last, channels_last_3d,
                                    preserve_format)}


def _by_name(name: str) -> MemoryFormat:
    return FORMATS[name]


# --------------------------------------------------------------------------- strides
def non_overlapping_and_dense(shape: tuple, strides: tuple) -> bool:
    """torch's ``is_non_overlapping_and_dense`` on element strides (an empty tensor is
    contiguous, so also this, whatever its strides)."""
    n = len(shape)
    if n == 0 or 0 in shape:
        return True
    if n == 1:
        return shape[0] < 2 or strides[0] == 1
    perm = sorted(range(n), key=lambda d: (shape[d] < 2, strides[d] if shape[d] >= 2 else 0))
    require = 1
    for d in perm:
        if shape[d] < 2:
            return True
        if strides[d] != require:
            return False
        require *= shape[d]
    return True


def dense_strides(shape: tuple, strides: tuple) -> tuple:
    """torch's ``infer_dense_strides``: dense strides whose order follows ``strides`` (an
    insertion sort from the innermost dimension that never moves a stride-0 dimension)."""
    n = len(shape)
    perm = list(range(n - 1, -1, -1))  # perm[0] is the innermost dimension

    def should_swap(d0: int, d1: int) -> int:
        s0, s1 = strides[d0], strides[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 != s1:
            return -1 if s0 < s1 else 1
        return 1 if shape[d0] > shape[d1] else 0

    for i in range(1, n):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    out = [0] * n
    cur = 1
    for d in perm:
        out[d] = cur
        cur *= max(shape[d], 1)
    return tuple(out)


def preserved_strides(shape: tuple, strides: tuple) -> tuple:
    """The strides ``clone`` / ``empty_like`` give under preserve_format."""
    if is_contiguous_strides(shape, strides) or non_overlapping_and_dense(shape, strides):
        return tuple(strides)
    return dense_strides(shape, strides)


def draws_like(data, draw):
    """``draw(shape)`` for an array shaped like ``data`` in the order torch fills
    ``empty_like(data)`` (preserve_format): ``data``'s own memory order when it is
    non-overlapping and dense (a transposed or permuted tensor), else the dense order its
    strides suggest (row-major for an expanded one). Returns the values in ``data``'s
    logical layout; dropout's and multinomial's noise are made so."""
    if data.ndim < 2 or data.flags.c_contiguous:
        return draw(data.shape)
    strides = preserved_strides(data.shape, elem_strides(data))
    if strides == contiguous_strides(data.shape):
        return draw(data.shape)
    n = data.ndim
    perm = sorted(range(n), key=lambda d: (-strides[d], d))  # outermost first
    values = draw(tuple(data.shape[d] for d in perm))
    return values.transpose(np.argsort(perm))


def contiguous_strides(shape: tuple) -> tuple:
    out, cur = [0] * len(shape), 1
    for d in range(len(shape) - 1, -1, -1):
        out[d] = cur
        cur *= max(shape[d], 1)
    return tuple(out)


def channels_last_strides(shape: tuple) -> tuple:
    """torch's channels-last strides of a 4-D (or channels_last_3d of a 5-D) shape."""
    order = (1, 3, 2, 0) if len(shape) == 4 else (1, 4, 3, 2, 0)
    out, cur = [0] * len(shape), 1
    for d in order:
        out[d] = cur
        cur *= shape[d]  # (no max(size, 1) here, unlike the contiguous strides: torch's)
    return tuple(out)


def is_channels_last_contiguous(shape: tuple, strides: tuple) -> bool:
    """torch's ``is_contiguous(memory_format=channels_last[_3d])`` test (4-D / 5-D)."""
    order = (1, 3, 2, 0) if len(shape) == 4 else (1, 4, 3, 2, 0)
    expected = 1
    for d in order:
        if shape[d] != 1:
            if strides[d] != expected:
                return False
            expected *= shape[d]
    return True


def is_contiguous_strides(shape: tuple, strides: tuple) -> bool:
    """torch's plain ``is_contiguous()``: size-1 dimensions' strides never disqualify."""
    if any(s == 0 for s in shape):
        return True
    expected = 1
    for d in range(len(shape) - 1, -1, -1):
        if shape[d] != 1:
            if strides[d] != expected:
                return False
            expected *= shape[d]
    return True


def _channels_last_strides_heuristic(shape: tuple, strides: tuple) -> bool:
    """torch's ``is_channels_last_strides_2d/3d_s4/s5``: the strides look channels-last."""
    order = (1, 3, 2, 0) if len(shape) == 4 else (1, 4, 3, 2, 0)
    min_ = 0
    if strides[1] == 0:
        return False
    for d in order:
        if shape[d] == 0:
            return False
        if strides[d] < min_:
            return False
        # (N, 1, H, W) with H*W == stride(0): ambiguous, torch keeps contiguous
        if d == 0 and min_ == strides[1]:
            return False
        min_ = strides[d]
        if shape[d] > 1:
            min_ *= shape[d]
    return True


def grad_strides(var) -> tuple:
    """The strides torch's gradient layout contract gives a leaf's new ``.grad``: the leaf's
    own when it is non-overlapping and dense, else row-major (``var``: the leaf's array)."""
    strides = elem_strides(var)
    if non_overlapping_and_dense(var.shape, strides):
        return strides
    return contiguous_strides(var.shape)


def obeys_grad_layout(grad, var) -> bool:
    """torch's ``obeys_layout_contract(grad, variable)`` on arrays: a non-overlapping and
    dense leaf's strides on every dimension of size > 1 (and no 0 stride on a size-1 one),
    else a contiguous gradient."""
    gs = elem_strides(grad)
    vs = elem_strides(var)
    if not non_overlapping_and_dense(var.shape, vs):
        return is_contiguous_strides(grad.shape, gs)
    for n, a, b in zip(grad.shape, gs, vs):
        if (a != b) if n != 1 else a == 0:
            return False
    return True


def iterator_strides(shape: tuple, operands) -> tuple:
    """The strides torch's TensorIterator gives a pointwise result of ``shape`` from its
    inputs ``operands`` ((shape, element strides) each, in argument order; a Python number
    is a 0-d operand). Same-shaped inputs that are all contiguous, all channels-last, or all
    non-overlapping and dense with equal strides give that layout (the last: the first
    input's strides exactly). Otherwise the dimensions are sorted by the inputs' strides
    (an insertion sort from the innermost: the first input with unequal non-zero strides
    decides; equal strides put the smaller dimension inner; broadcast dimensions don't
    vote), and the result is dense in that order (row-major when the order is unchanged)."""
    n = len(shape)
    if n == 0:
        return ()
    if all(sh == shape for sh, _ in operands):
        if all(is_contiguous_strides(sh, st) for sh, st in operands):
            return contiguous_strides(shape)
        if n == 4 and all(is_channels_last_contiguous(sh, st) for sh, st in operands):
            return channels_last_strides(shape)
        first = operands[0][1]
        if all(st == first for _, st in operands) and non_overlapping_and_dense(shape, first):
            return tuple(first)
    ops = []
    for sh, st in operands:
        off = n - len(sh)
        ops.append([0] * off + [0 if sh[i] == 1 and shape[off + i] != 1 else st[i]
                                for i in range(len(sh))])

    def should_swap(d0: int, d1: int) -> int:
        for st in ops:
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 < s1:
                return -1
            if s0 > s1:
                return 1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    perm = list(range(n - 1, -1, -1))
    for i in range(1, n):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    if perm == list(range(n - 1, -1, -1)):
        return contiguous_strides(shape)
    out = [0] * n
    cur = 1
    for d in perm:
        out[d] = cur
        cur *= shape[d]
    return tuple(out)


def suggested_strides(shape: tuple, strides: tuple) -> tuple:
    """The strides of an empty tensor of ``shape`` in the ``suggest_memory_format()`` of a
    tensor of (``shape``, ``strides``): channels-last (3d) or row-major."""
    n = len(shape)
    if n in (4, 5) and _channels_last_strides_heuristic(shape, strides):
        return channels_last_strides(shape)
    return contiguous_strides(shape)


def cat_strides(shape: tuple, operands) -> tuple:
    """torch's ``cat`` result layout (``cat_compute_output_memory_format``): the suggested
    memory format that every input ((shape, element strides) each) shares, row-major when
    one suggests row-major or two differ (a legacy empty 1-D input counts: row-major)."""
    formats = set()
    for sh, st in operands:
        cl = len(sh) in (4, 5) and _channels_last_strides_heuristic(sh, st)
        if not cl:
            return contiguous_strides(shape)
        formats.add(len(sh))
    return channels_last_strides(shape) if len(formats) == 1 and len(shape) in formats else \
        contiguous_strides(shape)


def stack_strides(shape: tuple, operands, d: int) -> tuple:
    """torch's ``stack`` result layout: ``cat`` along ``d`` viewed with the new dimension
    split off (``d`` below the inputs' rank), else ``cat`` of the inputs unsqueezed last."""
    k = shape[d]
    if d < len(shape) - 1:
        joined = shape[:d] + (k * shape[d + 1],) + shape[d + 2:]
        st = cat_strides(joined, operands)
        return st[:d] + (st[d] * shape[d + 1], st[d]) + st[d + 1:]
    return cat_strides(shape, [(sh + (1,), tuple(s) + (1,)) for sh, s in operands])


# --------------------------------------------------------------------------- arrays
def empty_strided(xp, shape: tuple, strides: tuple, np_dtype) -> np.ndarray:
    """An uninitialized array with these element strides over a buffer of its own."""
    shape = tuple(int(s) for s in shape)
    strided = as_strided if xp is np else _device_as_strided(xp)
    if strides == contiguous_strides(shape) or strided is None:
        return xp.empty(shape, dtype=np_dtype)
    item = np.dtype(np_dtype).itemsize
    if any(s == 0 for s in shape):
        return strided(xp.empty(1, dtype=np_dtype), shape, tuple(st * item for st in strides))
    extent = 1 + sum((s - 1) * st for s, st in zip(shape, strides))
    buf = xp.empty(extent, dtype=np_dtype)
    return strided(buf, shape, tuple(st * item for st in strides))


def _device_as_strided(xp):
    """A device array module's ``lib.stride_tricks.as_strided`` (CuPy has it), or None."""
    tricks = getattr(getattr(xp, "lib", None), "stride_tricks", None)
    return getattr(tricks, "as_strided", None)


def elem_strides(a) -> tuple:
    return tuple(int(s) // a.itemsize for s in a.strides)


def copy_as(a, strides: tuple, xp=np, np_dtype=None):
    """A copy of ``a`` (cast to ``np_dtype``) laid out with ``strides``."""
    out = empty_strided(xp, a.shape, strides, np_dtype or a.dtype)
    out[...] = a
    return out


def preserve_copy(a, xp=np, np_dtype=None):
    """``clone()`` / ``to()``'s copy: ``a``'s layout kept as torch keeps it."""
    return copy_as(a, preserved_strides(a.shape, elem_strides(a)), xp, np_dtype)


def iterates_unsorted(a) -> bool:
    """Whether torch's TensorIterator may lay a pointwise result out otherwise than
    row-major for an operand ``a`` that NumPy calls C-contiguous, when the operands are not
    all of one shape (a Python number or broadcasting): NumPy's flag (and torch's
    ``is_contiguous``) ignore the strides of size-1 dimensions and of empty arrays, but the
    iterator's sort reads them (``(3, 1)`` strides ``(1, 6)`` times 2 is ``(1, 3)``). False
    when the strides, read outermost first (zeros skipped), never grow, and equal strides
    never put a larger dimension inside a smaller one: the sort keeps row-major then (a
    sufficient test; ``as_iterated`` decides exactly when it fails)."""
    shape = a.shape
    if 1 not in shape and 0 not in shape:
        return False
    strides = a.strides
    prev, prev_n = 0, 0
    for n, s in zip(shape, strides):
        if s:
            if prev and (s > prev or s == prev and n > prev_n):
                return True
            prev, prev_n = s, n
    return False


def _array_of(a):
    """A tensor's array, or ``a`` itself (a number, or a sparse tensor's storage: one that
    is no NumPy array and lays nothing out)."""
    try:
        return getattr(a, "_data", a)
    except Exception:  # (a sparse storage refuses what NumPy asks of it)
        return a


def as_iterated(res, operands):
    """A pointwise result ``res`` laid out as torch's TensorIterator lays it out (``res``
    itself when NumPy's order-K layout already is that; else a copy): ``operands``, the
    inputs (tensors or their arrays) in argument order (Python numbers count as 0-d inputs)."""
    if type(res) is not np.ndarray or not res.ndim:
        return res
    operands = [a if type(a) is np.ndarray else _array_of(a) for a in operands]
    if res.flags.c_contiguous and all(type(a) is np.ndarray and a.shape == res.shape and
                                      a.flags.c_contiguous for a in operands):
        return res  # (same-shaped row-major inputs: a row-major result)
    ops = [(a.shape, elem_strides(a)) if type(a) is np.ndarray else ((), ()) for a in operands]
    want = iterator_strides(res.shape, ops)
    if elem_strides(res) == want:
        return res
    return copy_as(res, want)


def as_layout(res, strides: tuple):
    """``res`` itself when its element strides are ``strides``, else a copy laid out so (a
    device array stays as its module made it). The one place a result is re-laid out: the
    rules are ``as_iterated`` (pointwise), ``as_preserved`` (``empty_like(input)``: clone,
    flip, sort, the scatters), ``as_row_major`` (kernels that allocate row-major)."""
    if type(res) is not np.ndarray or elem_strides(res) == tuple(strides):
        return res
    return copy_as(res, tuple(strides))


def as_preserved(res, like):
    """``res`` laid out as torch's ``empty_like(like)`` (preserve_format) lays it out."""
    if type(like) is not np.ndarray or like.flags.c_contiguous and not (
            1 in like.shape or 0 in like.shape):
        return as_row_major(res)
    return as_layout(res, preserved_strides(like.shape, elem_strides(like)))


def as_row_major(res):
    """``res`` row-major (torch's plain ``empty(sizes)`` result) on any array module."""
    if type(res) is not np.ndarray or res.flags.c_contiguous and not (
            1 in res.shape or 0 in res.shape):
        return res
    return as_layout(res, contiguous_strides(res.shape))


def as_suggested(res, like):
    """``res`` laid out as torch's ``empty(res.shape, memory_format=like.suggest_memory_format())``
    lays it out: channels-last (3d) when ``like`` (an array or tensor of ``res``'s rank) looks
    channels-last, else row-major. The kernels that allocate so: pooling, padding (constant,
    reflect, replicate), upsampling, batch / group norm, pixel and channel shuffles."""
    like = _array_of(like)
    if type(res) is not np.ndarray or type(like) is not np.ndarray:
        return res
    if like.ndim in (4, 5) and res.ndim == like.ndim and \
            _channels_last_strides_heuristic(like.shape, elem_strides(like)):
        return as_layout(res, channels_last_strides(res.shape))
    return as_row_major(res)


def as_dense(res):
    """``res`` as a pointwise op's result over it alone (torch's ``expanded / n``): itself
    when non-overlapping and dense, else a copy dense in the order its strides give (an
    expanded array's copy is row-major)."""
    if type(res) is not np.ndarray or not res.ndim:
        return res
    strides = elem_strides(res)
    if non_overlapping_and_dense(res.shape, strides):
        return res
    return copy_as(res, iterator_strides(res.shape, [(res.shape, strides)]))


def relaid(t, arr_rule, *args):
    """The fresh result tensor ``t`` (of a forward or backward formula made of engine ops)
    laid out by ``arr_rule(t._data, *args)`` (``as_suggested``, ``as_row_major``): the
    values stay; without history a new tensor, with history (``create_graph``) ``t`` itself
    re-laid out unless it is a view (then as it is). None stays None."""
    if t is None:
        return t
    arr = arr_rule(t._data, *args)
    if arr is t._data:
        return t
    if not t.requires_grad:
        from ..tensor import _wrap

        return _wrap(arr, t.dtype, t.device)
    if t._base is None:
        t._data = arr
    return t


# --------------------------------------------------------------------------- arguments
def check(fmt, fn: str):
    """``fmt`` as torch's binding reads a ``memory_format`` argument (None: the default)."""
    if fmt is None or isinstance(fmt, MemoryFormat):
        return fmt
    from .. import errors

    raise errors.EngineTypeError(f"{fn}(): argument 'memory_format' must be "
                                 f"torch.memory_format, not {type(fmt).__name__}")


def check_rank(fmt: MemoryFormat, ndim: int) -> None:
    from .. import errors

    if fmt is channels_last and ndim != 4:
        raise errors.EngineRuntimeError("required rank 4 tensor to use channels_last format")
    if fmt is channels_last_3d and ndim != 5:
        raise errors.EngineRuntimeError(
            "required rank 5 tensor to use channels_last_3d format")


def is_contiguous_as(a, fmt) -> bool:
    """``is_contiguous(memory_format=fmt)`` of an array."""
    if fmt is channels_last or fmt is channels_last_3d:
        if a.ndim != (4 if fmt is channels_last else 5):
            return False
        return is_channels_last_contiguous(a.shape, elem_strides(a))
    return bool(a.flags.c_contiguous)


def suggest(a):
    """torch's ``suggest_memory_format()`` of an array."""
    if a.ndim == 4 and _channels_last_strides_heuristic(a.shape, elem_strides(a)):
        return channels_last
    if a.ndim == 5 and _channels_last_strides_heuristic(a.shape, elem_strides(a)):
        return channels_last_3d
    return contiguous_format


def copy_in(a, fmt, xp=np, np_dtype=None):
    """A copy of ``a`` laid out as ``fmt`` asks (None / preserve_format: as torch preserves)."""
    if fmt is None or fmt is preserve_format:
        return preserve_copy(a, xp, np_dtype)
    check_rank(fmt, a.ndim)
    if fmt is contiguous_format:
        out = xp.empty(a.shape, dtype=np_dtype or a.dtype)
        out[...] = a
        return out
    return copy_as(a, channels_last_strides(a.shape), xp, np_dtype)
