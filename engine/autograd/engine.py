"""The reverse-mode engine: ``run_backward`` walks the graph from its roots iteratively
(dependency counts and a ready queue in torch's order; no recursion), un-broadcasts every
gradient to its input's shape in one place, and accumulates into leaves through
``AccumulateGrad`` nodes.
"""

from __future__ import annotations

import itertools
import sys
import weakref
from contextvars import ContextVar
from heapq import heappop as _heappop
from heapq import heappush as _heappush

import numpy as np

from .. import errors
from .._parallel import MIN_ELEMENTS as _MIN_ELEMENTS
from ..modes import _grad_enabled, set_grad_enabled
from ..tensor import PostAccumulateGradHook, Tensor, _ndarray, _wrap
from .graph import (
    BACKWARD_NEEDED,
    FW_ACTIVE,
    HOOKS_ACTIVE,
    AccumulateGrad,
    Node,
    SavedTensor,
    edge_of,
    enter_formula,
    exit_formula,
    needs_grad,
    record,
    unpack_in_order,
    user_call,
)


def _root_edges(outputs, grad_outputs):
    edges, grads = [], []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        edge = edge_of(out) if out.requires_grad else None
        if edge is None:
            raise errors.EngineRuntimeError(errors.NO_GRAD_FN.format(i=i))
        if g is None:
            if out._data.size != 1:
                raise errors.EngineRuntimeError(errors.SCALAR_OUTPUTS)
            ones = out.device.xp.empty(out._data.shape, dtype=out.dtype.np)
            ones.fill(1)  # (numpy.ones is Python-level: ~5x the instructions)
            g = _wrap(ones, out.dtype, out.device)
        else:
            if not isinstance(g, Tensor):
                from ..ops import tensor as make_tensor

                g = make_tensor(g, dtype=out.dtype, device=out.device)
            if g.shape != out.shape:
                raise errors.EngineRuntimeError(errors.GRAD_SHAPE.format(
                    i=i, got=g.shape, want=out.shape))
        edges.append(edge)
        grads.append(g)
    return edges, grads


def _discover(root_nodes):
    """Dependency count of every node reachable from the roots (iterative DFS)."""
    deps = {}
    if len(root_nodes) == 1:  # one root, never reached from itself: deps doubles as "seen"
        stack = list(root_nodes)
        while stack:
            node = stack.pop()
            for e in node._edges:
                if e is None:
                    continue
                nxt = e[0]
                d = deps.get(nxt)
                if d is None:
                    deps[nxt] = 1
                    stack.append(nxt)
                else:
                    deps[nxt] = d + 1
        return deps, None
    seen = set(root_nodes)
    stack = list(root_nodes)
    while stack:
        node = stack.pop()
        for e in node._edges:
            if e is None:
                continue
            nxt = e[0]
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps, seen


def _needed(root_nodes, deps, targets):
    """Nodes from which some target is reachable (so the rest of the graph is skipped)."""
    remaining = dict(deps)
    order, stack = [], [n for n in root_nodes if remaining.get(n, 0) == 0]
    done = set()
    while stack:
        node = stack.pop()
        if node in done:
            continue
        done.add(node)
        order.append(node)
        for e in node._edges:
            if e is None:
                continue
            remaining[e[0]] -= 1
            if remaining[e[0]] == 0:
                stack.append(e[0])
    needed = set()
    for node in reversed(order):
        if node in targets or any(e is not None and e[0] in needed for e in node._edges):
            needed.add(node)
    return needed


def _fit(g: Tensor, meta) -> Tensor:
    """Sum a gradient down to its input's shape and cast it to the input's dtype (``meta``:
    (shape, dtype), or its producer's (shape, dtype, device): see ``graph.record``)."""
    shape, dtype = meta[0], meta[1]
    if g._data.shape != shape:
        g = sum_to(g, shape)
    if g.dtype is not dtype:
        g = g.to(dtype)
    return g


def sum_to(g: Tensor, shape: tuple) -> Tensor:
    """Undo broadcasting: sum ``g`` over the dimensions that were broadcast to reach its shape."""
    gshape = g._data.shape
    if not shape and gshape:  # to a 0-d input: one sum, as torch's sum_to
        return g.sum()
    lead = len(gshape) - len(shape)
    if lead < 0:
        return g.reshape(shape)
    axes = list(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and gshape[i + lead] != 1:
            axes.append(i + lead)
    a = g._data
    if axes and type(a) is np.ndarray and a.dtype.kind == "f" and not _grad_enabled.get() and \
            not FW_ACTIVE[0]:  # nothing records it: ``sum``'s own reduction, on the array
        inner = len(axes) > lead  # (then keep dims, and reshape as below)
        r = add_reduce(a, tuple(axes), inner,
                       np.float32 if a.dtype == np.float16 else a.dtype)
        r = r.astype(a.dtype, copy=False)
        return _wrap(r.reshape(shape) if inner else r, g.dtype, g.device)
    if axes:
        g = g.sum(dim=tuple(axes), keepdim=True)
    if lead or g._data.shape != shape:
        g = g.reshape(shape)
    return g


# the one-element gradients of ``y.backward()`` by (shape, dtype), copied for each backward
_ONES: dict = {}


def run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=None,
                 accumulate=True, allow_unused=False):
    """The engine. With ``accumulate`` gradients go into leaves' ``.grad`` (only those of
    ``inputs`` when given); otherwise (for ``grad()``) the gradients of ``inputs`` are returned
    and no ``.grad`` is touched."""
    if retain_graph is None:
        retain_graph = create_graph
    out = outputs[0] if len(outputs) == 1 and grad_outputs[0] is None else None
    if out is not None and type(out) is Tensor and out._grad_fn is not None and \
            out.requires_grad and out._base is None and out._data.size == 1:
        # (``y.backward()``: _root_edges, inline)
        one = _ONES.get((out._data.shape, out.dtype)) if out.device.xp is np else None
        if one is None:
            ones = out.device.xp.empty(out._data.shape, dtype=out.dtype.np)
            ones.fill(1)
            if out.device.xp is np and len(_ONES) < 64:
                _ONES[out._data.shape, out.dtype] = ones.copy()
        else:  # (a copy of a kept one: cheaper than empty + fill)
            ones = one.copy()
        root_edges = [(out._grad_fn, out._output_nr)]
        root_grads = [_wrap(ones, out.dtype, out.device)]
        # Gradients that someone else may hold (the caller's ``gradient=``, one tensor handed to
        # two edges, a hook's return): a leaf must copy them before it updates .grad in place.
        not_owned = {id(root_grads[0])}
    else:
        root_edges, root_grads = _root_edges(outputs, grad_outputs)
        not_owned = set(map(id, root_grads))

    targets = captured = target_nodes = None
    if inputs is not None:
        targets = {}
        for i, t in enumerate(inputs):
            if not t.requires_grad:
                raise errors.EngineRuntimeError(errors.INPUT_NO_GRAD)
            targets.setdefault(edge_of(t), []).append(i)
        captured = [None] * len(inputs)
        target_nodes = {e[0] for e in targets}

    # The roots' nodes start the walk (no GraphRoot node: deps count only the graph's own
    # edges, so a root node is ready once no other node still owes it a gradient).
    if len(root_edges) == 1:
        root_nodes = [root_edges[0][0]]
    else:
        root_nodes = list(dict.fromkeys(e[0] for e in root_edges))
    deps, _ = _discover(root_nodes)
    needed = None if targets is None else _needed(root_nodes, deps, target_nodes)

    pending = {}
    # (its sequence number, a tie-break, node, its gradients), for nodes no other node still owes
    # a gradient: a heap, run as torch's ready queue runs them (the node made last first, a
    # leaf's AccumulateGrad before any; see graph._SEQ): this order decides how three or more
    # gradients of one tensor round and which sign a sum with a zero gradient keeps
    ready = []
    tick = itertools.count()
    if len(root_edges) == 1:  # (the common case of the loops below)
        node, nr = root_edges[0]
        buf = [None] * node._nout
        buf[nr] = root_grads[0]
        if node in deps:
            pending[node] = buf
        else:
            _heappush(ready, (node._seq, next(tick), node, buf))
    else:
        for e, g in zip(root_edges, root_grads):
            buf = pending.get(e[0])
            if buf is None:
                buf = pending[e[0]] = [None] * e[0]._nout
            buf[e[1]] = g if buf[e[1]] is None else buf[e[1]] + g
        for node in root_nodes:
            if node not in deps and node in pending:
                _heappush(ready, (node._seq, next(tick), node, pending.pop(node)))

    anomaly = HOOKS_ACTIVE[0] and _anomaly.enabled()
    token = _grad_enabled.set(bool(create_graph))
    formula = enter_formula(True) if create_graph else None
    # [may rules borrow, how many borrowed gradients may be in flight]: not while recording,
    # nor under anomaly mode
    borrowing = [not create_graph and not HOOKS_ACTIVE[0], 0]
    borrow_token = _BORROW.set(borrowing)
    needed_token = BACKWARD_NEEDED.set((needed, deps, root_nodes, accumulate))
    # a plain node (no hooks nor retained gradients, one output, no custom Function) runs
    # Node.apply inline when no target filter nor anomaly mode needs the general path
    plain = needed is None and not anomaly
    try:
        while ready:
            _, _, node, grads = _heappop(ready)
            if plain and node._hooks is None:  # (a plain Node: see Node's ``_hooks``)
                saved = node._saved
                if saved is None:
                    raise errors.EngineRuntimeError(errors.BACKWARD_TWICE)
                had = node._had_tensors
                if had is True:  # (Node._unpack, inline)
                    if len(saved) == 1:
                        s = saved[0]
                        saved = (s.unpack(node) if type(s) is SavedTensor else s,)
                    elif len(saved) == 2:
                        s, s1 = saved
                        saved = (s.unpack(node) if type(s) is SavedTensor else s,
                                 s1.unpack(node) if type(s1) is SavedTensor else s1)
                    else:
                        saved = [s.unpack(node) if type(s) is SavedTensor else s for s in saved]
                elif type(had) is tuple:  # torch's order (saved_order)
                    saved = unpack_in_order(node, saved, had)
                g = grads[0]
                edges = node._edges
                if not node._per_input:
                    in_grads = node._rule(g, tuple(e is not None for e in edges), *saved)
                    if type(in_grads) is not tuple:
                        in_grads = (in_grads,)
                elif len(edges) == 2:
                    e0, e1 = edges
                    f0, f1 = node._rule
                    in_grads = (None if e0 is None or f0 is None else f0(g, *saved),
                                None if e1 is None or f1 is None else f1(g, *saved))
                elif len(edges) == 1:
                    f0 = node._rule[0]
                    in_grads = (None if edges[0] is None or f0 is None else f0(g, *saved),)
                else:
                    in_grads = [None if e is None or f is None else f(g, *saved)
                                for e, f in zip(edges, node._rule)]
                if had and not retain_graph:  # free what backward saved
                    node._saved = None
            else:
                if needed is not None and node not in needed:
                    continue
                if node._hooks or node._retains is not None:
                    if borrowing[1]:  # user code runs next: no borrowed memory in its sight
                        grads = _own_borrowed(borrowing, grads, ready, pending, captured)
                    grads = _run_tensor_hooks(node, grads, create_graph, not_owned)
                if target_nodes is not None and node in target_nodes:
                    for nr in range(node._nout):
                        for i in targets.get((node, nr), ()):
                            captured[i] = grads[nr]
                    if type(node) is AccumulateGrad:
                        if accumulate:
                            if borrowing[1]:
                                grads = _before_accumulate(node, borrowing, grads, ready, pending,
                                                           captured)
                            _accumulate(node.variable, grads[0], create_graph, not_owned)
                            if node._hooks:
                                _run_post_hooks(node, (), grads)
                        continue
                    if not any(e is not None and e[0] in needed for e in node._edges):
                        continue
                elif type(node) is AccumulateGrad:
                    if borrowing[1]:
                        grads = _before_accumulate(node, borrowing, grads, ready, pending, captured)
                    _accumulate(node.variable, grads[0], create_graph, not_owned)
                    if node._hooks:
                        _run_post_hooks(node, (), grads)
                    continue
                if borrowing[1] and not node._plain:  # a custom Function's backward
                    grads = _own_borrowed(borrowing, grads, ready, pending, captured)
                if node._nout > 1 and getattr(node, "materialize_grads", True):
                    grads = [_zeros_for(node, nr) if g is None else g for nr, g in enumerate(grads)]
                in_grads = _anomaly.apply(node, grads) if anomaly else node.apply(grads)
                if isinstance(node, FunctionCtx):  # user code may keep what it returns
                    _not_owned(in_grads, not_owned)
                if node._hooks:
                    if borrowing[1]:
                        in_grads = _own_borrowed(borrowing, in_grads, ready, pending, captured)
                    in_grads = _run_post_hooks(node, in_grads, grads, not_owned)
                if not retain_graph and node._had_tensors:  # free what backward saved
                    node._saved = None
            if len(in_grads) == 2:  # (the common case of _mark_shared, inline)
                g = in_grads[0]
                if g is not None and g is in_grads[1]:
                    not_owned.add(id(g))
            elif len(in_grads) > 2:
                _mark_shared(in_grads, not_owned)
            for e, g, meta in zip(node._edges, in_grads, node._meta):
                if e is None:
                    continue
                nxt, nr = e
                d = deps[nxt] - 1
                deps[nxt] = d
                if g is not None:
                    if g._data.shape != meta[0] or g.dtype is not meta[1]:
                        g = _fit(g, meta)
                    if d == 0 and nxt._nout == 1 and nxt not in pending:  # its only gradient
                        _heappush(ready, (nxt._seq, next(tick), nxt, (g,)))
                        continue
                    buf = pending.get(nxt)
                    if buf is None:
                        buf = pending[nxt] = [None] * nxt._nout
                    old = buf[nr]
                    if old is None:
                        buf[nr] = g
                    elif _ZEROS and (is_zero_gradient(g) or is_zero_gradient(old)):
                        if is_zero_gradient(old):
                            buf[nr] = g
                        elif type(old._data) is _ndarray and old.dtype.is_floating_point and \
                                not old.requires_grad:
                            # torch adds its zero tensor arriving second as zeros: -0. + 0. is
                            # +0. (one arriving first is replaced by the next gradient)
                            buf[nr] = _wrap(np.add(old._data, old.dtype.np.type(0)), old.dtype,
                                            old.device)
                    elif type(old) is Tensor and type(g) is Tensor and \
                            not old.requires_grad and not g.requires_grad and \
                            type(old._data) is _ndarray and type(g._data) is _ndarray and \
                            old.dtype is g.dtype and old.dtype.is_floating_point and \
                            old.device is g.device and old._data.size < _MIN_ELEMENTS and \
                            not FW_ACTIVE[0]:
                        # nothing records this sum: what ``add``'s fast path computes for two
                        # same-typed NumPy gradients, without its dispatch
                        buf[nr] = _wrap(np.add(old._data, g._data), old.dtype, old.device)
                    else:
                        buf[nr] = old + g
                if d == 0:
                    buf = pending.pop(nxt, None)
                    if buf is not None:
                        _heappush(ready, (nxt._seq, next(tick), nxt, buf))
    finally:
        BACKWARD_NEEDED.reset(needed_token)
        _BORROW.reset(borrow_token)
        _grad_enabled.reset(token)
        if formula is not None:
            exit_formula(formula)

    if captured is None:
        return None
    if borrowing[1]:
        captured = _own_borrowed(borrowing, captured)
    if accumulate:  # backward(inputs=...) also fills .grad of non-leaf inputs
        for t, g in zip(inputs, captured):
            if g is not None and t.grad_fn is not None:
                t._grad = g.detach() if t._grad is None else (t._grad + g).detach()
        return None
    if not allow_unused:
        for i, g in enumerate(captured):
            if g is None:
                raise errors.EngineRuntimeError(errors.UNUSED_INPUT.format(i=i))
    return captured


# Gradients that borrow a forward tensor's memory. A gradient rule may hand on an operand's own
# values as a gradient instead of computing them again (a product's rule when the incoming
# gradient is one 1 broadcast: 1 * x is x, bit for bit), as a read-only array over the
# operand's memory whose owner is a ``_Borrowed``. run_backward allows it in a plain backward
# only, and gives every such gradient its own memory before anything could see or change the
# borrowed memory: before user code runs (hooks, a custom Function's backward), before a
# ``.grad`` is updated in place, for what ``grad()`` returns; ``.grad`` itself copies views.
_BORROW: ContextVar = ContextVar("engine_borrow", default=None)
#: False while ``grad()`` or ``backward(inputs=...)`` runs: the reentrant checkpoint
#: (``torch.utils.checkpoint``) cannot give its gradients there (torch's
#: ``_is_checkpoint_valid``).
CHECKPOINT_VALID: ContextVar[bool] = ContextVar("engine_checkpoint_valid", default=True)
_BORROW_MIN = 1 << 16  # elements: below this the pass it saves costs less than borrowing


class _Borrowed:
    """The owner of a read-only array over a forward tensor's memory (see ``borrow``)."""

    __slots__ = ("__array_interface__", "source")

    def __init__(self, source: np.ndarray):
        self.source = source  # keeps the memory alive as long as the array
        self.__array_interface__ = source.__array_interface__


def borrow(t: Tensor) -> Tensor | None:
    """``t``'s values as a gradient that shares ``t``'s memory, read-only; None where the
    running backward does not allow it (recording, hooks or user code, no backward at all) or
    ``t`` is small or no NumPy array."""
    state = _BORROW.get()
    data = t._data
    if state is None or not state[0] or type(data) is not np.ndarray or \
            data.size < _BORROW_MIN or _grad_enabled.get() or FW_ACTIVE[0]:
        return None
    arr = np.asarray(_Borrowed(data))
    arr.flags.writeable = False
    state[1] += 1
    return _wrap(arr, t.dtype, t.device)


def _is_borrowed(g) -> bool:
    base = getattr(g._data, "base", None)
    if type(base) is np.ndarray:  # a view of a borrowed array (NumPy keeps one level)
        base = base.base
    return type(base) is _Borrowed


def _own(g):
    if g is not None and type(g) is Tensor and _is_borrowed(g):
        return _wrap(g._data.copy(), g.dtype, g.device)
    return g


def _own_borrowed(borrowing: list, grads, ready=(), pending=None, captured=None) -> list:
    """``grads`` with borrowed gradients copied; the same in place for every gradient in
    flight (the ready list, the pending buffers, what ``grad()`` captured so far)."""
    for i, (seq, tick, node, buf) in enumerate(ready):
        ready[i] = (seq, tick, node, [_own(g) for g in buf])
    if pending:
        for buf in pending.values():
            buf[:] = [_own(g) for g in buf]
    if captured is not None:
        captured[:] = [_own(g) for g in captured]
    borrowing[1] = 0
    return [_own(g) for g in grads]


def _before_accumulate(node: AccumulateGrad, borrowing: list, grads, ready, pending, captured):
    """Borrowed gradients before a leaf's accumulation: its hooks see none, and none may
    borrow the ``.grad`` that is updated in place next (the incoming one is only read)."""
    var = node.variable
    if var._hooks or node._hooks is not None:
        return _own_borrowed(borrowing, grads, ready, pending, captured)
    if var._grad is not None:
        _own_borrowed(borrowing, (), ready, pending, captured)
    return grads


def _mark_shared(grads, not_owned: set) -> None:
    """A gradient object handed to two edges is shared: neither leaf may own it."""
    seen = None
    for g in grads:
        if g is not None:
            if seen is None:
                seen = {id(g)}
            elif id(g) in seen:
                not_owned.add(id(g))
            else:
                seen.add(id(g))


def _zeros_for(node: Node, nr: int):
    """A zero gradient for an output of a multi-output node that received none."""
    from ..ops import zeros

    meta = node._out_meta
    if node._nout > 1:
        meta = meta[nr]
        if meta is None:  # an output the op left undefined: its gradient stays undefined
            return None
    shape, dtype, device = meta
    return zeros(shape, dtype=dtype, device=device)


def _run_tensor_hooks(node: Node, grads: list, create_graph: bool, not_owned: set) -> list:
    grads = list(grads)
    if node._hooks:
        for nr, hooks in node._hooks.items():
            if type(nr) is not int:  # the node's own hooks and metadata
                continue
            for hook in list(hooks):
                if grads[nr] is None:
                    continue
                not_owned.add(id(grads[nr]))  # (the hook may keep it)
                out = user_call(hook, grads[nr])
                if out is not None:
                    grads[nr] = out
                    not_owned.add(id(out))
    if node._retains:
        for nr, ref in node._retains.items():
            t = ref()
            g = grads[nr]
            if t is None or g is None or t.grad_fn is not node:
                continue
            if t._grad is None:  # torch: a row-major clone (CloneBackward0 under create_graph)
                from ..ops.tensor_methods import clone

                t._grad = clone(g if create_graph else g.detach(),
                                memory_format=_layout.contiguous_format)
            else:
                t._grad = t._grad + g if create_graph else (t._grad + g).detach()
    pre = node._hooks.get("pre") if node._hooks else None
    if pre:
        for hook in list(pre):
            _not_owned(grads, not_owned)  # (the hook may keep them)
            out = user_call(hook, tuple(grads))
            if out is not None:
                grads = list(out)
                for g in grads:
                    not_owned.add(id(g))
    return grads


def _run_post_hooks(node: Node, in_grads, grads, not_owned: set | None = None):
    """Node hooks ``hook(grad_inputs, grad_outputs)``; a non-None return replaces the
    gradients flowing on to the node's inputs. ``not_owned``: every gradient a hook was given
    or returned goes in it (the hook may keep it: no leaf may then take it as its ``.grad``
    and add into it later, as torch's use count check sees)."""
    post = node._hooks.get("post")
    if not post:
        return in_grads
    in_grads = tuple(in_grads)
    for hook in list(post):
        if not_owned is not None:
            _not_owned(in_grads, not_owned)
        out = user_call(hook, in_grads, tuple(grads))
        if out is not None:
            in_grads = tuple(out)
    if not_owned is not None:
        _not_owned(in_grads, not_owned)
    return in_grads


def _not_owned(grads, not_owned: set) -> None:
    for g in grads:
        if g is not None:
            not_owned.add(id(g))


def _accumulate_hooked(var: Tensor, g: Tensor, create_graph: bool, not_owned: set) -> None:
    """A leaf with hooks: its gradient hooks (a non-None return replaces the gradient), the
    accumulation, then its post-accumulate-grad hooks (each gets the leaf)."""
    hooks = list(var._hooks)
    for hook in hooks:
        if type(hook) is PostAccumulateGradHook:
            continue
        not_owned.add(id(g))  # (the hook may keep it)
        out = user_call(hook, g)
        if out is not None:
            g = out
            not_owned.add(id(out))
    _accumulate(var, g, create_graph, not_owned, False)
    for hook in hooks:
        if type(hook) is PostAccumulateGradHook and hook in var._hooks:
            _run_post_accumulate(hook.fn, var)


def _run_post_accumulate(fn, var: Tensor) -> None:
    out = fn(var)
    if out is None:
        return
    if isinstance(out, Tensor):
        raise errors.EngineRuntimeError("Tensor post accumulate grad hooks should return None.")
    raise errors.EngineTypeError(f"expected Variable, but hook returned '{type(out).__name__}'")


def _accumulate(var: Tensor, g: Tensor, create_graph: bool, not_owned: set,
                hooks: bool = True) -> None:
    if hooks and var._hooks:
        _accumulate_hooked(var, g, create_graph, not_owned)
        return
    old = var._grad
    if old is not None and _ZEROS and is_zero_gradient(g):
        return
    if type(var._data) is _SPARSE[0] or type(g._data) is _SPARSE[0]:
        _sparse_coo.accumulate(var, g)
        return
    if old is None:
        if create_graph:  # (torch copies under grad mode: the copy's node is CopyBackwards)
            var._grad = _contract_copy_recorded(var, g)
            return
        data = g._data
        if id(g) in not_owned or not getattr(data.flags, "writeable", True):  # CuPy: no flag
            data = _layout.copy_as(data, _layout.grad_strides(var._data), g.device.xp)
        elif data.base is not None:
            data = _obey_layout(var, _sole_base(g, data, var), g.device.xp)
        elif data.strides != var._data.strides:
            data = _obey_layout(var, data, g.device.xp)
        var._grad = _wrap(data, g.dtype, g.device)
    elif create_graph:
        var._grad = old + g
    else:  # in place, as PyTorch does (a .grad that requires grad too): every alias sees it
        old._data += g._data
        old._vc[0] += 1


def _obey_layout(var: Tensor, data, xp):
    """torch's gradient layout contract (AccumulateGrad): a leaf's new ``.grad`` has the
    leaf's own strides when the leaf is non-overlapping and dense (a transposed or
    channels-last parameter gets a gradient laid out as itself), else row-major. ``data``,
    kept as it is when it already obeys, else copied."""
    if xp is not np or _layout.obeys_grad_layout(data, var._data):
        return data
    return _layout.copy_as(data, _layout.grad_strides(var._data), xp)


def _contract_copy_recorded(var: Tensor, g: Tensor) -> Tensor:
    """create_graph's first accumulation: a new tensor laid out by the contract, and
    ``copy_(g)`` into it under grad mode (so ``.grad.grad_fn`` is CopyBackwards when ``g``
    requires grad, as torch's ``new_empty_strided(...).copy_(grad)``)."""
    from ..ops.tensor_methods import copy_

    xp = g.device.xp
    empty = _wrap(_layout.empty_strided(xp, g._data.shape, _layout.grad_strides(var._data),
                                        g.dtype.np), g.dtype, g.device)
    return copy_(empty, g)


def _sole_base(g: Tensor, data, var: Tensor):
    """What a leaf keeps of a gradient ``g`` whose array ``data`` is a view: a copy (another
    tensor may hold that memory), or the base array itself when nothing but ``g`` can reach
    it and the view is all of it in its own layout, as ``t(t(mm))`` gives F.linear's weight
    (a view tensor made inside this backward, of an array that tensor alone holds; torch
    keeps that gradient without a copy too). The reference counts, each besides this
    function's own name and ``getrefcount``'s argument: ``g._base._data`` and ``data.base``
    for the base; ``g._base`` for its tensor; ``g._data`` and ``_accumulate``'s ``data`` for
    the view. Any other holder (a tensor or a view kept by a hook, saved for backward, the
    user's own) is one more: then a copy, laid out as the view when the view obeys the layout
    contract (torch keeps such a view as it is, whatever else holds its memory: a transposed
    gradient of a ``(6, 1)`` leaf keeps strides ``(1, 6)``), else row-major."""
    base = data.base
    root = g._base
    if (type(base) is np.ndarray and base.base is None and root is not None
            and root._data is base and root._base is None and data.shape == base.shape
            and data.strides == base.strides and data.dtype == base.dtype
            and sys.getrefcount(base) == 4 and sys.getrefcount(root) == 3
            and sys.getrefcount(data) == 4):
        return base
    if _layout.obeys_grad_layout(data, var._data):
        return _layout.copy_as(data, _layout.elem_strides(data), g.device.xp)
    return data.copy()


def backward(tensor: Tensor, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        if not inputs:
            raise errors.EngineRuntimeError("'inputs' argument to backward() cannot be empty.")
        token = CHECKPOINT_VALID.set(False)
        try:
            run_backward([tensor], [gradient], retain_graph, create_graph, inputs=inputs)
        finally:
            CHECKPOINT_VALID.reset(token)
        return
    run_backward([tensor], [gradient], retain_graph, create_graph, inputs=inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """``torch.autograd.grad``: gradients of ``outputs`` w.r.t. ``inputs``, without touching
    any ``.grad``. ``is_grads_batched``: the first dimension of every grad_output is a batch;
    the backward pass runs once, vmapped over it, and every gradient gets that dimension first
    (as torch, which vmaps its vector-Jacobian product)."""
    single_out = isinstance(outputs, Tensor)
    outputs = [outputs] if single_out else list(outputs)
    one_input = isinstance(inputs, Tensor)
    inputs = [inputs] if one_input else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    else:
        grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise errors.EngineRuntimeError(
            f"grad requires one grad_output per output: got {len(grad_outputs)} grad_outputs "
            f"and {len(outputs)} outputs")
    if allow_unused is None:
        allow_unused = materialize_grads
    token = CHECKPOINT_VALID.set(False)
    try:
        if is_grads_batched:
            result = _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                                   allow_unused)
        else:
            result = run_backward(outputs, grad_outputs, retain_graph, create_graph,
                                  inputs=inputs, accumulate=False, allow_unused=allow_unused)
    finally:
        CHECKPOINT_VALID.reset(token)
    if materialize_grads:
        from ..ops import zeros_like

        result = [zeros_like(t) if g is None else g for g, t in zip(result, inputs)]
    return tuple(result)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused):
    """``grad(..., is_grads_batched=True)``: one backward pass vmapped over dimension 0 of
    every grad_output, with torch's checks in torch's order (its texts included)."""
    from ..func.vmap import vmap
    from ..ops import ones_like

    batched = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if out.numel() != 1:
                raise errors.EngineRuntimeError(
                    "grad can be implicitly created only for scalar outputs")
            g = ones_like(out)
        else:
            if g.ndim == 0:
                raise errors.EngineIndexError(
                    "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                    "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
            if tuple(g.shape[1:]) != tuple(out.shape):
                raise errors.EngineRuntimeError(
                    "If `is_grads_batched=True`, we interpret the first dimension of each "
                    "grad_output as the batch dimension. The sizes of the remaining dimensions "
                    "are expected to match the shape of corresponding output, but a mismatch "
                    f"was detected: grad_output[{i}] has a shape of {g.shape[2:]} and "
                    f"output[{i}] has a shape of {out.shape}. If you only want some tensors in "
                    "`grad_output` to be considered batched, consider using vmap.")
        batched.append(g)
    for g in batched:
        if g.ndim == 0:
            raise errors.EngineValueError(
                "vmap(vjp, in_dims=0, ...)(<inputs>): Got in_dim=0 for some input, but that "
                "input is a Tensor of dimensionality 0 so expected in_dim to satisfy "
                "0 <= in_dim < 0.")
    sizes = [g.shape[0] for g in batched]
    if len(set(sizes)) > 1:
        raise errors.EngineValueError(
            "vmap: Expected all tensors to have the same size in the mapped dimension, got "
            f"sizes {sizes} for the mapped dimension")
    unused: list[int] = []

    def vjp(*gs):
        got = run_backward(outputs, list(gs), retain_graph, create_graph, inputs=inputs,
                           accumulate=False, allow_unused=allow_unused)
        unused[:] = [k for k, g in enumerate(got) if g is None]
        return tuple(_zeros_like(t) if g is None else g for g, t in zip(got, inputs))

    result = list(vmap(vjp)(*batched))
    for k in unused:
        result[k] = None
    return result


def grad_node(name: str, rule, *args, grads=None):
    """``rule(*args)``: an op's first-order gradient formula (``args``: the incoming gradient and
    what the forward saved). When ``create_graph`` records it, it is ONE node named as torch
    names it (``TanhBackwardBackward0``), with an edge to each tensor in ``args``, as torch's
    backward-of-backward ops have; so it requires grad when a saved tensor does, even if the
    formula uses that tensor only as a constant (a mask: its gradient is then zeros, as torch's).
    Its own gradient is the formula's vector-Jacobian product (the formula run again with grad
    on), so higher orders stay exact. ``grads``: instead, one ``f(gg, *args)`` per arg (None
    where there is no edge), torch's double-backward formulas written in its order, so that
    the signs of zeros and the NaN/inf they give are torch's."""
    if not _grad_enabled.get() or FW_ACTIVE[0] or not needs_grad(*args):
        return rule(*args)
    with set_grad_enabled(False):
        out = rule(*args)
    # edges for its tensor arguments (an absent one, None, too), none for numbers; with
    # ``grads``, for the arguments it has a formula for (torch's differentiable inputs: a mask
    # or a number saved as a tensor gets none)
    edge_args = [i for i, a in enumerate(args) if (a is None or type(a) is Tensor) and
                 (grads is None or grads[i] is not None)]
    inputs = tuple(args[i] if type(args[i]) is Tensor and args[i].dtype.is_floating_point
                   else None for i in edge_args)
    if grads is not None:
        record(out, name, tuple(grads[i] for i in edge_args), inputs, args)
        return out

    def vjp(gg, edge_needs, *saved):
        needs = [False] * len(saved)
        for i, n in zip(edge_args, edge_needs, strict=True):
            needs[i] = n
        outer = _grad_enabled.get()
        with set_grad_enabled(True):
            # each needed argument through its own alias: the gradient of one slot must not
            # also take the paths through another (the incoming gradient may BE a saved tensor,
            # or depend on one, as an output saved next to its input does)
            slots = tuple(t.view_as(t) if n else t for t, n in zip(saved, needs, strict=True))
            targets = [t for t, n in zip(slots, needs, strict=True) if n]
            again = rule(*slots)
            got = iter(run_backward([again], [gg], True, outer, inputs=targets,
                                    accumulate=False, allow_unused=True)) \
                if again.requires_grad else iter([None] * len(targets))
        res = []
        for t, n in zip(saved, needs, strict=True):
            g = next(got) if n else None
            res.append(_zeros_like(t) if n and g is None else g)
        return tuple(res[i] for i in edge_args)

    record(out, name, vjp, inputs, args, per_input=False)
    return out


def named_grad(name: str, rule, grads=None):
    """``rule`` (a gradient formula ``rule(g, *saved)``) as a ``grad_node`` named ``name``
    (``grads``: its own gradient formulas, as ``grad_node``'s)."""
    return lambda g, *saved: grad_node(name, rule, g, *saved, grads=grads)


# zero gradients that adding leaves the other addend as it is (torch's ZeroTensor, which some of
# its backward formulas return: -0. + ZeroTensor stays -0.): id -> weak reference
_ZEROS: dict[int, weakref.ref] = {}
# set by engine.ops.sparse_coo: the storage type of sparse tensors, and that module (their
# gradients accumulate there)
_SPARSE: list = [None]
_sparse_coo = None


def zero_gradient(like: Tensor) -> Tensor:
    """Zeros shaped as ``like`` that the engine skips when it sums gradients."""
    z = _zeros_like(like)
    key = id(z)
    _ZEROS[key] = weakref.ref(z, lambda _, k=key: _ZEROS.pop(k, None))
    return z


def is_zero_gradient(g) -> bool:
    ref = _ZEROS.get(id(g))
    return ref is not None and ref() is g


def _zeros_like(t: Tensor) -> Tensor:
    return _wrap(t.device.xp.zeros(t._data.shape, dtype=t.dtype.np), t.dtype, t.device)


from ..ops import memory_format as _layout  # noqa: E402  (NumPy only; after the engine)
from ..ops.cascade import add_reduce  # noqa: E402  (torch's summation order)
from . import anomaly as _anomaly  # noqa: E402
from .function import FunctionCtx  # noqa: E402
