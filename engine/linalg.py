"""``torch.linalg`` for Python users of the engine: ``engine.linalg.det(A)`` and so on.

These are the op table's ``linalg.X`` entries (what a program's ``torch.linalg.X`` calls), so
``engine.linalg.norm`` is ``torch.linalg.norm``, not ``torch.norm``.
"""

from .errors import LinAlgError
from .ops import OPS

_PREFIX = "linalg."

globals().update({name[len(_PREFIX):]: d.fn for name, d in OPS.items()
                  if name.startswith(_PREFIX)})

__all__ = sorted(name[len(_PREFIX):] for name in OPS if name.startswith(_PREFIX)) + \
    ["LinAlgError"]
