"""``torch.compile`` as a program observes it on the CPU.

The engine has no graph compiler: a compiled function or module runs the engine's own ops,
so values and gradients are the eager ones (the compilers torch uses reorder float sums, so
torch's own compiled values can differ from eager in the last bits). What stays as torch
shows it:

- the arguments are checked as ``torch.compile`` checks them (modes, ``mode`` with
  ``options``, the backends torch 2.13 registers, ``dynamic`` a bool, the model callable),
  each with torch's error text;
- ``torch.compile(fn)`` is a function named like ``fn``; ``torch.compile(module)`` is an
  ``OptimizedModule`` holding the module as ``_orig_mod`` (its repr, ``state_dict`` keys
  ``_orig_mod.weight`` ..., attributes read through to the module), and ``@torch.compile`` /
  ``@torch.compile(...)`` work as decorators;
- with a backend that traces through AOTAutograd (``inductor``, the default, ``aot_eager``
  and the others except ``eager``), the tensors a compiled call returns share one
  ``CompiledFunctionBackward`` node, as torch's do; with ``backend="eager"`` or
  ``disable=True`` they keep the eager nodes (``MulBackward0`` ...), as in torch.
  The node's ``next_functions`` are the eager graph's last nodes, not torch's lifted inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import errors
from .autograd.function import apply_function
from .modes import _grad_enabled
from .nn.modules.module import Module
from .tensor import Tensor

__all__ = ["OptimizedModule", "compile"]

#: ``torch.compile``'s modes (its error lists them in this order).
MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
#: The backends torch 2.13 CPU registers (``torch._dynamo.list_backends(exclude_tags=())``).
BACKENDS = frozenset((
    "aot_eager aot_eager_decomp_partition aot_eager_decomp_partition_crossref "
    "aot_eager_decomp_partition_with_mode aot_eager_default_partitioner aot_ts cudagraphs "
    "dynamo_accuracy_minifier_backend dynamo_minifier_backend eager eager_debug "
    "eager_noexcept inductor invoke_subgraph non_leaf_compile_error_TESTING_ONLY openxla "
    "openxla_eval pre_dispatch_eager relu_accuracy_error_TESTING_ONLY "
    "relu_compile_error_TESTING_ONLY relu_runtime_error_TESTING_ONLY ts tvm").split())
#: The backends the service runs: the eager graph, or it under one compiled node.
RUNS = ("inductor", "eager", "aot_eager")


#: Types whose values are classes besides Python's (a program's classes, registered by the
#: language): ``torch.compile`` hands a class back as it is.
CLASS_TYPES: list[type] = [type]


class InvalidBackend(RuntimeError):
    """``torch._dynamo.exc.InvalidBackend``."""


def _check_dynamic(dynamic: Any) -> None:
    if dynamic is not None and not isinstance(dynamic, bool):
        raise AssertionError(f"Expected enable to be a bool, got {type(dynamic)}")


def compile(model: Any = None, *, fullgraph: bool = False, dynamic: Any = None,  # noqa: A001
            backend: Any = "inductor", mode: Any = None, options: Any = None,
            name: Any = None, disable: bool = False, recompile_limit: Any = None,
            isolate_recompiles: bool = False, shapes_spec: Any = None) -> Any:
    """``torch.compile``: see the module doc."""
    if backend is None:
        backend = "inductor"
    if model is None:
        def decorate(model: Any) -> Any:
            if model is None:
                raise errors.EngineRuntimeError("Model can't be None")
            return compile(model, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                           mode=mode, options=options, name=name, disable=disable,
                           recompile_limit=recompile_limit,
                           isolate_recompiles=isolate_recompiles, shapes_spec=shapes_spec)
        return decorate
    if mode is not None and options is not None:
        raise errors.EngineRuntimeError(
            "Either mode or options can be specified, but both can't be specified at the "
            "same time.")
    if shapes_spec is not None:
        raise errors.NotSupported("torch.compile(shapes_spec=...) is not supported: the "
                                  "engine does not specialise on shapes")
    if backend == "inductor":
        if mode is not None and mode not in MODES:
            raise errors.EngineRuntimeError(
                f"Unrecognized mode={mode}, should be one of: {', '.join(MODES)}")
        if options is not None:
            if not isinstance(options, dict):
                raise AttributeError(f"'{type(options).__name__}' object has no attribute "
                                     "'items'")
            if options:
                raise errors.NotSupported(
                    f"torch.compile(options={{{next(iter(options))!r}: ...}}) is not "
                    "supported: the engine has no Inductor configuration to set")
    elif not isinstance(backend, str):
        raise errors.NotSupported(
            f"torch.compile(backend={backend!r}) is not supported: a backend function "
            "receives torch.fx graphs, which the service does not make; the backends it "
            "runs are " + ", ".join(repr(b) for b in RUNS))
    elif backend not in BACKENDS:
        raise InvalidBackend(
            f"Invalid backend: {backend!r}, see `torch._dynamo.list_backends()` for "
            "available backends.")
    elif backend not in RUNS:
        raise errors.NotSupported(
            f"torch.compile(backend={backend!r}) is not supported: the backends the service "
            "runs are " + ", ".join(repr(b) for b in RUNS))
    _check_dynamic(dynamic)
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is "
                             "provided.")
    if isinstance(model, tuple(CLASS_TYPES)):  # torch hands a class back as it is
        return model
    aot = not disable and backend != "eager"
    if isinstance(model, Module):
        return OptimizedModule(model, aot)
    return _compiled_function(model, aot)


def _compiled_function(fn: Callable, aot: bool) -> Callable:
    def compiled(*args: Any, **kwargs: Any) -> Any:
        out = fn(*args, **kwargs)
        return _as_compiled(out, args, kwargs) if aot else out

    # named as the function it compiles, as functools.wraps names torch's wrapper
    compiled.__name__ = getattr(fn, "__name__", None) or getattr(fn, "name", "compiled")
    compiled.__qualname__ = getattr(fn, "__qualname__", None) or \
        getattr(fn, "qualname", compiled.__name__)
    compiled.__wrapped__ = fn  # type: ignore[attr-defined]
    return compiled


class OptimizedModule(Module):
    """``torch._dynamo.eval_frame.OptimizedModule``: the compiled module, holding the
    original as ``_orig_mod``; attributes it lacks are the original's."""

    def __init__(self, mod: Module, aot: bool = True) -> None:
        super().__init__()
        self._orig_mod = mod
        object.__setattr__(self, "_aot", aot)

    def __getattr__(self, name: str) -> Any:
        if name == "_orig_mod":
            return self.__dict__["_modules"]["_orig_mod"]
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._orig_mod, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        out = self._orig_mod(*args, **kwargs)
        return _as_compiled(out, args, kwargs) if self.__dict__["_aot"] else out

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.__call__(*args, **kwargs)


def _forward(ctx: Any, *outs: Any) -> tuple:
    return tuple(o.clone() for o in outs)


def _backward(ctx: Any, *grads: Any) -> tuple:
    return grads


def _as_compiled(out: Any, args: tuple, kwargs: dict) -> Any:
    """``out`` as a compiled call returns it: its tensors that need a gradient (and are not
    an input handed back, which torch returns as it is) come out of one
    ``CompiledFunctionBackward`` node."""
    if not _grad_enabled.get():
        return out
    inputs = {id(a) for a in (*args, *kwargs.values()) if type(a) is Tensor}
    found: list[Tensor] = []

    def collect(value: Any) -> None:
        if isinstance(value, Tensor):
            if value.requires_grad and id(value) not in inputs and \
                    all(value is not f for f in found):
                found.append(value)
        elif type(value) in (tuple, list):
            for v in value:
                collect(v)
        elif type(value) is dict:
            for v in value.values():
                collect(v)

    collect(out)
    if not found:
        return out
    made = apply_function("CompiledFunction", _forward, _backward, tuple(found))
    made = (made,) if isinstance(made, Tensor) else made
    swap = {id(f): m for f, m in zip(found, made)}

    def rebuild(value: Any) -> Any:
        if isinstance(value, Tensor):
            return swap.get(id(value), value)
        if type(value) in (tuple, list):
            return type(value)(rebuild(v) for v in value)
        if type(value) is dict:
            return {k: rebuild(v) for k, v in value.items()}
        return value

    return rebuild(out)
