"""``_standard_gamma``: Gamma(alpha, 1) draws with implicit reparameterisation gradients.

A draw ``x`` solves ``P(alpha, x) = u`` (``P`` the regularised lower incomplete gamma function,
``u`` uniform), so ``dx/dalpha = -(dP/dalpha) / p(x; alpha)``. That derivative is computed as
torch's ``_standard_gamma_grad`` approximates it (``_reparam.standard_gamma_grad``: a Taylor
series, a saddle-point expansion, a rational fit; relative error up to ~3e-4 against the exact
derivative), so that gradients agree with torch's to float64 rounding. The node is torch's
``StandardGammaBackward0``; its gradient is recorded as ``StandardGammaGradBackward0``, whose
own derivative torch does not define (nor do we)."""

from __future__ import annotations

from .. import errors
from ..autograd import needs_grad, record
from ..autograd.graph import OUTPUT
from ..tensor import Tensor, _wrap
from . import _draws
from ._reparam import standard_gamma_grad


def _standard_gamma_grad(x: Tensor, alpha: Tensor) -> Tensor:
    """``dx/dalpha`` as a tensor (torch's ``_standard_gamma_grad``), recorded with a node whose
    derivative is not implemented, as torch's."""
    values = standard_gamma_grad(alpha.numpy(force=True), x.numpy(force=True))
    result = _wrap(x.device.xp.asarray(values.astype(x.dtype.np)), x.dtype, x.device)
    if needs_grad(alpha, x):
        record(result, "StandardGammaGradBackward0", (_no_derivative, _no_derivative),
               (x, alpha))
    return result


def _no_derivative(g, *_):
    raise errors.KernelNotImplemented(
        "the derivative for '_standard_gamma_grad' is not implemented.")


def standard_gamma(alpha: Tensor, generator=None) -> Tensor:
    """Gamma(alpha, 1) draws from ``generator`` (default: the current one), in ``alpha``'s
    dtype, with the implicit reparameterisation gradient (torch's ``_standard_gamma``)."""
    values = _draws.standard_gamma(alpha, generator=generator).astype(alpha.dtype.np)
    result = _wrap(alpha.device.xp.asarray(values), alpha.dtype, alpha.device)
    if needs_grad(alpha):
        record(result, "StandardGammaBackward0",
               (lambda g, x, a: g * _standard_gamma_grad(x, a),), (alpha,),
               saved=(OUTPUT, alpha))
    return result
