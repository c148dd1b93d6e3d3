"""``torch.nn``: modules, parameters, containers, layers, activations and losses.

``engine.nn.functional``, ``engine.nn.init`` and ``engine.nn.utils`` are their own packages
(each with its ``__all__``), as in torch.
"""

from . import functional, init, parallel, utils  # noqa: F401  (packages of their own, as in torch)
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all
from .parameter import Buffer, Parameter

__all__ = ["Parameter", "Buffer", *_modules_all]
