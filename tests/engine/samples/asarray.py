"""torch.asarray (engine/ops/asarray.py) of a tensor: the same tensor, a clone (copy=True:
CloneBackward0) or a cast (dtype=: ToCopyBackward0); the gradient flows through each."""

import numpy as np

from . import Sample, samples

rng = np.random.default_rng(57)


def r(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


samples("asarray",
        Sample((r(2, 3),), {"requires_grad": True}, oracle=lambda anp, x: x, name="alias"),
        Sample((r(3, 2),), {"copy": True, "requires_grad": True}, oracle=lambda anp, x: x,
               name="copy"),
        Sample((r(4),), {"dtype": None, "copy": True, "requires_grad": True}, name="copy-1d"),
        Sample((r(),), {"copy": True, "requires_grad": True}, name="0-d"),
        Sample((r(0, 3),), {"copy": True, "requires_grad": True}, name="empty"))
