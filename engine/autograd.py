"""Graph nodes and the reverse-mode engine.

A node is made by ``record`` when an op runs with grad mode on and some input requires grad.
It holds, per differentiable input, an edge ``(next_node, output_nr)`` and the input's
``(shape, dtype)``, and the gradient rule of its op. ``run_backward`` walks the graph
iteratively (dependency counts and a ready stack; no recursion), un-broadcasts every gradient to
its input's shape in one place, and accumulates into leaves through ``AccumulateGrad`` nodes.
"""

from __future__ import annotations

import weakref

from . import errors
from .modes import _grad_enabled, set_grad_enabled
from .tensor import Tensor, _wrap


class SavedTensor:
    """A tensor saved for backward, checked against in-place changes when it is used."""

    __slots__ = ("tensor", "version", "vc", "owner", "owner_nr", "is_output", "ref")

    def __init__(self, t: Tensor, is_output: bool):
        self.vc = vc = t._vc
        self.version = vc[0]
        self.owner = t.grad_fn
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
            fn = self.owner if not self.is_output else node
            # PyTorch names the producer without its "Backward<n>" suffix here
            owner = "" if fn is None else \
                f", which is output {self.owner_nr} of {_op_name(fn.name())},"
            raise errors.EngineRuntimeError(errors.INPLACE_MODIFIED.format(
                type=errors.type_name(_wrap(data, dtype, device)),
                shape=errors.shape_text(data.shape), owner=owner,
                version=self.vc[0], expected=self.version))
        if not self.is_output:
            return self.tensor
        t = self.ref()
        if t is None:  # rebuild the output as the graph knew it
            data, dtype, device = self.tensor
            t = _wrap(data, dtype, device)
            t.grad_fn, t.requires_grad, t._vc = node, True, self.vc
            self.ref = weakref.ref(t)
        return t


def _op_name(node_name: str) -> str:
    i = node_name.rfind("Backward")
    return node_name[:i] if i > 0 else node_name


class Node:
    """One recorded op. ``name()`` is PyTorch's node name, e.g. ``MulBackward0``."""

    __slots__ = ("_name", "_rule", "_per_input", "_saved", "_had_tensors", "_edges", "_meta",
                 "_nout", "_out_meta", "_hooks", "_retains", "__weakref__")

    def __init__(self, name, rule, per_input, saved, had_tensors, edges, meta, nout):
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
        return self._name

    def __repr__(self) -> str:
        return f"<{self._name} object at {id(self):#x}>"

    @property
    def output_shapes(self) -> tuple:
        """The shapes of the outputs this node produced (empty for AccumulateGrad)."""
        meta = self._out_meta
        return () if meta is None else tuple(m[0] for m in meta)

    @property
    def next_functions(self) -> tuple:
        return tuple((None, 0) if e is None else e for e in self._edges)

    def _tensor_hooks(self, output_nr: int) -> list:
        if self._hooks is None:
            self._hooks = {}
        return self._hooks.setdefault(output_nr, [])

    def _add_retain(self, output_nr: int, t: Tensor) -> None:
        if self._retains is None:
            self._retains = {}
        self._retains[output_nr] = weakref.ref(t)

    def _unpack(self) -> tuple:
        saved = self._saved
        if saved is None:
            raise errors.EngineRuntimeError(errors.BACKWARD_TWICE)
        if not self._had_tensors:
            return saved
        out = []
        for s in saved:
            out.append(s.unpack(self) if type(s) is SavedTensor else s)
        return out

    def apply(self, grads: list) -> tuple:
        """Gradients for each edge (None where no gradient flows)."""
        saved = self._unpack()
        g = grads[0] if self._nout == 1 else tuple(grads)
        if self._per_input:
            out = []
            for e, f in zip(self._edges, self._rule):
                out.append(None if e is None or f is None else f(g, *saved))
            return out
        needs = tuple(e is not None for e in self._edges)
        out = self._rule(g, needs, *saved)
        return out if type(out) is tuple else (out,)


class AccumulateGrad(Node):
    """The sink of a leaf: adds the incoming gradient into ``variable.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor):
        super().__init__("AccumulateGrad", None, False, (), False, (), (), 1)
        self.variable = variable


def grad_accumulator(t: Tensor) -> AccumulateGrad:
    ref = t._acc
    node = None if ref is None else ref()
    if node is None:
        node = AccumulateGrad(t)
        t._acc = weakref.ref(node)
    return node


def edge_of(t: Tensor):
    """Where a gradient for ``t`` flows: its producer's output, or its leaf accumulator."""
    if t._base is not None and t._view_fn is not None and t._vc[0] != t._view_version:
        _refresh_view(t)
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t.requires_grad:
        return (grad_accumulator(t), 0)
    return None


def _refresh_view(t: Tensor) -> None:
    """The base of this view was changed in place since the view's graph was made: replay the
    view on the base so gradients flow through the base's new history (as PyTorch does)."""
    base = t._base
    t._view_version = t._vc[0]
    if base.requires_grad and _grad_enabled.get():
        fresh = t._view_fn(base)
        t.grad_fn, t._output_nr, t.requires_grad = fresh.grad_fn, fresh._output_nr, True


OUTPUT = object()  # marker in ``saved``: save the op's output


def record(outputs, name: str, rule, inputs: tuple, saved: tuple = (), per_input: bool = True,
           saves_scalars: bool = False):
    """Attach a node to ``outputs`` (a Tensor or a tuple of Tensors).

    ``inputs`` are the op's differentiable arguments (Tensors or anything else, which gets no
    edge). With ``per_input`` the ``rule`` is a tuple with one ``f(grad, *saved)`` per input
    (None where not differentiable); otherwise one ``f(grad, needs, *saved)`` returning a
    tuple. ``saved`` may hold ``OUTPUT`` for the (first) output. ``saves_scalars``: Python
    numbers in ``saved`` count as saved tensors (PyTorch wraps them), so they are freed after
    backward and a second backward fails as in PyTorch.
    """
    edges = []
    meta = []
    for x in inputs:
        if type(x) is Tensor and x.requires_grad:
            fn = x.grad_fn
            edges.append((fn, x._output_nr) if fn is not None and x._base is None
                         else edge_of(x))
            meta.append((x._data.shape, x.dtype))
        else:
            edges.append(None)
            meta.append(None)
    single = type(outputs) is Tensor
    first = outputs if single else outputs[0]
    had = False
    if saved:
        packed = []
        for s in saved:
            if s is OUTPUT:
                packed.append(SavedTensor(first, True))
                had = True
            elif type(s) is Tensor:
                packed.append(SavedTensor(s, s is first))
                had = True
            else:
                packed.append(s)
                had = had or saves_scalars and s is not None
        saved = tuple(packed)
    node = Node(name, rule, per_input, saved, had, tuple(edges), tuple(meta),
                1 if single else len(outputs))
    if single:
        node._out_meta = ((outputs._data.shape, outputs.dtype, outputs.device),)
        outputs.grad_fn = node
        outputs.requires_grad = True
    else:
        node._out_meta = tuple((o._data.shape, o.dtype, o.device) for o in outputs)
        for i, o in enumerate(outputs):
            if o.dtype.is_floating_point:
                o.grad_fn, o._output_nr, o.requires_grad = node, i, True
    return node


def needs_grad(*xs) -> bool:
    if not _grad_enabled.get():
        return False
    for x in xs:
        if type(x) is Tensor and x.requires_grad:
            return True
    return False


# --------------------------------------------------------------------------- the engine
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
                from .ops import tensor as make_tensor

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
    """Sum a gradient down to its input's shape and cast it to the input's dtype."""
    shape, dtype = meta
    if g._data.shape != shape:
        g = sum_to(g, shape)
    if g.dtype is not dtype:
        g = g.to(dtype)
    return g


def sum_to(g: Tensor, shape: tuple) -> Tensor:
    """Undo broadcasting: sum ``g`` over the dimensions that were broadcast to reach its shape."""
    gshape = g._data.shape
    lead = len(gshape) - len(shape)
    if lead < 0:
        return g.reshape(shape)
    axes = list(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and gshape[i + lead] != 1:
            axes.append(i + lead)
    if axes:
        g = g.sum(dim=tuple(axes), keepdim=True)
    if lead or g._data.shape != shape:
        g = g.reshape(shape)
    return g


def _add(a: Tensor | None, b: Tensor) -> Tensor:
    return b if a is None else a + b


def run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=None,
                 accumulate=True, allow_unused=False):
    """The engine. With ``accumulate`` gradients go into leaves' ``.grad`` (only those of
    ``inputs`` when given); otherwise (for ``grad()``) the gradients of ``inputs`` are returned
    and no ``.grad`` is touched."""
    if retain_graph is None:
        retain_graph = create_graph
    root_edges, root_grads = _root_edges(outputs, grad_outputs)
    # Gradients that someone else may hold (the caller's ``gradient=``, one tensor handed to two
    # edges, a hook's return): a leaf must copy them before it updates .grad in place.
    not_owned = {id(g) for g in root_grads}

    targets = captured = target_nodes = None
    if inputs is not None:
        targets = {}
        for i, t in enumerate(inputs):
            if not t.requires_grad:
                raise errors.EngineRuntimeError(errors.INPUT_NO_GRAD)
            targets.setdefault(edge_of(t), []).append(i)
        captured = [None] * len(inputs)
        target_nodes = {e[0] for e in targets}

    root = Node("GraphRoot", None, True, (), False, tuple(root_edges), (), 1)
    deps, _ = _discover([root])
    needed = None if targets is None else _needed([root], deps, target_nodes)

    pending = {}
    for e, g in zip(root_edges, root_grads):
        buf = pending.setdefault(e[0], [None] * e[0]._nout)
        buf[e[1]] = _add(buf[e[1]], g)
    buffers = {}
    ready = []
    for e in root_edges:
        deps[e[0]] -= 1
    for e in root_edges:
        if deps[e[0]] == 0 and e[0] in pending:
            buffers[e[0]] = pending.pop(e[0])
            ready.append(e[0])

    with set_grad_enabled(create_graph):
        while ready:
            node = ready.pop()
            grads = buffers.pop(node)
            if needed is not None and node not in needed:
                continue
            if node._hooks is not None or node._retains is not None:
                grads = _run_tensor_hooks(node, grads, create_graph, not_owned)
            if target_nodes is not None and node in target_nodes:
                for nr in range(node._nout):
                    for i in targets.get((node, nr), ()):
                        captured[i] = grads[nr]
                if type(node) is AccumulateGrad:
                    if accumulate:
                        _accumulate(node.variable, grads[0], create_graph, not_owned)
                    continue
                if not any(e is not None and e[0] in needed for e in node._edges):
                    continue
            elif type(node) is AccumulateGrad:
                _accumulate(node.variable, grads[0], create_graph, not_owned)
                continue
            if node._nout > 1:
                grads = [_zeros_for(node, nr) if g is None else g for nr, g in enumerate(grads)]
            in_grads = node.apply(grads)
            if not retain_graph and node._had_tensors:  # free what backward saved
                node._saved = None
            if len(in_grads) > 1:
                _mark_shared(in_grads, not_owned)
            for e, g, meta in zip(node._edges, in_grads, node._meta):
                if e is None:
                    continue
                nxt, nr = e
                if g is not None:
                    if g._data.shape != meta[0] or g.dtype is not meta[1]:
                        g = _fit(g, meta)
                    buf = pending.get(nxt)
                    if buf is None:
                        buf = pending[nxt] = [None] * nxt._nout
                    buf[nr] = g if buf[nr] is None else buf[nr] + g
                d = deps[nxt] - 1
                deps[nxt] = d
                if d == 0:
                    buf = pending.pop(nxt, None)
                    if buf is not None:
                        buffers[nxt] = buf
                        ready.append(nxt)

    if captured is None:
        return None
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
    from .ops import zeros

    shape, dtype, device = node._out_meta[nr]
    return zeros(shape, dtype=dtype, device=device)


def _run_tensor_hooks(node: Node, grads: list, create_graph: bool, not_owned: set) -> list:
    grads = list(grads)
    if node._hooks:
        for nr, hooks in node._hooks.items():
            for hook in list(hooks):
                if grads[nr] is None:
                    continue
                out = hook(grads[nr])
                if out is not None:
                    grads[nr] = out
                    not_owned.add(id(out))
    if node._retains:
        for nr, ref in node._retains.items():
            t = ref()
            g = grads[nr]
            if t is None or g is None or t.grad_fn is not node:
                continue
            if t._grad is None:
                t._grad = g if create_graph else g.detach().clone()
            else:
                t._grad = t._grad + g if create_graph else (t._grad + g).detach()
    return grads


def _accumulate(var: Tensor, g: Tensor, create_graph: bool, not_owned: set) -> None:
    if var._hooks:
        for hook in list(var._hooks):
            out = hook(g)
            if out is not None:
                g = out
                not_owned.add(id(out))
    old = var._grad
    if old is None:
        if create_graph:
            var._grad = g
            return
        data = g._data
        if id(g) in not_owned or data.base is not None or \
                not getattr(data.flags, "writeable", True):  # CuPy has no such flag
            data = data.copy()
        var._grad = _wrap(data, g.dtype, g.device)
    elif create_graph or old.requires_grad:
        var._grad = old + g
    else:  # in place, as PyTorch does: every alias of .grad sees the sum
        old._data += g._data
        old._vc[0] += 1


def backward(tensor: Tensor, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        if not inputs:
            raise errors.EngineRuntimeError("'inputs' argument to backward() cannot be empty.")
    run_backward([tensor], [gradient], retain_graph, create_graph, inputs=inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """``torch.autograd.grad``: gradients of ``outputs`` w.r.t. ``inputs``, without touching
    any ``.grad``."""
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
    result = run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=inputs,
                          accumulate=False, allow_unused=allow_unused)
    if materialize_grads:
        from .ops import zeros_like

        result = [zeros_like(t) if g is None else g for g, t in zip(result, inputs)]
    return tuple(result)
