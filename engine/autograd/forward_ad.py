"""Forward-mode AD: ``torch.autograd.forward_ad`` (dual tensors).

A dual tensor carries, per open level, a tangent (``Tensor._fw``: level -> tangent). Ops find
out about tangents where they already decide whether to record a graph node: ``needs_grad`` and
the families' checks consult ``FW_ACTIVE`` only when nothing requires grad, and ``record`` calls
``propagate`` only while a level is open somewhere. So with no level open, an op pays nothing.

``propagate`` computes an op's output tangent in one of three ways, cheapest first:

- an explicit rule handed to ``record(..., jvp=f)``: ``f(tangents)`` -> output tangent(s), with
  None for inputs without a tangent (linear ops apply themselves to the tangent, bilinear ones
  take the product rule);
- the op's own reverse rule, for elementwise families registered with ``elementwise_rules``: a
  pointwise op's Jacobian is diagonal, so its vector-Jacobian rule applied to a tangent IS the
  Jacobian-vector product (the tangent is broadcast to the output's shape);
- otherwise the generic fallback, the "double vjp": with ``u`` a fresh zero cotangent,
  ``J t = d/du <vjp(u), t>``. It is exact for every op whose reverse rule is written with engine
  ops (which create_graph needs anyway), and costs the reverse rule once plus one backward
  through it (about three times the op's own work).

Levels nest (``torch.func.jvp`` inside ``jvp`` gives forward-over-forward): a tangent for level
``L`` is computed with levels ``>= L`` hidden, so it carries the tangents of the outer levels.
The public ``dual_level`` refuses nesting, as PyTorch's does.
"""

from __future__ import annotations

import functools
import itertools
import weakref
from collections import namedtuple
from contextvars import ContextVar

from .. import errors
from ..modes import _grad_enabled, enable_grad
from ..tensor import Tensor
from .graph import FW_ACTIVE, OUTPUT, needs_grad, record

__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level",
           "make_dual", "unpack_dual"]

# open levels of this context, outermost first; and how many are visible (the rest are hidden
# while a tangent rule of a lower level runs)
_levels: ContextVar[tuple] = ContextVar("fw_levels", default=())
_visible: ContextVar[int | None] = ContextVar("fw_visible", default=None)
_inference: ContextVar[bool] = ContextVar("fw_inference", default=False)
_ids = itertools.count(1)
_holders: dict[int, list] = {}  # level -> weakrefs of the tensors holding a tangent there

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])

# reverse rules (the tuple handed to ``record``) that are their own tangent rules
_ELEMENTWISE: dict[int, tuple] = {}


def elementwise_rules(rules: tuple, cross: bool = False) -> tuple:
    """Mark an elementwise op's per-input reverse rules as its tangent rules too. ``cross``:
    the op saves its operands crosswise (``mul``), so the rules get the inputs themselves."""
    _ELEMENTWISE[id(rules)] = (rules, cross)
    return rules


# --------------------------------------------------------------------------- levels
def visible_levels() -> tuple:
    levels = _levels.get()
    if not levels or _inference.get():
        return ()
    n = _visible.get()
    return levels if n is None else levels[:n]


def _open(nested: bool) -> int:
    levels = _levels.get()
    if levels and not nested:
        raise errors.EngineRuntimeError(
            "Nested forward mode AD is not supported at the moment")
    level = next(_ids)
    _levels.set(levels + (level,))
    _holders[level] = []
    FW_ACTIVE[0] += 1
    return level


def _close(level: int) -> None:
    levels = _levels.get()
    if not levels or levels[-1] != level:
        raise errors.EngineRuntimeError(
            "Trying to exit a forward AD level that was not the last one that was created. "
            "This is not supported.")
    _levels.set(levels[:-1])
    FW_ACTIVE[0] -= 1
    for ref in _holders.pop(level, ()):
        t = ref()
        if t is not None:
            fw = t._fw
            fw.pop(level, None)
    return None


def enter_dual_level() -> int:
    """Open a forward-AD level (PyTorch allows one at a time) and return it."""
    return _open(False)


def exit_dual_level(*, level: int | None = None) -> None:
    levels = _levels.get()
    if level is None:
        if not levels:
            raise errors.EngineRuntimeError(
                "Trying to exit a forward AD level that was not the last one that was created. "
                "This is not supported.")
        level = levels[-1]
    _close(level)


class dual_level:
    """``with dual_level():`` the scope in which dual tensors live; on exit their tangents are
    dropped."""

    def __enter__(self) -> int:
        self._level = enter_dual_level()
        return self._level

    def __exit__(self, *exc) -> bool:
        _close(self._level)
        return False

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with dual_level():
                return fn(*args, **kwargs)

        return wrapper


class nested_level:
    """An internal level that may nest (``torch.func.jvp`` / ``jacfwd``)."""

    def __enter__(self) -> int:
        self._level = _open(True)
        return self._level

    def __exit__(self, *exc) -> bool:
        _close(self._level)
        return False


class _Hidden:
    """Hide levels ``>= level`` (while a tangent rule of that level runs)."""

    __slots__ = ("_n", "_token")

    def __init__(self, level: int):
        levels = visible_levels()
        n = 0
        while n < len(levels) and levels[n] < level:
            n += 1
        self._n = n

    def __enter__(self):
        self._token = _visible.set(self._n)

    def __exit__(self, *exc):
        _visible.reset(self._token)
        return False


# --------------------------------------------------------------------------- tangents
def get_tangent(t, level: int):
    fw = getattr(t, "_fw", None)
    return None if not fw else fw.get(level)


def set_tangent(t: Tensor, level: int, tangent: Tensor) -> None:
    fw = getattr(t, "_fw", None)
    if fw is None:
        t._fw = fw = {}
    if level not in fw:
        holders = _holders.get(level)
        if holders is not None:
            holders.append(weakref.ref(t))
    fw[level] = tangent


def _any_tangent(xs) -> bool:
    """Does any of ``xs`` carry a tangent at a visible level? (Only called while
    ``FW_ACTIVE``.)"""
    if not FW_ACTIVE[0]:
        return False
    levels = visible_levels()
    if not levels:
        return False
    for x in xs:
        fw = getattr(x, "_fw", None) if type(x) is Tensor else None
        if fw:
            for lv in levels:
                if lv in fw:
                    return True
    return False


def tangent_text(t: Tensor) -> str | None:
    """The ``tangent=...`` text of a tensor's repr (the innermost visible level)."""
    levels = visible_levels()
    fw = getattr(t, "_fw", None)
    if not fw or not levels:
        return None
    for lv in reversed(levels):
        tan = fw.get(lv)
        if tan is not None:
            return repr(tan.item()) if tan._data.ndim == 0 else repr(tan)
    return None


# --------------------------------------------------------------------------- public API
def _current_level(level):
    levels = visible_levels()
    if level is None:
        if not levels:
            return None
        return levels[-1]
    return level


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A view of ``tensor`` that carries ``tangent`` as its forward gradient at ``level``."""
    lvl = _current_level(level)
    if lvl is None:
        raise errors.EngineRuntimeError(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to "
            "enter_dual_level() first.")
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise errors.EngineTypeError("make_dual(): expected Tensors for primal and tangent")
    if not tangent.dtype.is_floating_point:
        raise errors.EngineValueError("Expected tangent to be floating point or complex, but "
                                      f"got: torch.{tangent.dtype.name}")
    if not tensor.dtype.is_floating_point:
        raise errors.EngineValueError(
            f"Expected primal to be floating point or complex, but got: torch.{tensor.dtype.name}")
    if tangent.shape != tensor.shape:
        raise errors.EngineRuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            "original Tensor, this is not supported. Tensor is of size "
            f"{errors.shape_text(tensor.shape)} while the given forward gradient is of size "
            f"{errors.shape_text(tangent.shape)}.")
    if tangent.dtype is not tensor.dtype:
        tangent = tangent.to(tensor.dtype)
    with _Hidden(lvl):  # the view must not carry an older tangent of this level
        dual = tensor.view(tensor.shape)
    set_tangent(dual, lvl, tangent)
    return dual


def unpack_dual(tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of a dual tensor: the primal is a view without the tangent; the
    tangent is None for a tensor that has none at this level."""
    lvl = _current_level(level)
    if lvl is None:
        return UnpackedDualTensor(tensor, None)
    tangent = get_tangent(tensor, lvl) if lvl in visible_levels() else None
    if tangent is None:
        return UnpackedDualTensor(_primal_view(tensor) if isinstance(tensor, Tensor)
                                  else tensor, None)
    with _Hidden(lvl):
        primal = _primal_view(tensor)
    return UnpackedDualTensor(primal, tangent)


def _primal_view(t: Tensor) -> Tensor:
    """torch's ``_fw_primal``: a view of all of ``t`` whose node is torch's ``Identity`` (its
    gradient is the incoming one, as it is)."""
    from ..ops.shape import make_view

    out = make_view(t, t._data.view(), _primal_view)
    if needs_grad(t):
        record(out, "Identity", (lambda g: g,), (t,), jvp=lambda ts: _primal_view(ts[0]))
    return out


# --------------------------------------------------------------------------- propagation
# set by ``engine.func.vmap``: adapts a reverse rule where batched and unbatched inputs meet
BATCH_BOUNDARY: list = [None]


def propagate(outputs, rule, inputs: tuple, saved: tuple, per_input: bool, jvp,
              name: str | None = None) -> None:
    """Give ``outputs`` their tangents at every visible level where an input has one (called
    after the outputs got their reverse-mode node, so tangents that read an output are
    differentiable through it). ``name``: the op's node name (None for a custom Function)."""
    levels = visible_levels()
    if levels:
        for lvl in levels:
            tangents = [get_tangent(x, lvl) if type(x) is Tensor else None for x in inputs]
            if any(t is not None for t in tangents):
                with _Hidden(lvl):
                    result = _tangents(outputs, rule, inputs, saved, per_input, jvp, tangents,
                                       name)
                    if name is not None and name not in PRIMAL_FREE and \
                            _grad_enabled.get() and not (
                                name in PRIMAL_FREE_WHEN and PRIMAL_FREE_WHEN[name](inputs)):
                        result = _read_primals(result, inputs,
                                               PRIMAL_FREE_OUTPUTS.get(name, ()))
                    _attach(outputs, lvl, result)


# Outputs (by position) whose tangent formula in PyTorch reads no primal, of ops whose other
# outputs' formulas do (triangular_solve's cloned_coefficient: the tangent of A)
PRIMAL_FREE_OUTPUTS: dict = {"TriangularSolveBackward0": (1,)}


# Ops whose tangent formula reads no primal for some calls: ``name -> predicate(inputs)``
# (linalg.householder_product without reflectors: torch's tangent is its zeros, no term).
PRIMAL_FREE_WHEN: dict = {}


# Ops whose tangent formula in PyTorch reads no primal (linear ops, and ops that only select
# or mask by the primals' values): their tangent requires grad only through the tangents. Every
# other op's formula reads its primals (those without a tangent enter as zero tangents times a
# primal), so in grad mode its tangent requires grad whenever one of its inputs does.
PRIMAL_FREE = frozenset("""
    AddBackward0 AddBackward1 SubBackward0 SubBackward1 RsubBackward0 RsubBackward1 NegBackward0
    PositiveBackward0 CloneBackward0 AliasBackward0 ToCopyBackward0 CopyBackwards CopySlices
    ViewBackward0 UnsafeViewBackward0 ReshapeAliasBackward0 ExpandBackward0 SqueezeBackward0
    SqueezeBackward1 SqueezeBackward2 SqueezeBackward3 SqueezeBackward4 UnsqueezeBackward0
    TBackward0 TBackward1 TransposeBackward0 TransposeBackward1 PermuteBackward0 SelectBackward0
    SliceBackward0 NarrowBackward0 AsStridedBackward0 DiagonalBackward0 DiagonalBackward0_copy
    DiagEmbedBackward0 TraceBackward0 TrilBackward0 TriuBackward0 FlipBackward0 RollBackward0
    RepeatBackward0 UnfoldBackward0 CatBackward0 StackBackward0 SplitBackward0
    SplitWithSizesBackward0 UnbindBackward0 SumBackward0 SumBackward1 MeanBackward0
    MeanBackward1 CumsumBackward0 IndexBackward0 IndexSelectBackward0 GatherBackward0
    IndexAddBackward0 IndexPutBackward0 ScatterAddBackward0 MaskedFillBackward0
    MaskedFillBackward1 WhereBackward0 FillBackward2 FillBackward3 ZeroBackward0
    EmbeddingBackward0 ConstantPadNdBackward0 ReflectionPad1DBackward0 ReflectionPad2DBackward0
    ReflectionPad3DBackward0 ReplicationPad1DBackward0 ReplicationPad2DBackward0
    ReplicationPad3DBackward0 DivBackward2 RemainderBackward0 FmodBackward0 XlogyBackward2
    Col2ImBackward0 Im2ColBackward0 AvgPool2DBackward0 AvgPool3DBackward0
    AdaptiveAvgPool2DBackward0 AdaptiveAvgPool3DBackward0 AdaptiveMaxPool2DBackward0
    AdaptiveMaxPool3DBackward0 MaxPool2DWithIndicesBackward0 MaxPool3DWithIndicesBackward0
    UpsampleBicubic2DBackward0 UpsampleBilinear2DBackward0 UpsampleLinear1DBackward0
    UpsampleNearest1DBackward0 UpsampleNearest2DBackward0 UpsampleNearest3DBackward0
    UpsampleNearestExact1DBackward0 UpsampleNearestExact2DBackward0
    UpsampleNearestExact3DBackward0 UpsampleTrilinear3DBackward0 MaxBackward0 MaxBackward1
    MinBackward0 MinBackward1 AmaxBackward0 AminBackward0 MaximumBackward0 MinimumBackward0
    FmaxBackward0 FminBackward0
    MedianBackward0 MedianBackward1 NanmedianBackward0 NanmedianBackward1 KthvalueBackward0
    ModeBackward0 SortBackward0 TopkBackward0 ClampBackward0 ClampBackward1 ClampMaxBackward0
    ClampMaxBackward1 ClampMinBackward0 ClampMinBackward1 NanToNumBackward0 LerpBackward0
    Deg2RadBackward0 Rad2DegBackward0 FloorBackward0 CeilBackward0 RoundBackward0
    RoundBackward1 TruncBackward0 FracBackward0 SignBackward0 PixelShuffleBackward0
    PixelUnshuffleBackward0 ChannelShuffleBackward0 Rot90Backward0 SgnBackward0
    SliceScatterBackward0 SelectScatterBackward0 DiagonalScatterBackward0 NarrowCopyBackward0
    MaskedSelectBackward0
    NansumBackward0 CummaxBackward0 CumminBackward0 SpecialXlog1PyBackward2 AminmaxBackward0
    VarMeanBackward0 StdMeanBackward0 BlockDiagBackward0 LuUnpackBackward0
    MulBackward1 DivBackward1 FrexpBackward0 NextafterBackward0 AffineGridGeneratorBackward0
""".split())


def _read_primals(result, inputs: tuple, free: tuple = ()):
    """Tangents that do not require grad, of an op whose PyTorch formula reads its primals:
    made differentiable with respect to the inputs that require grad (a zero gradient, as the
    zero-tangent terms of that formula give); the outputs at positions ``free`` are left."""
    primals = [x for x in inputs if type(x) is Tensor and x.requires_grad]
    if not primals:
        return result
    outs = result if isinstance(result, (tuple, list)) else (result,)
    fixed = []
    for i, t in enumerate(outs):
        if t is not None and not t.requires_grad and t.dtype.is_floating_point and \
                i not in free:
            t = _connected(t, primals)
        fixed.append(t)
    return tuple(fixed) if isinstance(result, (tuple, list)) else fixed[0]


def _connected(t: Tensor, primals: list) -> Tensor:
    from ..tensor import _wrap
    from .graph import record

    out = _wrap(t._data, t.dtype, t.device)
    rules = tuple(functools.partial(_zero_grad, p.shape, p.dtype, p.device) for p in primals)
    record(out, "AddBackward0", rules, tuple(primals))
    return out


def _zero_grad(shape, dtype, device, g, *saved) -> Tensor:
    from ..ops import zeros

    return zeros(shape, dtype=dtype, device=device)


def reverse_rule(outputs, rule, inputs: tuple, per_input: bool):
    """The reverse rule to record (adapted at a ``vmap`` boundary), or None when no
    reverse-mode node is needed (grad mode off, or no input requires grad)."""
    if not _grad_enabled.get():
        return None
    for x in inputs:
        if type(x) is Tensor and x.requires_grad:
            hook = BATCH_BOUNDARY[0]
            return rule if hook is None else hook(outputs, rule, inputs, per_input)
    return None


def _attach(outputs, lvl: int, result) -> None:
    outs = (outputs,) if type(outputs) is Tensor else tuple(outputs)
    result = result if isinstance(result, (tuple, list)) else (result,)
    for o, t in zip(outs, result):
        if t is None or type(o) is not Tensor or not o.dtype.is_floating_point:
            continue
        if t._data.shape != o._data.shape:
            t = t.expand(o.shape) if len(t.shape) <= len(o.shape) else t.reshape(o.shape)
        if t.dtype is not o.dtype:
            t = t.to(o.dtype)
        set_tangent(o, lvl, t)


def _resolve(saved: tuple, outputs) -> tuple:
    first = outputs if type(outputs) is Tensor else outputs[0]
    return tuple(first if s is OUTPUT else s for s in saved)


# Elementwise ops whose tangent formula in torch is a sum of one term per operand: an operand
# without a tangent gets zeros there (torch's codegen fills undefined tangents), so the sum is
# always taken (AddBackward0 where the program's graph reaches the tangent)
SUM_OF_TERMS = frozenset(("MulBackward0", "PowBackward1"))


def _tangents(outputs, rule, inputs, saved, per_input, jvp, tangents, name=None):
    if jvp is not None:
        return jvp(tangents)
    known = _ELEMENTWISE.get(id(rule))
    if known is not None and known[0] is rule:
        rules, cross = known
        args = tuple(inputs) if cross else _resolve(saved, outputs)
        total, terms = None, 0
        for f, t in zip(rules, tangents):
            if t is None or f is None:
                continue
            part = f(t, *args)
            terms += 1
            total = part if total is None else total + part
        if terms == 1 and name in SUM_OF_TERMS and total.requires_grad and _grad_enabled.get():
            total = _plus_zero_term(total)
        return total
    return _double_vjp(outputs, rule, inputs, _resolve(saved, outputs), per_input, tangents)


def _plus_zero_term(total: Tensor) -> Tensor:
    """``total + 0`` as torch's sum with a zero-filled term records it (one AddBackward0 node
    whose gradient is the incoming one); the values stay ``total``'s, signed zeros included
    (torch's zero tensor adds nothing)."""
    from ..tensor import _wrap
    from .graph import record

    out = _wrap(total._data.copy(), total.dtype, total.device)
    record(out, "AddBackward0", (lambda g: g,), (total,))
    return out


def _double_vjp(outputs, rule, inputs, saved, per_input, tangents):
    """``J t`` from the reverse rule: differentiate ``<vjp(u), t>`` with respect to ``u``."""
    from .engine import run_backward

    outs = (outputs,) if type(outputs) is Tensor else tuple(outputs)
    us = []
    for o in outs:
        u = _zeros(o)
        u.requires_grad = True
        us.append(u)
    wants_graph = _grad_enabled.get() and any(
        type(x) is Tensor and x.requires_grad for x in tuple(tangents) + tuple(saved))
    with enable_grad():
        g = us[0] if len(us) == 1 else tuple(us)
        if per_input:
            gins = [None if t is None or f is None else f(g, *saved)
                    for f, t in zip(rule, tangents)]
        else:
            needs = tuple(t is not None for t in tangents)
            gins = list(rule(g, needs, *saved))
        total = None
        for gi, t in zip(gins, tangents):
            if gi is None or t is None:
                continue
            part = (gi * t).sum()
            total = part if total is None else total + part
        floating = [i for i, o in enumerate(outs) if o.dtype.is_floating_point]
        if total is None or not total.requires_grad:
            return tuple(_zeros(o) for o in outs)
        got = run_backward([total], [None], wants_graph, wants_graph,
                           inputs=[us[i] for i in floating], accumulate=False,
                           allow_unused=True)
    result = [None] * len(outs)
    for i, gi in zip(floating, got):
        result[i] = _zeros(outs[i]) if gi is None else gi
    return tuple(result)


def _zeros(o: Tensor) -> Tensor:
    from ..ops import zeros

    return zeros(o.shape, dtype=o.dtype, device=o.device)


def transfer_tangent(result: Tensor | None, target: Tensor) -> None:
    """An in-place op wrote ``result`` into ``target``: ``target`` takes its tangents (zeros
    where ``result`` has none and ``target`` had one; ``result`` None: a fill). When ``target``
    is a view, its base's tangent takes them in the viewed region (a base without a tangent gets
    zeros elsewhere), as PyTorch's views share their base's forward gradient."""
    fw = getattr(result, "_fw", None)
    levels = visible_levels()
    for lv in levels:
        t = fw.get(lv) if fw else None
        if target._base is not None and target._view_fn is not None and \
                _write_into_base(target, lv, t):
            continue
        if t is not None:
            set_tangent(target, lv, t)
        elif get_tangent(target, lv) is not None:
            set_tangent(target, lv, _zeros(target))


def _write_into_base(view: Tensor, lvl: int, tangent) -> bool:
    """Write ``tangent`` (None: zeros) into the region of the base's tangent that ``view``
    covers. False where the view's tangent is its own (a dual made by ``make_dual`` and its
    views: the base never had one), or where there is nothing to write."""
    base = view._base
    if not base.dtype.is_floating_point:
        return False
    current = get_tangent(base, lvl)
    if current is None and (tangent is None or get_tangent(view, lvl) is not None):
        return False
    with _Hidden(lvl):
        fresh = _zeros(base) if current is None else current.clone()
        region = view._view_fn(fresh)
        if tangent is None:
            region.zero_()
        else:
            region.copy_(tangent)
        set_tangent(base, lvl, fresh)
        set_tangent(view, lvl, view._view_fn(fresh))
    return True
