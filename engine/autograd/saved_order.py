"""The order of a node's saved tensors, as torch's: which one a ``saved_tensors_hooks`` pack
hook gets first, which one its unpack hook gets first at backward, and so which modified
tensor a version error names when several were changed in place.

torch generates one node class per derivative formula; its saved inputs are declared sorted
by their argument names, then its saved outputs, and the node packs them when the op runs and
unpacks them when backward reaches it in that order: ``a * b`` packs ``other`` (``b``) before
``self`` (``a``), ``torch.lerp(a, b, w)`` ``end``, ``self``, ``weight``, ``hypot`` ``other``,
``self``, then ``result``. The engine's ops list what their nodes save in the order their
rules read it (``record``'s ``saved``); this table names, per node, the engine's saved values
position by position with torch's field names, and the order is derived from them by torch's
rule, in one place (``order``). ``record`` keeps the engine's order for the rule and packs and
unpacks in torch's (``Node._had_tensors`` then holds the positions in torch's order).

A node whose engine layout has another length than declared (a composite that records the
node with other values) keeps the engine's order.
"""

from __future__ import annotations


def order(fields: str) -> tuple[int, ...]:
    """Positions of ``fields`` (the engine's saved values, position by position, by torch's
    names; ``>name`` an output of the op, ``.`` a value that is no tensor) in torch's order:
    the inputs by name, then the outputs by name (Python's string order: ``S`` before ``U``),
    then the other values (never packed)."""
    names = fields.split()
    inputs = [i for i, f in enumerate(names) if f[0] not in ">."]
    outputs = [i for i, f in enumerate(names) if f[0] == ">"]
    rest = [i for i, f in enumerate(names) if f == "."]
    named = [names[i] for i in inputs + outputs]
    if len(set(named)) != len(named) or len(inputs) + len(outputs) + len(rest) != len(names):
        raise ValueError(f"not a layout: {fields!r}")
    return tuple(sorted(inputs, key=lambda i: names[i]) +
                 sorted(outputs, key=lambda i: names[i][1:]) + rest)


#: node name -> {number of saved values: positions in torch's order}, only where that order
#: is not the engine's
ORDER: dict[str, dict[int, tuple[int, ...]]] = {}


def declare(fields: str, *nodes: str) -> None:
    """``nodes`` save ``fields`` (see ``order``)."""
    positions = order(fields)
    if positions == tuple(range(len(positions))):
        return
    for node in nodes:
        ORDER.setdefault(node, {})[len(positions)] = positions


def positions(name: str, n: int) -> tuple[int, ...] | None:
    """Torch's order of the ``n`` values node ``name`` saved, or None: the engine's."""
    entry = ORDER.get(name)
    return None if entry is None else entry.get(n)


# --------------------------------------------------------------------------- the table
# (measured on torch 2.13: its nodes' ``_saved_*`` fields, matched by identity with the
# tensors the engine's node holds, over the differential suite's programs)
# pointwise binary ops (``families.binary``: the operands as ``(input, other[, result])``)
declare("self other", "MulBackward0", "DivBackward0", "DivBackward2", "Atan2Backward0",
        "MaximumBackward0", "MinimumBackward0", "FmaxBackward0", "FminBackward0",
        "MaxBackward2", "MinBackward2", "LogaddexpBackward0", "Logaddexp2Backward0",
        "XlogyBackward0", "SpecialXlog1PyBackward0", "RemainderBackward1", "FmodBackward1",
        "CopysignBackward0", "NextafterBackward0", "LinalgCrossBackward0", "VdotBackward0")
declare("self other >result", "HypotBackward0", "DistBackward0")
declare("self exponent >result", "PowBackward1")
declare("self exponent", "PowBackward1")  # (an exponent without grad: no result kept)
declare("self end weight", "LerpBackward1")
declare("self min", "ClampMinBackward1")
declare("self max", "ClampMaxBackward1")
# products of matrices
declare("self mat2", "MmBackward0", "BmmBackward0")
# a tensor and its index or mask
declare("self index", "GatherBackward0", "TakeBackward0")
declare("self mask", "MaskedSelectBackward0")
declare("input grid", "GridSampler2DBackward0", "GridSampler3DBackward0")
# losses and normalizations
declare("self target weight pos_weight", "BinaryCrossEntropyWithLogitsBackward0")
declare(">is_target self target", "MultilabelMarginLossBackward0")
declare("input weight >result1 >result2 . . bias", "NativeLayerNormBackward0")
# decompositions
declare("self b >solution", "LinalgLstsqBackward0")
declare(">U >S >Vh", "LinalgSvdBackward0")
declare(">result self", "StandardGammaBackward0")
