"""``torch.special`` for Python users of the engine: ``engine.special.expit(x)`` and so on.

These are the op table's ``special.X`` entries (what a program's ``torch.special.X`` calls).
"""

from .ops import OPS

_PREFIX = "special."

globals().update({name[len(_PREFIX):]: d.fn for name, d in OPS.items()
                  if name.startswith(_PREFIX)})

__all__ = sorted(name[len(_PREFIX):] for name in OPS if name.startswith(_PREFIX))
