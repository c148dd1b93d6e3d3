"""``torch.nn.functional.scaled_dot_product_attention``: softmax(q kᵀ · scale + mask) v.

torch 2.13 on the CPU runs one of two kernels, and a program can tell which from the result's
``grad_fn``: the fused flash kernel (one ``ScaledDotProductFlashAttentionForCpuBackward0`` node,
whose gradient cannot be differentiated again) when the inputs are 4-D, have one head size,
matching batch and head counts, no dropout and no mask that requires grad; else the "math"
composition (scale, matmul, add the mask, safe softmax, dropout, matmul), whose chain of nodes is
that of its ops. Both are built here from the table's ops: the math path as torch composes it,
the flash path as one node over the same computation.
"""

from __future__ import annotations

import math

import numpy as np

from .. import errors
from .. import random as _random
from ..autograd import needs_grad, record
from ..autograd.engine import grad as autograd_grad
from ..autograd.engine import named_grad
from ..autograd.graph import FW_ACTIVE, OUTPUT
from ..dtypes import float16, float32, float64
from ..modes import _grad_enabled, set_grad_enabled
from ..random import current_generator
from ..tensor import Tensor, _wrap
from .nn import _quiet, _softmax_arrays
from .pointwise import exp_array, log_array
from .registry import op

_FLASH_NODE = "ScaledDotProductFlashAttentionForCpuBackward0"


def _safe_softmax(x: Tensor, dim: int) -> Tensor:
    """Softmax along ``dim`` with rows that are all ``-inf`` giving zeros instead of NaN
    (ATen's ``_safe_softmax``, node ``SafeSoftmaxBackward0``)."""
    xp = x.device.xp
    a = x._data
    with _quiet(xp):
        res = _softmax_arrays(xp, a, dim, False)
        dead = xp.all(a == -xp.inf, axis=dim, keepdims=True)
        if dead.any():
            res = xp.where(dead, xp.zeros((), dtype=res.dtype), res)
    out = _wrap(res.astype(x.dtype.np, copy=False), x.dtype, x.device)
    if needs_grad(x):
        record(out, "SafeSoftmaxBackward0",
               (named_grad("SoftmaxBackwardDataBackward0",
                           lambda g, y: y * (g - (g * y).sum(dim, keepdim=True))),),
               (x,), (OUTPUT,),
               jvp=lambda ts: out * (ts[0] - (ts[0] * out).sum(dim, keepdim=True)))
    return out


def _times_scalar(t: Tensor, factor: float) -> Tensor:
    """``t * factor`` recorded as ATen's ``mul(Tensor, Scalar)`` (``MulBackward1``)."""
    from .pointwise import mul_scalar

    return mul_scalar(t, factor)


def _check_inputs(query, key, value, attn_mask, dropout_p) -> None:
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise errors.EngineTypeError(
                f"scaled_dot_product_attention(): argument '{name}' (position "
                f"{('query', 'key', 'value').index(name) + 1}) must be Tensor, not "
                f"{type(t).__name__}")
    if not (query.dtype is key.dtype is value.dtype):
        raise errors.EngineRuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{query.dtype.c_name} key.dtype: {key.dtype.c_name} and "
            f"value.dtype: {value.dtype.c_name} instead.")
    if not (query.device == key.device == value.device):
        raise errors.EngineRuntimeError(
            "Expected query, key, and value to have the same device type, but got query.device: "
            f"{query.device} key.device: {key.device} and value.device: {value.device} instead.")
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise errors.EngineRuntimeError(
            "Expected query, key, and value to all be  at least 2 dimensional, but got "
            f"query.dim: {query.ndim} key.dim: {key.ndim} and value.dim: {value.ndim} instead.")
    if attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            raise errors.EngineTypeError(
                "scaled_dot_product_attention(): argument 'attn_mask' (position 4) must be "
                f"Tensor, not {type(attn_mask).__name__}")
        mdt = attn_mask.dtype
        if not (mdt.name == "bool" or mdt is float32 or mdt is query.dtype):
            raise errors.EngineRuntimeError(
                "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                f"attn_mask.dtype: {mdt.c_name} and  query.dtype: "
                f"{query.dtype.c_name} instead.")


def _gqa_heads(query: Tensor, key: Tensor, value: Tensor) -> int:
    """How many query heads share one key/value head (``enable_gqa``)."""
    hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
    if hq % hk or hq % hv:
        raise errors.EngineRuntimeError(
            "Number of heads in key and value must divide the number of heads in ")
    return hq // hk


def _uses_flash(query, key, value, attn_mask, dropout_p, enable_gqa) -> bool:
    """torch's CPU kernel choice (sdp_utils_cpp: use_flash_attention_cpp)."""
    if dropout_p > 0 or query.ndim != 4 or key.ndim != 4 or value.ndim != 4:
        return False
    if not query.dtype.is_floating_point:
        return False
    if not (query.shape[0] == key.shape[0] == value.shape[0]):
        return False
    hq, hk, hv = query.shape[1], key.shape[1], value.shape[1]
    if enable_gqa:
        if hk != hv or hq % hk:
            return False
    elif not hq == hk == hv:
        return False
    if attn_mask is not None:
        if _grad_enabled.get() and attn_mask.requires_grad:
            return False
        if attn_mask.ndim < 2:  # (torch reads the mask's size(-2) here)
            if attn_mask.ndim == 0:
                raise errors.EngineIndexError(
                    "Dimension specified as -2 but tensor has no dimensions")
            raise errors.EngineIndexError(
                "Dimension out of range (expected to be in range of [-1, 0], but got -2)")
        ms = attn_mask.shape
        if ms[-2] not in (1, query.shape[2]) or ms[-1] not in (1, key.shape[2]):
            return False
        if attn_mask.ndim == 4:
            if ms[0] not in (1, query.shape[0]) or ms[1] not in (1, query.shape[1]):
                return False
        elif attn_mask.ndim != 2:
            return False
    if not (query.shape[-1] == key.shape[-1] == value.shape[-1]):
        return False
    if query.shape[-2] == 0 or key.shape[-2] == 0:
        return False
    for t in (query, key, value):  # the fused kernel needs unit stride along the head size
        # (even of size 1: torch reads the stride as it is)
        if t.stride()[-1] != 1:
            return False
    return True


def _additive_mask(attn_mask, is_causal: bool, query: Tensor, key: Tensor):
    """The mask as a tensor added to the scores (``-inf`` where a bool mask is False; the causal
    lower triangle, aligned top left, as ``-inf`` above it), or None."""
    xp = query.device.xp
    L, S = query.shape[-2], key.shape[-2]
    causal = None
    if is_causal:
        causal = np.tril(np.ones((L, S), dtype=bool))
    if attn_mask is None:
        if causal is None:
            return None
        arr = np.where(causal, 0.0, -np.inf).astype(query.dtype.np)
        return _wrap(xp.asarray(arr), query.dtype, query.device)
    if attn_mask.dtype.name == "bool":
        keep = attn_mask._data
        if causal is not None:
            keep = keep & xp.asarray(causal)
        arr = xp.where(keep, query.dtype.np.type(0), query.dtype.np.type(-np.inf))
        return _wrap(arr.astype(query.dtype.np, copy=False), query.dtype, query.device)
    if causal is not None:
        tri = _wrap(xp.asarray(np.where(causal, 0.0, -np.inf).astype(attn_mask.dtype.np)),
                    attn_mask.dtype, attn_mask.device)
        return attn_mask + tri
    return attn_mask


def _attend(query, key, value, mask, dropout_p: float, scale, enable_gqa: bool) -> Tensor:
    """The math path, composed of ops as ATen composes it (so its nodes are torch's)."""
    e = query.shape[-1]
    factor = math.sqrt(scale if scale is not None else 1.0 / math.sqrt(e))
    if enable_gqa:
        for t in (query, key, value):
            if t.ndim < 3:
                raise errors.EngineIndexError(
                    f"Dimension out of range (expected to be in range of [-{t.ndim}, "
                    f"{t.ndim - 1}], but got -3)")
        groups = _gqa_heads(query, key, value)
        if groups > 1:
            key = key.repeat_interleave(groups, -3)
            value = value.repeat_interleave(query.shape[-3] // value.shape[-3], -3)
    if not query.dtype.is_floating_point:
        raise errors.EngineRuntimeError(
            f"expected scalar type Float but found {query.dtype.scalar_name}")
    half = query.dtype.name == "float16"  # ATen computes half in float on the CPU
    if half:
        query, key, value = (t.to(float32) for t in (query, key, value))
        if mask is not None and mask.dtype.name == "float16" and not mask.requires_grad:
            mask = mask.to(float32)
    q = _times_scalar(query, factor)
    scores = q @ _times_scalar(key.transpose(-2, -1), factor)
    if mask is not None:  # (in place, as ATen's: a mask of more dims cannot widen it)
        scores = scores.add_(mask)
    attn = _safe_softmax(scores, scores.ndim - 1)
    if dropout_p > 0:
        if dropout_p > 1:
            raise errors.EngineRuntimeError(
                f"dropout probability has to be between 0 and 1, but got {dropout_p}")
        dev = attn.device
        with dev.scope():  # torch's dropout: bernoulli_(1 - p) (53-bit uniforms) / (1 - p)
            u = _random.uniform(current_generator(dev), attn._data.shape, float64)
        np_dt = attn.dtype.np
        acc = np.float64 if np_dt == np.float64 else np.float32
        keep = np_dt.type(0) if dropout_p == 1 else np_dt.type(acc(1) / acc(1.0 - dropout_p))
        attn = attn * _wrap(((u < 1.0 - dropout_p) * keep).astype(np_dt), attn.dtype, dev)
    out = attn @ value
    return out.to(float16) if half else out


@op(kind="function", grad_fns=(_FLASH_NODE, "SafeSoftmaxBackward0", "UnsafeViewBackward0"))
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """Attention of ``query`` over ``key``/``value``: ``softmax(q @ kᵀ * scale + mask) @ v``
    (``scale`` 1/sqrt(head size) by default; a bool mask keeps where True; ``is_causal`` keeps
    the lower triangle; ``dropout_p`` drops attention weights; ``enable_gqa`` shares key/value
    heads among query heads)."""
    _check_inputs(query, key, value, attn_mask, dropout_p)
    if not _uses_flash(query, key, value, attn_mask, dropout_p, enable_gqa):
        if attn_mask is not None and is_causal:
            raise errors.EngineRuntimeError(
                "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                "is_causal=True")
        return _attend(query, key, value, _additive_mask(attn_mask, is_causal, query, key),
                       dropout_p, scale, enable_gqa)
    if dropout_p != 0:
        raise errors.EngineRuntimeError("scaled_dot_product_attention_flash_attention: "
                                        "Currently do not support dropout > 0")
    return _flash(query, key, value, attn_mask, is_causal, scale, enable_gqa)


# the fused CPU kernel's blocking: key/value columns in blocks of 512, query rows in blocks of
# 32, 64 or 256 (by the query length); the lanes of its vectorized row maximum (AVX512: 64 bytes
# of the accumulation type)
_KV_SPLIT = 512
_LANE_BYTES = 64
_LN_FLT_MIN = np.array(0xC2AEAC50, dtype=np.uint32).view(np.float32)[()]


def _q_split(L: int) -> int:
    return 256 if L >= 768 else 64 if L >= 192 else 32


def _row_max(s, masked: bool):
    """The kernel's maximum along the last axis of one block. With a mask it is a vectorized
    reduction that a NaN wins; without, the scaling loop keeps a vector maximum (a NaN wins) over
    the whole lanes and a scalar ``std::max`` over the tail, which passes over a NaN: a row whose
    only non-(-inf) scores are NaNs in the tail keeps -inf (and is then left out: zeros)."""
    xp = np
    if masked:
        with np.errstate(invalid="ignore"):
            return s.max(axis=-1)
    n = s.shape[-1]
    lanes = _LANE_BYTES // s.dtype.itemsize
    whole = n - n % lanes
    tail = s[..., whole:]
    tail_max = xp.where(xp.isnan(tail), -xp.inf, tail).max(axis=-1, initial=-xp.inf)
    if not whole:
        return tail_max
    with np.errstate(invalid="ignore"):
        vec_max = s[..., :whole].max(axis=-1)
    return xp.where(xp.isnan(vec_max), vec_max, xp.maximum(vec_max, tail_max))


def _block_exp(x, dt):
    """``exp`` of one block of shifted scores as the kernel takes it: the whole vectors through
    its fast exponentials, the tail through the scalar ``exp``. The fast ones differ at NaN:
    float32's clamps it to the largest exponent (+inf), float16's (in float) truncates it to
    -0.0; below log(FLT_MIN) both give 0; float64's is the plain one."""
    p = exp_array(np, x)
    if dt == np.float64:
        return p
    n = x.shape[-1]
    whole = n - n % (_LANE_BYTES // x.dtype.itemsize)
    if whole:
        head = p[..., :whole]
        xh = x[..., :whole]
        head[np.isnan(xh)] = np.inf if dt == np.float32 else -0.0
        head[xh < _LN_FLT_MIN] = 0  # (no subnormal results)
    return p


def _flash_scale(query: Tensor, scale, acc):
    return np.dtype(acc).type(scale if scale is not None else 1.0 / math.sqrt(query.shape[-1]))


def _flash_arrays(q, k, v, mask, is_causal: bool, factor):
    """The fused kernel's forward on arrays (B, H, L, E) / (B, H, S, E): per block of query rows,
    over the blocks of keys it reaches (causal: up to the block's last row), an online softmax:
    ``s = (q . k) * scale (+ mask)``, the causal scores j > i set to -inf (before the scale),
    running maximum and sum; a row whose maximum is still -inf takes no weights (so a fully
    masked or all-NaN row gives zeros), a zero sum counts as 1. Returns the output (input dtype)
    and the log-sum-exp it saves (accumulation dtype)."""
    dt = q.dtype
    acc = np.float32 if dt == np.float16 else dt
    B, H, L, E = q.shape
    S = k.shape[-2]
    out = np.empty((B, H, L, E), dtype=dt)
    lse = np.empty((B, H, L), dtype=acc)
    qa, ka, va = q.astype(acc), k.astype(acc), v.astype(acc)
    qs = _q_split(L)
    with np.errstate(all="ignore"):
        for m in range(0, L, qs):
            qb = min(qs, L - m)
            rows = np.arange(m, m + qb)
            keys = min(m + qb, S) if is_causal else S
            big = np.full((B, H, qb), -np.inf, dtype=acc)
            total = np.zeros((B, H, qb), dtype=acc)
            dst = np.zeros((B, H, qb, E), dtype=acc)
            for n in range(0, keys, _KV_SPLIT):
                kb = min(_KV_SPLIT, S - n)
                sc = qa[:, :, m:m + qb] @ np.swapaxes(ka[:, :, n:n + kb], -1, -2)
                if is_causal and keys - n <= _KV_SPLIT:
                    sc[..., np.arange(n, n + kb)[None, :] > rows[:, None]] = -np.inf
                sc = sc * factor
                if mask is not None:
                    sc = sc + mask[:, :, m:m + qb, n:n + kb].astype(acc)
                bm = _row_max(sc, mask is not None)
                new = np.where(big > bm, big, bm)
                dead = new == -np.inf
                p = _block_exp(sc - np.where(dead, 0, new)[..., None], dt)
                p[dead] = 0
                scale_old = exp_array(np, big - new)
                total = np.where(dead, total, p.sum(axis=-1) + scale_old * total)
                if n > 0:
                    dst = np.where(dead[..., None], dst, dst * scale_old[..., None])
                big = np.where(dead, big, new)
                if dt == np.float16:
                    p = p.astype(dt).astype(acc)
                dst = dst + p @ va[:, :, n:n + kb]
            big = np.where(big == -np.inf, 0, big)
            total = np.where(total == 0, 1, total)
            out[:, :, m:m + qb] = (dst * (1 / total)[..., None]).astype(dt)
            lse[:, :, m:m + qb] = big + log_array(np, total)
    return out, lse


def _flash_backward_arrays(go, q, k, v, out, lse, mask, is_causal: bool, factor):
    """The fused kernel's backward on arrays: per block of query rows, over the keys the forward
    reached, the weights again from the saved log-sum-exp (``exp(scale * q . k + mask - lse)``,
    0 for the causal j > i), then ``dv += wᵀ go``, ``ds = w * (go vᵀ - rowsum(go * out))``,
    ``dq += scale * ds k``, ``dk += scale * dsᵀ q`` (float16: the weights and ``ds`` rounded to
    half for the products, each block's sum rounded into the half gradients)."""
    dt = q.dtype
    acc = np.float32 if dt == np.float16 else dt
    B, H, L, E = q.shape
    S = k.shape[-2]
    half = dt == np.float16
    dq = np.zeros(q.shape, dtype=dt)
    dk = np.zeros(k.shape, dtype=dt)
    dv = np.zeros(v.shape, dtype=dt)
    qa, ka, va, ga = q.astype(acc), k.astype(acc), v.astype(acc), go.astype(acc)
    qs = _q_split(L)
    with np.errstate(all="ignore"):
        dsum = (ga * out.astype(acc)).sum(axis=-1)
        for m in range(0, L, qs):
            qb = min(qs, L - m)
            rows = np.arange(m, m + qb)
            keys = min(m + qb, S) if is_causal else S
            for n in range(0, keys, _KV_SPLIT):
                kb = min(_KV_SPLIT, S - n)
                # (a BLAS product with alpha 0 reads no operand: the scores' always, the
                # gradients' in float32/float64, not float16's)
                if factor == 0:
                    a = np.zeros((B, H, qb, kb), dtype=acc)
                else:
                    a = (qa[:, :, m:m + qb] @ np.swapaxes(ka[:, :, n:n + kb], -1, -2)) * factor
                if mask is not None:
                    a = a + mask[:, :, m:m + qb, n:n + kb].astype(acc)
                w = exp_array(np, a - lse[:, :, m:m + qb, None])
                if is_causal and keys - n <= _KV_SPLIT:
                    w[..., np.arange(n, n + kb)[None, :] > rows[:, None]] = 0
                if half:
                    w = w.astype(dt).astype(acc)
                g_blk = ga[:, :, m:m + qb]
                dv[:, :, n:n + kb] = (dv[:, :, n:n + kb].astype(acc) +
                                      np.swapaxes(w, -1, -2) @ g_blk).astype(dt)
                ds = w * (g_blk @ np.swapaxes(va[:, :, n:n + kb], -1, -2) - dsum[:, :, m:m + qb,
                                                                                  None])
                if half:
                    ds = ds.astype(dt).astype(acc)
                if factor == 0 and not half:
                    continue
                dq[:, :, m:m + qb] = (dq[:, :, m:m + qb].astype(acc) +
                                      factor * (ds @ ka[:, :, n:n + kb])).astype(dt)
                dk[:, :, n:n + kb] = (dk[:, :, n:n + kb].astype(acc) +
                                      factor * (np.swapaxes(ds, -1, -2) @ qa[:, :, m:m + qb])
                                      ).astype(dt)
    return dq, dk, dv


def _flash_mask(attn_mask, query: Tensor, key: Tensor):
    """The mask as the kernel adds it: a bool one as 0 / -inf in the query's dtype, broadcast
    to (B, H, L, S); or None."""
    if attn_mask is None:
        return None
    a = np.asarray(attn_mask._data)
    if attn_mask.dtype.name == "bool":
        a = np.where(a, query.dtype.np.type(0), query.dtype.np.type(-np.inf))
    B, H, L = query.shape[0], query.shape[1], query.shape[2]
    return np.broadcast_to(a, (B, H, L, key.shape[-2]))


def _gqa_expand(query: Tensor, t: Tensor, enable_gqa: bool):
    a = np.asarray(t._data)
    if enable_gqa and query.shape[1] != t.shape[1]:
        a = np.repeat(a, query.shape[1] // t.shape[1], axis=1)
    return a


def _flash(query, key, value, attn_mask, is_causal, scale, enable_gqa) -> Tensor:
    """The fused kernel (``_flash_arrays``), recorded as one node."""
    if query.device.xp is not np:  # (the model runs on the host; other devices: the math)
        return _flash_by_math(query, key, value, attn_mask, is_causal, scale, enable_gqa)
    acc = np.float32 if query.dtype.np == np.float16 else query.dtype.np
    factor = _flash_scale(query, scale, acc)
    mask = _flash_mask(attn_mask, query, key)
    q = np.asarray(query._data)
    k = _gqa_expand(query, key, enable_gqa)
    v = _gqa_expand(query, value, enable_gqa)
    res, lse = _flash_arrays(q, k, v, mask, is_causal, factor)
    out = _wrap(res, query.dtype, query.device)
    if needs_grad(query, key, value):
        record(out, _FLASH_NODE, _flash_rule, (query, key, value),
               (query, key, value, OUTPUT, (mask, lse, is_causal, factor, enable_gqa)),
               per_input=False, jvp=_no_forward_ad)
    return out


def _flash_by_math(query, key, value, attn_mask, is_causal, scale, enable_gqa) -> Tensor:
    mask = _additive_mask(attn_mask, is_causal, query, key)
    with set_grad_enabled(False):
        res = _attend(query, key, value, mask, 0.0, scale, enable_gqa)
    out = _wrap(res._data, query.dtype, query.device)
    if needs_grad(query, key, value):
        record(out, _FLASH_NODE, _flash_rule_by_math, (query, key, value),
               (query, key, value, OUTPUT, mask, scale, enable_gqa), per_input=False,
               jvp=_no_forward_ad)
    return out


def _no_forward_ad(tangents):
    raise errors.KernelNotImplemented(
        "Trying to use forward AD with _scaled_dot_product_flash_attention_for_cpu that does "
        "not support it because it has not been implemented yet.\nPlease file an issue to "
        "PyTorch at https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml "
        "so that we can prioritize its implementation or submit a PR adding the implementation "
        "to derivatives.yaml")


def _refuse(gg, needs, *saved):
    raise errors.EngineRuntimeError(
        "derivative for aten::_scaled_dot_product_flash_attention_for_cpu_backward is not "
        "implemented")


def _refuse_again(grads, g, q, k, v, out):
    """Under ``create_graph`` the gradients carry a node that refuses a second derivative, as
    torch's (its node has edges to the kernel's inputs and its output)."""
    if _grad_enabled.get() and not FW_ACTIVE[0] and needs_grad(g, q, k, v):
        for gr in grads:
            if gr is not None:
                record(gr, "NotImplemented", _refuse, (g, q, k, v, out), per_input=False)
    return tuple(grads)


def _flash_rule(g, needs, q, k, v, out, saved):
    """The fused kernel's backward (``_flash_backward_arrays``)."""
    mask, lse, is_causal, factor, enable_gqa = saved
    ka = _gqa_expand(q, k, enable_gqa)
    va = _gqa_expand(q, v, enable_gqa)
    dq, dk, dv = _flash_backward_arrays(np.asarray(g._data), np.asarray(q._data), ka, va,
                                        np.asarray(out._data), lse, mask, is_causal, factor)
    if enable_gqa and k.shape[1] != q.shape[1]:
        groups = q.shape[1] // k.shape[1]
        dk = dk.reshape(k.shape[0], k.shape[1], groups, *k.shape[2:]).sum(axis=2,
                                                                          dtype=dk.dtype)
        dv = dv.reshape(v.shape[0], v.shape[1], groups, *v.shape[2:]).sum(axis=2,
                                                                          dtype=dv.dtype)
    grads = [_wrap(a, t.dtype, t.device) if need else None
             for a, t, need in zip((dq, dk, dv), (q, k, v), needs)]
    return _refuse_again(grads, g, q, k, v, out)


def _flash_rule_by_math(g, needs, q, k, v, out, mask, scale, enable_gqa):
    """The fused kernel's gradients on a device the model does not run on: those of the math
    path."""
    leaves = [t.detach().requires_grad_(True) for t in (q, k, v)]
    with set_grad_enabled(True):
        res = _attend(*leaves, mask, 0.0, scale, enable_gqa)
        wanted = [leaf for leaf, need in zip(leaves, needs) if need]
        found = iter(autograd_grad(res, wanted, g.detach()))
    grads = [next(found).detach() if need else None for need in needs]
    return _refuse_again(grads, g, q, k, v, out)
