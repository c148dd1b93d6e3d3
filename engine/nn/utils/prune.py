"""``torch.nn.utils.prune``: zeroing parts of a module's tensor through a mask.

Pruning ``module.weight`` moves the parameter to ``weight_orig``, adds a ``weight_mask`` buffer
and a forward pre-hook (the pruning method itself) that sets the plain attribute
``weight = weight_mask * weight_orig`` before every call. Pruning the same tensor again stacks
the methods in a :class:`PruningContainer`, each new one acting on what the mask still keeps
(all of it, the kept channels, or the whole tensor, by its ``PRUNING_TYPE``). Random methods
draw from the session's generator. Names, texts and masks are torch 2.13's.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

from ... import errors
from ...tensor import Tensor
from ..modules.module import Module

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
           "L1Unstructured", "RandomStructured", "LnStructured", "CustomFromMask", "identity",
           "random_unstructured", "l1_unstructured", "random_structured", "ln_structured",
           "global_unstructured", "custom_from_mask", "remove", "is_pruned"]


def _engine():
    import engine  # (the package imports this module: looked up when first used)

    return engine


class BasePruningMethod:
    """The base of pruning methods: a subclass sets ``PRUNING_TYPE`` ("unstructured",
    "structured" with a ``dim``, or "global") and defines ``compute_mask(t, default_mask)``."""

    _tensor_name: str | None = None

    def __new__(cls, *args: Any, **kwargs: Any) -> BasePruningMethod:
        if cls.compute_mask is BasePruningMethod.compute_mask:  # (torch's is an ABC)
            raise errors.EngineTypeError(
                f"Can't instantiate abstract class {cls.__name__} with abstract method "
                "compute_mask")
        return super().__new__(cls)

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self._tensor_name, self.apply_mask(module))

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The mask (0 where pruned) for ``t``, given the mask so far."""
        raise NotImplementedError

    def apply_mask(self, module: Module) -> Tensor:
        """``<name>_mask * <name>_orig``, a new tensor on the original's graph."""
        if self._tensor_name is None:
            raise errors.EngineAssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module: Module, name: str, *args: Any, importance_scores: Tensor | None = None,
              **kwargs: Any) -> BasePruningMethod:
        """Prune ``module.<name>`` with a new ``cls(*args, **kwargs)`` (stacked on an earlier
        method for the same tensor); returns the method, or the container."""
        old_method = None
        found = []
        for k, hook in module._forward_pre_hooks.items():
            if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
                old_method = hook
                found.append(k)
        if len(found) > 1:
            raise errors.EngineAssertionError(
                f"Avoid adding multiple pruning hooks to the same tensor {name} of module "
                f"{module}. Use a PruningContainer.")
        for k in found:
            del module._forward_pre_hooks[k]
        method = cls(*args, **kwargs)
        method._tensor_name = name
        if old_method is not None:
            if isinstance(old_method, PruningContainer):
                old_method.add_pruning_method(method)
                method = old_method
            else:
                container = PruningContainer(old_method)
                container.add_pruning_method(method)
                method = container
        orig = getattr(module, name)
        if importance_scores is not None:
            if importance_scores.shape != orig.shape:
                raise errors.EngineAssertionError(
                    f"importance_scores should have the same shape as parameter {name} of "
                    f"{module}, got {importance_scores.shape} vs {orig.shape}")
        else:
            importance_scores = orig
        engine = _engine()
        if not isinstance(method, PruningContainer):
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = engine.ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        try:
            mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if not isinstance(method, PruningContainer):
                orig = getattr(module, name + "_orig")
                module.register_parameter(name, orig)
                del module._parameters[name + "_orig"]
            raise
        return method

    def prune(self, t: Tensor, default_mask: Tensor | None = None,
              importance_scores: Tensor | None = None) -> Tensor:
        """``t`` times the mask this method computes for it."""
        if importance_scores is not None:
            if importance_scores.shape != t.shape:
                raise errors.EngineAssertionError(
                    "importance_scores should have the same shape as tensor t, got "
                    f"{importance_scores.shape} vs {t.shape}")
        else:
            importance_scores = t
        if default_mask is None:
            default_mask = _engine().ones_like(t)
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module: Module) -> None:
        """Make the pruning permanent: ``<name>`` is a parameter holding the pruned values."""
        if self._tensor_name is None:
            raise errors.EngineAssertionError(
                f"Module {module} has to be pruned before pruning can be removed")
        weight = self.apply_mask(module)
        if hasattr(module, self._tensor_name):
            delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        orig.data = weight.data
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


class PruningContainer(BasePruningMethod):
    """The pruning methods applied, in turn, to one tensor."""

    def __init__(self, *args: Any) -> None:
        self._pruning_methods: tuple = ()
        if len(args) == 1:
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:
            for method in args:
                self.add_pruning_method(method)

    def add_pruning_method(self, method: Any) -> None:
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise errors.EngineTypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise errors.EngineValueError(
                "Can only add pruning methods acting on the parameter named "
                f"'{self._tensor_name}' to PruningContainer {self}. Found "
                f"'{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self) -> Any:
        return iter(self._pruning_methods)

    def __getitem__(self, idx: Any) -> Any:
        return self._pruning_methods[idx]

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The last method's mask, computed on the part of ``t`` the mask so far keeps."""
        method = self._pruning_methods[-1]
        new_mask = default_mask.to(dtype=t.dtype)
        kind = getattr(method, "PRUNING_TYPE", None)
        if kind == "unstructured":
            slc: Any = default_mask == 1
        elif kind == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to have '
                                     "the attribute `dim` defined.")
            n_dims = t.dim()
            dim = method.dim
            if dim < 0:
                dim = n_dims + dim
            if dim < 0:
                raise errors.EngineIndexError(
                    f"Index is out of bounds for tensor with dimensions {n_dims}")
            others = [d for d in range(n_dims) if d != dim]
            keep = default_mask.sum(dim=others) != 0
            slc = tuple(keep if d == dim else slice(None) for d in range(n_dims))
        elif kind == "global":
            slc = tuple(slice(None) for _ in range(t.dim()))
        else:
            raise errors.EngineValueError(f"Unrecognized PRUNING_TYPE {kind}")
        partial = method.compute_mask(t[slc], default_mask=default_mask[slc])
        new_mask[slc] = partial.to(dtype=new_mask.dtype)
        return new_mask


def _validate_amount_init(amount: Any) -> None:
    if not isinstance(amount, numbers.Real):
        raise errors.EngineTypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and
            (float(amount) > 1.0 or float(amount) < 0.0)):
        raise errors.EngineValueError(
            f"amount={amount} should either be a float in the range [0, 1] or a non-negative "
            "integer")


def _validate_amount(amount: Any, tensor_size: int) -> None:
    if isinstance(amount, numbers.Integral) and amount > tensor_size:
        raise errors.EngineValueError(
            f"amount={amount} should be smaller than the number of parameters to "
            f"prune={tensor_size}")


def _validate_structured(t: Tensor) -> None:
    shape = t.shape
    if len(shape) <= 1:
        raise errors.EngineValueError(
            "Structured pruning can only be applied to multidimensional tensors. Found tensor "
            f"of shape {shape} with {len(shape)} dims")


def _nparams_toprune(amount: Any, tensor_size: int) -> int:
    if isinstance(amount, numbers.Integral):
        return amount
    return round(amount * tensor_size)


def _validate_dim(t: Tensor, dim: int) -> None:
    if dim >= t.dim():
        raise errors.EngineIndexError(f"Invalid index {dim} for tensor of size {t.shape}")


class Identity(BasePruningMethod):
    """Prunes nothing (the mask stays all ones)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        return default_mask

    @classmethod
    def apply(cls, module: Module, name: str) -> BasePruningMethod:
        return super().apply(module, name)


class _EntriesPruning(BasePruningMethod):
    """The unstructured methods: ``amount`` (a fraction, or a count) of the entries go, the
    ones ``_chosen(t, k)`` names (flat indices)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: Any) -> None:
        _validate_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        size = t.numel()
        k = _nparams_toprune(self.amount, size)
        _validate_amount(k, size)
        mask = default_mask.clone()
        if k != 0:
            mask.view(-1)[self._chosen(t, k)] = 0
        return mask

    def _chosen(self, t: Tensor, k: int) -> Tensor:
        raise NotImplementedError


class RandomUnstructured(_EntriesPruning):
    """Prunes ``amount`` (a fraction, or a count) of the entries, at random."""

    def _chosen(self, t: Tensor, k: int) -> Tensor:
        engine = _engine()
        return engine.topk(engine.rand_like(t).view(-1), k=k).indices

    @classmethod
    def apply(cls, module: Module, name: str, amount: Any) -> BasePruningMethod:
        return super().apply(module, name, amount=amount)


class L1Unstructured(_EntriesPruning):
    """Prunes the ``amount`` entries of smallest absolute value."""

    def _chosen(self, t: Tensor, k: int) -> Tensor:
        engine = _engine()
        return engine.topk(engine.abs(t).reshape(-1), k=k, largest=False).indices

    @classmethod
    def apply(cls, module: Module, name: str, amount: Any,
              importance_scores: Tensor | None = None) -> BasePruningMethod:
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


def _channels_to_prune(t: Tensor, amount: Any, dim: int) -> tuple[int, int]:
    """The structured methods' checks, then the channels along ``dim`` and how many go."""
    _validate_structured(t)
    _validate_dim(t, dim)
    size = t.shape[dim]
    k = _nparams_toprune(amount, size)
    _validate_amount(k, size)
    return size, k


def _channel_mask(t: Tensor, dim: int, keep: Any, default_mask: Tensor) -> Tensor:
    """Ones on the channels ``keep`` selects along ``dim`` (and where ``default_mask`` is)."""
    mask = _engine().zeros_like(t)
    slc: list[Any] = [slice(None)] * t.dim()
    slc[dim] = keep
    mask[tuple(slc)] = 1
    mask *= default_mask.to(dtype=mask.dtype)
    return mask


class RandomStructured(BasePruningMethod):
    """Prunes ``amount`` whole channels along ``dim``, at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount: Any, dim: int = -1) -> None:
        _validate_amount_init(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        size, k = _channels_to_prune(t, self.amount, self.dim)
        if k == 0:
            return default_mask
        engine = _engine()
        prob = engine.rand(size)
        threshold = engine.kthvalue(prob, k=k).values
        return _channel_mask(t, self.dim, prob > threshold, default_mask)

    @classmethod
    def apply(cls, module: Module, name: str, amount: Any, dim: int = -1) -> BasePruningMethod:
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Prunes the ``amount`` channels along ``dim`` of smallest ``n``-norm."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount: Any, n: Any, dim: int = -1) -> None:
        _validate_amount_init(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        size, k = _channels_to_prune(t, self.amount, self.dim)
        engine = _engine()
        dims = list(range(t.dim()))
        dims.remove(dims[self.dim])
        norm = engine.norm(t, p=self.n, dim=dims)
        top = engine.topk(norm, k=size - k, largest=True)
        if k == 0:
            return default_mask
        return _channel_mask(t, self.dim, top.indices, default_mask)

    @classmethod
    def apply(cls, module: Module, name: str, amount: Any, n: Any, dim: int,
              importance_scores: Tensor | None = None) -> BasePruningMethod:
        return super().apply(module, name, amount=amount, n=n, dim=dim,
                             importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prunes where a given mask is 0."""

    PRUNING_TYPE = "global"

    def __init__(self, mask: Tensor) -> None:
        self.mask = mask

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        if default_mask.shape != self.mask.shape:
            raise errors.EngineAssertionError(
                f"default_mask shape {default_mask.shape} must match self.mask shape "
                f"{self.mask.shape}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module: Module, name: str, mask: Tensor) -> BasePruningMethod:
        return super().apply(module, name, mask=mask)


def identity(module: Module, name: str) -> Module:
    Identity.apply(module, name)
    return module


def random_unstructured(module: Module, name: str, amount: Any) -> Module:
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module: Module, name: str, amount: Any,
                    importance_scores: Tensor | None = None) -> Module:
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module: Module, name: str, amount: Any, dim: int) -> Module:
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module: Module, name: str, amount: Any, n: Any, dim: int,
                  importance_scores: Tensor | None = None) -> Module:
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters: Any, pruning_method: Any,
                        importance_scores: dict | None = None, **kwargs: Any) -> None:
    """Prune the ``(module, name)`` tensors of ``parameters`` as one vector (the method sees
    all their entries together), each through a ``custom_from_mask``."""
    if isinstance(parameters, (Tensor, str)) or not isinstance(parameters, Iterable):
        raise errors.EngineTypeError("global_unstructured(): parameters is not an Iterable")
    if importance_scores is None:
        importance_scores = {}
    if not isinstance(importance_scores, dict):
        raise errors.EngineTypeError(
            "global_unstructured(): importance_scores must be of type dict")
    from .convert_parameters import parameters_to_vector

    parameters = list(parameters)
    engine = _engine()
    scores = parameters_to_vector([importance_scores.get((module, name), getattr(module, name))
                                   for module, name in parameters])
    default_mask = parameters_to_vector([
        getattr(module, name + "_mask", None) if hasattr(module, name + "_mask")
        else engine.ones_like(getattr(module, name)) for module, name in parameters])
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise errors.EngineTypeError(
            'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
            f"{_class_repr(pruning_method)} of type {method.PRUNING_TYPE}")
    container.add_pruning_method(method)
    final_mask = container.compute_mask(scores, default_mask)
    pointer = 0
    for module, name in parameters:
        param = getattr(module, name)
        n = param.numel()
        custom_from_mask(module, name, mask=final_mask[pointer:pointer + n].view_as(param))
        pointer += n


def _class_repr(cls: Any) -> str:
    """``repr`` of a class as torch shows it (``engine.nn...`` is ``torch.nn...``)."""
    if not isinstance(cls, type):
        return repr(cls)
    module = cls.__module__
    if module.startswith("engine."):
        module = "torch" + module[len("engine"):]
    return f"<class '{module}.{cls.__qualname__}'>"


def custom_from_mask(module: Module, name: str, mask: Tensor) -> Module:
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module: Module, name: str) -> Module:
    """Make ``module.<name>``'s pruning permanent and take the hook off."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise errors.EngineValueError(
        f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")


def is_pruned(module: Module) -> bool:
    """Whether ``module`` or one of its submodules has a pruning hook."""
    for _, submodule in module.named_modules():
        for hook in submodule._forward_pre_hooks.values():
            if isinstance(hook, BasePruningMethod):
                return True
    return False
