"""``nn.DataParallel`` where torch finds no accelerator: a pass-through wrapper. torch then keeps
only ``module`` and ``device_ids = []`` (no ``dim``/``output_device`` attributes: reading them is
the usual AttributeError), forwards every call to ``module`` unchanged and so prefixes the
state_dict keys with ``module.``, which is what old scripts' checkpoints hold."""

from __future__ import annotations

from ... import errors
from ...device import cuda_device_count
from .module import Module


class DataParallel(Module):
    """Runs ``module`` (on one machine without GPUs: as is; ``device_ids``, ``output_device``
    and ``dim`` are then unused, as in torch)."""

    def __init__(self, module, device_ids=None, output_device=None, dim: int = 0) -> None:
        super().__init__()
        if cuda_device_count():
            raise errors.NotSupported(
                "nn.DataParallel with CUDA devices present is not supported (it would scatter "
                "inputs over the devices); call the module itself")
        self.module = module
        self.device_ids = []

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
