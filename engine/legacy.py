"""PyTorch's legacy tensor constructors: ``torch.Tensor(...)`` and the typed tensor classes
``torch.FloatTensor``, ``torch.LongTensor`` ...

``torch.Tensor(2, 3)`` makes an (uninitialised in torch, zero here) tensor of that size,
``torch.Tensor([1, 2])`` copies data into the default float dtype, ``torch.Tensor(t)`` is an
alias of ``t`` (``AliasBackward0`` when ``t`` requires grad). The typed classes do the same in
their dtype; they are also what ``isinstance(t, torch.FloatTensor)`` and ``t.type(...)`` test
against. ``engine.Tensor(array, dtype)`` itself stays the engine's internal constructor, so a
caller that means torch's ``torch.Tensor(...)`` calls :func:`new` instead (the language does).
"""

from __future__ import annotations

from . import errors
from .device import device as as_device
from .dtypes import TYPE_NAMES, DType, default_float
from .tensor import Size, Tensor

_OVERLOADS = (" * (*, torch.device device = None)\n"
              " * (torch.Storage storage)\n"
              " * (Tensor other)\n"
              " * (tuple of ints size, *, torch.device device = None)\n"
              " * (object data, *, torch.device device = None)\n")


def _arg_type(x) -> str:
    if isinstance(x, Tensor):
        return "Tensor"
    if isinstance(x, DType):
        return "torch.dtype"
    t = type(x)
    if t.__module__ == "numpy":
        return f"numpy.{t.__name__}"
    return t.__name__


def _invalid(args, kwargs) -> errors.EngineTypeError:
    got = ", ".join([_arg_type(a) for a in args] +
                    [f"{k}={_arg_type(v)}" for k, v in kwargs.items()])
    if kwargs and not args:
        got += ", "
    return errors.EngineTypeError(f"new() received an invalid combination of arguments - got "
                                  f"({got}), but expected one of:\n{_OVERLOADS}")


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) or (
        isinstance(x, Tensor) and x.dim() == 0 and not x.dtype.is_floating_point
        and x.dtype.name != "bool")


def new(dtype: DType | None, /, *args, **kwargs) -> Tensor:
    """torch's legacy constructor in ``dtype`` (None: ``torch.Tensor``, the default float
    dtype for new data, a tensor argument's own dtype)."""
    device = None
    if kwargs:
        if set(kwargs) != {"device"}:
            raise _invalid(args, kwargs)
        device = kwargs["device"]
        if device is not None:
            device = as_device(device)
            if device.type != "cpu":
                raise errors.EngineRuntimeError(
                    f"legacy constructor expects device type: cpu but device type: "
                    f"{device.type} was passed")
    from .ops import creation

    if not args:
        return creation.empty(0, dtype=dtype or default_float())
    first = args[0]
    if len(args) == 1 and isinstance(first, Tensor):
        if device is not None:
            raise errors.EngineRuntimeError(
                "Legacy tensor constructor of the form torch.Tensor(tensor, device=device) is "
                "not supported.  Use torch.tensor(...) or torch.as_tensor(...) instead.")
        if dtype is not None and first.dtype is not dtype:
            raise errors.EngineTypeError(
                f"expected {_options(dtype)} (got {_options(first.dtype)})")
        from .ops.shape import alias

        return alias(first)
    if len(args) == 1 and isinstance(first, Size):
        return creation.empty(*first, dtype=dtype or default_float())
    if _is_int(first):
        for pos, a in enumerate(args[1:], 2):
            if not _is_int(a):
                raise errors.EngineTypeError(
                    f"new(): argument 'size' failed to unpack the object at pos {pos} with "
                    f"error \"type must be tuple of ints,but got {_arg_type(a)}\"")
        size = [int(a) for a in args]
        for n in size:
            if n < 0:
                raise errors.EngineRuntimeError(
                    f"Trying to create tensor with negative dimension {n}: {size}")
        return creation.empty(*size, dtype=dtype or default_float())
    if len(args) > 1:
        raise _invalid(args, kwargs)
    if isinstance(first, str):
        raise errors.EngineTypeError("new(): invalid data type 'str'")
    if isinstance(first, (bool, int, float)) or first is None:
        raise errors.EngineTypeError(
            f"new(): data must be a sequence (got {_arg_type(first)})")
    return creation.tensor(first, dtype=dtype or default_float())


def _options(dtype: DType) -> str:
    return (f"TensorOptions(dtype={dtype.c_name}, device=cpu, "
            "layout=Strided, requires_grad=false (default), pinned_memory=false (default), "
            "memory_format=(nullopt))")


class tensortype(type):  # noqa: N801 (torch's name: ``type(torch.FloatTensor)``)
    """The metaclass of ``torch.FloatTensor`` and its siblings: calling one is the legacy
    constructor in its dtype; ``isinstance(t, torch.FloatTensor)`` tests ``t``'s dtype (and that
    it is on the CPU, as torch's CPU type objects do)."""

    def __call__(cls, *args, **kwargs):
        return new(cls.dtype, *args, **kwargs)

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and obj.device.type == "cpu"

    def __subclasscheck__(cls, sub) -> bool:
        return sub is cls

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


def _make(dtype: DType) -> type:
    name = TYPE_NAMES[dtype]
    return tensortype(name, (), {"dtype": dtype, "is_cuda": False, "is_sparse": False,
                                  "__module__": __name__, "__slots__": ()})


TYPES = {dtype: _make(dtype) for dtype in TYPE_NAMES}
BY_NAME = {cls.__name__: cls for cls in TYPES.values()}


def dtype_of(cls) -> DType | None:
    """The dtype of a typed tensor class (``torch.LongTensor`` -> int64), else None."""
    return cls.dtype if type(cls) is tensortype else None


def tensor_new(*args, **kwargs) -> Tensor:
    """``torch.Tensor(...)`` called: the legacy constructor in the default dtype."""
    return new(None, *args, **kwargs)


tensor_new.__name__ = tensor_new.__qualname__ = "Tensor"
