"""``torch.version``: the torch release whose behaviour the engine follows, on the CPU."""

from .torch_version import TorchVersion

__all__ = ["__version__", "debug", "cuda", "hip", "rocm", "xpu"]

__version__ = TorchVersion("2.13.0+cpu")
debug = False
cuda: str | None = None
hip: str | None = None
rocm: str | None = None
xpu: str | None = None
