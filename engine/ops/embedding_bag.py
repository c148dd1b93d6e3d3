"""``torch.nn.functional.embedding_bag`` (table op ``embedding_bag``): sums, means or maxima of
bags of ``weight`` rows, the bags given by ``offsets`` into a 1-D ``input`` (or the rows of a
2-D one), with ``per_sample_weights`` (mode sum), ``padding_idx`` (entries skipped),
``include_last_offset``, ``max_norm`` and ``scale_grad_by_freq``; checks and texts as
torch's (its Python wrapper's, then ATen's). One ``EmbeddingBagBackward0`` node; the weight
gradient under ``create_graph`` with per-sample weights is ``EmbeddingBagBackwardBackward0``
and the per-sample weights' gradient refuses a second derivative as torch's
(``NotImplemented``)."""

from __future__ import annotations

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..dtypes import TYPE_NAMES
from ..tensor import Tensor, _wrap
from .decompositions import _host
from .nn import _renorm_rows
from .registry import op


def _index_type(t: Tensor) -> None:
    if t.dtype.name not in ("int64", "int32"):
        raise errors.EngineRuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got torch.{TYPE_NAMES[t.dtype]} instead (while checking "
            "arguments for embedding_bag)")


def _bags(idx: np.ndarray, offsets: np.ndarray, include_last: bool):
    """``(starts, ends)`` of each bag (checked as torch checks the offsets)."""
    n = idx.shape[0]
    off = offsets.astype(np.int64)
    if off.size and off[0] != 0:
        raise errors.EngineRuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
            f"from position 0. However, got {int(off[0])}\n[ torch.LongTensor{{}} ]")
    if off.size and off[-1] > n:
        raise errors.EngineRuntimeError(
            f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of "
            f"{int(off[-1])}")
    if off.size > 1 and (np.diff(off) < 0).any():
        raise errors.EngineRuntimeError(
            "Expected i < index_size to be true, but got false.  (Could this error message be "
            "improved?  If so, please report an enhancement request to PyTorch.)")
    if include_last:  # the last offset ends no bag: torch's bag sizes run the last to the end
        off = off[:-1]
    return off, np.append(off[1:], n)


def _fast_kernel(weight: Tensor, psw, padding_idx) -> bool:
    """Whether torch's CPU sum/mean kernel takes its fast path (a float32 or float16 weight of
    unit stride along dim 1, unit-stride per-sample weights, no ``padding_idx``): that path
    sums each bag between two offsets, so with ``include_last_offset`` the indices after the
    last offset are left out of the sum (still counted in a mean's divisor), where the general
    path (float64, ``padding_idx``, mode max) adds them to the last bag."""
    if weight.dtype.name not in ("float32", "float16") or padding_idx is not None:
        return False
    if weight._data.shape[1] > 1 and weight.stride(1) != 1:
        return False
    return psw is None or psw._data.size <= 1 or psw.stride(0) == 1


@op(kind="function", grad_fns=("EmbeddingBagBackward0",))
def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """Reduce (sum, mean or max) bags of ``weight`` rows picked by ``input``: a 1-D input cut
    into bags at ``offsets``, or each row of a 2-D input a bag; ``per_sample_weights`` scales
    each row (sum only); ``padding_idx`` entries are left out."""
    psw = per_sample_weights
    if psw is not None and tuple(input.shape) != tuple(psw.shape):
        raise errors.EngineValueError(
            f"embedding_bag: If per_sample_weights ({psw.shape}) is not None, then it must "
            f"have the same shape as the input ({input.shape})")
    if weight._data.ndim != 2:
        raise errors.EngineValueError(
            f"weight has to be a 2D Tensor, but got Tensor of dimension {weight._data.ndim}")
    if input._data.ndim == 2:
        if offsets is not None:
            kind = "<class 'torch.Tensor'>" if isinstance(offsets, Tensor) else \
                str(type(offsets))
            raise errors.EngineValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{kind}")
        rows, width = input._data.shape
        include_last_offset = False  # (each row a bag: torch's wrapper drops the flag)
        off = np.arange(0, rows * width, width if width else 1, dtype=np.int64)[:rows]
        idx = _host(input.device.xp, input._data).reshape(-1)
        if psw is not None:
            psw = psw.reshape(-1)
        psw_arr = None if psw is None else _host(psw.device.xp, psw._data)
    elif input._data.ndim == 1:
        if offsets is None:
            raise errors.EngineValueError("offsets has to be a 1D Tensor but got None")
        if offsets._data.ndim != 1:
            raise errors.EngineValueError("offsets has to be a 1D Tensor")
        _index_type(offsets)
        off = _host(offsets.device.xp, offsets._data)
        idx = _host(input.device.xp, input._data)
        psw_arr = None if psw is None else _host(psw.device.xp, psw._data)
    else:
        raise errors.EngineValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input._data.ndim}")
    if mode not in ("sum", "mean", "max"):
        raise errors.EngineValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise errors.EngineValueError(
            "max mode does not support scaling the gradient by the frequency")
    if sparse:
        if mode == "max":
            raise errors.EngineValueError("max mode does not support sparse weights")
        raise errors.NotSupported("embedding_bag(sparse=True) is not supported: there are no "
                                  "sparse gradients")
    _index_type(input)
    if weight.dtype.name not in ("float16", "float32", "float64"):
        # (torch names an integer type by its legacy tensor class, bool by its CPU type)
        cpu = {"int64": "torch.LongTensor", "int32": "torch.IntTensor",
               "int16": "torch.ShortTensor", "int8": "torch.CharTensor",
               "uint8": "torch.ByteTensor", "bool": "CPUBoolType"}
        raise errors.EngineRuntimeError(
            "Expected tensor for argument #1 'weight' to have one of the following scalar "
            f"types: Half, BFloat16, Float, Double; but got {cpu[weight.dtype.name]} instead "
            "(while checking arguments for embedding_bag)")
    num = weight._data.shape[0]
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    if psw is not None and mode != "sum":
        raise errors.KernelNotImplemented(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub.")
    if psw is not None and psw.dtype is not weight.dtype:
        raise errors.EngineRuntimeError(
            f"Expected tensor for argument #1 'weight' to have the same type as tensor for "
            f"argument #1 'per_sample_weights'; but type torch.{TYPE_NAMES[weight.dtype]} does not "
            f"equal torch.{TYPE_NAMES[psw.dtype]} (while checking arguments for embedding_bag)")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise errors.EngineRuntimeError(
                f"padding_idx must be within the number of embeddings, -{num} through "
                f"{num - 1}, but got {padding_idx}")
        if padding_idx < 0:
            padding_idx += num
    starts, ends = _bags(idx, off, bool(include_last_offset))
    cut = idx.size  # (positions from ``cut`` on are left out of the sum)
    if include_last_offset and mode != "max" and _fast_kernel(weight, psw, padding_idx):
        cut = int(off[-1])
    bad = np.nonzero((idx < 0) | (idx >= num))[0]
    if bad.size and needs_grad(weight, psw):  # (the kernel that records checks with this)
        raise errors.EngineRuntimeError(
            "embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be "
            f"{int(idx[bad[0]])}")
    if bad.size:
        raise errors.EngineIndexError(
            f"Index {int(bad[0])} of input takes value {int(idx[bad[0]])} which is not in the "
            f"valid range [0, {num})")
    xp = weight.device.xp
    w = _host(xp, weight._data)
    dim = w.shape[1]
    keep = np.ones(idx.shape, dtype=bool) if padding_idx is None else idx != padding_idx
    bag_of = np.repeat(np.arange(starts.size), ends - starts)
    pos = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends, strict=True)]) \
        if starts.size else np.zeros(0, dtype=np.int64)
    pos, bag_of = pos[keep[pos]], bag_of[keep[pos]]
    counts = np.bincount(bag_of, minlength=starts.size)  # torch's bag sizes
    if mode == "sum":  # its gradient past ``cut`` reads beyond grad's end: ours is the sum's
        pos, bag_of = pos[pos < cut], bag_of[pos < cut]
    rows = w[idx[pos]]
    if mode != "max" and w.dtype == np.float16:  # (torch sums half rows in float32)
        rows = rows.astype(np.float32)
    if psw_arr is not None:
        rows = rows * np.asarray(psw_arr, dtype=rows.dtype)[pos, None]
    out = np.zeros((starts.size, dim), dtype=rows.dtype)
    argmax = None
    if mode == "max":
        argmax = np.full((starts.size, dim), -1, dtype=np.int64)
        for k in range(pos.size):  # in order: the first row, then a strictly larger value
            b, r = bag_of[k], rows[k]  # (a NaN is taken only as the first: torch's ``>``)
            first = argmax[b] < 0
            take = first | (r > out[b])
            out[b] = np.where(take, r, out[b])
            argmax[b] = np.where(take, idx[pos[k]], argmax[b])
    else:
        summed = pos < cut  # (a mean's gradient still reaches every row it counted)
        np.add.at(out, bag_of[summed], rows[summed])
        out = out.astype(w.dtype, copy=False)
        if mode == "mean":
            out = out / np.maximum(counts, 1).astype(w.dtype)[:, None]
    result = _wrap(xp.asarray(out), weight.dtype, weight.device)
    inputs = (weight, psw)  # (torch's node: an edge for per_sample_weights, even absent)
    if needs_grad(*inputs):
        scale = _freq_scale(idx, num)[idx[pos]] if scale_grad_by_freq else None
        bag_info = (pos, bag_of, counts, argmax, idx, num, mode, scale, psw_arr)

        def rule(g, needs):
            gw = _weight_grad(g, weight, psw, bag_info) if needs[0] else None
            gp = _psw_grad(g, weight, psw, bag_info) if needs[1] else None
            return gw, gp

        # (saved by torch's node: the indices and offsets, per_sample_weights when given, the
        # weight for per_sample_weights' gradient)
        record(result, "EmbeddingBagBackward0", rule, inputs, per_input=False,
               jvp=_no_forward_ad, guards=(input, offsets, psw) + (
                   (weight,) if needs_grad(psw) else ()))
    return result


def _freq_scale(idx: np.ndarray, num: int) -> np.ndarray:
    """scale_grad_by_freq's factor for each weight row, as torch 2.13's CPU kernel computes
    it: it walks the sorted indices by their distinct values, and for the u-th distinct value
    divides by the count of the u-th *sorted index* (not of the value itself), so a row's
    factor is 1/count only while the two agree ([0, 1, 1, 2, 0]: rows 0 and 1 get 1/2, row 2
    1/2 too, though it appears once). Measured against torch on sum and mean bags, 1-D with
    offsets and 2-D input."""
    factor = np.ones(num, dtype=np.float64)
    if not idx.size:
        return factor
    counts = np.bincount(idx, minlength=num)
    ordered = np.sort(idx)
    distinct = np.unique(idx)
    factor[distinct] = 1.0 / counts[ordered[:distinct.size]]
    return factor


def _no_forward_ad(tangents):
    raise errors.KernelNotImplemented(
        "Trying to use forward AD with _embedding_bag that does not support it because it has "
        "not been implemented yet.\nPlease file an issue to PyTorch at "
        "https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so that we "
        "can prioritize its implementation or submit a PR adding the implementation to "
        "derivatives.yaml")


def _weight_grad(g: Tensor, weight: Tensor, psw, info) -> Tensor:
    pos, bag_of, counts, argmax, idx, num, mode, scale, _ = info
    xp = g.device.xp
    ga = np.asarray(g._data)
    dim = ga.shape[-1]
    res = np.zeros((num, dim), dtype=ga.dtype)
    if mode == "max":
        for b in range(argmax.shape[0]):
            sel = argmax[b] >= 0
            np.add.at(res, (argmax[b][sel], np.nonzero(sel)[0]), ga[b][sel])
    else:
        contrib = ga[bag_of]
        factor = np.ones(pos.size, dtype=ga.dtype)
        if mode == "mean":
            factor = factor / np.maximum(counts[bag_of], 1)
        if scale is not None:
            factor = factor * scale
        if psw is not None:
            factor = factor * np.asarray(psw._data).reshape(-1)[pos]
        np.add.at(res, idx[pos], contrib * factor[:, None].astype(ga.dtype))
    out = _wrap(xp.asarray(res), g.dtype, g.device)
    if psw is not None and needs_grad(g, psw):
        def rule(gg, needs):
            gga = np.asarray(gg._data)
            rows = gga[idx[pos]]
            gg_g = None
            if needs[0]:
                arr = np.zeros(ga.shape, dtype=ga.dtype)
                np.add.at(arr, bag_of, rows * np.asarray(psw._data).reshape(-1)[pos, None])
                gg_g = _wrap(xp.asarray(arr), g.dtype, g.device)
            gg_p = None
            if needs[1]:
                arr = np.zeros(psw._data.size, dtype=ga.dtype)
                arr[pos] = (rows * ga[bag_of]).sum(-1)
                gg_p = _wrap(xp.asarray(arr.reshape(psw._data.shape)), psw.dtype, psw.device)
            return gg_g, gg_p

        record(out, "EmbeddingBagBackwardBackward0", rule, (g, psw), per_input=False)
    return out


def _psw_grad(g: Tensor, weight: Tensor, psw: Tensor, info) -> Tensor:
    pos, bag_of, *_ = info
    idx = info[4]
    xp = g.device.xp
    ga = np.asarray(g._data)
    w = np.asarray(weight._data)
    arr = np.zeros(psw._data.size, dtype=ga.dtype)
    arr[pos] = (ga[bag_of] * w[idx[pos]]).sum(-1)
    out = _wrap(xp.asarray(arr.reshape(psw._data.shape)), psw.dtype, psw.device)
    if needs_grad(g, weight):
        def refuse(gg):
            raise errors.EngineRuntimeError(
                "derivative for aten::_embedding_bag_per_sample_weights_backward is not "
                "implemented")

        record(out, "NotImplemented", (refuse, refuse), (g, weight))
    return out


__all__ = ["embedding_bag"]
