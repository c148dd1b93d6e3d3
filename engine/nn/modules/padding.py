"""Padding layers (``ZeroPad2d``, ``ConstantPad1d``, ``ReflectionPad2d``, ...) over
``F.pad``: each holds its ``padding`` as a tuple of ``2 * n`` ints (last dimension first)."""

from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from .module import Module


def _padding(padding, n: int) -> tuple:
    if isinstance(padding, (tuple, list)):
        return tuple(padding)
    return (padding,) * (2 * n)


class _ConstantPadNd(Module):
    _n = 1

    def __init__(self, padding, value: float) -> None:
        super().__init__()
        self.padding = _padding(padding, self._n)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dimension with a constant."""


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dimensions with a constant."""

    _n = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last three dimensions with a constant."""

    _n = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pads the last dimension with zeros."""


class ZeroPad2d(_ZeroPadNd):
    """Pads the last two dimensions with zeros."""

    _n = 2


class ZeroPad3d(_ZeroPadNd):
    """Pads the last three dimensions with zeros."""

    _n = 3


class _ModePadNd(Module):
    _n = 1
    _mode = ""

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _padding(padding, self._n)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_ModePadNd):
    """Pads the last dimension with its reflection (the edge not repeated)."""

    _mode = "reflect"


class ReflectionPad2d(_ModePadNd):
    """Pads the last two dimensions with their reflection."""

    _n, _mode = 2, "reflect"


class ReflectionPad3d(_ModePadNd):
    """Pads the last three dimensions with their reflection."""

    _n, _mode = 3, "reflect"


class ReplicationPad1d(_ModePadNd):
    """Pads the last dimension by repeating its edge values."""

    _mode = "replicate"


class ReplicationPad2d(_ModePadNd):
    """Pads the last two dimensions by repeating their edge values."""

    _n, _mode = 2, "replicate"


class ReplicationPad3d(_ModePadNd):
    """Pads the last three dimensions by repeating their edge values."""

    _n, _mode = 3, "replicate"


class CircularPad1d(_ModePadNd):
    """Pads the last dimension by wrapping around."""

    _mode = "circular"


class CircularPad2d(_ModePadNd):
    """Pads the last two dimensions by wrapping around."""

    _n, _mode = 2, "circular"


class CircularPad3d(_ModePadNd):
    """Pads the last three dimensions by wrapping around."""

    _n, _mode = 3, "circular"


PADDINGS = [f"{kind}Pad{n}d" for kind in ("Zero", "Constant", "Reflection", "Replication",
                                          "Circular") for n in (1, 2, 3)]
