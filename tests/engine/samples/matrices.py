"""diag, diag_embed, kron, cross, linalg.cross."""

import numpy as np

from . import Sample, samples

rng = np.random.default_rng(31)


def r(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


samples("diag",
        Sample((r(3),), oracle=lambda np_, a: np_.diag(a)),
        Sample((r(3), -1), name="vector-below"),
        Sample((r(3, 4),), name="matrix"),  # (HIPS autograd's np.diag VJP assumes square)
        Sample((r(3, 4), 1), name="matrix-above"))
samples("diag_embed",
        Sample((r(3),)),
        Sample((r(2, 3), 1, 0, 2), name="offset-dims"),
        Sample((r(2, 3), -1), name="below"))
samples("kron",
        Sample((r(2, 2), r(2, 3)), oracle=lambda np_, a, b: np_.kron(a, b)),
        Sample((r(3), r(2, 2)), name="ranks"),
        Sample((r(), r(2)), name="0-d"))
samples("cross",
        Sample((r(4, 3), r(4, 3), 1), oracle=lambda np_, a, b: np_.cross(a, b)),
        Sample((r(3, 2), r(3, 1), 0), name="broadcast"))
samples("linalg.cross",
        Sample((r(2, 3), r(2, 3)), oracle=lambda np_, a, b: np_.cross(a, b)),
        Sample((r(1, 3), r(4, 3)), name="broadcast"))
