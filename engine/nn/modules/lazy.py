"""Lazy layers (``LazyLinear``, ``LazyConv2d``, ``LazyBatchNorm1d``, ...): their input size is
read from the first input. Until then the parameters are uninitialized (empty tensors known to
this module); the first call gives them their shapes in place (the same tensor objects, as
torch's ``materialize``), draws the layer's usual initialisation, and the module becomes the
plain layer (``LazyLinear`` -> ``Linear``), as in torch."""

from __future__ import annotations

import copy
import weakref
from typing import Any

from ... import errors
from ...dtypes import int64
from ...ops.creation import empty, tensor
from ...tensor import Tensor
from ..parameter import as_parameter
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .linear import Linear

#: id -> the uninitialized tensor (tensors compare elementwise, so no WeakSet)
_UNINITIALIZED: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def uninitialized_parameter(requires_grad: bool = True, device=None, dtype=None) -> Tensor:
    """A parameter with no shape yet (``torch.nn.UninitializedParameter``)."""
    p = as_parameter(empty(0, device=device, dtype=dtype), requires_grad)
    _UNINITIALIZED[id(p)] = p
    return p


def uninitialized_buffer(device=None, dtype=None) -> Tensor:
    t = empty(0, device=device, dtype=dtype)
    _UNINITIALIZED[id(t)] = t
    return t


def is_uninitialized(t: Any) -> bool:
    return isinstance(t, Tensor) and _UNINITIALIZED.get(id(t)) is t


def materialize(t: Tensor, shape: tuple) -> None:
    """Give an uninitialized parameter or buffer its shape, in place (uninitialized values)."""
    t._data = empty(tuple(shape), device=t.device, dtype=t.dtype)._data
    _UNINITIALIZED.pop(id(t), None)


class LazyModuleMixin:
    """What the lazy layers share: a forward pre-hook that initializes them from the first
    input, then turns them into ``cls_to_become``."""

    cls_to_become: type | None = None

    def _lazy_init(self) -> None:
        object.__setattr__(self, "_initialize_hook",
                           self.register_forward_pre_hook(self._infer_parameters,
                                                          with_kwargs=True))

    def __deepcopy__(self, memo: dict) -> Any:
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            new.__dict__[key] = copy.deepcopy(value, memo)
        for t in (*self._parameters.values(), *self._buffers.values()):
            if is_uninitialized(t):
                twin = memo[id(t)]
                _UNINITIALIZED[id(twin)] = twin
        return new

    def _apply(self, fn):
        # a cast or move (``.double()``, ``.to(...)``) replaces the buffers: the new ones stay
        # uninitialized as torch's UninitializedBuffer does (parameters change in place)
        waiting = [key for key, buf in self._buffers.items() if is_uninitialized(buf)]
        super()._apply(fn)
        for key in waiting:
            buf = self._buffers[key]
            _UNINITIALIZED[id(buf)] = buf
        return self

    def has_uninitialized_params(self) -> bool:
        return any(is_uninitialized(t) for t in
                   (*self._parameters.values(), *self._buffers.values()))

    def _infer_parameters(self, module: Any, args: tuple, kwargs: dict | None = None) -> None:
        self.initialize_parameters(*args, **(kwargs or {}))
        if self.has_uninitialized_params():
            raise errors.EngineRuntimeError(
                f"module {self._get_name()} has not been fully initialized")
        self._initialize_hook.remove()
        del self.__dict__["_initialize_hook"]
        if self.cls_to_become is not None:
            object.__setattr__(self, "__class__", self.cls_to_become)


class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` whose ``in_features`` is the last dimension of the first input."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, 0, False)
        self.weight = uninitialized_parameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = uninitialized_parameter(device=device, dtype=dtype)
        self._lazy_init()

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            materialize(self.weight, (self.out_features, self.in_features))
            if self.bias is not None:
                materialize(self.bias, (self.out_features,))
            self.reset_parameters()


class _LazyConvMixin(LazyModuleMixin):
    def _lazy_conv_init(self, out_channels: int, bias: bool, device, dtype) -> None:
        self.weight = uninitialized_parameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = uninitialized_parameter(device=device, dtype=dtype)
        self._lazy_init()

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _get_in_channels(self, input: Tensor) -> int:
        spatial = len(self.kernel_size)
        if input.ndim == spatial + 1:
            return input.shape[0]
        if input.ndim == spatial + 2:
            return input.shape[1]
        raise errors.EngineRuntimeError(
            f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to "
            f"{self._get_name()}, but got input of size: {list(input.shape)}")

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise errors.EngineValueError("in_channels must be divisible by groups")
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups)
            else:
                shape = (self.out_channels, self.in_channels // self.groups)
            materialize(self.weight, shape + tuple(self.kernel_size))
            if self.bias is not None:
                materialize(self.bias, (self.out_channels,))
            self.reset_parameters()


def _lazy_conv(base: type, doc: str) -> type:
    class LazyConv(_LazyConvMixin, base):
        cls_to_become = base

        def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                     groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                     device=None, dtype=None) -> None:
            base.__init__(self, 0, 0, kernel_size, stride, padding, dilation, groups, False,
                          padding_mode)
            self._lazy_conv_init(out_channels, bias, device, dtype)

    LazyConv.__name__ = LazyConv.__qualname__ = f"Lazy{base.__name__}"
    LazyConv.__doc__ = doc
    return LazyConv


def _lazy_conv_transpose(base: type, doc: str) -> type:
    class LazyConvTranspose(_LazyConvMixin, base):
        cls_to_become = base

        def __init__(self, out_channels: int, kernel_size, stride=1, padding=0,
                     output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                     padding_mode: str = "zeros", device=None, dtype=None) -> None:
            base.__init__(self, 0, 0, kernel_size, stride, padding, output_padding, groups,
                          False, dilation, padding_mode)
            self._lazy_conv_init(out_channels, bias, device, dtype)

    LazyConvTranspose.__name__ = LazyConvTranspose.__qualname__ = f"Lazy{base.__name__}"
    LazyConvTranspose.__doc__ = doc
    return LazyConvTranspose


LazyConv1d = _lazy_conv(Conv1d, "``Conv1d`` whose ``in_channels`` comes from the first input.")
LazyConv2d = _lazy_conv(Conv2d, "``Conv2d`` whose ``in_channels`` comes from the first input.")
LazyConv3d = _lazy_conv(Conv3d, "``Conv3d`` whose ``in_channels`` comes from the first input.")
LazyConvTranspose1d = _lazy_conv_transpose(
    ConvTranspose1d, "``ConvTranspose1d`` whose ``in_channels`` comes from the first input.")
LazyConvTranspose2d = _lazy_conv_transpose(
    ConvTranspose2d, "``ConvTranspose2d`` whose ``in_channels`` comes from the first input.")
LazyConvTranspose3d = _lazy_conv_transpose(
    ConvTranspose3d, "``ConvTranspose3d`` whose ``in_channels`` comes from the first input.")


class _LazyNormMixin(LazyModuleMixin):
    def _lazy_norm_init(self, affine: bool, track_running_stats: bool, device, dtype,
                        bias: bool = True) -> None:
        if affine:
            self.weight = uninitialized_parameter(device=device, dtype=dtype)
            if bias:
                self.bias = uninitialized_parameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = uninitialized_buffer(device=device, dtype=dtype)
            self.running_var = uninitialized_buffer(device=device, dtype=dtype)
            self.num_batches_tracked = tensor(0, dtype=int64, device=device)
        self._lazy_init()

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            for t in (*self._parameters.values(), *self._buffers.values()):
                if is_uninitialized(t):
                    materialize(t, (self.num_features,))
            self.reset_parameters()


def _lazy_norm(base: type, doc: str) -> type:
    class LazyNorm(_LazyNormMixin, base):
        cls_to_become = base

        def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1,
                     affine: bool = True, track_running_stats: bool = True, device=None,
                     dtype=None, *, bias: bool = True) -> None:
            base.__init__(self, 0, eps, momentum, False, False, bias=False)
            self.affine = affine
            self.track_running_stats = track_running_stats
            self._lazy_norm_init(affine, track_running_stats, device, dtype, bias)

    LazyNorm.__name__ = LazyNorm.__qualname__ = f"Lazy{base.__name__}"
    LazyNorm.__doc__ = doc
    return LazyNorm


LazyBatchNorm1d = _lazy_norm(BatchNorm1d, "``BatchNorm1d`` sized by the first input.")
LazyBatchNorm2d = _lazy_norm(BatchNorm2d, "``BatchNorm2d`` sized by the first input.")
LazyBatchNorm3d = _lazy_norm(BatchNorm3d, "``BatchNorm3d`` sized by the first input.")

LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d, "``InstanceNorm1d`` sized by the first input "
                                                "(its dim 1, as torch reads it).")
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d, "``InstanceNorm2d`` sized by the first input "
                                                "(its dim 1, as torch reads it).")
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d, "``InstanceNorm3d`` sized by the first input "
                                                "(its dim 1, as torch reads it).")

LAZY = ["LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
        "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d",
        "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]
