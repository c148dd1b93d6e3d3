"""``torch.autograd.graph``'s saved-tensor hooks: ``saved_tensors_hooks``, ``save_on_cpu``,
``disable_saved_tensors_hooks`` (and ``Node``, the graph-node class, as torch has it there).

Inside ``with saved_tensors_hooks(pack, unpack):`` every tensor an op saves for backward is
handed to ``pack`` when the op runs (what it returns is kept instead of the tensor), and
``unpack(packed)`` runs each time backward needs it; it must return a tensor, which takes the
saved tensor's place in the graph (its gradient edge is the saved tensor's). Only the innermost
pair applies; ``pack`` runs with grad mode off. As torch, a packed tensor is not checked
against later in-place changes, and a pack hook that writes into its input fails.

The hooks are a context's (a session's); the process-wide count of open blocks turns on the
slow branch of ``record`` (``graph.record`` tests ``grad_mode.SEEN``, which it tested before;
nothing is added to its path while no block is open anywhere).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from .. import errors
from ..modes import no_grad
from ..tensor import Tensor, _wrap
from . import grad_mode
from .graph import (
    BACKWARD_NEEDED,
    OUTPUT,
    SCALARS_ONLY,
    Node,
    SavedTensor,
    grad_accumulator,
    will_execute,
)
from .saved_order import positions

__all__ = ["Node", "disable_saved_tensors_hooks", "register_multi_grad_hook", "save_on_cpu",
           "saved_tensors_hooks"]

#: The open ``saved_tensors_hooks`` blocks of this context, innermost last.
_STACK: ContextVar = ContextVar("engine_saved_tensors_hooks", default=())
#: The message ``disable_saved_tensors_hooks`` set, or None.
_DISABLED: ContextVar = ContextVar("engine_saved_tensors_hooks_disabled", default=None)
#: Open blocks in the whole process.
_OPEN = [0]
#: The tensor an in-place op of this context is about to write (set by its checks while
#: ``grad_mode.SEEN``, cleared before the write): a node that saves it gives the pack hook a
#: copy of its value, as torch saves ``self.clone()`` (a hook that keeps the tensor would
#: otherwise see the written values at backward: a wrong gradient).
INPLACE_TARGET: ContextVar = ContextVar("engine_inplace_target", default=None)

PACK_INPLACE = (
    "A saved tensor pack hook is modifying its input in place. Tensors provided as input to "
    "pack hook cannot be modified by in-place operations as this can lead to unexpected "
    "side-effects. Please open an issue if you need to perform in-place operations on the "
    "input to a pack hook.")
MAX_NESTING = 1000


def _refresh_seen() -> None:
    # record's slow branch while any block is open; else only while inference tensors live
    grad_mode.SEEN[0] = bool(_OPEN[0]) or bool(grad_mode._made)


class saved_tensors_hooks:
    """``with saved_tensors_hooks(pack_hook, unpack_hook):`` see the module doc."""

    def __init__(self, pack_hook: Any, unpack_hook: Any) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook
        self._tokens: list = []

    def __enter__(self) -> None:
        message = _DISABLED.get()
        if message is not None:
            raise errors.EngineRuntimeError(message)
        stack = _STACK.get()
        if len(stack) >= MAX_NESTING:
            raise errors.EngineRuntimeError(
                f"saved_tensors_hooks nested more than {MAX_NESTING} deep")
        self._tokens.append(_STACK.set(stack + ((self.pack_hook, self.unpack_hook),)))
        _OPEN[0] += 1
        _refresh_seen()
        return None

    def __exit__(self, *exc: Any) -> bool:
        if self._tokens:
            _STACK.reset(self._tokens.pop())
            _OPEN[0] -= 1
            _refresh_seen()
        return False


class save_on_cpu(saved_tensors_hooks):
    """``save_on_cpu(pin_memory=False, device_type="cuda")``: saved tensors are kept on the
    CPU and moved back to their device when backward needs them (a copy here: the engine's
    devices share the host's memory)."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack_to_cpu(tensor: Tensor) -> tuple:
            return tensor.device, tensor.to("cpu", copy=True)

        def unpack_from_cpu(packed: tuple) -> Tensor:
            device, tensor = packed
            return tensor.to(device)

        super().__init__(pack_to_cpu, unpack_from_cpu)


class disable_saved_tensors_hooks:
    """``with disable_saved_tensors_hooks(error_message):`` opening a ``saved_tensors_hooks``
    block inside fails with ``error_message``."""

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message
        self._tokens: list = []

    def __enter__(self) -> None:
        self._tokens.append(_DISABLED.set(str(self.error_message)))
        return None

    def __exit__(self, *exc: Any) -> bool:
        if self._tokens:
            _DISABLED.reset(self._tokens.pop())
        return False


class _Unpacker:
    """What a hooked ``SavedTensor`` calls (in its ``ref`` slot, as an output's weak reference
    would be) to get the tensor back: the unpack hook's result, as a tensor with the saved
    tensor's place in the graph."""

    __slots__ = ("unpack", "packed", "grad_fn", "output_nr", "acc", "requires_grad", "output")

    def __call__(self) -> Tensor:
        t = self.unpack(self.packed)
        if not isinstance(t, Tensor):
            raise errors.EngineTypeError(
                "Output of saved tensor unpack_hook expected to be a Tensor but got result of "
                f"type {type(t).__name__}")
        out = _wrap(t._data, t.dtype, t.device)
        grad_fn, output_nr = self.grad_fn, self.output_nr
        if self.output is not None:  # the op's own output: its node
            grad_fn, output_nr = self.output._grad_fn, self.output._output_nr
        if grad_fn is not None:
            out._grad_fn, out._output_nr, out.requires_grad = grad_fn, output_nr, True
        elif self.acc is not None:
            import weakref

            out._acc = weakref.ref(self.acc)
            out.requires_grad = True
        return out


def _hooked(t: Tensor, is_output: bool, pack: Any, unpack: Any) -> SavedTensor:
    version = t._vc[0]
    with no_grad():  # (torch packs with grad mode off: the hook's own ops save nothing)
        packed = pack(t)
    if t._vc[0] != version:
        raise errors.EngineRuntimeError(PACK_INPLACE)
    u = _Unpacker()
    u.unpack, u.packed = unpack, packed
    u.grad_fn, u.output_nr, u.acc, u.output = None, 0, None, None
    if is_output:
        # held strongly (a cycle output -> node -> saved -> here, broken when backward frees
        # the saved values, else by the collector): the unpacked tensor needs the output's
        # node even once the program dropped the output (``x.exp().sum()``)
        u.output = t
    elif t._grad_fn is not None:
        u.grad_fn, u.output_nr = t._grad_fn, t._output_nr
    elif t.requires_grad:
        u.acc = grad_accumulator(t)
    st = object.__new__(SavedTensor)
    # an output's form: ``unpack`` calls ``ref()``; a version counter of its own, never
    # written, so nothing is checked against in-place changes (as torch with hooks)
    st.vc, st.version, st.owner_nr, st.is_output = [0], 0, t._output_nr, True
    st.tensor = t._data, t.dtype, t.device
    st.ref = u
    return st


def _original(t: Tensor) -> Tensor:
    """``t.clone()`` as torch's in-place ops save their input (a CloneBackward0 of ``t``'s
    history when it requires grad)."""
    from ..ops.tensor_methods import clone

    return clone(t)


def pack_saved(saved: tuple, outputs: Any, single: bool, saves_scalars: bool,
               name: str = "") -> tuple:
    """``record``'s saved values while ``grad_mode.SEEN`` is set: the inference-tensor check,
    then each tensor wrapped (through this context's innermost hooks, if any), in torch's
    order (``saved_order``: node ``name``). Returns ``(saved, had)`` as ``record``'s fast
    branch would."""
    grad_mode.check_saved(saved)
    stack = _STACK.get()
    hooks = stack[-1] if stack else None
    first = outputs if single else outputs[0]
    if first is None:  # (an undefined first output: no saved None is taken for it)
        first = OUTPUT
    saved = tuple(saved)
    order = positions(name, len(saved)) if len(saved) > 1 else None
    packed = list(saved)
    had: Any = False
    target = INPLACE_TARGET.get() if hooks else None
    for i in order or range(len(saved)):
        s = saved[i]
        if s is OUTPUT or s is first:
            packed[i] = _hooked(first, True, *hooks) if hooks else SavedTensor(first, True)
            had = True
        elif type(s) is Tensor:
            if s is target:  # about to be written in place: its value now, as torch's clone
                s = _original(s)
            packed[i] = _hooked(s, False, *hooks) if hooks else SavedTensor(s, False)
            had = True
    if had:
        return tuple(packed), order or True
    if saves_scalars and any(s is not None for s in saved):
        had = SCALARS_ONLY
    return saved, had


# --------------------------------------------------------------------------- multi-grad hooks
class _MultiHandle:
    """The handle ``register_multi_grad_hook`` returns: ``remove()`` removes every hook."""

    __slots__ = ("handles",)

    def __init__(self, handles: tuple) -> None:
        self.handles = handles

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()

    def __enter__(self) -> _MultiHandle:
        return self

    def __exit__(self, *exc: Any) -> bool:
        self.remove()
        return False


def register_multi_grad_hook(tensors: Any, fn: Any, *, mode: str = "all") -> _MultiHandle:
    """``torch.autograd.graph.register_multi_grad_hook``. ``mode="all"``: ``fn(grads)`` once
    per backward, after the gradient of every tensor that backward computes has been computed
    (None in the places of the others: not in the graph, or not needed for its ``inputs``);
    ``mode="any"``: ``fn(grad)`` with the first of them. Tensor hooks underneath, so they run
    in the order tensor hooks run."""
    supported = ("all", "any")
    if mode not in supported:
        raise errors.EngineValueError(f"Expects mode to be one of {supported} but got {mode}")
    tensors = tuple(tensors)
    if mode == "all":
        nodes = []
        for t in tensors:
            if t.grad_fn is not None:
                nodes.append(t.grad_fn)
            elif t.requires_grad:
                nodes.append(grad_accumulator(t))
            else:
                raise AssertionError("Expected gradient function to be set")
        # per backward (keyed by its deps table, kept alive with the entry): [calls still
        # expected, the gradients so far]
        tasks: dict[int, list] = {}

        def inner(i: int) -> Any:
            def hook(grad: Tensor) -> None:
                deps = BACKWARD_NEEDED.get()[1]
                entry = tasks.get(id(deps))
                if entry is None:
                    expected = sum(map(will_execute, nodes))
                    entry = tasks[id(deps)] = [expected, [None] * len(tensors), deps]
                entry[1][i] = grad
                entry[0] -= 1
                if entry[0] <= 0:
                    del tasks[id(deps)]
                    fn(entry[1])
            return hook

        return _MultiHandle(tuple(t.register_hook(inner(i)) for i, t in enumerate(tensors)))
    ran: dict[int, Any] = {}

    def first(grad: Tensor) -> None:
        deps = BACKWARD_NEEDED.get()[1]
        if id(deps) in ran and ran[id(deps)] is deps:
            return
        ran.clear()  # only the running backward's flag is ever needed
        ran[id(deps)] = deps
        fn(grad)

    return _MultiHandle(tuple(t.register_hook(first) for t in tensors if t.requires_grad))
