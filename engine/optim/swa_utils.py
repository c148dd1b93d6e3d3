"""``torch.optim.swa_utils``: weight averaging (stochastic weight averaging, exponential
moving averages) of a model's parameters, the SWA learning-rate schedule, and recomputing
batch-norm statistics for an averaged model.

The averages are computed with the same tensor operations torch's CPU path runs (per tensor:
``lerp_`` where torch uses its ``_foreach_lerp_``, whose CPU fallback is the same per-tensor
kernel; ``a + (m - a) / (n + 1)`` with ``n`` the long ``n_averaged`` buffer for plain SWA),
so the averaged weights agree with torch's to the last bit."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable
from copy import deepcopy
from typing import Any

from .. import errors
from ..dtypes import int64
from ..modes import no_grad
from ..nn.modules.batchnorm import _BatchNorm
from ..nn.modules.module import Module
from ..ops.creation import tensor
from .lr_scheduler import LRScheduler, _per_group
from .optimizer import Optimizer

__all__ = ["AveragedModel", "SWALR", "get_ema_avg_fn", "get_ema_multi_avg_fn",
           "get_swa_avg_fn", "get_swa_multi_avg_fn", "update_bn"]


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise errors.EngineValueError(
            f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def _floating(t) -> bool:
    return t.dtype.is_floating_point or getattr(t.dtype, "is_complex", False)


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable:
    """An exponential moving average over lists of tensors: ``ema += (1 - decay) * (p - ema)``
    (torch's lerp), for ``AveragedModel(multi_avg_fn=...)``."""
    _check_decay(decay)

    def ema_update(ema_params: list, current_params: list, _num_averaged: Any) -> None:
        with no_grad():
            if _floating(ema_params[0]):
                for ema, cur in zip(ema_params, current_params, strict=True):
                    ema.lerp_(cur, 1 - decay)
            else:
                for ema, cur in zip(ema_params, current_params, strict=True):
                    ema.copy_(ema * decay + cur * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> Callable:
    """The running mean over lists of tensors (``AveragedModel``'s default on devices with
    foreach kernels): ``avg += (p - avg) / (n + 1)``."""

    def swa_update(averaged: list, current: list, num_averaged: Any) -> None:
        with no_grad():
            if _floating(averaged[0]):
                weight = 1 / (num_averaged + 1)
                if hasattr(weight, "item"):  # torch's foreach lerp takes it as a Scalar
                    weight = weight.item()
                for avg, cur in zip(averaged, current, strict=True):
                    avg.lerp_(cur, weight)
            else:
                for avg, cur in zip(averaged, current, strict=True):
                    diff = cur - avg
                    if hasattr(num_averaged, "dtype"):
                        avg.addcdiv_(diff, num_averaged + 1)
                    else:
                        avg.add_(diff, alpha=1.0 / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable:
    """An exponential moving average of one tensor: ``decay * ema + (1 - decay) * p``."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> Callable:
    """The running mean of one tensor: ``avg + (p - avg) / (n + 1)``."""

    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` (``.module``) whose parameters (and buffers, with ``use_buffers``)
    ``update_parameters(model)`` averages with the model's: the running mean by default, or
    ``avg_fn(avg, p, n)`` per tensor, or ``multi_avg_fn(avgs, ps, n)`` per group of tensors;
    ``n_averaged`` counts the updates; calling it calls the copy."""

    def __init__(self, model: Module, device: Any = None, avg_fn: Callable | None = None,
                 multi_avg_fn: Callable | None = None, use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current parameters into the average (the first call copies them);
        without ``use_buffers`` the buffers are copied from ``model`` as they are."""
        if self.use_buffers:
            mine = [*self.module.parameters(), *self.module.buffers()]
            theirs = [*model.parameters(), *model.buffers()]
        else:
            mine, theirs = list(self.parameters()), list(model.parameters())
        first = bool(self.n_averaged == 0)
        averaged, current = [], []
        for p_avg, p_model in zip(mine, theirs):  # (as torch: the shorter list wins)
            cur = p_model.detach().to(p_avg.device)
            averaged.append(p_avg.detach())
            current.append(cur)
            if first:
                p_avg.detach().copy_(cur)
        if self.n_averaged > 0:
            if self.multi_avg_fn is not None or self.avg_fn is None:
                for (avgs, curs), device in _groups(averaged, current):
                    n = self.n_averaged.to(device)
                    if self.multi_avg_fn is not None:
                        self.multi_avg_fn(avgs, curs, n)
                    else:  # no foreach kernels on these devices: one tensor at a time
                        update = get_swa_avg_fn()
                        for p_avg, cur in zip(avgs, curs, strict=True):
                            p_avg.copy_(update(p_avg, cur, n))
            else:
                for p_avg, cur in zip(averaged, current, strict=True):
                    n = self.n_averaged.to(p_avg.device)
                    p_avg.detach().copy_(self.avg_fn(p_avg.detach(), cur, n))
        if not self.use_buffers:
            for b_avg, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                b_avg.detach().copy_(b_model.detach().to(b_avg.device))
        self.n_averaged += 1


def _groups(averaged: list, current: list) -> list:
    """The pairs of lists by (device, dtype), in first-seen order (torch groups its foreach
    calls so)."""
    groups: dict = {}
    for a, c in zip(averaged, current, strict=True):
        key = (str(a.device), a.dtype)
        entry = groups.setdefault(key, ([[], []], a.device))
        entry[0][0].append(a)
        entry[0][1].append(c)
    return list(groups.values())


def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute the running statistics of every batch-norm layer of ``model`` over one pass
    of ``loader`` (each item, or its first element, is an input batch): cumulative averages
    (momentum None) from reset statistics, in training mode; the mode and momenta are restored
    after."""
    with no_grad():
        momenta = {}
        for module in model.modules():
            if isinstance(module, _BatchNorm):
                module.reset_running_stats()
                momenta[module] = module.momentum
        if not momenta:
            return
        was_training = model.training
        model.train()
        for module in momenta:
            module.momentum = None
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
        for module, momentum in momenta.items():
            module.momentum = momentum
        model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's learning rate to ``swa_lr`` over ``anneal_epochs`` epochs
    (cosine or linear), then holds it."""

    def __init__(self, optimizer: Optimizer, swa_lr: Any, anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1) -> None:
        for value, group in zip(_per_group("swa_lr", optimizer, swa_lr),
                                optimizer.param_groups, strict=True):
            group["swa_lr"] = value
        if anneal_strategy not in ["cos", "linear"]:
            raise errors.EngineValueError(
                "anneal_strategy must be one of 'cos' or 'linear', "
                f"instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise errors.EngineValueError(
                f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        return swa_lr if alpha == 1 else (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, strategy: str) -> None:
        self._anneal_strategy = strategy
        self.anneal_func = self._cosine_anneal if strategy == "cos" else self._linear_anneal

    def get_lr(self) -> list[float]:
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please "
                          "use `get_last_lr()`.", UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        # the rate the schedule started from, recovered from the last one it wrote
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        starts = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha)
                  for g in self.optimizer.param_groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [g["swa_lr"] * alpha + lr * (1 - alpha)
                for g, lr in zip(self.optimizer.param_groups, starts, strict=True)]

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)

    def __repr__(self) -> str:
        return f"<torch.optim.swa_utils.SWALR object at {id(self):#x}>"
