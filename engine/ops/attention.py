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
from ..autograd import needs_grad, record
from ..autograd.engine import grad as autograd_grad
from ..autograd.engine import named_grad
from ..autograd.graph import FW_ACTIVE, OUTPUT
from ..dtypes import float16, float32
from ..modes import _grad_enabled, set_grad_enabled
from ..random import current_generator
from ..tensor import Tensor, _wrap
from .families import cpp_type_name
from .nn import _quiet, _softmax_arrays
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
    out = t * factor
    if out.grad_fn is not None and out.grad_fn.name() == "MulBackward0":
        out.grad_fn._name = "MulBackward1"
    return out


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
            f"{cpp_type_name(query.dtype)} key.dtype: {cpp_type_name(key.dtype)} and "
            f"value.dtype: {cpp_type_name(value.dtype)} instead.")
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
        if not (mdt.name == "bool" or mdt.is_floating_point or mdt is query.dtype):
            raise errors.EngineRuntimeError(
                "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                f"attn_mask.dtype: {cpp_type_name(mdt)} and  query.dtype: "
                f"{cpp_type_name(query.dtype)} instead.")


_TORCH_TYPE = {
    "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
    "bool": "Bool"}


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
        if attn_mask.ndim not in (2, 4):
            return False
        if _grad_enabled.get() and attn_mask.requires_grad:
            return False
    if not (query.shape[-1] == key.shape[-1] == value.shape[-1]):
        return False
    if query.shape[-2] == 0 or key.shape[-2] == 0:
        return False
    for t in (query, key, value):  # the fused kernel needs unit stride along the head size
        a = t._data
        if a.shape[-1] > 1 and a.strides[-1] != a.itemsize:
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
            f"expected scalar type Float but found {_TORCH_TYPE[query.dtype.name]}")
    half = query.dtype.name == "float16"  # ATen computes half in float on the CPU
    if half:
        query, key, value = (t.to(float32) for t in (query, key, value))
        if mask is not None and mask.dtype.name == "float16" and not mask.requires_grad:
            mask = mask.to(float32)
    q = _times_scalar(query, factor)
    scores = q @ _times_scalar(key.transpose(-2, -1), factor)
    if mask is not None:
        scores = scores + mask
    attn = _safe_softmax(scores, scores.ndim - 1)
    if dropout_p > 0:
        if dropout_p > 1:
            raise errors.EngineRuntimeError(
                f"dropout probability has to be between 0 and 1, but got {dropout_p}")
        dev = attn.device
        with dev.scope():
            u = current_generator(dev)._rng.random(
                attn._data.shape, dtype=np.float64 if attn.dtype.np == np.float64
                else np.float32)
        keep = 0.0 if dropout_p == 1 else 1.0 / (1.0 - dropout_p)
        attn = attn * _wrap(((u < 1.0 - dropout_p) * keep).astype(attn.dtype.np), attn.dtype,
                            dev)
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
    if attn_mask is not None and attn_mask.ndim < 2:
        raise errors.EngineIndexError(
            f"Dimension out of range (expected to be in range of [-{max(attn_mask.ndim, 1)}, "
            f"{max(attn_mask.ndim, 1) - 1}], but got -2)")
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


def _flash(query, key, value, attn_mask, is_causal, scale, enable_gqa) -> Tensor:
    """The fused kernel's result: the same computation, recorded as one node."""
    mask = _additive_mask(attn_mask, is_causal, query, key)
    with set_grad_enabled(False):
        res = _attend(query, key, value, mask, 0.0, scale, enable_gqa)
    out = _wrap(res._data, query.dtype, query.device)
    if needs_grad(query, key, value):
        record(out, _FLASH_NODE, _flash_rule, (query, key, value),
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


def _flash_rule(g, needs, q, k, v, out, mask, scale, enable_gqa):
    """The fused kernel's gradients (those of the math path); under ``create_graph`` they
    carry a node that refuses a second derivative, as torch's."""
    leaves = [t.detach().requires_grad_(True) for t in (q, k, v)]
    with set_grad_enabled(True):
        res = _attend(*leaves, mask, 0.0, scale, enable_gqa)
        wanted = [leaf for leaf, need in zip(leaves, needs) if need]
        found = iter(autograd_grad(res, wanted, g.detach()))
    grads = [next(found).detach() if need else None for need in needs]
    if _grad_enabled.get() and not FW_ACTIVE[0] and needs_grad(g, q, k, v):
        for gr in grads:  # (torch's node has edges to the kernel's inputs and its output)
            if gr is not None:
                record(gr, "NotImplemented", _refuse, (g, q, k, v, out), per_input=False)
    return tuple(grads)
