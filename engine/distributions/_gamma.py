"""``_standard_gamma``: Gamma(alpha, 1) draws with implicit reparameterisation gradients.

A draw ``x`` solves ``P(alpha, x) = u`` (``P`` the regularised lower incomplete gamma function,
``u`` uniform), so ``dx/dalpha = -(dP/dalpha) / p(x; alpha)``. ``dP/dalpha`` is summed from the
series ``P(alpha, x) = sum_n exp((alpha + n) log x - x - lgamma(alpha + n + 1))``, term by term
differentiated (``log x - digamma(alpha + n + 1)``), far enough past its largest term for
float64 accuracy (past a concentration of 1e6, the Wilson-Hilferty approximation, whose
relative error there is below 1e-7). The node is torch's ``StandardGammaBackward0``; its
gradient is recorded as ``StandardGammaGradBackward0``, whose own derivative torch does not
define (nor do we)."""

from __future__ import annotations

import numpy as np

from .. import errors
from ..autograd import needs_grad, record
from ..autograd.graph import OUTPUT
from ..ops.special import _digamma, _lgamma
from ..tensor import Tensor, _wrap
from . import _draws

_CHUNK = 1 << 16  # series terms evaluated at once (elements x terms)
_HUGE = 1e6  # past this concentration the series would need over 12000 terms per draw


def _dx_dalpha(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``dx/dalpha`` of Gamma(alpha, 1) draws ``x`` (float64 arrays of one shape)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    a = np.asarray(alpha, dtype=np.float64).ravel()
    out = np.zeros_like(x)
    ok = (x > 0) & np.isfinite(x) & (a > 0)
    if not ok.any():
        return out
    huge = ok & (a > _HUGE)
    if huge.any():  # Wilson-Hilferty: x = a (1 - 1/(9a) + z / (3 sqrt a))^3 at fixed z
        xh, ah = x[huge], a[huge]
        s = np.cbrt(xh / ah)
        z = (s - 1.0 + 1.0 / (9.0 * ah)) * 3.0 * np.sqrt(ah)
        out[huge] = s ** 3 + 3.0 * ah * s ** 2 * (1.0 / (9.0 * ah ** 2)
                                                  - z / (6.0 * ah ** 1.5))
        ok &= ~huge
        if not ok.any():
            return out
    xs, als = x[ok], a[ok]
    log_x = np.log(xs)
    # terms past the largest (near n = x - alpha) until they are negligible
    terms = np.ceil(np.maximum(xs - als, 0.0) + 12.0 * np.sqrt(xs) + 40.0).astype(np.int64)
    d_p = np.zeros_like(xs)
    # the first term by lgamma / digamma, the others by their recurrences:
    # t(n) = t(n-1) x / (alpha + n), digamma(alpha + n + 1) = digamma(alpha + n) + 1/(alpha + n)
    log_t0 = als * log_x - xs - _lgamma(np, als + 1.0)
    psi0 = _digamma(np, als + 1.0)
    order = np.argsort(terms)
    start = 0
    while start < len(order):  # elements grouped by how many terms they need
        stop = start + 1
        limit = max(int(terms[order[start]]), 1) * 2
        while stop < len(order) and terms[order[stop]] <= limit:
            stop += 1
        idx = order[start:stop]
        n_max = int(terms[idx].max())
        step = max(1, _CHUNK // len(idx))
        log_t, psi = log_t0[idx].copy(), psi0[idx].copy()
        acc = np.exp(log_t) * (log_x[idx] - psi)
        for n0 in range(1, n_max + 1, step):
            n = np.arange(n0, min(n0 + step, n_max + 1), dtype=np.float64)[None, :]
            ap = als[idx][:, None] + n  # alpha + n
            lt = log_t[:, None] + np.cumsum(log_x[idx][:, None] - np.log(ap), axis=1)
            ps = psi[:, None] + np.cumsum(1.0 / ap, axis=1)
            acc += (np.exp(lt) * (log_x[idx][:, None] - ps)).sum(1)
            log_t, psi = lt[:, -1], ps[:, -1]
        d_p[idx] = acc
        start = stop
    log_pdf = (als - 1.0) * log_x - xs - _lgamma(np, als)
    out[ok] = -d_p / np.exp(log_pdf)
    return out


def _standard_gamma_grad(x: Tensor, alpha: Tensor) -> Tensor:
    """``dx/dalpha`` as a tensor (torch's ``_standard_gamma_grad``), recorded with a node whose
    derivative is not implemented, as torch's."""
    values = _dx_dalpha(x.numpy(force=True), alpha.numpy(force=True)).reshape(tuple(x.shape))
    result = _wrap(x.device.xp.asarray(values.astype(x.dtype.np)), x.dtype, x.device)
    if needs_grad(alpha, x):
        record(result, "StandardGammaGradBackward0", (_no_derivative, _no_derivative),
               (x, alpha))
    return result


def _no_derivative(g, *_):
    raise errors.KernelNotImplemented(
        "the derivative for '_standard_gamma_grad' is not implemented.")


def standard_gamma(alpha: Tensor) -> Tensor:
    """Gamma(alpha, 1) draws from the current generator, in ``alpha``'s dtype, with the
    implicit reparameterisation gradient (torch's ``_standard_gamma``)."""
    values = _draws.standard_gamma(alpha).astype(alpha.dtype.np)
    result = _wrap(alpha.device.xp.asarray(values), alpha.dtype, alpha.device)
    if needs_grad(alpha):
        record(result, "StandardGammaBackward0",
               (lambda g, x, a: g * _standard_gamma_grad(x, a),), (alpha,),
               saved=(OUTPUT, alpha))
    return result
