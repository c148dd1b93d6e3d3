"""``torch.nn.parallel``: the package where ``DataParallel`` lives (``torch.nn.DataParallel``
is the same class). Its multi-device helpers (scatter, gather, replicate, parallel_apply,
DistributedDataParallel) need several devices or processes and are not provided."""

from .modules.parallel import DataParallel

__all__ = ["DataParallel"]
