"""Graph nodes: what ``record`` attaches to an op's outputs.

A node is made by ``record`` when an op runs with grad mode on and some input requires grad.
It holds, per differentiable input, an edge ``(next_node, output_nr)`` and the input's
``(shape, dtype)``, and the gradient rule of its op.
"""

from __future__ import annotations

import weakref

from .. import errors
from ..modes import _grad_enabled
from ..tensor import Tensor, _wrap


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

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` after this node computed its gradients; a
        non-None return replaces ``grad_inputs``."""
        return _Handle(self._node_hooks("post"), fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` before this node runs; a non-None return replaces them."""
        return _Handle(self._node_hooks("pre"), fn)

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


class _Handle:
    """What ``register_hook`` returns: ``remove()`` takes the hook off again."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list, hook):
        self._hooks, self._hook = hooks, hook
        hooks.append(hook)

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


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

# Non-zero while a forward-AD level or a ``vmap`` is open (FW_ACTIVE), or anomaly detection is on
# (HOOKS_ACTIVE), in any context: only then do ``record`` and ``needs_grad`` look further
# (``forward_ad``, ``engine.func.vmap``, ``anomaly``).
FW_ACTIVE = [0]
HOOKS_ACTIVE = [0]


def record(outputs, name: str, rule, inputs: tuple, saved: tuple = (), per_input: bool = True,
           saves_scalars: bool = False, *, jvp=None, node=None):
    """Attach a node to ``outputs`` (a Tensor or a tuple of Tensors).

    ``inputs`` are the op's differentiable arguments (Tensors or anything else, which gets no
    edge). With ``per_input`` the ``rule`` is a tuple with one ``f(grad, *saved)`` per input
    (None where not differentiable); otherwise one ``f(grad, needs, *saved)`` returning a
    tuple. ``saved`` may hold ``OUTPUT`` for the (first) output. ``saves_scalars``: Python
    numbers in ``saved`` count as saved tensors (PyTorch wraps them), so they are freed after
    backward and a second backward fails as in PyTorch. ``jvp(tangents)`` is the op's
    forward-mode rule (``forward_ad`` explains the default). ``node``: a node object to fill in
    (a custom Function's ctx) instead of a new one.
    """
    if FW_ACTIVE[0]:
        rule = _forward_ad.propagate(outputs, rule, inputs, saved, per_input, jvp)
        if rule is None:  # tangents only: no reverse-mode node
            return None
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
    if node is None:
        node = Node(name, rule, per_input, saved, had, tuple(edges), tuple(meta),
                    1 if single else len(outputs))
    else:
        Node.__init__(node, name, rule, per_input, saved, had, tuple(edges), tuple(meta),
                      1 if single else len(outputs))
    if HOOKS_ACTIVE[0]:
        _anomaly.note_forward(node)
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
    """Must the op record? (Some input requires grad in grad mode, or carries a tangent.)"""
    if _grad_enabled.get():
        for x in xs:
            if type(x) is Tensor and x.requires_grad:
                return True
    return FW_ACTIVE[0] and _forward_ad._any_tangent(xs)


# Last: these modules import this one.
from . import anomaly as _anomaly  # noqa: E402
from . import forward_ad as _forward_ad  # noqa: E402
