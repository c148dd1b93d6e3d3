"""Fractional max pooling (``F.fractional_max_pool2d`` / ``3d``, torch's
``fractional_max_pool2d_with_indices``): max pooling with pseudo-random window starts.

As torch's kernel: for each plane (batch ``n``, channel ``c``) and each pooled dimension of
input size ``I``, output size ``O`` and window ``K``, the starts are
``int((i + u) * a) - int(u * a)`` for ``i < O - 1`` and ``I - K`` for the last, with
``a = (I - K) / (O - 1)`` and ``u`` that plane's sample, all computed in the input's dtype.
The 2-D kernel reads the width's sample from ``samples[n, c, 0]`` and the height's from
``[1]``; the 3-D one time, height, width from ``[0]``, ``[1]``, ``[2]``. Each window's maximum
is the first one in row-major order (the last NaN if any); an empty window gives ``-inf`` at
its start. The gradient adds into the maxima's places (``FractionalMaxPool{2,3}DBackward0``);
its own gradient gathers there (``...BackwardBackward0``). A zero or negative kernel gives
``-inf`` indexed at each window's start, as torch's kernel.

torch's ``F.fractional_max_pool2d`` is a boolean dispatch on ``return_indices`` to
``_fractional_max_pool2d`` or ``fractional_max_pool2d_with_indices``: the table's function
dispatches the same way, so Python's own argument errors name those functions. The checks
come in torch's order: its Python wrapper's (output size, samples drawn), its argument
parser's, then the kernel's (rank, empty planes, window fit, the output's size, the samples'
dtype, rank, batch, channels, width, the input's dtype).

Without ``_random_samples`` the samples are drawn as torch's Python draws them,
``rand(N, C, nd)`` in the input's dtype, from the session's generator (the engine's generator is
not torch's Mersenne Twister, so only given samples reproduce torch's windows)."""

from __future__ import annotations

import inspect

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..dtypes import int64
from ..modes import check_numel
from ..tensor import Tensor, _wrap
from .pooling import scatter_op
from .registry import op

_DIM_NAMES = {2: ("height", "width"), 3: ("time", "height", "width")}


def _int_tuple(value, nd: int, what: str, fn: str) -> tuple:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * nd
    vals = tuple(int(v) for v in value)
    if len(vals) == 1:
        return vals * nd
    if len(vals) != nd:
        raise errors.EngineRuntimeError(
            f"{fn}: {what} must either be a single Int or tuple of Ints")
    return vals


def _host(t: Tensor):
    """``t``'s values as a host array (a device array is copied)."""
    xp = t.device.xp
    return xp.asnumpy(t._data) if xp is not np and hasattr(xp, "asnumpy") else t._data


def _starts(samples: np.ndarray, size: int, out: int, k: int, dt) -> np.ndarray:
    """The window starts of one dimension for every plane: (N, C, out) int64."""
    u = samples.astype(dt, copy=False)
    res = np.empty(u.shape + (out,), dtype=np.int64)
    if out > 1:
        alpha = dt.type(size - k) / dt.type(out - 1)
        i = np.arange(out - 1).astype(dt)
        with np.errstate(all="ignore"):
            a = ((i + u[..., None]) * alpha).astype(np.float64)
            b = (u * alpha).astype(np.float64)[..., None]
        res[..., :out - 1] = np.trunc(a).astype(np.int64) - np.trunc(b).astype(np.int64)
    if out > 0:
        res[..., out - 1] = size - k
    return res


def _fractional_max(x: Tensor, nd: int, ks: tuple, out_size: tuple, samples):
    fn = f"fractional_max_pool{nd}d"
    prefix = f"{fn}()" if nd == 2 else f"{fn}_out()"
    xp = x.device.xp
    arr = _host(x)  # (the windows are found on the host)
    if arr.ndim not in (nd + 1, nd + 2):
        raise errors.EngineRuntimeError(
            f"{prefix}: Expected {nd + 1}D or {nd + 2}D tensor, but got: {list(arr.shape)}")
    for d in range(1, arr.ndim):
        if arr.shape[d] == 0:
            raise errors.EngineRuntimeError(
                f"{prefix}: Expected input to have non-zero size for non-batch dimensions, "
                f"but got{list(arr.shape)} with dimension {d} being empty.")
    batched = arr.ndim == nd + 2
    a = arr if batched else arr[None]
    spatial = a.shape[2:]
    for name, o, k, size in zip(_DIM_NAMES[nd], out_size, ks, spatial, strict=True):
        if o + k - 1 > size or (nd == 3 and o + k - 1 == size):  # (3-D: strictly less)
            raise errors.EngineRuntimeError(
                f"{prefix}: pool {name} {k} too large relative to input {name} {size}")
    n, c = a.shape[:2]
    shape = ((n, c) if batched else (c,)) + tuple(out_size)
    if any(v < 0 for v in out_size):
        raise errors.EngineRuntimeError(
            f"Trying to create tensor with negative dimension {min(out_size)}: {list(shape)}")
    if samples.dtype is not x.dtype:
        raise errors.EngineRuntimeError(
            "Expect _random_samples to have the same dtype as input")
    sshape = samples._data.shape
    if len(sshape) != 3:
        raise errors.EngineRuntimeError(
            f"Expect _random_samples to have 3 dimensions, got {len(sshape)}")
    if sshape[0] < n:
        raise errors.EngineRuntimeError(
            "Expect _random_samples.size(0) no less then input batch size.")
    if sshape[1] != c:
        raise errors.EngineRuntimeError(
            "Expect _random_samples.size(1) equals to input channel size.")
    if sshape[2] != nd:
        raise errors.EngineRuntimeError(
            f"Expect _random_samples.size(2) equals to {nd}; got {sshape[2]}.")
    if not x.dtype.is_floating_point:
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel=f"fractional_max_pool{nd}d_out_frame", dtype=x.dtype.scalar_name))
    check_numel((n, c) + tuple(out_size))
    s = _host(samples)[:n]
    dt = arr.dtype
    order = (1, 0) if nd == 2 else (0, 1, 2)  # (which sample each dimension reads)
    starts = [_starts(s[..., order[d]], spatial[d], out_size[d], ks[d], dt)
              for d in range(nd)]
    if min(ks) <= 0 or n * c * int(np.prod(out_size)) == 0:
        # an empty window (or no windows): -inf, indexed at the window's start
        first = np.zeros((n, c) + tuple(out_size), dtype=np.int64)
        for d in range(nd):
            sh = [n, c] + [1] * nd
            sh[2 + d] = out_size[d]
            first = first * spatial[d] + starts[d].reshape(sh)
        values = np.full(first.shape, -np.inf, dtype=dt)
        which_index = first
    else:
        # flat plane index of every window element: (N, C, O_0..O_{nd-1}, K_0..K_{nd-1})
        index = np.zeros((n, c) + tuple(out_size) + tuple(ks), dtype=np.int64)
        for d in range(nd):
            sh = [n, c] + [1] * (2 * nd)
            sh[2 + d] = out_size[d]
            pos = starts[d].reshape(sh)
            kshape = [1] * (2 + 2 * nd)
            kshape[2 + nd + d] = ks[d]
            pos = pos + np.arange(ks[d]).reshape(kshape)
            index = index * spatial[d] + pos
        plane = a.reshape(n, c, -1)
        flat_index = index.reshape((n, c) + tuple(out_size) + (-1,))
        cand = np.take_along_axis(plane[..., None], flat_index.reshape(n, c, -1)[..., None],
                                  axis=2)[..., 0].reshape(flat_index.shape)
        which = np.argmax(cand, axis=-1)  # the first maximum; but the LAST NaN (torch)
        nan = np.isnan(cand)
        if bool(nan.any()):
            last = cand.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
            which = np.where(nan.any(axis=-1), last, which)
        values = np.take_along_axis(cand, which[..., None], axis=-1)[..., 0]
        which_index = np.take_along_axis(flat_index, which[..., None], axis=-1)[..., 0]
    if not batched:
        values, which_index = values[0], which_index[0]
    out = _wrap(xp.asarray(np.ascontiguousarray(values)), x.dtype, x.device)
    indices = _wrap(xp.asarray(np.ascontiguousarray(which_index)), int64, x.device)
    if needs_grad(x):
        back = f"FractionalMaxPool{nd}DBackwardBackward0"
        record(out, f"FractionalMaxPool{nd}DBackward0",
               (lambda g, x_, i_: scatter_op(g, x_, i_, nd, back, suggested=False),), (x,),
               (x, indices))
    return out, indices


def _attr(x, name: str, *args):
    """``x.name(*args)`` as torch's Python wrapper calls it (a non-tensor: Python's
    AttributeError)."""
    if not isinstance(x, Tensor):
        raise AttributeError(f"'{type(x).__name__}' object has no attribute '{name}'")
    return getattr(x, name)(*args)


def _ntuple(value, nd: int) -> tuple:
    """torch's ``_pair``/``_triple``: an iterable as a tuple, anything else repeated."""
    if isinstance(value, (str, list, tuple)) or hasattr(value, "__iter__"):
        return tuple(value)
    return (value,) * nd


def _with_indices(nd: int, input, kernel_size, output_size, output_ratio, _random_samples):
    """As torch's Python wrapper, in its order: the output size from ``output_ratio``, the
    samples drawn when not given; then the kernel's checks."""
    fn = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise errors.EngineValueError(
            f"{fn} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if nd == 2:  # (torch's len(): a number has none)
            if not hasattr(output_ratio, "__len__"):
                raise errors.EngineTypeError(
                    f"object of type '{type(output_ratio).__name__}' has no len()")
            if len(output_ratio) > 2:
                raise errors.EngineValueError(
                    "fractional_max_pool2d requires output_ratio to either be a single Int "
                    "or tuple of Ints.")
        ratio = _ntuple(output_ratio, nd)
        if len(ratio) < nd:
            raise errors.EngineIndexError("tuple index out of range")
        output_size = [int(_attr(input, "size", d - nd) * ratio[d]) for d in range(nd)]
    if _random_samples is None:
        from .creation import rand as rand_op

        n_batch = 1 if _attr(input, "dim") == nd + 1 else input.size(0)
        _random_samples = rand_op(n_batch, input.size(-nd - 1), nd, dtype=input.dtype,
                                  device=input.device)
    # (torch's argument parser: the arguments in order)
    if not isinstance(input, Tensor):
        raise errors.EngineTypeError(errors.MUST_BE_TENSOR.format(
            op=fn, arg="input", pos=1, type=type(input).__name__))
    ks = _int_tuple(kernel_size, nd, "kernel_size", fn)
    out_size = _int_tuple(output_size, nd, "output_size", fn)
    if not isinstance(_random_samples, Tensor):
        raise errors.EngineTypeError(errors.MUST_BE_TENSOR.format(
            op=fn, arg="random_samples", pos=4, type=type(_random_samples).__name__))
    return _fractional_max(input, nd, ks, out_size, _random_samples)


def _fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                           return_indices=False, _random_samples=None):
    """``fractional_max_pool2d``'s output alone (torch's name for the function its dispatcher
    calls when ``return_indices`` is false)."""
    return _with_indices(2, input, kernel_size, output_size, output_ratio, _random_samples)[0]


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None,
                                       output_ratio=None, return_indices=False,
                                       _random_samples=None):
    """``fractional_max_pool2d``'s (output, indices), whatever ``return_indices`` says."""
    return _with_indices(2, input, kernel_size, output_size, output_ratio, _random_samples)


def _fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                           return_indices=False, _random_samples=None):
    """``fractional_max_pool3d``'s output alone."""
    return _with_indices(3, input, kernel_size, output_size, output_ratio, _random_samples)[0]


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None,
                                       output_ratio=None, return_indices=False,
                                       _random_samples=None):
    """``fractional_max_pool3d``'s (output, indices), whatever ``return_indices`` says."""
    return _with_indices(3, input, kernel_size, output_size, output_ratio, _random_samples)


def _dispatch(if_false, if_true):
    """As torch's F: the call goes to ``if_true`` or ``if_false`` by the truth of
    ``return_indices`` (keyword, else the fifth positional argument), and Python binds the
    arguments there, so its argument errors name that function."""
    def dispatch(*args, **kwargs):
        if "return_indices" in kwargs:
            flag = kwargs["return_indices"]
        else:
            flag = args[4] if len(args) > 4 else False
        return (if_true if flag else if_false)(*args, **kwargs)
    dispatch.__signature__ = inspect.signature(if_false)
    return dispatch


def fractional_max_pool2d(*args, **kwargs):
    """2-D max pooling over windows of ``kernel_size`` whose starts step pseudo-randomly so the
    output is ``output_size`` (or ``output_ratio`` of the input); with ``return_indices`` also
    each maximum's flat index in its plane."""
    return _FMP2D(*args, **kwargs)


def fractional_max_pool3d(*args, **kwargs):
    """3-D fractional max pooling over ``(N, C, T, H, W)`` or ``(C, T, H, W)``."""
    return _FMP3D(*args, **kwargs)


_FMP2D = _dispatch(_fractional_max_pool2d, fractional_max_pool2d_with_indices)
_FMP3D = _dispatch(_fractional_max_pool3d, fractional_max_pool3d_with_indices)
fractional_max_pool2d.__signature__ = _FMP2D.__signature__
fractional_max_pool3d.__signature__ = _FMP3D.__signature__
op(kind="function", grad_fns=("FractionalMaxPool2DBackward0",))(fractional_max_pool2d)
op(kind="function", grad_fns=("FractionalMaxPool3DBackward0",))(fractional_max_pool3d)
