"""Models of the LAPACK least-squares drivers whose answers ``torch.linalg.lstsq`` returns on the
CPU and NumPy does not compute (NumPy's ``lstsq`` is ``xGELSD``, an SVD):

- ``gels``: QR (LQ when ``m < n``) and a triangular solve; no rank, ``rcond`` unused; an
  exactly zero diagonal element of the triangular factor is an error (its 1-based index).
- ``gelsy`` (torch's default): QR ``A = Q R``, the rank from incremental condition estimation
  of ``R``'s leading triangles against ``rcond`` (``xLAIC1``), then the minimum-norm solution
  of the problem with ``R22`` dropped: ``pinv([R11 R12]) (Q^T b)[:rank]``. That is not the
  SVD's truncation: a matrix cut to a lower rank gets another solution.

  ``xGELSY`` pivots the columns it is told are free: torch passes its pivot array
  uninitialized (``at::empty``), and every nonzero entry there fixes a column. From a batch's
  second matrix on, the array holds the first one's permutation (all nonzero): no pivoting,
  deterministic, and what this models. For a batch's first matrix the outcome depends on
  what that memory held (measured: repeated identical calls gave different ranks and
  solutions); in a running process it is almost always nonzero, the same unpivoted answer.

Each works on one matrix ``a`` ``(m, n)`` and right-hand sides ``b`` ``(m, k)`` of one
floating dtype, in that dtype (float32 as ``sgelsy`` computes), on the host.
"""

from __future__ import annotations

import numpy as np


def _eps(dtype) -> float:
    """LAPACK's ``xLAMCH('Epsilon')``: the unit roundoff, half NumPy's ``eps``."""
    return float(np.finfo(dtype).eps) / 2


def _back_substitute(r: np.ndarray, c: np.ndarray, lower: bool = False) -> np.ndarray:
    """``r^-1 c`` for a triangular ``r`` as ``xTRSM`` computes it: a zero on the diagonal
    gives infinities and NaNs, never an error."""
    n = r.shape[0]
    y = np.zeros_like(c)
    order = range(n) if lower else range(n - 1, -1, -1)
    with np.errstate(all="ignore"):
        for i in order:
            known = slice(0, i) if lower else slice(i + 1, n)
            y[i] = (c[i] - r[i, known] @ y[known]) / r[i, i]
    return y


def gels(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, int]:
    """``(x, info)``: the least-squares solution (``m >= n``) or the minimum-norm one
    (``m < n``) of a full-rank ``a``; ``info`` is the 1-based index of the first exactly zero
    diagonal element of the triangular factor (``x`` is then meaningless), else 0."""
    m, n = a.shape
    if m >= n:
        q, r = np.linalg.qr(a)
    else:
        q, r = np.linalg.qr(a.T)
    zero = np.nonzero(np.diagonal(r) == 0)[0]
    if zero.size:
        return np.zeros((n, b.shape[1]), a.dtype), int(zero[0]) + 1
    if m >= n:
        return _back_substitute(r, q.T @ b), 0
    return q @ _back_substitute(r.T, b, lower=True), 0


def gelsy(a: np.ndarray, b: np.ndarray, rcond: float) -> tuple[np.ndarray, int]:
    """``(x, rank)`` as torch's ``xGELSY`` call computes them (see the module's docstring)."""
    m, n = a.shape
    x = np.zeros((n, b.shape[1]), a.dtype)
    if min(m, n) == 0 or b.shape[1] == 0 or not np.abs(a).max() > 0:
        return x, 0
    q, r = np.linalg.qr(a)  # (every column fixed: xGEQP3 is xGEQRF)
    rank = _rank_by_condition_estimate(r, a.dtype.type(rcond), _eps(a.dtype))
    if rank == 0:
        return x, 0
    c = q.T[:rank] @ b
    if rank == n:
        return _back_substitute(r[:n, :n], c), rank
    z, t = np.linalg.qr(r[:rank].T)  # [R11 R12] = [T 0] Z: y = Z^T [T^-1 c; 0], min-norm
    return z @ _back_substitute(t.T, c, lower=True), rank


def _rank_by_condition_estimate(r: np.ndarray, rcond, eps: float) -> int:
    """The largest ``k`` whose leading ``k x k`` triangle keeps the estimated
    ``smin / smax`` at or above ``rcond``, the estimates grown one column at a time."""
    smax = smin = abs(r[0, 0])
    if smax == 0:
        return 0
    xmin = np.ones(1, r.dtype)
    xmax = np.ones(1, r.dtype)
    rank = 1
    while rank < min(r.shape):
        w, gamma = r[:rank, rank], r[rank, rank]
        sminpr, s1, c1 = _smallest(xmin @ w, gamma, smin, eps)
        smaxpr, s2, c2 = _largest(xmax @ w, gamma, smax, eps)
        if not smaxpr * rcond <= sminpr:
            break
        xmin = np.append(s1 * xmin, c1).astype(r.dtype)
        xmax = np.append(s2 * xmax, c2).astype(r.dtype)
        smin, smax = sminpr, smaxpr
        rank += 1
    return rank


def _sign(x) -> float:
    return -1.0 if x < 0 else 1.0  # (Fortran's SIGN(1, x): +1 at zero)


def _largest(alpha, gamma, est, eps):
    """``xLAIC1`` job 1: ``(new estimate, s, c)`` of the largest singular value when the
    triangle grows by a column whose projection on the current vector is ``alpha`` and
    whose diagonal is ``gamma``."""
    dt = type(alpha)
    aa, ag, ae = abs(alpha), abs(gamma), abs(est)
    if est == 0:
        s1 = max(ag, aa)
        if s1 == 0:
            return dt(0), dt(0), dt(1)
        s, c = alpha / s1, gamma / s1
        tmp = np.sqrt(s * s + c * c)
        return s1 * tmp, s / tmp, c / tmp
    if ag <= eps * ae:
        tmp = max(ae, aa)
        s1, s2 = ae / tmp, aa / tmp
        return tmp * np.sqrt(s1 * s1 + s2 * s2), dt(1), dt(0)
    if aa <= eps * ae:
        return (ae, dt(1), dt(0)) if ag <= ae else (ag, dt(0), dt(1))
    if ae <= eps * aa or ae <= eps * ag:
        if ag <= aa:
            tmp = ag / aa
            s = np.sqrt(1 + tmp * tmp)
            return aa * s, dt(_sign(alpha)) / s, (gamma / aa) / s
        tmp = aa / ag
        c = np.sqrt(1 + tmp * tmp)
        return ag * c, (alpha / ag) / c, dt(_sign(gamma)) / c
    z1, z2 = alpha / ae, gamma / ae
    b = (1 - z1 * z1 - z2 * z2) * dt(0.5)
    c = z1 * z1
    t = c / (b + np.sqrt(b * b + c)) if b > 0 else np.sqrt(b * b + c) - b
    sine, cosine = -z1 / t, -z2 / (1 + t)
    tmp = np.sqrt(sine * sine + cosine * cosine)
    return np.sqrt(t + 1) * ae, sine / tmp, cosine / tmp


def _smallest(alpha, gamma, est, eps):
    """``xLAIC1`` job 2: as ``_largest`` for the smallest singular value."""
    dt = type(alpha)
    aa, ag, ae = abs(alpha), abs(gamma), abs(est)
    if est == 0:
        sine, cosine = (dt(1), dt(0)) if max(ag, aa) == 0 else (-gamma, alpha)
        s1 = max(abs(sine), abs(cosine))
        s, c = sine / s1, cosine / s1
        tmp = np.sqrt(s * s + c * c)
        return dt(0), s / tmp, c / tmp
    if ag <= eps * ae:
        return ag, dt(0), dt(1)
    if aa <= eps * ae:
        return (ag, dt(0), dt(1)) if ag <= ae else (ae, dt(1), dt(0))
    if ae <= eps * aa or ae <= eps * ag:
        if ag <= aa:
            tmp = ag / aa
            c = np.sqrt(1 + tmp * tmp)
            return ae * (tmp / c), -(gamma / aa) / c, dt(_sign(alpha)) / c
        tmp = aa / ag
        s = np.sqrt(1 + tmp * tmp)
        return ae / s, -dt(_sign(gamma)) / s, (alpha / ag) / s
    z1, z2 = alpha / ae, gamma / ae
    norma = max(1 + z1 * z1 + abs(z1 * z2), abs(z1 * z2) + z2 * z2)
    if 1 + 2 * (z1 - z2) * (z1 + z2) >= 0:  # the root is near zero
        b = (z1 * z1 + z2 * z2 + 1) * dt(0.5)
        c = z2 * z2
        t = c / (b + np.sqrt(abs(b * b - c)))
        sine, cosine = z1 / (1 - t), -z2 / t
        est_new = np.sqrt(t + 4 * dt(eps) * dt(eps) * norma) * ae
    else:  # near one: shifted
        b = (z2 * z2 + z1 * z1 - 1) * dt(0.5)
        c = z1 * z1
        t = -c / (b + np.sqrt(b * b + c)) if b >= 0 else b - np.sqrt(b * b + c)
        sine, cosine = -z1 / t, -z2 / (1 + t)
        est_new = np.sqrt(1 + t + 4 * dt(eps) * dt(eps) * norma) * ae
    tmp = np.sqrt(sine * sine + cosine * cosine)
    return est_new, sine / tmp, cosine / tmp


__all__ = ["gels", "gelsy"]
