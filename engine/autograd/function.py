"""Custom gradient rules: ``torch.autograd.Function``.

``apply_function`` is the machinery as one plain call (the language calls it for classes
written in programs); ``Function`` is the Python base class on top of it. The context object a
user's ``forward``/``backward`` receive IS the graph node, as in PyTorch: its name is
``<ClassName>Backward``, and attributes set on it in ``forward`` are there in ``backward``.
"""

from __future__ import annotations

import functools
import inspect
import weakref
from collections.abc import Callable, Sequence

from .. import errors
from ..modes import _grad_enabled, no_grad
from ..tensor import Tensor, _wrap
from .graph import SCALARS_ONLY, Node, SavedTensor, record, user_call

_node_classes: dict[str, type] = {}


class FunctionCtx(Node):
    """The ``ctx`` of a custom Function and, once its forward has run, its graph node."""

    # no __slots__: user code sets attributes on ctx (``ctx.k = k``), as in PyTorch
    _plain = False

    def __init__(self) -> None:  # the Node fields are filled in when the outputs exist
        Node.__init__(self, type(self).__name__, None, False, (), False, (), (), 1)
        self.to_save = ()
        self.non_differentiable = ()
        self.dirty_tensors = ()
        self.materialize_grads = True
        self.needs_input_grad = ()
        self.saved_for_forward = ()

    def __repr__(self) -> str:
        return f"<torch.autograd.function.{self._name} object at {id(self):#x}>"

    def save_for_backward(self, *tensors) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise errors.EngineTypeError(
                    "save_for_backward can only save variables, but argument "
                    f"{tensors.index(t)} is of type {type(t).__name__}")
        self.to_save = tensors

    def save_for_forward(self, *tensors) -> None:
        self.saved_for_forward = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self.non_differentiable = tensors

    def mark_dirty(self, *tensors) -> None:
        self.dirty_tensors = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self) -> tuple:
        if self.__dict__.get("_in_jvp"):  # what was handed to save_for_forward
            return tuple(self.saved_for_forward)
        if self._rule is None:  # still in forward: what was handed to save_for_backward
            return tuple(self.to_save)
        saved = self._saved
        if saved is None:
            raise errors.EngineRuntimeError(errors.BACKWARD_TWICE)
        return tuple(s.unpack(self) if type(s) is SavedTensor else s for s in saved)

    @property
    def saved_variables(self) -> tuple:
        return self.saved_tensors


def _node_class(name: str) -> type:
    cls = _node_classes.get(name)
    if cls is None:
        cls = _node_classes[name] = type(name, (FunctionCtx,), {"__module__": __name__})
    return cls


def _is_expandable(shape: tuple, to: tuple) -> bool:
    if len(shape) > len(to):
        return False
    for s, t in zip(reversed(shape), reversed(to)):
        if s != t and s != 1:
            return False
    return True


def apply_function(name: str, forward: Callable, backward: Callable, args: tuple, *,
                   setup_context: Callable | None = None, once_differentiable: bool = False,
                   jvp: Callable | None = None):
    """Run a custom Function called ``name`` on ``args``.

    ``forward(ctx, *args)`` (or ``forward(*args)`` with ``setup_context(ctx, inputs, output)``)
    runs with grad mode off; its tensor outputs get a ``<name>Backward`` node whose gradient is
    ``backward(ctx, *grad_outputs)``, one gradient (or None) per argument. ``jvp(ctx,
    *tangents)`` is the forward-mode rule, when the class has one.
    """
    args = tuple(args)
    node_name = name + "Backward"
    ctx = _node_class(node_name)()
    ctx.needs_input_grad = tuple(type(a) is Tensor and a.requires_grad for a in args)
    with no_grad():
        if setup_context is None:
            output = forward(ctx, *args)
        else:
            output = forward(*args)
            setup_context(ctx, args, output)
    single = not isinstance(output, tuple)
    outs = (output,) if single else tuple(output)
    # an input handed back unchanged becomes a new tensor viewing it (PyTorch does the same)
    fixed = []
    for o in outs:
        if type(o) is Tensor and any(o is a for a in args):
            alias = _wrap(o._data, o.dtype, o.device)
            alias._base, alias._vc = o, o._vc
            alias._view_fn = _returned_input
            o = alias
        fixed.append(o)
    tensors = [o for o in fixed if type(o) is Tensor]
    differentiable = any(ctx.needs_input_grad) and _grad_enabled.get()
    from . import forward_ad

    has_tangents = forward_ad._any_tangent(args)
    if tensors and (differentiable or has_tangents):
        rule = _backward_rule(ctx, node_name, backward, args, len(tensors), once_differentiable)
        tangent_rule = None
        if has_tangents:
            tangent_rule = functools.partial(_custom_jvp, ctx, node_name, jvp, args)
        record(tensors[0] if len(tensors) == 1 else tuple(tensors), node_name, rule, args,
               ctx.to_save, per_input=False, node=ctx, jvp=tangent_rule)
        if ctx._had_tensors is True:
            # unpacked when ``ctx.saved_tensors`` is read, not before the rule runs: a
            # backward that never reads them neither checks nor unpacks them (torch's way;
            # saved-tensor unpack hooks run once a read)
            ctx._had_tensors = SCALARS_ONLY
        marked = ctx.non_differentiable
        for t in tensors:
            if any(t is m for m in marked) or not t.dtype.is_floating_point:
                t._grad_fn, t.requires_grad = None, False
        # the node keeps what was saved; an output held here too would be a cycle (output ->
        # node -> output) that only the cyclic collector frees. torch clears both as well.
        ctx.to_save = ctx.dirty_tensors = None
    if single:
        return fixed[0]
    return type(output)(fixed) if type(output) is tuple else tuple(fixed)


def _returned_input(base):
    """The ``_view_fn`` of an input a custom Function returned as-is: never replayed, since
    PyTorch refuses in-place writes on such a view, or on its base while it is used."""
    raise AssertionError("a custom Function's returned input is not re-derived from its base")


_returned_input.creation = "custom"


def _backward_rule(ctx, node_name, backward, args, n_out, once):
    n_in = len(args)
    tensor_arg = tuple(type(a) is Tensor for a in args)
    # the node (``ctx``) holds this rule: a strong reference back would make a cycle that only
    # the cyclic collector frees, keeping the saved tensors of a graph dropped without a
    # backward alive until then (torch frees them at once); the node is alive while it runs
    ctx_ref = weakref.ref(ctx)

    def rule(g, needs, *saved):
        ctx = ctx_ref()
        grads = g if n_out > 1 else (g,)
        if once:
            with no_grad():
                result = user_call(backward, ctx, *grads)
        else:
            result = user_call(backward, ctx, *grads)
        result = result if isinstance(result, tuple) else (result,)
        if once and _grad_enabled.get() and any(
                isinstance(x, Tensor) and x.requires_grad for x in grads):
            result = _delayed_error(result)
        if len(result) != n_in:
            # PyTorch lets extra trailing Nones through
            if len(result) > n_in and all(r is None for r in result[n_in:]):
                result = result[:n_in]
            else:
                raise errors.EngineRuntimeError(
                    f"function {node_name} returned an incorrect number of gradients "
                    f"(expected {n_in}, got {len(result)})")
        out = []
        for i, (r, a) in enumerate(zip(result, args)):
            if r is None:
                out.append(None)
                continue
            if not tensor_arg[i]:
                raise errors.EngineRuntimeError(
                    f"function {node_name} returned a gradient different than None at position "
                    f"{i + 1}, but the corresponding forward input was not a Variable")
            if not isinstance(r, Tensor):
                raise errors.EngineTypeError(
                    f"function {node_name} returned a gradient of type {type(r).__name__} at "
                    f"position {i}; expected a Tensor or None")
            if r.shape != a.shape and not _is_expandable(a.shape, r.shape):
                raise errors.EngineRuntimeError(
                    f"Function {node_name} returned an invalid gradient at index {i} - got "
                    f"{list(r.shape)} but expected shape compatible with {list(a.shape)}")
            out.append(r if needs[i] else None)
        return tuple(out)

    return rule


def _delayed_error(result: tuple) -> tuple:
    """A once_differentiable backward's gradients under create_graph, as torch's
    ``DelayedError`` hands them back: each is a new tensor on the same data, an output of one
    ``torch::autograd::Error`` node whose edges go to a leaf per gradient (a detached copy
    that requires grad); differentiating them raises."""
    leaves = []
    for r in result:
        leaf = None
        if isinstance(r, Tensor):
            leaf = r.detach()
            leaf.requires_grad = True
        leaves.append(leaf)
    present = [x for x in leaves if x is not None]
    if not present:
        return result
    # (a gradient that is None keeps its output number: a stand-in holds its place)
    outs = tuple(_wrap(x._data, x.dtype, x.device) for x in
                 (present[0] if x is None else x for x in leaves))

    def fail(g, *_):
        raise errors.EngineRuntimeError(
            "trying to differentiate twice a function that was marked with "
            "@once_differentiable")

    record(outs, "Error", (fail,) * len(leaves), tuple(leaves))
    return tuple(o if x is not None else r for o, x, r in zip(outs, leaves, result))


def _custom_jvp(ctx, node_name, jvp, args, tangents):
    if jvp is None:
        raise errors.NotSupported(
            "You must implement the jvp function for custom autograd.Function to use it with "
            "forward mode AD.")
    if ctx.materialize_grads:  # a tensor input without a tangent gets zeros
        tangents = [_zeros_like(a) if t is None and type(a) is Tensor and
                    a.dtype.is_floating_point else t for a, t in zip(args, tangents)]
    ctx._in_jvp = True
    try:
        result = jvp(ctx, *tangents)
    finally:
        ctx._in_jvp = False
    return result if isinstance(result, tuple) else (result,)


def _zeros_like(t: Tensor) -> Tensor:
    from ..ops import zeros_like

    return zeros_like(t)


def once_differentiable(fn: Callable) -> Callable:
    """Decorator for a ``backward`` that is not itself differentiable: it runs with grad mode
    off, and differentiating its result again raises."""

    @functools.wraps(fn)
    def wrapper(ctx, *grads):
        return fn(ctx, *grads)

    wrapper._once_differentiable = True
    return wrapper


class _FunctionMeta(type):
    """Gives each Function subclass its node class (``<Name>Backward``), as PyTorch's does."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = _node_class(name + "Backward")


class Function(metaclass=_FunctionMeta):
    """Base class of custom autograd operations: subclass it with ``forward`` and ``backward``
    staticmethods (and optionally ``setup_context`` and ``jvp``), then call ``Cls.apply``."""

    def __init__(self, *args, **kwargs):
        raise errors.EngineRuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise errors.NotSupported(
            "You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise errors.NotSupported(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise errors.NotSupported("setup_context is not implemented.")

    jvp = None

    @classmethod
    def apply(cls, *args, **kwargs):
        uses_setup = cls.setup_context is not Function.setup_context
        if uses_setup:
            args = _bind_signature(cls.forward, args, kwargs)
        elif kwargs:
            args = _bind_positions(cls.forward, args, kwargs)
        backward = cls.backward
        if backward is Function.backward and cls.vjp is not Function.vjp:
            backward = cls.vjp
        return apply_function(
            cls.__name__, cls.forward, backward, args,
            setup_context=cls.setup_context if uses_setup else None,
            once_differentiable=getattr(backward, "_once_differentiable", False),
            jvp=cls.jvp)


_signatures: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _signature(forward: Callable) -> inspect.Signature | None:
    try:
        return _signatures[forward]
    except (KeyError, TypeError):
        pass
    try:
        sig = inspect.signature(forward)
    except (TypeError, ValueError):  # a callable without a Python signature
        sig = None
    try:
        _signatures[forward] = sig
    except TypeError:  # not weakly referenceable: not cached
        pass
    return sig


def _bind_signature(forward: Callable, args: tuple, kwargs: dict) -> tuple:
    """``apply``'s arguments for a class with ``setup_context`` (``forward(*args)``), as torch
    binds them: ``inspect.Signature.bind`` with the defaults applied, so ``inputs`` holds every
    parameter; what would still go by keyword (keyword-only, ``**kwargs``) is refused."""
    sig = _signature(forward)
    if sig is None:
        if kwargs:
            raise errors.EngineTypeError("apply() takes no keyword arguments")
        return args
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as e:
        raise errors.EngineTypeError(str(e)) from None
    bound.apply_defaults()
    if bound.kwargs:
        raise errors.EngineTypeError(
            f"forward() got an unexpected keyword argument '{next(iter(bound.kwargs))}'")
    return bound.args


def _bind_positions(forward: Callable, args: tuple, kwargs: dict) -> tuple:
    """``apply``'s keywords for a class without ``setup_context`` (``forward(ctx, ...)``)."""
    sig = _signature(forward)
    if sig is None:
        raise errors.EngineTypeError("apply() takes no keyword arguments")
    names = [p.name for p in sig.parameters.values()
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][1:]  # after ctx
    return keywords_at_positions(names, args, kwargs)


def keywords_at_positions(names: Sequence[str], args: tuple, kwargs: dict) -> tuple:
    """``apply``'s arguments for a class without ``setup_context``, as torch binds them: each
    keyword goes to the position of its name in ``names`` (``forward``'s parameters after
    ``ctx``); no defaults are filled in, and every position up to the last one given must have
    a value (torch's texts). The language binds a program's classes with it too."""
    given = len(args)
    placed: dict[int, object] = {}
    for key, value in kwargs.items():
        if key not in names:
            raise errors.EngineTypeError(f"forward() got an unexpected keyword argument '{key}'")
        i = names.index(key)
        if i < given:
            raise errors.EngineTypeError(f"forward() got multiple values for argument '{key}'")
        placed[i] = value
    out = list(args)
    for i in range(given, max(placed) + 1):
        if i not in placed:
            raise errors.EngineTypeError(
                f"forward() missing required argument: '{names[i]}' (position {i})")
        out.append(placed[i])
    return tuple(out)


__all__ = ["Function", "FunctionCtx", "apply_function", "once_differentiable"]
