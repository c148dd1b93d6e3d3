"""In-place twins the table was missing: every alias of an op with an in-place form gets one
(``multiply_`` is ``mul_``, ``greater_`` is ``gt_``: the same method, whose argument errors name
the alias as torch's do), and ``true_divide_``.

``alias_twins()`` runs once every op module is imported (``engine/ops/__init__.py``), so an
alias registered anywhere is covered.
"""

from __future__ import annotations

from .families import inplace_twin
from .registry import OPS, _called_as, register


def alias_twins() -> list[str]:
    """Register ``alias_`` for each alias whose op has an in-place twin ``name_``; returns
    the names added."""
    added = []
    for alias, d in list(OPS.items()):
        if alias == d.name or alias.startswith(("linalg.", "special.")):
            continue
        twin = OPS.get(d.name + "_")
        if twin is None or not twin.inplace or alias + "_" in OPS:
            continue
        fn = _called_as(twin.fn, d.name + "_", alias + "_")
        register(alias + "_", fn, doc=f"In-place version of {alias} (``{d.name}_``).",
                 kind="method", differentiable=twin.differentiable, inplace=True)
        added.append(alias + "_")
    return added


inplace_twin("true_divide", OPS["true_divide"].fn, ufunc="true_divide")
