"""``torch.utils.checkpoint``: activation checkpointing (``checkpoint``,
``checkpoint_sequential``).

A checkpointed function keeps none of the tensors its ops would save for backward; backward
runs the function again to get them. Both of torch's variants:

- ``use_reentrant=True`` (torch 2.13's default when ``use_reentrant`` is not passed, with its
  warning): the forward runs with grad mode off, its outputs come out of one
  ``CheckpointFunctionBackward`` node whose backward runs the function again with grad mode on
  (on detached copies of the inputs) and back-propagates through that fresh graph, so the
  gradients of parameters the function uses accumulate there. As in torch it refuses
  ``torch.autograd.grad`` and ``backward(inputs=...)``, and it takes no keyword arguments for
  the function.
- ``use_reentrant=False``: the function runs normally (its outputs keep their own nodes,
  ``ExpBackward0`` ...) under saved-tensor hooks that keep an index instead of each saved
  tensor; the first time backward needs one, the function runs again under hooks that collect
  the recomputed tensors, stopping as soon as it has them all (torch's early stop), and
  checking each against the original's shape and dtype (``determinism_check="default"``).

With ``preserve_rng_state=True`` (the default) the recomputation draws the same random numbers
as the forward did (dropout's masks), the generator being put back afterwards.
"""

from __future__ import annotations

import warnings
from typing import Any

from .. import errors
from ..autograd.engine import CHECKPOINT_VALID
from ..autograd.engine import backward as _backward
from ..autograd.function import apply_function
from ..autograd.saved_hooks import saved_tensors_hooks
from ..modes import enable_grad
from ..random import get_rng_state, set_rng_state
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError"]

_OMITTED = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
    "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
    "exception. use_reentrant=False is recommended, but if you need to preserve the current "
    "default behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
    "differences between the two variants.")
_OMITTED_SEQUENTIAL = (
    "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be "
    "passed explicitly. In version 2.9 we will raise an exception if use_reentrant is not "
    "passed. use_reentrant=False is recommended, but if you need to preserve the current "
    "default behavior, you can pass use_reentrant=True. Refer to docs for more details on "
    "the differences between the two variants.")
_NOT_VALID = (
    "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or passing "
    "an `inputs` parameter to .backward(). To resolve this error, you can either set "
    "use_reentrant=False, or call .backward() without passing the `inputs` argument.")


class CheckpointError(RuntimeError):
    """``torch.utils.checkpoint.CheckpointError``."""


class _NoContext:
    pass


def checkpoint(function: Any, *args: Any, use_reentrant: Any = None, context_fn: Any = None,
               determinism_check: str = "default", debug: bool = False,
               early_stop: bool = True, **kwargs: Any) -> Any:
    """``torch.utils.checkpoint.checkpoint``: see the module doc."""
    if use_reentrant is None:
        warnings.warn(_OMITTED, UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant:
        if context_fn is not None or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        return _reentrant(function, preserve, args)
    if context_fn is not None:
        raise errors.NotSupported(
            "torch.utils.checkpoint.checkpoint(context_fn=...) is not supported: its "
            "contexts are torch's TorchDispatchMode objects")
    if determinism_check not in ("default", "none"):
        raise ValueError("determinism_check should be one of ['default', 'none'], but got "
                         f"{determinism_check}")
    return _non_reentrant(function, preserve, determinism_check == "default",
                          bool(early_stop), args, kwargs)


# --------------------------------------------------------------------------- reentrant

def _reentrant(function: Any, preserve: bool, args: tuple) -> Any:
    if not any(type(a) is Tensor and a.requires_grad for a in args):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      UserWarning, stacklevel=3)
    state: dict[str, Any] = {}

    def forward(ctx: Any, *inputs: Any) -> Any:
        if preserve:
            state["rng"] = get_rng_state()
        ctx.save_for_backward(*(a for a in inputs if type(a) is Tensor))
        return function(*inputs)

    def backward(ctx: Any, *grads: Any) -> tuple:
        if not CHECKPOINT_VALID.get():
            raise errors.EngineRuntimeError(_NOT_VALID)
        saved = iter(ctx.saved_tensors)
        inputs = []
        for a in args:
            if type(a) is Tensor:
                t = next(saved).detach()
                t.requires_grad = a.requires_grad
                inputs.append(t)
            else:
                inputs.append(a)
        with _rng_restored(state.get("rng")), enable_grad():
            outputs = function(*inputs)
        outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
        pairs = [(o, g) for o, g in zip(outputs, grads)
                 if type(o) is Tensor and o.requires_grad]
        if not pairs:
            raise errors.EngineRuntimeError(
                "none of output has requires_grad=True, this checkpoint() is not necessary")
        for i, (o, g) in enumerate(pairs):  # one backward over all (as torch's)
            _backward(o, g, retain_graph=i < len(pairs) - 1)
        return tuple(t.grad if type(t) is Tensor else None for t in inputs)

    return apply_function("CheckpointFunction", forward, backward, tuple(args))


class _rng_restored:
    """The generator at ``state`` inside the block, as it was after it."""

    def __init__(self, state: Any) -> None:
        self.state, self.after = state, None

    def __enter__(self) -> None:
        if self.state is not None:
            self.after = get_rng_state()
            set_rng_state(self.state)

    def __exit__(self, *exc: Any) -> bool:
        if self.state is not None:
            set_rng_state(self.after)
        return False


# --------------------------------------------------------------------------- non-reentrant

class _Stop(Exception):
    """Raised by the recomputation's pack hook once every tensor is recomputed."""


def _non_reentrant(function: Any, preserve: bool, check: bool, early_stop: bool,
                   args: tuple, kwargs: dict) -> Any:
    metas: list[tuple] = []
    recomputed: dict[int, Tensor] = {}
    rng = get_rng_state() if preserve else None

    def pack(t: Tensor) -> int:
        metas.append((tuple(t.shape), t.dtype, t.device))
        return len(metas) - 1

    def recompute() -> None:
        got: list[Tensor] = []
        stop = [False]

        def pack_again(t: Tensor) -> None:
            got.append(t.detach())
            if early_stop and len(got) == len(metas):
                stop[0] = True
                raise _Stop
            return None

        def unpack_again(packed: Any) -> Tensor:
            raise errors.EngineRuntimeError(
                "torch.utils.checkpoint: the recomputation of a checkpointed function "
                "needed its own saved tensors")

        try:
            with _rng_restored(rng), enable_grad(), saved_tensors_hooks(pack_again,
                                                                        unpack_again):
                function(*args, **kwargs)
        except BaseException:
            if not stop[0]:
                raise
        if check:
            _check_same(metas, got)
        recomputed.clear()
        recomputed.update(enumerate(got))

    def unpack(index: int) -> Tensor:
        if index not in recomputed:
            recompute()
        if index not in recomputed:
            raise CheckpointError(
                "torch.utils.checkpoint: Unpack is being triggered for a tensor that was "
                "already unpacked once. If you are calling ctx.saved_tensors in backward, "
                "make sure to do so only once. Otherwise please open an issue with details "
                "on your use case.")
        return recomputed.pop(index)

    with saved_tensors_hooks(pack, unpack):
        return function(*args, **kwargs)


def _check_same(metas: list[tuple], got: list[Tensor]) -> None:
    if len(got) < len(metas):
        raise CheckpointError(
            "torch.utils.checkpoint: A different number of tensors was saved during the "
            "original forward and recomputation.\n"
            f"Number of tensors saved during forward: {len(metas)}\n"
            f"Number of tensors saved during recomputation: {len(got)}.")
    wrong = []
    for i, ((shape, dtype, device), t) in enumerate(zip(metas, got)):
        now = (tuple(t.shape), t.dtype, t.device)
        if now != (shape, dtype, device):
            wrong.append(f"tensor at position {i}:\n"
                         f"saved metadata: {{'shape': {_size(shape)}, 'dtype': {dtype}, "
                         f"'device': {device!r}}}\n"
                         f"recomputed metadata: {{'shape': {_size(now[0])}, 'dtype': "
                         f"{now[1]}, 'device': {now[2]!r}}}\n")
    if wrong:
        raise CheckpointError(
            "torch.utils.checkpoint: Recomputed values for the following tensors have "
            "different metadata than during the forward pass.\n" + "".join(wrong) + _TIP)


_TIP = (
    ".\n\nTip: To see a more detailed error message, either pass `debug=True` to\n"
    "`torch.utils.checkpoint.checkpoint(...)` or wrap the code block\n"
    "with `with torch.utils.checkpoint.set_checkpoint_debug_enabled(True):` to\n"
    "enable checkpoint\u2011debug mode globally.\n\n"
    "If this error occurs under torch.compile with automatic_dynamic_shapes enabled,\n"
    "it may be because the recomputation selected a different compiled graph than the\n"
    "forward pass (e.g., a dynamic graph instead of the original static graph).\n"
    "To fix this, either:\n"
    "  - Use torch._dynamo.mark_dynamic() to explicitly mark varying dimensions as\n"
    "    dynamic upfront, avoiding the static-to-dynamic transition.\n"
    "  - Call torch._C._dynamo.eval_frame._set_lru_cache(False) to disable LRU cache\n"
    "    reordering, which can change which graph is checked first between forward\n"
    "    and recompute.\n"
    "See https://github.com/pytorch/pytorch/issues/166926 for more details and\n"
    "workaround examples.\n")


def _size(shape: tuple) -> str:
    return f"torch.Size({list(shape)})"


# --------------------------------------------------------------------------- sequential

def checkpoint_sequential(functions: Any, segments: Any, input: Any,  # noqa: A002
                          use_reentrant: Any = None, **kwargs: Any) -> Any:
    """``torch.utils.checkpoint.checkpoint_sequential``: the modules (or functions) run in
    ``segments`` parts, each but the last checkpointed."""
    from ..nn import Sequential

    if use_reentrant is None:
        warnings.warn(_OMITTED_SEQUENTIAL, UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if isinstance(functions, Sequential):
        functions = list(functions.children())
    size = len(functions) // segments
    last = -1
    for first in range(0, size * (segments - 1), size):
        last = first + size - 1
        input = checkpoint(_segment(functions, first, last), input,  # noqa: A001
                           use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return _segment(functions, last + 1, len(functions) - 1)(input)


def _segment(functions: list, first: int, last: int) -> Any:
    def run(x: Any) -> Any:
        for i in range(first, last + 1):
            x = functions[i](x)
        return x
    return run
