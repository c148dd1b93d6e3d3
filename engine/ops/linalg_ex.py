"""``linalg.solve_ex`` (``linalg.solve``'s result with getrf's ``info``, a singular matrix's
partial result instead of an error) and ``linalg.householder_product`` (LAPACK's orgqr: the
first ``n`` columns of ``H_1 ... H_k``, with torch's gradient, composed of table ops so that
its second order and node chain are torch's)."""

from __future__ import annotations

import numpy as np

from .. import errors
from .._cpu import mkl_fused
from ..autograd import OUTPUT, needs_grad, record
from ..autograd.forward_ad import PRIMAL_FREE_WHEN
from ..dtypes import int32
from ..tensor import Tensor, _wrap
from ._fma import fma_same
from .decompositions import _host, _solve, lapack_layout
from .reduction import _return_type
from .registry import OPS, register


class return_types:  # noqa: N801 (mirrors torch.return_types)
    linalg_solve_ex = _return_type("linalg_solve_ex", ("result", "info"))


def _tensor(t, fn: str, name: str, pos: int) -> None:
    if not isinstance(t, Tensor):
        raise errors.EngineTypeError(
            f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not {type(t).__name__}")


def _flag(v, fn: str, name: str) -> bool:
    """A ``bool`` keyword as torch's parser takes it (no int, no None)."""
    if not isinstance(v, (bool, np.bool_)):
        raise errors.EngineTypeError(
            f"{fn}(): argument '{name}' must be bool, not {type(v).__name__}")
    return bool(v)


# --------------------------------------------------------------------------- solve_ex
def linalg_solve_ex(A, B, *, left=True, check_errors=False):
    """``(result, info)``: ``linalg.solve``'s solution of ``A X = B`` (``X A = B`` with
    ``left=False``) and LAPACK getrf's ``info`` per matrix of ``A`` (0, or the 1-based position
    of the first zero pivot, where the result is what getrs leaves: inf/NaN), unless
    ``check_errors`` raises torch's error."""
    _tensor(A, "linalg_solve_ex", "A", 1)
    _tensor(B, "linalg_solve_ex", "B", 2)
    left = _flag(left, "linalg_solve_ex", "left")
    check = _flag(check_errors, "linalg_solve_ex", "check_errors")
    if check:
        try:
            X, info = _solve(A, B, left)
        except errors.LinAlgError as e:  # the same verdict, worded for solve_ex
            raise errors.LinAlgError(str(e).replace("torch.linalg.solve:",
                                                    "torch.linalg.solve_ex:", 1)) from None
    else:
        X, info = _solve(A, B, left, partial="linalg.solve_ex")
    batch = A._data.shape[:-2]  # getrf's info: A's own batch, not the broadcast one
    arr = np.zeros(batch, dtype=np.int32) if info is None else \
        info.reshape(batch).astype(np.int32)
    return return_types.linalg_solve_ex(X, _wrap(A.device.xp.asarray(arr), int32, A.device))


register("linalg.solve_ex", linalg_solve_ex, kind="function",
         grad_fns=("LinalgSolveExBackward0",))


# --------------------------------------------------------------------------- householder_product
def _orgqr(a: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """LAPACK's dorg2r on a stack: the columns past ``k`` start as the identity's, then the
    reflectors are applied from the last to the first, each column ``i`` ending as
    ``-tau_i v_i`` under ``1 - tau_i`` and zeros above. A reflector is applied as dlarf does
    (the signs of zeros depend on it): not at all when ``tau`` is 0, and only to the rows up to
    ``v``'s last nonzero entry and the columns up to the last one nonzero in those rows
    (``w = 0 + C^T v``, ``C -= v (tau w)^T`` fused on Intel: bitwise torch's on 174 of 200
    random cases up to order 6 in float32, 176 in float64; 144 unfused; the rest a last bit
    apart. MKL's generic path elsewhere does not fuse (``engine._cpu.mkl_fused``): on an AMD
    EPYC 198 of 200 cases up to order 6 bitwise unfused, 144 fused; the two others of order 6,
    a few ulps apart)."""
    q = np.array(a, copy=True)
    m, n = q.shape[-2:]
    k = tau.shape[-1]
    for j in range(k, n):
        q[:, :, j] = 0
        q[:, j, j] = 1
    with np.errstate(all="ignore"):
        for i in range(k - 1, -1, -1):
            t = tau[:, i]
            if i < n - 1:
                q[:, i, i] = 1
                v = q[:, i:, i]
                c = q[:, i:, i + 1:]
                rows = np.arange(m - i)
                nz = v != 0
                lastv = np.where(nz.any(-1), (m - i) - np.argmax(nz[:, ::-1], -1), 0)
                rmask = rows[None, :] < lastv[:, None]
                cnz = (c != 0) & rmask[:, :, None]
                cols = np.arange(n - i - 1)
                lastc = np.where(cnz.any(-2).any(-1), (n - i - 1) -
                                 np.argmax(cnz.any(-2)[:, ::-1], -1), 0)
                lastc = np.where(t != 0, lastc, 0)
                cmask = cols[None, :] < lastc[:, None]
                prod = np.where(rmask[:, :, None], v[:, :, None] * c, -0.0)
                w = 0.0 + prod.sum(-2)
                tw = (t[:, None] * w)[:, None, :]
                upd = fma_same(-v[:, :, None], tw, c) if mkl_fused() else \
                    c - v[:, :, None] * tw
                q[:, i:, i + 1:] = np.where(rmask[:, :, None] & cmask[:, None, :], upd, c)
            if i < m - 1:
                q[:, i + 1:, i] *= -t[:, None]
            q[:, i, i] = 1 - t
            q[:, :i, i] = 0
    return q


def _reflect(v: Tensor, t: Tensor, K: Tensor, left: bool) -> Tensor:
    """``(I - t v v^T) K`` (``left``) or ``K (I - t v v^T)``, out of place."""
    tv = t.unsqueeze(-1) * v
    if left:
        return K - tv * v.mT.matmul(K)
    return K - K.matmul(tv) * v.mT


def _householder_grad(g: Tensor, needs, V_: Tensor, tau: Tensor, Q: Tensor):
    """torch's householder_product backward: with ``K = Q g^T`` moved along the reflectors
    (``K <- H_{i+1}^{-1} K H_i``, ``H(tau)^{-1} = H(tau / (tau |v|^2 - 1))``), ``v_i``'s
    gradient is ``-tau_i (v_i^T K_i + K_i v_i)`` and ``tau_i``'s ``-v_i^T K_i v_i``; the
    gradients are filled column by column into zeros and ``V``'s is lower-triangular."""
    if not V_._data.size or not tau._data.size:
        return None, None
    m = V_._data.shape[-2]
    k = tau._data.shape[-1]
    V = V_.tril(-1)
    V.diagonal(0, -2, -1).fill_(1.0)
    first = V.narrow(-1, 0, k)
    sigma = tau / (tau * (first * first).sum(-2) - 1.0)
    K = Q.matmul(g.mT)
    K = _reflect(V.narrow(-1, 0, 1), sigma.narrow(-1, 0, 1), K, True)
    gV = _zeros_like(V_)
    gtau = _zeros_like(tau)
    for i in range(k):
        v_full = V.narrow(-1, i, 1)
        t = tau.narrow(-1, i, 1)
        v = v_full.narrow(-2, i, m - i)
        vK = v.mT.matmul(K.narrow(-2, i, m - i))
        Kv = K.narrow(-1, i, m - i).matmul(v)
        tu = t.unsqueeze(-1)
        v_grad = (-tu * vK).squeeze(-2) - (tu * Kv).squeeze(-1)
        t_grad = -(vK.narrow(-1, i, m - i).matmul(v))
        gV.select(-1, i).copy_(v_grad)
        gtau.select(-1, i).copy_(t_grad.squeeze(-1).squeeze(-1))
        if i != k - 1:
            K = _reflect(V.narrow(-1, i + 1, 1), sigma.narrow(-1, i + 1, 1), K, True)
            K = _reflect(v_full, t, K, False)
    gV.tril_(-1)
    return (gV if needs[0] else None), (gtau if needs[1] else None)


def _zeros_like(t: Tensor) -> Tensor:
    return OPS["zeros_like"].fn(t)


def linalg_householder_product(input, tau):
    """The first ``n`` columns of the product ``H_1 ... H_k`` of Householder reflectors
    ``H_i = I - tau_i v_i v_i^T`` (LAPACK's orgqr): ``v_i`` is column ``i`` of ``input`` below
    the diagonal with an implicit 1 on it (geqrf's packed form); batched."""
    _tensor(input, "linalg_householder_product", "input", 1)
    _tensor(tau, "linalg_householder_product", "tau", 2)
    return _householder_product(input, tau)


def orgqr(input, input2):
    """``torch.orgqr`` / ``Tensor.orgqr``: ``linalg.householder_product(input, input2)``."""
    _tensor(input, "orgqr", "input", 1)
    _tensor(input2, "orgqr", "input2", 2)
    return _householder_product(input, input2)


def _householder_product(A: Tensor, tau: Tensor) -> Tensor:
    fn = "torch.linalg.householder_product"
    a, t = A._data, tau._data
    if a.ndim < 2:
        raise errors.EngineRuntimeError(f"{fn}: input must have at least 2 dimensions.")
    m, n = a.shape[-2:]
    if m < n:
        raise errors.EngineRuntimeError(
            f"{fn}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if t.ndim == 0:
        raise errors.EngineIndexError("Dimension specified as -1 but tensor has no dimensions")
    if n < t.shape[-1]:
        raise errors.EngineRuntimeError(
            f"{fn}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if t.ndim != a.ndim - 1:
        raise errors.EngineRuntimeError(
            f"{fn}: Expected tau to have one dimension less than input, but got tau.ndim "
            f"equal to {t.ndim} and input.ndim is equal to {a.ndim}")
    if t.shape[:-1] != a.shape[:-2]:
        raise errors.EngineRuntimeError(
            f"{fn}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
            f"[{', '.join(str(d) for d in t.shape[:-1])}]")
    if tau.dtype is not A.dtype:
        raise errors.EngineRuntimeError(
            f"{fn}: tau dtype {tau.dtype.scalar_name} does not match input dtype "
            f"{A.dtype.scalar_name}")
    if not A.dtype.is_floating_point or A.dtype.name == "float16":
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel="orgqr_cpu", dtype=A.dtype.scalar_name))
    xp = A.device.xp
    k = t.shape[-1]
    nb = int(np.prod(a.shape[:-2], dtype=np.int64))
    flat = _host(xp, a).reshape((nb, m, n))
    q = _orgqr(flat, _host(xp, t).reshape((nb, k))).reshape(a.shape)
    out = _wrap(lapack_layout(xp, xp.asarray(q.astype(A.dtype.np, copy=False))), A.dtype,
                A.device)
    if needs_grad(A, tau):
        record(out, "LinalgHouseholderProductBackward0", _householder_grad, (A, tau),
               (A, tau, OUTPUT), per_input=False)
    return out


# without reflectors (an empty tau or input) torch's tangent is zeros: it reads no primal
PRIMAL_FREE_WHEN["LinalgHouseholderProductBackward0"] = lambda inputs: not (
    inputs[0]._data.size and inputs[1]._data.size)
register("linalg.householder_product", linalg_householder_product, kind="function",
         grad_fns=("LinalgHouseholderProductBackward0",))
register("orgqr", orgqr, grad_fns=("LinalgHouseholderProductBackward0",))


__all__ = ["linalg_solve_ex", "linalg_householder_product", "orgqr"]
