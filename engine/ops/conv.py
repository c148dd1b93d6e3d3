"""Convolutions (``torch.nn.functional.conv*``) and im2col (``unfold`` / ``fold``).

Every convolution is one ``convolution`` node (``ConvolutionBackward0``), as in torch. The
arrays are computed by im2col: a strided window view of the (padded) input, one copy into
columns, one matrix product per group (BLAS on NumPy). Its adjoint (col2im) adds the columns
back with one strided slice-add per kernel offset, never a loop over pixels.

The gradient of ``convolution`` is the op ``convolution_backward`` (recorded as
``ConvolutionBackwardBackward0`` under ``create_graph``); its own gradient is written with
``convolution`` and ``convolution_backward`` again, so derivatives of any order work.
"""

from __future__ import annotations

import math

import numpy as np

from .. import errors
from .._cpu import onednn_fp16
from ..autograd import needs_grad, record
from ..cost import charge, conv_cost
from ..dtypes import bool_
from ..modes import _grad_enabled, check_numel
from ..tensor import Tensor, _wrap
from .registry import op


# --------------------------------------------------------------------------- array kernels
def as_strided(xp, arr, shape: tuple, strides: tuple):
    """A view of ``arr`` with the given shape and byte strides (NumPy and CuPy alike)."""
    return xp.lib.stride_tricks.as_strided(arr, shape=shape, strides=strides)


def windows(xp, arr, ksize: tuple, stride: tuple, dilation: tuple, out_len: tuple):
    """The sliding windows of ``arr`` ``(N, C, *S)`` as a view ``(N, C, *L, *K)``."""
    st = arr.strides
    nd = len(ksize)
    shape = arr.shape[:2] + tuple(out_len) + tuple(ksize)
    strides = st[:2] + tuple(st[2 + i] * stride[i] for i in range(nd)) + \
        tuple(st[2 + i] * dilation[i] for i in range(nd))
    return as_strided(xp, arr, shape, strides)


def pad_array(xp, arr, before: tuple, after: tuple | None = None, value=0):
    """``arr`` ``(N, C, *S)`` padded on its spatial axes (a copy only when there is padding)."""
    after = before if after is None else after
    if not any(before) and not any(after):
        return arr
    widths = ((0, 0), (0, 0)) + tuple(zip(before, after, strict=True))
    return xp.pad(arr, widths, mode="constant", constant_values=value)


def col2im(xp, cols, spatial: tuple, stride: tuple, padding: tuple, dilation: tuple,
           right: tuple | None = None):
    """The adjoint of the window view: ``cols`` ``(N, C, *K, *L)`` summed into ``(N, C,
    *spatial)`` (every window adds into the positions it covers; padding, ``padding`` on the
    left and ``right`` (default: the same) on the right, is cropped)."""
    nd = len(spatial)
    n, c = cols.shape[:2]
    ksize = cols.shape[2:2 + nd]
    out_len = cols.shape[2 + nd:]
    right = padding if right is None else right
    padded = tuple(spatial[i] + padding[i] + right[i] for i in range(nd))
    out = xp.zeros((n, c) + padded, dtype=cols.dtype)
    for k in np.ndindex(*ksize):
        where = tuple(slice(k[i] * dilation[i], k[i] * dilation[i] + stride[i] *
                            (out_len[i] - 1) + 1, stride[i]) for i in range(nd))
        out[(slice(None), slice(None)) + where] += cols[(slice(None), slice(None)) + k]
    if any(padding) or any(right):
        out = out[(slice(None), slice(None)) +
                  tuple(slice(padding[i], padding[i] + spatial[i]) for i in range(nd))]
    return out


def _prod(xs) -> int:
    return math.prod(int(x) for x in xs)


def _columns(xp, x, ksize, stride, padding, dilation, out_len, groups):
    """im2col: ``x`` ``(N, C, *S)`` as columns ``(N, G, Q, L)`` (Q = C/G * prod(K),
    L = prod(out_len)); one copy of the strided window view."""
    nd = len(ksize)
    n, c = x.shape[:2]
    win = windows(xp, pad_array(xp, x, padding), ksize, stride, dilation, out_len)
    q = c // groups * _prod(ksize)
    length = _prod(out_len)
    check_numel((n, groups, q, length))
    win = win.reshape((n, groups, c // groups) + tuple(out_len) + tuple(ksize))
    lens = tuple(range(3, 3 + nd))
    ks = tuple(range(3 + nd, 3 + 2 * nd))
    return win.transpose((0, 1, 2) + ks + lens).reshape(n, groups, q, length)


def conv_forward(xp, x, w, stride, padding, dilation, groups, out_len, keep=None):
    """Cross-correlation ``(N, C, *S) * (O, C/G, *K) -> (N, O, *out_len)``. ``keep``: a list
    that gets the im2col columns when they are a copy (not a view of ``x``) of at most
    ``KEEP_COLUMNS`` elements."""
    n = x.shape[0]
    o = w.shape[0]
    cols = _columns(xp, x, w.shape[2:], stride, padding, dilation, out_len, groups)
    if keep is not None and cols.size <= KEEP_COLUMNS and not np.may_share_memory(cols, x):
        keep.append(cols)
    out = xp.matmul(w.reshape(groups, o // groups, -1), cols)
    return out.reshape((n, o) + tuple(out_len))


def conv_forward_skipping_padding(xp, x, w, stride, padding, dilation, groups, out_len):
    """``conv_forward`` where the padding is skipped rather than multiplied (oneDNN's
    direct convolution): an infinite or NaN weight meets no padded zero, so no ``0 * inf``.
    The kernel offsets where a weight is not finite are left out of the product (neither
    their weights nor their inputs take part: no ``0 * inf`` with an infinite input there);
    their products are added at real input positions only."""
    n, o = x.shape[0], w.shape[0]
    og = o // groups
    cols = _columns(xp, x, w.shape[2:], stride, padding, dilation, out_len, groups)
    wn = w.reshape(groups, og, -1)
    finite = xp.isfinite(wn)
    if bool(xp.isfinite(x).all()):  # the zeroed weights meet finite inputs only
        out = xp.matmul(xp.where(finite, wn, 0), cols)
        hot_o = ~finite
        gi, oi, qi = xp.nonzero(hot_o)
        if gi.size:
            ones = xp.ones((1,) + x.shape[1:], dtype=x.dtype)
            real = _columns(xp, ones, w.shape[2:], stride, padding, dilation, out_len,
                            groups) != 0
            with np.errstate(invalid="ignore", over="ignore"):
                terms = cols[:, gi, qi, :] * wn[gi, oi, qi][None, :, None]
            terms = xp.where(real[:, gi, qi, :], terms, 0)
            flat = out.reshape(n, o, -1)
            xp.add.at(flat, (slice(None), gi * og + oi), terms)
        return out.reshape((n, o) + tuple(out_len))
    hot = ~finite.all(axis=1)  # (G, Q): offsets with a non-finite weight
    out = xp.matmul(xp.where(hot[:, None, :], 0, wn), xp.where(hot[None, :, :, None], 0, cols))
    gi, qi = xp.nonzero(hot)
    if gi.size:
        ones = xp.ones((1,) + x.shape[1:], dtype=x.dtype)
        real = _columns(xp, ones, w.shape[2:], stride, padding, dilation, out_len, groups) != 0
        with np.errstate(invalid="ignore", over="ignore"):
            terms = cols[:, gi, qi, :][:, :, None, :] * wn[gi, :, qi][None, :, :, None]
        terms = xp.where(real[:, gi, qi, :][:, :, None, :], terms, 0)
        xp.add.at(out, (slice(None), gi), terms)
    return out.reshape((n, o) + tuple(out_len))


def conv_input_grad(xp, g, w, spatial, stride, padding, dilation, groups):
    """The adjoint of ``conv_forward`` in its input: ``(N, O, *L) -> (N, C, *spatial)``."""
    n, o = g.shape[:2]
    out_len = g.shape[2:]
    ksize = w.shape[2:]
    og = o // groups
    check_numel((n, w.shape[1] * groups, _prod(ksize), _prod(out_len)))
    wt = w.reshape(groups, og, -1).transpose(0, 2, 1)
    if xp is np and n > 1:
        return _input_grad_batch_inner(g, wt, w.shape[1] * groups, ksize, spatial, stride,
                                       padding, dilation)
    cols = xp.matmul(wt, g.reshape(n, groups, og, -1))
    cols = cols.reshape((n, w.shape[1] * groups) + tuple(ksize) + tuple(out_len))
    # (contiguous, as torch's: col2im crops its padded sum to a view)
    return xp.ascontiguousarray(col2im(xp, cols, tuple(spatial), stride, padding, dilation))


def _input_grad_batch_inner(g, wt, c: int, ksize, spatial, stride, padding, dilation):
    """``conv_input_grad`` on NumPy with the batch as the columns' innermost axis: one product
    per group over the whole batch, ``(C/G*K, O/G) @ (O/G, L*N)``, then col2im's slice-adds in
    the same order (kernel offsets in turn, from zeros) but each over ``out_len[-1] * N``
    contiguous elements instead of ``out_len[-1]`` (LeNet's second convolution: 25 adds of
    3,840 inner loops of 10 elements each, ~80 % of its input gradient, became 60 loops of 640).
    The columns are the same dot products over O/G; BLAS may round a few of them in another
    last bit for the other shape (as a batch size does in torch's kernels)."""
    n, groups, og = g.shape[0], wt.shape[0], wt.shape[2]
    nd = len(spatial)
    out_len = tuple(g.shape[2:])
    length = _prod(out_len)
    gb = np.ascontiguousarray(g.reshape(n, groups, og, length).transpose(1, 2, 3, 0))
    cols = np.matmul(wt, gb.reshape(groups, og, length * n))  # (G, C/G * K, L * N)
    cols = cols.reshape((c, _prod(ksize)) + out_len + (n,))
    padded = tuple(spatial[i] + 2 * padding[i] for i in range(nd))
    out = np.zeros((c,) + padded + (n,), dtype=cols.dtype)
    for i, k in enumerate(np.ndindex(*ksize)):
        where = tuple(slice(k[d] * dilation[d], k[d] * dilation[d] + stride[d] *
                            (out_len[d] - 1) + 1, stride[d]) for d in range(nd))
        out[(slice(None),) + where] += cols[:, i]
    if any(padding):
        out = out[(slice(None),) + tuple(slice(padding[d], padding[d] + spatial[d])
                                         for d in range(nd))]
    return np.ascontiguousarray(np.moveaxis(out, -1, 0))


def input_grad_tail_products(xp, gi, g, w, spatial, stride, padding, dilation, groups):
    """oneDNN's backward-data with a stride that does not divide the input's last extent:
    along that axis it also multiplies the weight by the zeros of the gradient's border, for
    every input position a stride-aligned tap reaches outside the output, so an infinite or
    NaN weight puts NaN there (``0 * inf``). Only those NaN are added to ``gi``."""
    s, pad, k = stride[-1], padding[-1], w.shape[-1]
    size, length = spatial[-1], g.shape[-1]
    before = max(0, -((pad - k + 1) // s))
    last = (size - 1 + pad) // s
    after = max(0, last + 1 - length)
    if not before and not after:
        return gi
    widths = ((0, 0),) * (g.ndim - 1) + ((before, after),)
    ge = xp.pad(g, widths)
    n, o = ge.shape[:2]
    og = o // groups
    wt = w.reshape(groups, og, -1).transpose(0, 2, 1)
    with np.errstate(invalid="ignore"):
        cols = xp.matmul(wt, ge.reshape(n, groups, og, -1))
    cols = cols.reshape((n, w.shape[1] * groups) + tuple(w.shape[2:]) + tuple(ge.shape[2:]))
    left = tuple(padding[:-1]) + (pad + before * s,)
    reach = (ge.shape[-1] - 1) * s + k
    right = tuple(padding[:-1]) + (max(0, reach - size - left[-1]),)
    wide = col2im(xp, cols, tuple(spatial), stride, left, dilation, right)
    return xp.where(xp.isnan(wide) & ~xp.isnan(gi), wide, gi)


def conv_weight_grad(xp, x, g, ksize, stride, padding, dilation, groups, cols=None):
    """The adjoint of ``conv_forward`` in its weight: ``sum_n g[n] @ cols[n]^T`` (one product
    per sample: BLAS reads the columns transposed, no second copy). ``cols``: ``x``'s im2col
    columns when already at hand (the forward's)."""
    n, o = g.shape[:2]
    out_len = g.shape[2:]
    if cols is None:
        cols = _columns(xp, x, ksize, stride, padding, dilation, out_len, groups)
    gw = xp.matmul(g.reshape(n, groups, o // groups, -1), cols.swapaxes(-1, -2)).sum(axis=0)
    return gw.reshape((o, x.shape[1] // groups) + tuple(ksize))


def conv_weight_grad_skipping_padding(xp, x, g, ksize, stride, padding, dilation, groups):
    """``conv_weight_grad`` as oneDNN computes it: the zero padding of ``x`` takes no part (a
    non-finite ``g`` meets no padded zero). The output positions where ``g`` is not finite are
    left out of the product and added at real input positions only."""
    n, o = g.shape[:2]
    og = o // groups
    cols = _columns(xp, x, ksize, stride, padding, dilation, g.shape[2:], groups)
    gg = g.reshape(n, groups, og, -1)
    hot = ~xp.isfinite(gg).all(axis=2)  # (N, G, L)
    gw = xp.matmul(xp.where(hot[:, :, None, :], 0, gg),
                   xp.where(hot[:, :, None, :], 0, cols).swapaxes(-1, -2)).sum(axis=0)
    ni, gi, li = xp.nonzero(hot)
    if ni.size:
        ones = xp.ones((1,) + x.shape[1:], dtype=x.dtype)
        real = _columns(xp, ones, ksize, stride, padding, dilation, g.shape[2:], groups) != 0
        with np.errstate(invalid="ignore", over="ignore"):
            terms = gg[ni, gi, :, li][:, :, None] * cols[ni, gi, :, li][:, None, :]
        terms = xp.where(real[0, gi, :, li][:, None, :], terms, 0)
        xp.add.at(gw, gi, terms)
    return gw.reshape((o, x.shape[1] // groups) + tuple(ksize))


KEEP_COLUMNS = 1 << 21
"""The most elements of im2col columns a convolution keeps from its forward for its weight
gradient (8 MiB of float32; LeNet's at batch 64: 1.25M and 0.96M): above it the backward makes
them again, as it does for any convolution whose weight does not require grad. (Kept columns
count against a run's memory grant: a small bound keeps a deep net of small convolutions near
what torch holds.)"""


class _Columns:
    """A forward's im2col columns kept for the weight gradient, with a copy of the input they
    were made from. The backward takes them only while the saved input's values are bitwise
    still those: torch's kernel reads the input as it is at backward time, and a change that
    its version counter does not see (through ``.data``, or a saved-tensor hook's unpacked
    tensor) must show in the gradient as it does there."""

    __slots__ = ("x", "cols")

    def __init__(self, x, cols):
        self.x, self.cols = x.copy(), cols

    def get(self, x):
        snap = self.x
        if type(x) is not np.ndarray or x.shape != snap.shape or x.dtype != snap.dtype:
            return None
        bits = np.dtype(f"u{x.itemsize}")
        return self.cols if np.array_equal(x.view(bits), snap.view(bits)) else None


# --------------------------------------------------------------------------- arguments
def expand_param(value, name: str, k: int, *, fn: str | None = None,
                 pos: int | None = None) -> tuple:
    """An int or a sequence of ints as a k-tuple (torch's ``expand_param_if_needed``); with
    ``pos`` (torch.convolution's unsized ``int[]`` arguments) a plain int is refused."""
    where = f"{fn or 'convolution'}(): argument '{name}'" + (
        f" (position {pos})" if pos else "")
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, list, tuple)) or (
            pos and isinstance(value, (int, np.integer))):
        if isinstance(value, Tensor):
            value = value.tolist()
        else:
            raise errors.EngineTypeError(
                f"{where} must be tuple of ints, not {type(value).__name__}")
    if isinstance(value, (int, np.integer)):
        return (int(value),) * k
    items = list(value)
    for v in items:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise errors.EngineTypeError(
                f"{where} must be tuple of ints, but found element of type "
                f"{type(v).__name__} at pos {items.index(v)}")
    if len(items) == 1:
        return (int(items[0]),) * k
    if len(items) != k:
        raise errors.EngineRuntimeError(
            f"expected {name} to be a single integer value or a list of {k} values to match "
            f"the convolution dimensions, but got {name}={list(items)}")
    return tuple(int(v) for v in items)


def _int_list(value, name: str, pos: int):
    """``torch.convolution``'s ``int[]`` arguments: a list or tuple of ints, never one int."""
    if not isinstance(value, (list, tuple)):
        raise errors.EngineTypeError(f"convolution(): argument '{name}' (position {pos}) must "
                                     f"be tuple of ints, not {type(value).__name__}")
    for i, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise errors.EngineTypeError(
                f"convolution(): argument '{name}' (position {pos}) must be tuple of ints, but "
                f"found element of type {type(v).__name__} at pos {i}")
    return value


def _int_arg(value, name: str, fn: str, pos: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        where = f" (position {pos})" if pos else ""
        raise errors.EngineTypeError(
            f"{fn}(): argument '{name}'{where} must be int, not {type(value).__name__}")
    return int(value)


def _shape(t: Tensor) -> str:
    return "[" + ", ".join(str(s) for s in t._data.shape) + "]"


def _check_tensor(t, name: str, fn: str, pos: int) -> None:
    if not isinstance(t, Tensor):
        raise errors.EngineTypeError(errors.MUST_BE_TENSOR.format(
            op=fn, arg=name, pos=pos, type=type(t).__name__))


def _uses_onednn(input: Tensor, weight: Tensor, groups: int, transposed: bool = False,
                 output_padding=(), stride=()) -> bool:
    """Whether torch's CPU convolution picks its oneDNN backend for these arguments (half
    always; float when grouped, batched, large or with a kernel over 3x3; never a transposed
    one with an output padding as large as its stride). That backend checks the parameters'
    dtypes first and words the error its own way. Modelled on a multi-threaded torch; half
    only where oneDNN has float16 kernels on this CPU (engine._cpu.onednn_fp16)."""
    if transposed and any(o >= s for o, s in zip(output_padding, stride, strict=True)):
        return False
    name = input.dtype.name
    if name != "float32":
        return name == "float16" and onednn_fp16()
    xs, ws = input._data.shape, weight._data.shape
    if len(xs) == 3:  # 1-D runs as 2-D with a height of 1
        xs, ws = xs[:2] + (1,) + xs[2:], ws[:2] + (1,) + ws[2:]
    return (groups > 1 or (ws[-1] > 3 and ws[-2] > 3) or xs[0] > 1 or
            math.prod(xs[:4]) > 20480)


def _legacy_type(t: Tensor) -> str:
    """torch's legacy tensor type name (``torch.FloatTensor``; ``CPUBoolType`` for bool)."""
    dt = t.dtype
    return "CPUBoolType" if dt is bool_ else f"torch.{dt.scalar_name}Tensor"


def _dtype_mismatch(input: Tensor, other: Tensor) -> errors.EngineRuntimeError:
    return errors.EngineRuntimeError(
        f"expected scalar type {input.dtype.scalar_name} but found "
        f"{other.dtype.scalar_name}")


_NO_SLOW_KERNEL = ("bool", "int32", "int16", "int8", "uint8")  # (torch's slow kernels: no)


def _check_dtypes(input: Tensor, weight: Tensor, bias, transposed: bool, groups: int,
                  stride: tuple, padding: tuple, output_padding: tuple,
                  dilation: tuple = ()) -> None:
    """torch's dtype checks of ``convolution``, in its order: the backend's own (oneDNN:
    weight then bias; the transposed native kernels refuse bool/int first)."""
    nd = weight._data.ndim - 2
    name = input.dtype.name
    if transposed and name in _NO_SLOW_KERNEL:  # the transposed kernels dispatch first
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel=f"slow_conv_transpose{max(nd, 2)}d_out_cpu", dtype=input.dtype.scalar_name))
    if _uses_onednn(input, weight, groups, transposed, output_padding, stride):
        for t, what in ((weight, "weight"), (bias, "bias")):
            if t is not None and t.dtype is not input.dtype:
                raise errors.EngineRuntimeError(
                    f"Input type ({_legacy_type(input)}) and {what} type ({_legacy_type(t)}) "
                    f"should be the same or input should be a MKLDNN tensor and {what} is a "
                    "dense tensor")
        return
    if not transposed and any(d > 1 for d in dilation) and name in _NO_SLOW_KERNEL:
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="slow_conv_dilated<>", dtype=input.dtype.scalar_name))
    if name == "bool":
        kernel = "slow_conv2d_cpu"
        if nd == 3:
            pointwise = (groups == 1 and all(k == 1 for k in weight._data.shape[2:]) and
                         all(s == 1 for s in stride) and all(p == 0 for p in padding))
            kernel = "slow_conv3d_cpu" if pointwise else "compute_columns3d"
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel=kernel, dtype="Bool"))
    if weight.dtype is not input.dtype:
        raise _dtype_mismatch(input, weight)
    if transposed and bias is not None and bias.dtype is not input.dtype:
        if nd == 3:
            raise _dtype_mismatch(input, bias)
        # the 1-D/2-D kernels add the bias into the result in place
        if not input.dtype.is_floating_point and bias.dtype.is_floating_point:
            raise errors.EngineRuntimeError(
                f"result type {bias.dtype.scalar_name} can't be cast to the desired "
                f"output type {input.dtype.scalar_name}")
    for t in (weight, bias):
        if t is not None and t.device != input.device:
            raise errors.EngineRuntimeError(
                errors.DEVICE_MISMATCH.format(a=input.device, b=t.device))


def _check_shapes(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                  groups):
    ws = weight._data.shape
    wtxt = _shape(weight)
    k = input._data.ndim
    if any(p < 0 for p in padding):
        raise errors.EngineRuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise errors.EngineRuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise errors.EngineRuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise errors.EngineRuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise errors.EngineRuntimeError("non-positive groups is not supported")
    if len(ws) != k:
        raise errors.EngineRuntimeError(
            f"Expected {len(ws)}-dimensional input for {len(ws)}-dimensional weight {wtxt}, "
            f"but got {k}-dimensional input of size {_shape(input)} instead")
    if ws[0] < groups:
        raise errors.EngineRuntimeError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, "
            f"but got weight of size {wtxt} instead")
    if ws[0] % groups:
        raise errors.EngineRuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension "
            f"0, but got weight of size [{wtxt}] instead")
    c = input._data.shape[1]
    if not transposed:
        if c != ws[1] * groups:
            raise errors.EngineRuntimeError(
                f"Given groups={groups}, weight of size {wtxt}, expected input{_shape(input)} "
                f"to have {ws[1] * groups} channels, but got {c} channels instead")
        if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != ws[0]):
            raise errors.EngineRuntimeError(
                f"Given weight of size {wtxt}, expected bias to be 1-dimensional with {ws[0]} "
                f"elements, but got bias of size {_shape(bias)} instead")
        spatial = input._data.shape[2:]
        padded = [spatial[i] + 2 * padding[i] for i in range(len(spatial))]
        kernel = [dilation[i] * (ws[2 + i] - 1) + 1 for i in range(len(spatial))]
        if any(p < q for p, q in zip(padded, kernel, strict=True)):
            raise errors.EngineRuntimeError(
                f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                f"Kernel size: ({' x '.join(map(str, kernel))}). Kernel size can't be greater "
                "than actual input size")
    else:
        if c != ws[0]:
            raise errors.EngineRuntimeError(
                f"Given transposed=1, weight of size {wtxt}, expected input{_shape(input)} to "
                f"have {ws[0]} channels, but got {c} channels instead")
        if bias is not None and (bias._data.ndim != 1 or
                                 bias._data.shape[0] != ws[1] * groups):
            raise errors.EngineRuntimeError(
                f"Given transposed=1, weight of size {wtxt}, expected bias to be 1-dimensional "
                f"with {ws[1] * groups} elements, but got bias of size {_shape(bias)} instead")


def _output_padding_error(output_padding, stride, dilation):
    nd = len(stride)
    if nd == 1:  # torch runs a transposed 1-D convolution as a 2-D one
        output_padding, stride, dilation = (0,) + output_padding, (1,) + stride, \
            (1,) + dilation
        nd = 2
    names = {2: ("_height", "_width"), 3: ("_depth", "_height", "_width")}[nd]
    parts = [f"output_padding{n}: {v}" for n, v in zip(names, output_padding, strict=True)]
    parts += [f"stride{n}: {v}" for n, v in zip(names, stride, strict=True)]
    parts += [f"dilation{n}: {v}" for n, v in zip(names, dilation, strict=True)]
    return errors.EngineRuntimeError(
        "output padding must be smaller than either stride or dilation, but got "
        + " ".join(parts))


def _out_len(spatial, ksize, stride, padding, dilation, transposed, output_padding):
    if transposed:
        return tuple((spatial[i] - 1) * stride[i] - 2 * padding[i] + dilation[i] *
                     (ksize[i] - 1) + output_padding[i] + 1 for i in range(len(spatial)))
    return tuple((spatial[i] + 2 * padding[i] - dilation[i] * (ksize[i] - 1) - 1) //
                 stride[i] + 1 for i in range(len(spatial)))


# --------------------------------------------------------------------------- the op
class _Params(tuple):
    """stride, padding, dilation, transposed, output_padding, groups (saved for backward)."""

    __slots__ = ()

    stride = property(lambda self: self[0])
    padding = property(lambda self: self[1])
    dilation = property(lambda self: self[2])
    transposed = property(lambda self: self[3])
    output_padding = property(lambda self: self[4])
    groups = property(lambda self: self[5])


def _forward_array(xp, x, w, p: _Params, keep=None):
    spatial = x.shape[2:]
    ksize = w.shape[2:]
    out_len = _out_len(spatial, ksize, p.stride, p.padding, p.dilation, p.transposed,
                       p.output_padding)
    check_numel(x.shape[:1] + ((w.shape[1] * p.groups) if p.transposed else w.shape[0],)
                + out_len)
    if p.transposed:
        return conv_input_grad(xp, x, w, out_len, p.stride, p.padding, p.dilation, p.groups)
    return conv_forward(xp, x, w, p.stride, p.padding, p.dilation, p.groups, out_len, keep)


def _direct_float_kernel(input, weight, groups, padding, dilation) -> bool:
    """Whether oneDNN's forward skips the padding: always for half; for float only without
    groups (or depthwise) and with no padding past the dilated kernel's reach (else the
    products with the padding are made, as measured against torch 2.13)."""
    if input.dtype.name == "float16":
        return onednn_fp16()
    ws = weight._data.shape
    if groups > 1 and not (ws[0] == groups and ws[1] == 1):
        return False
    return all(p <= (k - 1) * d for p, k, d in zip(padding, ws[2:], dilation, strict=True))


def _forward_skipping_padding(xp, x, w, p: _Params):
    """The forward as oneDNN computes it: the zero padding takes no part in the products (no
    ``0 * inf = NaN`` where an infinite weight meets it)."""
    out_len = _out_len(x.shape[2:], w.shape[2:], p.stride, p.padding, p.dilation, False,
                       p.output_padding)
    check_numel(x.shape[:1] + (w.shape[0],) + out_len)
    return conv_forward_skipping_padding(xp, x, w, p.stride, p.padding, p.dilation, p.groups,
                                         out_len)


def _layout_as_torch(xp, res, x, w, k: int):
    """The result laid out channels-last when the input's or the weight's layout suggests it
    (torch's oneDNN / native kernels follow either operand), else as computed."""
    from . import memory_format as mf

    if xp is not np:
        return res
    # (measured against torch 2.13: 2-D float32/float64 and 3-D float32 follow channels-last;
    # 3-D float64 runs the slow kernel, always contiguous)
    if (k == 2 and res.dtype in (np.float32, np.float64)) or (k == 3 and
                                                             res.dtype == np.float32):
        want = mf.channels_last if k == 2 else mf.channels_last_3d
        if mf.suggest(x) is want or mf.suggest(w) is want:
            return mf.copy_in(res, want)
    if not res.flags.c_contiguous:  # (a transposed convolution's result is a cropped view)
        return np.ascontiguousarray(res)
    return res


@op(kind="function", grad_fns=("ConvolutionBackward0",))
def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                groups):
    """``torch.convolution``: the N-d (transposed) convolution every ``conv*`` calls."""
    for t, name, pos in ((input, "input", 1), (weight, "weight", 2)):
        _check_tensor(t, name, "convolution", pos)
    if bias is not None:
        _check_tensor(bias, "bias", "convolution", 3)
    k = weight._data.ndim - 2
    if k <= 0:
        raise errors.EngineRuntimeError("weight should have at least three dimensions")
    stride = expand_param(_int_list(stride, "stride", 4), "stride", k)
    padding = expand_param(_int_list(padding, "padding", 5), "padding", k)
    dilation = expand_param(_int_list(dilation, "dilation", 6), "dilation", k)
    if not isinstance(transposed, (bool, np.bool_)):
        raise errors.EngineTypeError("convolution(): argument 'transposed' (position 7) must be "
                                     f"bool, not {type(transposed).__name__}")
    output_padding = expand_param(_int_list(output_padding, "output_padding", 8),
                                  "output_padding", k)
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise errors.EngineTypeError("convolution(): argument 'groups' (position 9) must be "
                                     f"int, not {type(groups).__name__}")
    groups = int(groups)
    transposed = bool(transposed)
    _check_shapes(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                  groups)
    if transposed:
        if any(op_ >= s and op_ >= d for op_, s, d in zip(output_padding, stride, dilation,
                                                         strict=True)):
            raise _output_padding_error(output_padding, stride, dilation)
        out_len = _out_len(input._data.shape[2:], weight._data.shape[2:], stride, padding,
                           dilation, True, output_padding)
        if any(n < 1 for n in out_len):
            raise errors.EngineRuntimeError(
                f"Given input size per channel: "
                f"({' x '.join(map(str, input._data.shape[2:]))}). Calculated output size per "
                f"channel: ({' x '.join(map(str, out_len))}). Output size is too small")
    _check_dtypes(input, weight, bias, transposed, groups, stride, padding, output_padding,
                  dilation)
    spatial = input._data.shape[2:] if transposed else _out_len(
        input._data.shape[2:], weight._data.shape[2:], stride, padding, dilation, False,
        output_padding)
    charge("convolution", conv_cost(input._data.shape[0] * math.prod(spatial),
                                    weight._data.size))
    params = _Params((stride, padding, dilation, transposed, output_padding, groups))
    xp = input.device.xp
    memo = None
    if (not transposed and any(padding) and _uses_onednn(input, weight, groups) and
            _direct_float_kernel(input, weight, groups, padding, dilation) and
            not bool(xp.isfinite(weight._data).all())):
        res = _forward_skipping_padding(xp, input._data, weight._data, params)
    else:
        # (the columns are kept for a weight gradient on NumPy: its backward need not make
        # them again)
        keep = [] if (xp is np and not transposed and input._data.dtype.itemsize in (2, 4, 8)
                      and _grad_enabled.get() and needs_grad(weight)) else None
        res = _forward_array(xp, input._data, weight._data, params, keep)
        if keep:
            memo = _Columns(input._data, keep[0])
    if bias is not None:
        # a bias of another dtype is cast into the result's (torch's native kernels copy it
        # into the output first: a float bias truncates into an integer result)
        res += bias._data.reshape((-1,) + (1,) * k).astype(res.dtype, copy=False)
    res = _layout_as_torch(xp, res, input._data, weight._data, k)
    out = _wrap(res, input.dtype, input.device)
    if needs_grad(input, weight, bias):
        if not input.dtype.is_floating_point:  # an integer result of a float bias with grad
            raise errors.EngineRuntimeError(
                f"Autograd not support dtype: {input.dtype.scalar_name}")
        record(out, "ConvolutionBackward0", _convolution_rule, (input, weight, bias),
               (input, weight, params, memo), per_input=False)
    return out


def _convolution_rule(g, needs, input, weight, params, memo=None):
    return convolution_backward(g, input, weight, params, needs, memo)


def convolution_backward(grad_output: Tensor, input: Tensor, weight: Tensor, params: _Params,
                         output_mask=(True, True, True), memo: _Columns | None = None) -> tuple:
    """Gradients of ``convolution`` for input, weight and bias (None where not asked for).

    It is itself an op: under ``create_graph`` it records ``ConvolutionBackwardBackward0``."""
    xp = grad_output.device.xp
    g, x, w = grad_output._data, input._data, weight._data
    p = params
    gi = gw = gb = None
    if output_mask[0]:
        if p.transposed:
            # float: oneDNN's general kernel (no groups) and its depthwise one skip the
            # padding; other grouped ones run natively
            depthwise = w.shape[0] == p.groups and w.shape[1] == 1
            skip = (any(p.padding) and
                    (p.groups == 1 or depthwise or input.dtype.name == "float16") and
                    _uses_onednn(input, weight, p.groups, True, p.output_padding, p.stride)
                    and not bool(xp.isfinite(w).all()))
            gi = (conv_forward_skipping_padding if skip else conv_forward)(
                xp, g, w, p.stride, p.padding, p.dilation, p.groups, x.shape[2:])
        else:
            gi = conv_input_grad(xp, g, w, x.shape[2:], p.stride, p.padding, p.dilation,
                                 p.groups)
            if (p.stride[-1] > 1 and all(d == 1 for d in p.dilation) and
                    x.shape[-1] % p.stride[-1] and
                    (p.groups == 1 or input.dtype.name == "float16") and
                    _uses_onednn(input, weight, p.groups) and
                    not bool(xp.isfinite(w).all())):
                gi = input_grad_tail_products(xp, gi, g, w, x.shape[2:], p.stride,
                                              p.padding, p.dilation, p.groups)
    if output_mask[1]:
        if p.transposed:
            depthwise = w.shape[0] == p.groups and w.shape[1] == 1
            # float: one both dilated and strided along a leading axis runs natively
            # (multiplying the padding)
            native = any(d > 1 and s > 1 for d, s in zip(p.dilation[:-1], p.stride[:-1],
                                                         strict=True))
            skip = (any(p.padding) and (input.dtype.name == "float16" or (
                        (p.groups == 1 or depthwise) and not native)) and
                    _uses_onednn(input, weight, p.groups, True, p.output_padding, p.stride)
                    and not bool(xp.isfinite(x).all()))
            gw = (conv_weight_grad_skipping_padding if skip else conv_weight_grad)(
                xp, g, x, w.shape[2:], p.stride, p.padding, p.dilation, p.groups)
        else:
            gw = conv_weight_grad(xp, x, g, w.shape[2:], p.stride, p.padding, p.dilation,
                                  p.groups, None if memo is None else memo.get(x))
    if len(output_mask) > 2 and output_mask[2]:
        gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
    dt, dev = grad_output.dtype, grad_output.device
    outs = tuple(None if a is None else _wrap(a, dt, dev) for a in (gi, gw, gb))
    if (gi is not None or gw is not None or gb is not None) and _grad_enabled.get() and \
            needs_grad(grad_output, input, weight):
        # (torch's three outputs, an undefined one keeping its number)
        record(outs, "ConvolutionBackwardBackward0", _double_rule,
               (grad_output, input, weight), (grad_output, input, weight, params),
               per_input=False)
    return outs


def _double_rule(grads, needs, g, x, w, p):
    """Gradient of ``convolution_backward``: ``ggi``, ``ggw``, ``ggb`` are the gradients of
    its outputs. ``F(x, w)`` is bilinear, so: grad_output gets ``F(ggi, w) + F(x, ggw) +
    ggb``; input gets ``F_x^T`` of grad_output with weight ``ggw``; weight gets ``F_w^T`` of
    grad_output with input ``ggi``."""
    ggi, ggw, ggb = grads
    args = (p.stride, p.padding, p.dilation, p.transposed, p.output_padding, p.groups)
    d_g = d_x = d_w = None
    if needs[0]:
        if ggi is not None:
            d_g = convolution(ggi, w, ggb, *args)
            ggb = None
        if ggw is not None:
            term = convolution(x, ggw, ggb, *args)
            d_g = term if d_g is None else d_g + term
        elif ggb is not None:
            shape = (1, -1) + (1,) * (g._data.ndim - 2)
            d_g = ggb.reshape(shape).expand(g._data.shape)
    if needs[1] and ggw is not None:
        d_x = convolution_backward(g, x, ggw, p, (True, False, False))[0]
    if needs[2] and ggi is not None:
        d_w = convolution_backward(g, ggi, w, p, (False, True, False))[1]
    return d_g, d_x, d_w


# --------------------------------------------------------------------------- conv1d/2d/3d
def _check_bias_dtype(input: Tensor, bias) -> None:
    """conv1d/2d/3d's own check, before anything else (torch.convolution and the transposed
    ones lack it)."""
    if isinstance(bias, Tensor) and bias.dtype is not input.dtype:
        raise errors.EngineRuntimeError(
            f"Input type ({input.dtype.c_name}) and bias type "
            f"({bias.dtype.c_name}) should be the same")


def _conv_nd(name: str, nd: int, transposed: bool, input, weight, bias, stride, padding,
             dilation, groups, output_padding=0):
    _check_tensor(input, "input", name, 1)
    _check_tensor(weight, "weight", name, 2)
    if not transposed:
        _check_bias_dtype(input, bias)
    n = input._data.ndim
    if n not in (nd + 1, nd + 2):
        raise errors.EngineRuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got "
            f"input of size: {_shape(input)}")
    batched = n == nd + 2
    if not batched:
        input = input.unsqueeze(0)
    fn = name
    stride = expand_param(stride, "stride", nd, fn=fn)
    dilation = expand_param(dilation, "dilation", nd, fn=fn)
    groups = _int_arg(groups, "groups", fn)
    if transposed:
        padding = expand_param(padding, "padding", nd, fn=fn)
        output_padding = expand_param(output_padding, "output_padding", nd, fn=fn)
    else:
        output_padding = (0,) * nd
        padding = _conv_padding(padding, nd, stride, dilation, weight, fn)
        if isinstance(padding, list):  # asymmetric 'same': pad the input explicitly
            input = constant_pad(input, padding[1])
            padding = padding[0]
    out = convolution(input, weight, bias, stride, padding, dilation, transposed,
                      output_padding, groups)
    return out if batched else out.squeeze(0)


def _conv_padding(padding, nd, stride, dilation, weight, fn):
    if not isinstance(padding, str):
        return expand_param(padding, "padding", nd, fn=fn)
    if padding == "valid":
        return (0,) * nd
    if padding != "same":
        raise errors.EngineRuntimeError(f"Invalid padding string: '{padding}'")
    if any(s != 1 for s in stride):
        raise errors.EngineRuntimeError(
            "padding='same' is not supported for strided convolutions")
    ks = weight._data.shape[2:]
    total = [dilation[i] * (ks[i] - 1) if i < len(ks) else 0 for i in range(nd)]
    left = tuple(t // 2 for t in total)
    if all(t % 2 == 0 for t in total):
        return left
    extra = []  # F.pad order: last dim first, (before, after) pairs
    for i in reversed(range(nd)):
        extra += [0, total[i] - 2 * left[i]]
    return [left, extra]


@op(kind="function", grad_fns=("ConvolutionBackward0",))
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation) over ``(N, C, L)`` or ``(C, L)``; ``padding`` may be
    an int, a tuple, ``'valid'`` or ``'same'``."""
    return _conv_nd("conv1d", 1, False, input, weight, bias, stride, padding, dilation, groups)


@op(kind="function", grad_fns=("ConvolutionBackward0",))
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) over ``(N, C, H, W)`` or ``(C, H, W)``; ``padding``
    may be an int, a tuple, ``'valid'`` or ``'same'``."""
    return _conv_nd("conv2d", 2, False, input, weight, bias, stride, padding, dilation, groups)


@op(kind="function", grad_fns=("ConvolutionBackward0",))
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution (cross-correlation) over ``(N, C, D, H, W)`` or ``(C, D, H, W)``."""
    return _conv_nd("conv3d", 3, False, input, weight, bias, stride, padding, dilation, groups)


@op(kind="function", grad_fns=("ConvolutionBackward0",))
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """1-D transposed convolution (the gradient of conv1d with respect to its input)."""
    return _conv_nd("conv_transpose1d", 1, True, input, weight, bias, stride, padding,
                    dilation, groups, output_padding)


@op(kind="function", grad_fns=("ConvolutionBackward0",))
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """2-D transposed convolution (the gradient of conv2d with respect to its input)."""
    return _conv_nd("conv_transpose2d", 2, True, input, weight, bias, stride, padding,
                    dilation, groups, output_padding)


@op(kind="function", grad_fns=("ConvolutionBackward0",))
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """3-D transposed convolution (the gradient of conv3d with respect to its input)."""
    return _conv_nd("conv_transpose3d", 3, True, input, weight, bias, stride, padding,
                    dilation, groups, output_padding)


def constant_pad(input: Tensor, pad: list, value=0) -> Tensor:
    """Constant padding in ``F.pad`` order (last dim first; negative amounts crop), recorded as
    torch's ``ConstantPadNdBackward0`` (``padding='same'`` with an even kernel uses it)."""
    nd = len(pad) // 2
    before = [0] * input._data.ndim
    after = [0] * input._data.ndim
    for i in range(nd):
        before[-1 - i], after[-1 - i] = pad[2 * i], pad[2 * i + 1]
    xp = input.device.xp
    arr = input._data[tuple(slice(max(-b, 0), s - max(-a, 0)) for b, a, s in
                            zip(before, after, input._data.shape, strict=True))]
    res = xp.pad(arr, tuple((max(b, 0), max(a, 0)) for b, a in zip(before, after, strict=True)),
                 mode="constant", constant_values=value)
    out = _wrap(res, input.dtype, input.device)
    if needs_grad(input):
        back = [-p for p in pad]
        record(out, "ConstantPadNdBackward0", (lambda g: constant_pad(g, back),), (input,))
    return out


# --------------------------------------------------------------------------- unfold / fold
def _pair(value, name: str, fn: str) -> tuple:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * 2
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return expand_param(value, name, 2, fn=fn)
    if isinstance(value, (list, tuple)):
        raise errors.EngineRuntimeError(
            f"It is expected {name} equals to 2, but got size {len(value)}")
    raise errors.EngineTypeError(
        f"{fn}(): argument '{name}' must be tuple of ints, not {type(value).__name__}")


def _fold_args(fn, kernel_size, dilation, padding, stride):
    ks = _pair(kernel_size, "kernel_size", fn)
    dil = _pair(dilation, "dilation", fn)
    pad = _pair(padding, "padding", fn)
    st = _pair(stride, "stride", fn)
    if any(k <= 0 for k in ks):
        raise errors.EngineRuntimeError(
            f"kernel size should be greater than zero, but got kernel_height: {ks[0]} "
            f"kernel_width: {ks[1]}")
    if any(s <= 0 for s in st):
        raise errors.EngineRuntimeError(
            f"stride should be greater than zero, but got stride_height: {st[0]} "
            f"stride_width: {st[1]}")
    if any(d <= 0 for d in dil):
        raise errors.EngineRuntimeError(
            f"dilation should be greater than zero, but got dilation_height: {dil[0]} "
            f"dilation_width: {dil[1]}")
    if any(p < 0 for p in pad):
        raise errors.EngineRuntimeError(
            f"padding should be non-negative, but got pad_height: {pad[0]} pad_width: "
            f"{pad[1]}")
    return ks, dil, pad, st


def _not_floating(kernel: str, t: Tensor):
    return errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
        kernel=kernel, dtype=t.dtype.scalar_name))


@op(kind="function", grad_fns=("Im2ColBackward0",))
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """``F.unfold`` (im2col): sliding blocks of ``(N, C, H, W)`` (or ``(C, H, W)``) as columns
    ``(N, C * prod(kernel_size), L)``."""
    _check_tensor(input, "input", "unfold", 1)
    ks, dil, pad, st = _fold_args("im2col", kernel_size, dilation, padding, stride)
    n = input._data.ndim
    if n < 3:
        raise errors.EngineIndexError(errors.DIM_RANGE.format(lo=-max(n, 1), hi=max(n, 1) - 1,
                                                              dim=n))
    if n not in (3, 4) or input._data.shape[-3] == 0 and n == 3 or \
            n == 4 and _prod(input._data.shape[1:]) == 0:
        raise errors.EngineRuntimeError(
            f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
            f"non-zero dimensions for input, but got: {_shape(input)}")
    if not input.dtype.is_floating_point and input.dtype.name != "bool":  # (bool computes)
        raise _not_floating("im2col_out_cpu", input)
    batched = n == 4
    x = input._data if batched else input._data[None]
    spatial = x.shape[2:]
    out_len = tuple((spatial[i] + 2 * pad[i] - (dil[i] * (ks[i] - 1) + 1)) // st[i] + 1
                    for i in range(2))
    if any(v < 1 for v in out_len):
        raise errors.EngineRuntimeError(
            f"Given input with spatial size ({spatial[0]}, {spatial[1]}), kernel_size=({ks[0]}, "
            f"{ks[1]}), dilation=({dil[0]}, {dil[1]}), padding=({pad[0]}, {pad[1]}), "
            f"calculated shape of the array of sliding blocks as ({out_len[0]}, {out_len[1]}), "
            "but its components must be at least one.")
    xp = input.device.xp
    cols = _columns(xp, x, ks, st, pad, dil, out_len, 1)
    res = cols.reshape(x.shape[0], -1, _prod(out_len))
    out = _wrap(res if batched else res[0], input.dtype, input.device)
    if needs_grad(input):
        size = tuple(spatial)
        record(out, "Im2ColBackward0", (lambda g: fold(g, size, ks, dil, pad, st),), (input,))
    return out


@op(kind="function", grad_fns=("Col2ImBackward0",))
def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """``F.fold`` (col2im): sums columns ``(N, C * prod(kernel_size), L)`` (or unbatched) into
    ``(N, C, *output_size)``; the adjoint of ``unfold``."""
    _check_tensor(input, "input", "fold", 1)
    size = _pair(output_size, "output_size", "col2im")
    ks, dil, pad, st = _fold_args("col2im", kernel_size, dilation, padding, stride)
    n = input._data.ndim
    if n not in (2, 3) or n == 3 and _prod(input._data.shape[1:]) == 0 or \
            n == 2 and input._data.shape[0] == 0:
        raise errors.EngineRuntimeError(
            f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {_shape(input)}")
    if not input.dtype.is_floating_point and input.dtype.name != "bool":  # (bool computes)
        raise _not_floating("col2im_out_cpu", input)
    batched = n == 3
    cols = input._data if batched else input._data[None]
    kk = ks[0] * ks[1]
    if cols.shape[1] % kk:
        raise errors.EngineRuntimeError(
            f"Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={cols.shape[1]} and kernel_size=({ks[0]}, "
            f"{ks[1]}).")
    out_len = tuple((size[i] + 2 * pad[i] - (dil[i] * (ks[i] - 1) + 1)) // st[i] + 1
                    for i in range(2))
    if out_len[0] * out_len[1] != cols.shape[2]:
        raise errors.EngineRuntimeError(
            f"Given output_size=({size[0]}, {size[1]}), kernel_size=({ks[0]}, {ks[1]}), "
            f"dilation=({dil[0]}, {dil[1]}), padding=({pad[0]}, {pad[1]}), stride=({st[0]}, "
            f"{st[1]}), expected size of input's dimension 2 to match the calculated number "
            f"of sliding blocks {out_len[0]} * {out_len[1]} = {out_len[0] * out_len[1]}, but "
            f"got input.size(2)={cols.shape[2]}.")
    c = cols.shape[1] // kk
    check_numel((cols.shape[0], c) + tuple(size))
    xp = input.device.xp
    res = col2im(xp, cols.reshape((cols.shape[0], c) + ks + out_len), size, st, pad, dil)
    out = _wrap(res if batched else res[0], input.dtype, input.device)
    if needs_grad(input):
        record(out, "Col2ImBackward0", (lambda g: unfold(g, ks, dil, pad, st),), (input,))
    return out


__all__ = ["convolution", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
           "conv_transpose2d", "conv_transpose3d", "unfold", "fold"]
