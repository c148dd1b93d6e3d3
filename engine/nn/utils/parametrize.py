"""``torch.nn.utils.parametrize``: a module's tensor computed from others on every read.

``register_parametrization(module, "weight", p)`` moves ``module.weight`` into
``module.parametrizations.weight`` (a :class:`ParametrizationList`) as ``original`` (or
``original0``, ``original1`` ... when ``p.right_inverse`` returns several tensors) and gives the
module a class of its own, ``Parametrized<Class>``, with a ``weight`` property: reading it runs
the list's modules on the originals, assigning to it runs their ``right_inverse`` backwards.
The state_dict keys, the repr and the errors are torch 2.13's. The ``cached()`` cache is the
running context's (a session's), not the process's.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

from ... import errors
from ...modes import no_grad
from ...tensor import Tensor
from ..modules.container import ModuleDict, ModuleList
from ..modules.module import Module
from ..parameter import as_parameter, is_parameter

__all__ = ["cached", "ParametrizationList", "register_parametrization", "is_parametrized",
           "remove_parametrizations", "type_before_parametrizations",
           "transfer_parametrizations_and_params"]

#: ``[depth, cache]`` while a ``cached()`` block is open in this context, else None.
_CACHE: ContextVar = ContextVar("engine_parametrize_cache", default=None)


def raised_not_implemented(exc: BaseException) -> bool:
    """Whether ``exc`` is a NotImplementedError: Python's, or one a program raised (the
    language carries the class's name in ``exc.extra``)."""
    if isinstance(exc, NotImplementedError):
        return True
    extra = getattr(exc, "extra", None)
    return isinstance(extra, dict) and extra.get("exception") == "NotImplementedError"


class cached:
    """``with parametrize.cached():`` each parametrized tensor is computed once and reused
    until the outermost block ends."""

    def __enter__(self) -> None:
        state = _CACHE.get()
        if state is None:
            _CACHE.set([1, {}])
        else:
            state[0] += 1
        return None

    def __exit__(self, *exc: Any) -> bool:
        state = _CACHE.get()
        if state is not None:
            state[0] -= 1
            if state[0] <= 0:
                _CACHE.set(None)
        return False

    def __call__(self, fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with cached():
                return fn(*args, **kwargs)

        wrapper.__name__ = getattr(fn, "__name__", "wrapper")
        return wrapper


def _register_parameter_or_buffer(module: Module, name: str, value: Tensor) -> None:
    if is_parameter(value):
        module.register_parameter(name, value)
    else:
        module.register_buffer(name, value)


def set_tensor(dest: Tensor, src: Tensor) -> None:
    """``dest.set_(src)`` under no_grad: ``dest`` takes ``src``'s storage (and shape) and its
    version goes up by one."""
    dest._data = src._data
    dest.dtype, dest.device = src.dtype, src.device
    dest._vc[0] += 1


class ParametrizationList(ModuleList):
    """The modules of one parametrized tensor and its originals (``original``, or
    ``original0`` ... ``originalN`` when the first ``right_inverse`` returns several)."""

    def __init__(self, modules: Sequence[Module], original: Tensor,
                 unsafe: bool = False) -> None:
        if len(modules) == 0:
            raise errors.EngineValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        original_shape, original_dtype = original.shape, original.dtype
        with no_grad():
            new = original
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except Exception as exc:
                        if not raised_not_implemented(exc):
                            raise
        if not isinstance(new, (Tensor, list, tuple)):
            raise errors.EngineValueError(
                "'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                f"Got {type(new).__name__}")
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if original.dtype != new.dtype:
                raise errors.EngineValueError(
                    "When `right_inverse` outputs one tensor, it may not change the dtype.\n"
                    f"original.dtype: {original.dtype}\n"
                    f"right_inverse(original).dtype: {new.dtype}")
            if original.device != new.device:
                raise errors.EngineValueError(
                    "When `right_inverse` outputs one tensor, it may not change the device.\n"
                    f"original.device: {original.device}\n"
                    f"right_inverse(original).device: {new.device}")
            if new is not original:
                set_tensor(original, new)
            _register_parameter_or_buffer(self, "original", original)
        else:
            for i, item in enumerate(new):
                if not isinstance(item, Tensor):
                    raise errors.EngineValueError(
                        "'right_inverse' must return a Tensor or a Sequence of tensors "
                        "(list, tuple...). "
                        f"Got element {i} of the sequence with type {type(item).__name__}.")
                if is_parameter(original):
                    item = as_parameter(item, original.requires_grad)
                item.requires_grad_(original.requires_grad)
                _register_parameter_or_buffer(self, f"original{i}", item)
        if not self.unsafe:
            z = self()
            if not isinstance(z, Tensor):
                raise errors.EngineValueError(
                    f"A parametrization must return a tensor. Got {type(z).__name__}.")
            if z.dtype != original_dtype:
                raise errors.EngineValueError(
                    "Registering a parametrization may not change the dtype of the tensor, "
                    "unless `unsafe` flag is enabled.\n"
                    f"unparametrized dtype: {original_dtype}\n"
                    f"parametrized dtype: {z.dtype}")
            if z.shape != original_shape:
                raise errors.EngineValueError(
                    "Registering a parametrization may not change the shape of the tensor, "
                    "unless `unsafe` flag is enabled.\n"
                    f"unparametrized shape: {original_shape}\n"
                    f"parametrized shape: {z.shape}")

    def right_inverse(self, value: Tensor) -> None:
        """Run the modules' ``right_inverse`` last to first and store the result in the
        originals (what assigning to the parametrized attribute does)."""
        with no_grad():
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    value = module.right_inverse(value)
                else:
                    raise errors.EngineRuntimeError(
                        f"parametrization {type(module).__name__} does not implement "
                        "right_inverse.")
            if self.is_tensor:
                if not isinstance(value, Tensor):
                    raise errors.EngineValueError(
                        f"`right_inverse` should return a tensor. Got {type(value).__name__}")
                if value.dtype != self.original.dtype:
                    raise errors.EngineValueError(
                        f"The tensor returned by `right_inverse` has dtype {value.dtype} "
                        f"while `original` has dtype {self.original.dtype}")
                set_tensor(self.original, value)
            else:
                if not isinstance(value, (list, tuple)):
                    raise errors.EngineValueError(
                        "'right_inverse' must return a sequence of tensors. "
                        f"Got {type(value).__name__}.")
                if len(value) != self.ntensors:
                    raise errors.EngineValueError(
                        "'right_inverse' must return a sequence of tensors of length "
                        f"{self.ntensors}. Got a sequence of length {len(value)}.")
                for i, tensor in enumerate(value):
                    original_i = getattr(self, f"original{i}")
                    if not isinstance(tensor, Tensor):
                        raise errors.EngineValueError(
                            "'right_inverse' must return a sequence of tensors or "
                            f"reference-type opaques. Got element {i} of type "
                            f"{type(tensor).__name__}.")
                    if original_i.dtype != tensor.dtype:
                        raise errors.EngineValueError(
                            f"Tensor {i} returned by `right_inverse` has dtype {tensor.dtype} "
                            f"while `original{i}` has dtype {original_i.dtype}")
                    set_tensor(original_i, tensor)

    def forward(self) -> Tensor:
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        i = 1
        while str(i) in self._modules:
            x = self[i](x)
            i += 1
        return x


def _parametrized_class(cls: type) -> type:
    """``Parametrized<cls>``: a class of the module's own, to hold its properties."""
    def getstate(self: Any) -> Any:
        raise errors.EngineRuntimeError(
            "Serialization of parametrized modules is only supported through state_dict(). "
            "See:\nhttps://pytorch.org/tutorials/beginner/saving_loading_models.html"
            "#saving-loading-a-general-checkpoint-for-inference-and-or-resuming-training")

    return type(cls)(f"Parametrized{cls.__name__}", (cls,),
                     {"__getstate__": getstate, "__module__": __name__,
                      "_parametrized_base": cls})


def _inject_property(module: Module, tensor_name: str) -> None:
    if hasattr(module, tensor_name):
        raise errors.EngineAssertionError(
            f"Module already has an attribute named '{tensor_name}'")

    def get_parametrized(self: Module) -> Tensor:
        parametrization = self.parametrizations[tensor_name]
        state = _CACHE.get()
        if state is None:
            return parametrization()
        key = (id(self), tensor_name)
        tensor = state[1].get(key)
        if tensor is None:
            tensor = state[1][key] = parametrization()
        return tensor

    def set_original(self: Module, value: Tensor) -> None:
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(type(module), tensor_name, property(get_parametrized, set_original))


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *,
                             unsafe: bool = False) -> Module:
    """Parametrize ``module.<tensor_name>`` by the module ``parametrization`` (see the module
    doc); a second call on the same tensor appends to its list."""
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            y = getattr(module, tensor_name)
            x = parametrization(y)
            if not isinstance(x, Tensor):
                raise errors.EngineValueError(
                    f"A parametrization must return a tensor. Got {type(x).__name__}.")
            if x.dtype != y.dtype:
                raise errors.EngineValueError(
                    "Registering a parametrization may not change the dtype of the tensor, "
                    "unless the `unsafe` flag is enabled.\n"
                    f"module.{tensor_name}.dtype: {y.dtype}\n"
                    f"parametrization(module.{tensor_name}).dtype: {x.dtype}")
            if x.shape != y.shape:
                raise errors.EngineValueError(
                    "Registering a parametrization may not change the shape of the tensor, "
                    "unless the `unsafe` flag is enabled.\n"
                    f"module.{tensor_name}.shape: {y.shape}\n"
                    f"parametrization(module.{tensor_name}).shape: {x.shape}")
            if hasattr(parametrization, "right_inverse"):
                try:
                    z = parametrization.right_inverse(x)
                except Exception as exc:
                    if not raised_not_implemented(exc):
                        raise
                else:
                    if not isinstance(z, Tensor):
                        raise errors.EngineValueError(
                            "parametrization.right_inverse must return a tensor. Got: "
                            f"{type(z).__name__}")
                    if z.dtype != y.dtype:
                        raise errors.EngineValueError(
                            "The tensor returned by parametrization.right_inverse must have "
                            f"the same dtype as module.{tensor_name}, unless the `unsafe` flag "
                            f"is enabled.\nmodule.{tensor_name}.dtype: {y.dtype}\n"
                            f"returned dtype: {z.dtype}")
                    if z.shape != y.shape:
                        raise errors.EngineValueError(
                            "The tensor returned by parametrization.right_inverse must have "
                            f"the same shape as module.{tensor_name}, unless the `unsafe` flag "
                            f"is enabled.\nmodule.{tensor_name}.shape: {y.shape}\n"
                            f"returned shape: {z.shape}")
        plist = module.parametrizations[tensor_name]
        plist.append(parametrization)
        plist.unsafe |= unsafe
    elif tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        plist = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            module.__class__ = _parametrized_class(type(module))
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = plist
    else:
        raise errors.EngineValueError(
            f"Module '{module}' does not have a parameter, a buffer, or a parametrized element "
            f"with name '{tensor_name}'")
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has any parametrization (or one on ``tensor_name``)."""
    parametrizations = getattr(module, "parametrizations", None)
    if parametrizations is None or not isinstance(parametrizations, ModuleDict):
        return False
    if tensor_name is None:
        return len(parametrizations) > 0
    return tensor_name in parametrizations


def remove_parametrizations(module: Module, tensor_name: str,
                            leave_parametrized: bool = True) -> Module:
    """Undo ``register_parametrization`` on ``tensor_name``: the tensor becomes a parameter
    (or buffer) again, holding its parametrized value (``leave_parametrized``) or the
    original."""
    if not is_parametrized(module, tensor_name):
        raise errors.EngineValueError(
            f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                t = getattr(module, tensor_name)
                set_tensor(original, t)
    else:
        if not leave_parametrized:
            raise errors.EngineValueError(
                "Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is "
                "parametrized in terms of a sequence of tensors.")
        t = getattr(module, tensor_name)
        original = as_parameter(t.detach()) if t.requires_grad else t
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    _register_parameter_or_buffer(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = type(module).__bases__[0]
    return module


def type_before_parametrizations(module: Module) -> type:
    """The module's class before it was parametrized (its class if it is not)."""
    if is_parametrized(module):
        return type(module).__bases__[0]
    return type(module)


def transfer_parametrizations_and_params(from_module: Module, to_module: Module,
                                         tensor_name: str | None = None) -> Module:
    """Register ``from_module``'s parametrizations (all, or ``tensor_name``'s) on
    ``to_module`` too, sharing the originals."""
    if is_parametrized(from_module):
        names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
        for name in names:
            if not hasattr(to_module, name):
                setattr(to_module, name, as_parameter(getattr(from_module, name).detach()))
            for param_func in from_module.parametrizations[name]:
                register_parametrization(to_module, name, param_func)
            source = from_module.parametrizations[name]
            target = to_module.parametrizations[name]
            if "original" in source._parameters or "original" in source._buffers:
                target.original = source.original
            else:
                i = 0
                while hasattr(source, f"original{i}"):
                    setattr(target, f"original{i}", getattr(source, f"original{i}"))
                    i += 1
    return to_module
