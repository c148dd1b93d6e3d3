"""engine/ops/special_more.py: torch.special's zeta, orthogonal polynomials and Bessel
functions. Only zeta is differentiable in torch, in q only (in x its backward raises:
``grad_error``); the others record no node (samples still drive the differential suite's
values and errors)."""

import numpy as np

from engine import tensor

from . import Sample, samples

rng = np.random.default_rng(37)


def r(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape)


_ZETA = "the derivative for 'zeta' is not implemented."
samples("special.zeta",
        Sample((r(3, 4, lo=1.5, hi=6.0), r(3, 4, lo=0.5, hi=4.0)), grad_error=_ZETA),
        Sample((r(3, 1, lo=1.5, hi=4.0), r(4, lo=0.5, hi=3.0)), name="broadcast",
               grad_error=_ZETA),
        Sample((2.5, r(2, 3, lo=0.5, hi=3.0)), name="number-x"),
        Sample((r(2, 3, lo=1.5, hi=4.0), 1.5), name="number-q", grad_error=_ZETA))
for _short in ("chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
               "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
               "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
               "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
               "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p"):
    _lo = 0.0 if _short.startswith("shifted") else -1.0
    samples("special." + _short, Sample((r(3, 4, lo=_lo), 3)),
            Sample((r(5, lo=_lo), tensor([0, 1, 2, 9, 12])), name="degrees"),
            Sample((r(2, 3, lo=_lo), 11), name="high"),
            Sample((0.25, tensor([[2], [5]])), name="number-x"))
for _short in ("modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
               "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
               "spherical_bessel_j0"):
    samples("special." + _short, Sample((r(3, 4, lo=0.1, hi=6.0),)),
            Sample((r(4, lo=0.5, hi=60.0),), name="wide"), Sample((r(lo=0.2, hi=3.0),),
                                                                  name="0-d"))
