"""Graph nodes: what ``record`` attaches to an op's outputs.

A node is made by ``record`` when an op runs with grad mode on and some input requires grad.
It holds, per differentiable input, an edge ``(next_node, output_nr)`` and the input's
``(shape, dtype)``, and the gradient rule of its op.
"""

from __future__ import annotations

import itertools
import weakref
from contextvars import ContextVar

import numpy as np

from .. import errors
from ..dtypes import bool_, int64
from ..modes import _grad_enabled, no_grad
from ..tensor import Tensor, _wrap
from ..utils.hooks import RemovableHandle


class SavedTensor:
    """A tensor saved for backward, checked against in-place changes when it is used."""

    __slots__ = ("tensor", "version", "vc", "owner_nr", "is_output", "ref")

    def __init__(self, t: Tensor, is_output: bool):
        self.vc = vc = t._vc
        self.version = vc[0]
        self.owner_nr = t._output_nr
        self.is_output = is_output
        if is_output:  # no strong reference: output -> node -> output would be a cycle
            self.tensor = t._data, t.dtype, t.device
            self.ref = weakref.ref(t)
        else:
            self.tensor = t

    def unpack(self, node: Node) -> Tensor:
        if self.vc[0] != self.version:
            data, dtype, device = (self.tensor._data, self.tensor.dtype, self.tensor.device) \
                if not self.is_output else self.tensor
            # a saved input is named by its producer now (a view written into has a new one)
            fn = node if self.is_output else self.tensor.grad_fn
            # PyTorch names the producer without its "Backward<n>" suffix here
            owner = "" if fn is None else \
                f", which is output {self.owner_nr} of {_op_name(fn.name())},"
            raise errors.EngineRuntimeError(errors.INPLACE_MODIFIED.format(
                type=errors.saved_type_name(_wrap(data, dtype, device)),
                shape=errors.shape_text(data.shape), owner=owner,
                version=self.vc[0], expected=self.version))
        if not self.is_output:
            return self.tensor
        t = self.ref()
        if t is None:  # rebuild the output as the graph knew it
            data, dtype, device = self.tensor
            t = _wrap(data, dtype, device)
            t._grad_fn, t.requires_grad, t._vc = node, True, self.vc
            self.ref = weakref.ref(t)
        return t


def unpack_in_order(node, saved, order: tuple) -> list:
    """``saved`` unpacked in torch's order (``order``: positions; ``saved_order``), in the
    engine's positions."""
    out = list(saved)
    for i in order if len(order) == len(saved) else range(len(saved)):
        s = saved[i]
        if type(s) is SavedTensor:
            out[i] = s.unpack(node)
    return out


def _op_name(node_name: str) -> str:
    """How PyTorch names a node in errors: ``MulBackward0`` -> ``Mul``, ``PowBackward2`` ->
    ``Pow2``."""
    i = node_name.rfind("Backward")
    n = node_name[i + 8:]
    if i <= 0 or n and not n.isdigit():  # (``torch::autograd::CopyBackwards`` stays whole)
        return node_name
    return node_name[:i] + ("" if n == "0" else n)


# torch's sequence numbers: every node takes the next one when it is made; backward runs the
# ready node with the highest number first (the one made last), and a leaf's AccumulateGrad
# before any (torch gives it UINT64_MAX). Stored negated (``_seq``), so a min-heap orders them.
_SEQ = itertools.count(1)
ACCUMULATE_SEQ = -(1 << 64)


class Node:
    """One recorded op. ``name()`` is PyTorch's node name, e.g. ``MulBackward0``.

    ``_hooks`` is None only on a plain node: of this very class, one output, no hooks, no
    metadata, no retained gradient (run_backward's fast path tests this one slot); every
    other node has a dict there, empty when it has none of those.

    ``_out_meta``: (shape, dtype, device) of the output when ``_nout`` is 1, else a tuple of
    them, one per output (None for AccumulateGrad): one tuple less per node of one output (a
    GC-tracked object fewer: gen-0 collections come per ~700 of them).

    ``_meta``: per input, what a gradient for it is fitted to (``engine._fit``): (shape, dtype)
    read off the input, or, for a non-view input made by a node of one output, that node's
    ``_out_meta`` itself (torch checks a gradient against its producer's metadata too): no new
    tuples per such input (two GC-tracked objects fewer per edge)."""

    __slots__ = ("_name", "_rule", "_per_input", "_saved", "_had_tensors", "_edges", "_meta",
                 "_nout", "_out_meta", "_hooks", "_retains", "_seq", "__weakref__")

    #: a node of one of the classes ``node_type`` makes (a custom Function's ctx, a leaf's
    #: accumulator and the nodes with their own behaviour are not)
    _plain = True
    #: a base class whose nodes ``record(node=...)`` moves into ``node_type(name, base)``
    _named_by_record = False

    def __init__(self, name, rule, per_input, saved, had_tensors, edges, meta, nout):
        self._seq = -next(_SEQ)
        self._name = name
        self._rule = rule
        self._per_input = per_input
        self._saved = saved
        self._had_tensors = had_tensors
        self._edges = edges
        self._meta = meta
        self._nout = nout
        self._out_meta = None
        self._hooks = None
        self._retains = None

    def name(self) -> str:
        name = self._name
        return QUALIFIED.get(name, name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    @property
    def output_shapes(self) -> tuple:
        """The shapes of the outputs this node produced (empty for AccumulateGrad)."""
        meta = self._out_meta
        if meta is None:
            return ()
        return (meta[0],) if self._nout == 1 else tuple(None if m is None else m[0]
                                                         for m in meta)

    @property
    def next_functions(self) -> tuple:
        return tuple((None, 0) if e is None else e for e in self._edges)

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` after this node computed its gradients; a
        non-None return replaces ``grad_inputs``."""
        hooks = self._node_hooks("post")
        hooks.append(fn)
        return RemovableHandle(hooks, entry=fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` before this node runs; a non-None return replaces them."""
        hooks = self._node_hooks("pre")
        hooks.append(fn)
        return RemovableHandle(hooks, entry=fn)

    @property
    def metadata(self) -> dict:
        if self._hooks is None:
            self._hooks = {}
        return self._hooks.setdefault("metadata", {})

    def _node_hooks(self, kind: str) -> list:
        if self._hooks is None:
            self._hooks = {}
        return self._hooks.setdefault(kind, [])

    def _tensor_hooks(self, output_nr: int) -> list:
        if self._hooks is None:
            self._hooks = {}
        return self._hooks.setdefault(output_nr, [])

    def _add_retain(self, output_nr: int, t: Tensor) -> None:
        if self._hooks is None:  # (run_backward's fast path looks at ``_hooks`` alone)
            self._hooks = {}
        if self._retains is None:
            self._retains = {}
        self._retains[output_nr] = weakref.ref(t)

    def _unpack(self) -> tuple:
        saved = self._saved
        if saved is None:
            raise errors.EngineRuntimeError(errors.BACKWARD_TWICE)
        had = self._had_tensors
        if type(had) is tuple:
            return unpack_in_order(self, saved, had)
        if had is not True:
            return saved
        out = []
        for s in saved:
            out.append(s.unpack(self) if type(s) is SavedTensor else s)
        return out

    def apply(self, grads: list) -> tuple:
        """Gradients for each edge (None where no gradient flows)."""
        saved = self._saved
        if saved is None:
            raise errors.EngineRuntimeError(errors.BACKWARD_TWICE)
        had = self._had_tensors
        if had is True:  # (``_unpack``, inline)
            saved = [s.unpack(self) if type(s) is SavedTensor else s for s in saved]
        elif type(had) is tuple:
            saved = unpack_in_order(self, saved, had)
        g = grads[0] if self._nout == 1 else tuple(grads)
        if self._per_input:
            edges = self._edges
            if len(edges) == 1:
                f = self._rule[0]
                return [None if edges[0] is None or f is None else f(g, *saved)]
            out = []
            for e, f in zip(edges, self._rule):
                out.append(None if e is None or f is None else f(g, *saved))
            return out
        needs = tuple(e is not None for e in self._edges)
        out = self._rule(g, needs, *saved)
        return out if type(out) is tuple else (out,)


# torch's nodes written by hand in C++ (torch/csrc/autograd/functions), not generated from
# derivatives.yaml: their ``name()`` carries the namespace
QUALIFIED = {n: "torch::autograd::" + n for n in (
    "AccumulateGrad", "CopySlices", "CopyBackwards", "Error", "DelayedError", "NotImplemented",
    "UndefinedGrad", "UndefinedGradBackward", "Identity", "GraphRoot")}
# ... of which torch gives these no Python class of their own: their type is ``CppFunction``
_CPP_FUNCTION = frozenset(("Identity", "GraphRoot"))
_NODE_TYPES: dict[tuple[str, type], type] = {}


def node_type(name: str, base: type | None = None) -> type:
    """The class of the nodes called ``name`` (torch has one per node: ``type(y.grad_fn)`` is
    ``MulBackward0``), a subclass of ``base`` (``Node``) without slots of its own."""
    base = Node if base is None else base
    cls = _NODE_TYPES.get((name, base))
    if cls is None:
        title = "CppFunction" if name in _CPP_FUNCTION else name
        cls = type(title, (base,), {"__slots__": (), "__module__": base.__module__,
                                    "__qualname__": title, "_generated": True})
        _NODE_TYPES[(name, base)] = cls
    return cls


def rename(node: Node, name: str) -> None:
    """Call ``node`` ``name`` (an op that records through another's node: ``t_`` is
    ``TBackward1``), of torch's class of that name."""
    node._name = name
    cls = type(node)
    if cls.__dict__.get("_generated"):
        node.__class__ = node_type(name, cls.__base__)


def display_name(fn: Node) -> str:
    """How torch's tensor repr names a node (``grad_fn=<CopySlices>``, ``<Identity>``)."""
    name = type(fn).__name__
    return fn.name().rsplit("::", 1)[-1] if name == "CppFunction" else name


class AccumulateGrad(Node):
    """The sink of a leaf: adds the incoming gradient into ``variable.grad``."""

    __slots__ = ("variable",)
    _plain = False

    def __init__(self, variable: Tensor):
        super().__init__("AccumulateGrad", None, False, (), False, (), (), 1)
        self._seq = ACCUMULATE_SEQ
        self._hooks = {}  # (not a plain Node: see Node)
        self.variable = variable


def grad_accumulator(t: Tensor) -> AccumulateGrad:
    ref = t._acc
    node = None if ref is None else ref()
    if node is None:  # (AccumulateGrad(t), inline: two nested __init__ calls less)
        node = _new(AccumulateGrad)
        node._seq = ACCUMULATE_SEQ
        node._name = "AccumulateGrad"
        node._rule = None
        node._per_input = False
        node._saved = ()
        node._had_tensors = False
        node._edges = ()
        node._meta = ()
        node._nout = 1
        node._out_meta = None
        node._hooks = {}  # (not a plain Node: see Node)
        node._retains = None
        node.variable = t
        t._acc = _weakref(node)
    return node


def edge_of(t: Tensor):
    """Where a gradient for ``t`` flows: its producer's output, or its leaf accumulator."""
    if t._base is not None and t._view_fn is not None and t._vc[0] != t._view_version:
        _refresh_view(t)
    fn = t._grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t.requires_grad:
        return (grad_accumulator(t), 0)
    return None


def _refresh_view(t: Tensor) -> None:
    """The base of this view was changed in place since the view's graph was made: the view's
    gradient now flows through the base's new history (as PyTorch does)."""
    if t._base.requires_grad:
        creation = getattr(t._view_fn, "creation", None)
        if creation is not None:  # PyTorch cannot regenerate such a view's node: it refuses
            raise view_rebase_error(t, creation, indirect=True)
        regraph_view(t)
    t._view_version = t._vc[0]


def view_rebase_error(t: Tensor, creation: str, indirect: bool) -> Exception:
    """PyTorch's error for a view that may not be rebased (``creation``: "multi" for one of
    several views one op returned, "no_grad" for one made in no_grad mode, "custom" for an input
    a custom Function returned as-is), written into
    (``indirect``: its base or another view of it was)."""
    modified = errors.VIEW_MODIFIED_INDIRECT if indirect else errors.VIEW_MODIFIED
    fn = t._grad_fn
    if fn is None:
        head = errors.VIEW_REBASE_NO_GRAD.format(modified=modified)
    else:
        head = (errors.VIEW_REBASE_OUTPUT if creation == "multi" else
                errors.VIEW_REBASE_OUTPUT_NO_GRAD).format(nr=t._output_nr,
                                                          op=_op_name(fn.name()),
                                                          modified=modified)
    tail = errors.VIEW_REBASE_MULTI if creation == "multi" else errors.VIEW_REBASE_NO_GRAD_TAIL
    if creation == "custom":  # an input a custom Function handed back as its output
        head = errors.VIEW_REBASE_OUTPUT.format(nr=t._output_nr, op=_op_name(fn.name()),
                                                modified=modified)
        tail = errors.VIEW_REBASE_CUSTOM_TAIL
    return errors.EngineRuntimeError(head + tail)


def regraph_view(t: Tensor) -> None:
    """Make ``t``'s node PyTorch's ``AsStridedBackward0`` of its base's current history: the
    gradient of the base is the view's gradient put back where the view's elements live."""
    if t.dtype.is_floating_point:
        return _regraph_view(t)
    token = WRITING_INTEGRAL.set(True)  # (a view of an integer tensor written in place)
    try:
        return _regraph_view(t)
    finally:
        WRITING_INTEGRAL.reset(token)


def _regraph_view(t: Tensor) -> None:
    base = t._base
    t._view_version = t._vc[0]
    if FW_ACTIVE[0]:  # tangents too: replay the view ops themselves
        fresh = t._view_fn(base)
        t._grad_fn, t._output_nr, t.requires_grad = fresh._grad_fn, fresh._output_nr, True
        return
    xp = base.device.xp
    shape = base._data.shape
    where = _view_positions(base, t._view_fn)
    unique = xp.unique(where).size == where.size
    where = _wrap(xp.ascontiguousarray(where), int64, base.device)
    record(t, "AsStridedBackward0", (lambda g: _as_strided_backward(g, where, shape, unique),),
           (base,))
    t._output_nr = 0


def _as_strided_backward(g: Tensor, where: Tensor, shape: tuple, unique: bool) -> Tensor:
    """The view's gradient put where its elements live: copied (so ``-0.`` stays ``-0.``, as
    PyTorch's) unless elements share memory (an expanded view), where they add up."""
    flat = _wrap(g.device.xp.zeros(int(np.prod(shape)), dtype=g.dtype.np),
                 g.dtype, g.device)
    if unique:
        return flat.index_put((where,), g.reshape(-1)).reshape(shape)
    return flat.index_add(0, where, g.reshape(-1)).reshape(shape)


def _view_positions(base: Tensor, view_fn):
    """The flat positions in ``base`` of the elements of ``view_fn(base)``."""
    xp = base.device.xp
    positions = _wrap(xp.arange(base._data.size, dtype=xp.int64).reshape(base._data.shape),
                      int64, base.device)
    with no_grad():
        return view_fn(positions)._data.reshape(-1)


def copy_slices(base: Tensor, view: Tensor, fn) -> bool:
    """In-place op on ``view`` (of ``base``) whose out-of-place node is ``fn``: give ``base``
    PyTorch's ``CopySlices`` node. Its backward runs ``fn`` on the view's part of the gradient
    and writes (not adds: signs of zero stay as PyTorch's) the result for the view's old values
    into that part; ``fn``'s other inputs get theirs directly. False (nothing recorded) where
    ``fn`` does not take the view as its first input (a composite op's last node)."""
    if FW_ACTIVE[0] or fn is None or fn._nout != 1 or not fn._plain:
        return False
    first = fn._edges[0] if fn._edges else None
    if first is not None and (first[0] is not view._grad_fn or first[1] != view._output_nr) \
            and not (fn._name == "NotImplemented" and not base.requires_grad):
        # (torch's NotImplemented node has edges only to the inputs that require grad, and
        # CopySlices takes its first as the view's, in its place the base's: the other
        # input's edge is dropped; backward runs the node, which refuses, while
        # autograd.grad for that input finds it unused)
        return False
    view_fn = view._view_fn
    base_edge = edge_of(base) if base.requires_grad else None
    meta0 = fn._meta[0] if fn._meta else None

    def rule(g, needs):
        try:
            out = fn.apply([_view_of(g, view_fn).clone()])
        except errors.EngineRuntimeError as e:  # a gradient the wrapped node refused: torch's
            head = f"Function {fn.name()} returned an invalid gradient"  # engine names the
            if not str(e).startswith(head):                               # CopySlices
                raise
            raise errors.EngineRuntimeError(
                "Function torch::autograd::CopySlices" + str(e)[len(f"Function {fn.name()}"):]
            ) from None
        needed = BACKWARD_NEEDED.get()[0]
        if not needs[0] or needed is not None and base_edge[0] not in needed:
            return (None,) + tuple(out[1:])
        where = _view_positions(g, view_fn)
        if g.device.xp.unique(where).size != where.size:  # PyTorch copies into an overlapping view
            raise errors.EngineRuntimeError(errors.INTERNAL_OVERLAP)
        r0 = out[0] if len(out) else None
        if r0 is not None and meta0 is not None and (
                r0._data.shape != meta0[0] or r0.dtype is not meta0[1]):
            r0 = _fit_grad(r0, meta0)
        return (_write_slice(g, r0, view_fn, where),) + tuple(out[1:])

    had = fn._had_tensors  # (freed with the node it wraps; nothing of its own to unpack)
    node = node_type("CopySlices")("CopySlices", rule, False, (),
                                   True if type(had) is tuple else had,
                (base_edge,) + tuple(fn._edges[1:]),
                ((base._data.shape, base.dtype),) + tuple(fn._meta[1:]), 1)
    if HOOKS_ACTIVE[0]:
        _anomaly.note_forward(node)
    node._out_meta = (base._data.shape, base.dtype, base.device)
    base._grad_fn, base._output_nr, base.requires_grad = node, 0, True
    return True


def _fit_grad(g: Tensor, meta) -> Tensor:
    from .engine import _fit

    return _fit(g, meta)


def _write_slice(g: Tensor, r0, view_fn, where) -> Tensor:
    """A copy of ``g`` with the view's part replaced by ``r0`` (zeros where None), recorded as
    PyTorch's ``CopySlices`` when building a graph. ``where``: the view's positions in the
    base (``_view_positions``; written through them, not through a replay of the view, which
    over a base whose shape changed in place may be a copy: ``shape.relayout_views``)."""
    xp = g.device.xp
    arr = g._data.copy()  # (row-major: flat positions index it)
    out = _wrap(arr, g.dtype, g.device)
    flat = arr.reshape(-1)
    flat[where] = 0 if r0 is None else r0._data.reshape(-1)
    if _grad_enabled.get() and (g.requires_grad or r0 is not None and r0.requires_grad):
        mask = xp.zeros(arr.size, dtype=bool)
        mask[where] = True
        written = _wrap(mask.reshape(arr.shape), bool_, g.device)
        record(out, "CopySlices", (lambda gg: gg.masked_fill(written, 0),
                                   lambda gg: _view_of(gg, view_fn)), (g, r0))
    return out


def _view_of(g: Tensor, view_fn) -> Tensor:
    """The view's part of a gradient of its base: ``view_fn`` replayed on ``g`` laid out as
    the base (row-major), as torch's CopySlices copies the gradient into a tensor of the
    base's geometry first; an ``as_strided`` view reads storage, and an expanded or
    transposed gradient's storage is not the base's (the second-order gradient through an
    in-place op on an ``as_strided`` view lost those elements)."""
    return view_fn(g if g.is_contiguous() else g.contiguous())


_new = object.__new__
_weakref = weakref.ref

OUTPUT = object()  # marker in ``saved``: save the op's output

#: ``Node._had_tensors`` of a node whose ``saved`` holds Python numbers that count as saved
#: tensors (``record``'s ``saves_scalars``) but no ``SavedTensor``: freed after backward like
#: tensors (truthy), with nothing to unpack (``is True`` marks the nodes that must unpack).
SCALARS_ONLY = 2

# Non-zero while some backward runs torch's derivative formulas under create_graph (in any
# context); ``in_formula()`` says whether this context does: torch's formulas are C++, where
# ``grad * 2`` is the Scalar overload (MulBackward1, one edge), not a program's MulBackward0
FORMULA_ANY = [0]
_IN_FORMULA: ContextVar = ContextVar("engine_in_formula", default=False)


def in_formula() -> bool:
    return _IN_FORMULA.get()


def enter_formula(on: bool):
    """Start (``on``) or stop (user code: a custom Function's backward, a hook) counting
    recorded ops as torch's C++ formulas; returns the token for ``exit_formula``."""
    if on:
        FORMULA_ANY[0] += 1
    return on, _IN_FORMULA.set(on)


def exit_formula(token) -> None:
    on, t = token
    _IN_FORMULA.reset(t)
    if on:
        FORMULA_ANY[0] -= 1


def user_call(fn, *args):
    """``fn(*args)`` for user code a backward runs (hooks, a custom Function's backward):
    what it records is a program's ops, not a formula's."""
    if not FORMULA_ANY[0]:
        return fn(*args)
    token = _IN_FORMULA.set(False)
    try:
        return fn(*args)
    finally:
        _IN_FORMULA.reset(token)


# Non-zero while a forward-AD level or a ``vmap`` is open (FW_ACTIVE), or anomaly detection is on
# (HOOKS_ACTIVE), in any context: only then do ``record`` and ``needs_grad`` look further
# (``forward_ad``, ``engine.func.vmap``, ``anomaly``).
FW_ACTIVE = [0]
HOOKS_ACTIVE = [0]

#: True while an in-place op computes what it writes into an integer or bool tensor: torch
#: rebases that tensor's history (``x_int.masked_fill_(m, v)`` with ``v`` requiring grad records
#: ``MaskedFillBackward1`` on it) without the check an out-of-place result gets, "Autograd not
#: support dtype" (``record`` below). ``engine.ops.families.writing_into`` sets it.
WRITING_INTEGRAL: ContextVar = ContextVar("engine_writing_integral", default=False)
# The running backward's (needed, deps, roots, accumulate): the nodes it computes gradients
# for (None: all; autograd.grad with inputs prunes: a CopySlices writes its view's gradient
# only where the base's history is needed), every node it reached below its roots, its roots,
# and whether it accumulates into .grad (backward) or returns gradients (autograd.grad). deps
# is also the backward's identity (torch's graph task) and says which nodes it will run
# (``will_execute``: register_multi_grad_hook).
BACKWARD_NEEDED: ContextVar = ContextVar("engine_backward_needed",
                                          default=(None, None, (), True))


def will_execute(node) -> bool:
    """Whether the running backward will run ``node`` (torch's _will_engine_execute_node)."""
    needed, deps, roots, accumulate = BACKWARD_NEEDED.get()
    if deps is None:
        return False
    if node not in deps and node not in roots or needed is not None and node not in needed:
        return False
    if not accumulate and type(node) is AccumulateGrad:  # an input of autograd.grad
        raise errors.EngineRuntimeError(
            "A leaf node was passed to _will_engine_execute_node but we are currently running "
            "autograd.grad(). This is currently not supported.")
    return True


def _without_guards(f, k: int, per_input: bool):
    """A rule that is given the node's saved values and its guards, calling ``f`` with the
    saved values only (the first ``k``)."""
    if per_input:
        return lambda g, *saved: f(g, *saved[:k])
    return lambda g, needs, *saved: f(g, needs, *saved[:k])


def record(outputs, name: str, rule, inputs: tuple, saved: tuple = (), per_input: bool = True,
           saves_scalars: bool = False, *, jvp=None, node=None, guards: tuple = ()):
    """Attach a node to ``outputs`` (a Tensor or a tuple of Tensors).

    ``inputs`` are the op's differentiable arguments (Tensors or anything else, which gets no
    edge). With ``per_input`` the ``rule`` is a tuple with one ``f(grad, *saved)`` per input
    (None where not differentiable); otherwise one ``f(grad, needs, *saved)`` returning a
    tuple. ``saved`` may hold ``OUTPUT`` for the (first) output. ``saves_scalars``: Python
    numbers in ``saved`` count as saved tensors (PyTorch wraps them), so they are freed after
    backward and a second backward fails as in PyTorch. ``jvp(tangents)`` is the op's
    forward-mode rule (``forward_ad`` explains the default). ``node``: a node object to fill in
    (a custom Function's ctx) instead of a new one. ``guards``: tensors the node saves as
    torch's does though the rule reads them otherwise (an index whose memory a NumPy key
    holds, a weight a closure reads): saved after ``saved``, so a backward after one of them
    changed in place raises torch's version error, and not passed to the rule.
    """
    if guards:
        guards = tuple(t for t in guards if type(t) is Tensor)
        if guards:
            saved = tuple(saved)
            k = len(saved)
            saved += guards
            rule = tuple(None if f is None else _without_guards(f, k, True) for f in rule) \
                if per_input else _without_guards(rule, k, False)
    single = type(outputs) is Tensor
    integral = single and not outputs.dtype.is_floating_point
    if integral and not WRITING_INTEGRAL.get():
        if FW_ACTIVE[0] and not needs_grad(*inputs):
            return None  # (a forward-AD level is open, but nothing here carries a tangent)
        raise errors.EngineRuntimeError(
            f"Autograd not support dtype: {outputs.dtype.scalar_name}")
    fw = FW_ACTIVE[0]
    if fw:
        # Tangents are attached only once the outputs carry their node: a tangent rule that
        # reads an output (exp's, tanh's, sqrt's) must see it as a function of the inputs, or
        # reverse mode over forward mode (jacrev(jacfwd(f))) loses those terms.
        fw_args = (outputs, rule, inputs, saved, per_input, jvp, None if node is not None else name)
        rule = _forward_ad.reverse_rule(outputs, rule, inputs, per_input)
        if rule is None:  # tangents only: no reverse-mode node
            _forward_ad.propagate(*fw_args)
            return None
    n = len(inputs)
    if n == 1:  # (the common cases without the lists)
        x = inputs[0]
        if type(x) is Tensor and x.requires_grad:
            fn = x._grad_fn
            if fn is not None and x._base is None:
                edges = ((fn, x._output_nr),)
                meta = (fn._out_meta if fn._nout == 1 and fn._out_meta is not None
                        else (x._data.shape, x.dtype),)
            else:
                edges = (edge_of(x),)
                meta = ((x._data.shape, x.dtype),)
        else:
            edges = meta = (None,)
    elif n == 2:
        x, y = inputs
        if type(x) is Tensor and x.requires_grad:
            fn = x._grad_fn
            if fn is not None and x._base is None:
                ex = (fn, x._output_nr)
                mx = (fn._out_meta if fn._nout == 1 and fn._out_meta is not None
                      else (x._data.shape, x.dtype))
            else:
                ex = edge_of(x)
                mx = (x._data.shape, x.dtype)
        else:
            ex = mx = None
        if type(y) is Tensor and y.requires_grad:
            fn = y._grad_fn
            if fn is not None and y._base is None:
                ey = (fn, y._output_nr)
                my = (fn._out_meta if fn._nout == 1 and fn._out_meta is not None
                      else (y._data.shape, y.dtype))
            else:
                ey = edge_of(y)
                my = (y._data.shape, y.dtype)
        else:
            ey = my = None
        edges, meta = (ex, ey), (mx, my)
    else:
        edges = []
        meta = []
        for x in inputs:
            if type(x) is Tensor and x.requires_grad:
                fn = x._grad_fn
                if fn is not None and x._base is None:
                    edges.append((fn, x._output_nr))
                    meta.append(fn._out_meta if fn._nout == 1 and fn._out_meta is not None
                                else (x._data.shape, x.dtype))
                else:
                    edges.append(edge_of(x))
                    meta.append((x._data.shape, x.dtype))
            else:
                edges.append(None)
                meta.append(None)
        edges, meta = tuple(edges), tuple(meta)
    if name == "NotImplemented" and None in edges:
        # torch's node for an op without a derivative has edges only to inputs requiring grad
        keep = [i for i, e in enumerate(edges) if e is not None]
        edges, meta = tuple(edges[i] for i in keep), tuple(meta[i] for i in keep)
        if per_input:
            rule = tuple(rule[i] for i in keep)
    had = False
    if saved:
        if _SEEN[0]:  # inference tensors exist or saved-tensor hooks are open: the slow way
            saved, had = _saved_hooks.pack_saved(saved, outputs, single, saves_scalars, name)
        elif type(saved) is tuple and len(saved) == 2 and type(saved[0]) is not Tensor and \
                type(saved[1]) is not Tensor and saved[0] is not OUTPUT and \
                saved[1] is not OUTPUT:
            # (two saved values, no tensor among them: a product by a Python number; what the
            # loop below does for them, without it)
            if saves_scalars and (saved[0] is not None or saved[1] is not None):
                had = SCALARS_ONLY
        else:
            first = outputs if single else outputs[0]
            if first is None:  # (an undefined first output: no saved None is taken for it)
                first = OUTPUT
            packed = []
            for s in saved:
                if s is OUTPUT or s is first:  # (SavedTensor(first, True), inline)
                    st = _new(SavedTensor)
                    st.vc = vc = first._vc
                    st.version = vc[0]
                    st.owner_nr = first._output_nr
                    st.is_output = True
                    st.tensor = first._data, first.dtype, first.device
                    st.ref = _weakref(first)
                    packed.append(st)
                    had = True
                elif type(s) is Tensor:  # (SavedTensor(s, False), inline)
                    st = _new(SavedTensor)
                    st.vc = vc = s._vc
                    st.version = vc[0]
                    st.owner_nr = s._output_nr
                    st.is_output = False
                    st.tensor = s
                    packed.append(st)
                    had = True
                else:
                    packed.append(s)
            if had:
                saved = tuple(packed)
                if len(saved) > 1 and name in _SAVED_ORDER:  # torch's order: saved_order
                    had = _saved_order.positions(name, len(saved)) or True
            else:
                if type(saved) is not tuple:
                    saved = tuple(saved)
                if saves_scalars:  # numbers only: freed after backward, nothing to unpack
                    for s in saved:
                        if s is not None:
                            had = SCALARS_ONLY
                            break
    if single:
        out_meta = (outputs._data.shape, outputs.dtype, outputs.device)
        nout = 1
        hooks = None
    else:
        # (None: an output the op left undefined, which keeps its output number)
        out_meta = tuple(None if o is None else (o._data.shape, o.dtype, o.device)
                         for o in outputs)
        nout = len(outputs)
        if nout == 1:  # (see Node: one output's meta is not nested)
            out_meta = out_meta[0]
        hooks = {}  # (see Node: None only on a plain Node)
    if node is None:  # (Node(...), inline: a Python __init__ is a nested interpreter call)
        cls = _NODE_TYPES.get((name, Node))
        node = _new(cls if cls is not None else node_type(name))
        node._seq = -next(_SEQ)
        node._name = name
        node._rule = rule
        node._per_input = per_input
        node._saved = saved
        node._had_tensors = had
        node._edges = edges
        node._meta = meta
        node._nout = nout
        node._hooks = hooks
        node._retains = None
    else:  # a custom Function's node (or another Node subclass): never plain
        if type(node)._named_by_record:  # a class of behaviour: now the node's own class
            node.__class__ = node_type(name, type(node))
        Node.__init__(node, name, rule, per_input, saved, had, edges, meta, nout)
        node._hooks = {}
    node._out_meta = out_meta
    if HOOKS_ACTIVE[0]:
        _anomaly.note_forward(node)
    if integral:  # (written in place: WRITING_INTEGRAL)
        node._rule = _integer_gradient if not per_input else \
            tuple(None if r is None else _integer_gradient for r in rule)
    if single:
        outputs._grad_fn = node
        outputs.requires_grad = True
    else:
        for i, o in enumerate(outputs):
            if o is not None and o.dtype.is_floating_point:
                o._grad_fn, o._output_nr, o.requires_grad = node, i, True
    if fw:
        _forward_ad.propagate(*fw_args)
    return node


# torch's words when a gradient reaches an integer or bool tensor that requires grad (only an
# in-place write of a value that requires grad makes one): its engine's internal assert
INTEGER_GRADIENT = (
    'isDifferentiableType(grad.scalar_type()) INTERNAL ASSERT FAILED at '
    '"/__w/pytorch/pytorch/torch/csrc/autograd/engine.cpp":998, please report a bug to '
    'PyTorch. ')


def _integer_gradient(*args):
    raise errors.EngineRuntimeError(INTEGER_GRADIENT)


def needs_grad(*xs) -> bool:
    """Must the op record? (Some input requires grad in grad mode, or carries a tangent.)"""
    if _grad_enabled.get():
        for x in xs:
            if type(x) is Tensor and x.requires_grad:
                return True
    return FW_ACTIVE[0] and _forward_ad._any_tangent(xs)


# Last: these modules import this one.
from . import anomaly as _anomaly  # noqa: E402
from . import forward_ad as _forward_ad  # noqa: E402
from . import grad_mode as _grad_mode  # noqa: E402
from . import saved_hooks as _saved_hooks  # noqa: E402
from . import saved_order as _saved_order  # noqa: E402

_SEEN = _grad_mode.SEEN
_SAVED_ORDER = _saved_order.ORDER
