"""torch.nn's deprecated classes kept for old scripts: ``NLLLoss2d`` (``NLLLoss`` under its old
name) and ``Container`` (a ``Module`` built from keyword modules). Like torch (its
``@deprecated`` class decorator), making one warns with a FutureWarning, and so does defining a
subclass (whose instances then do not warn again)."""

from __future__ import annotations

import warnings

from .loss import NLLLoss
from .module import Module


def _deprecated_class(message: str):
    def decorate(cls):
        original_new = cls.__new__
        original_init_subclass = cls.__dict__.get("__init_subclass__")

        def __new__(klass, *args, **kwargs):
            if klass is cls:
                warnings.warn(message, FutureWarning, stacklevel=2)
            if original_new is object.__new__:
                return original_new(klass)
            return original_new(klass, *args, **kwargs)

        def __init_subclass__(klass, **kwargs):
            warnings.warn(message, FutureWarning, stacklevel=2)
            if original_init_subclass is not None:
                return original_init_subclass.__func__(klass, **kwargs)
            return super(cls, klass).__init_subclass__(**kwargs)

        cls.__new__ = __new__
        cls.__init_subclass__ = classmethod(__init_subclass__)
        return cls

    return decorate


@_deprecated_class("`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in "
                   "replacement and see https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss "
                   "for more details.")
class NLLLoss2d(NLLLoss):
    """Deprecated name of ``NLLLoss`` (same arguments, same forward)."""

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


@_deprecated_class("`nn.Container` is deprecated. All of its functionality is now implemented "
                   "in `nn.Module`. Subclass that instead.")
class Container(Module):
    """Deprecated: a ``Module`` whose keyword arguments become its submodules."""

    def __init__(self, **kwargs) -> None:
        super().__init__()
        for key, value in kwargs.items():
            self.add_module(key, value)
