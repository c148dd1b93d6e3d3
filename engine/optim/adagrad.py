"""``torch.optim.Adagrad``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import errors
from ..ops import full_like  # (torch's layout: memory_format, layouts.py)
from . import _fused
from .optimizer import Optimizer, check, check_tensor_lr, step_tensor, unsupported


class Adagrad(Optimizer):
    """``s += g²``; ``p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)``."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        check_tensor_lr(lr)
        check(0.0 <= lr, f"Invalid learning rate: {lr}")
        check(0.0 <= lr_decay, f"Invalid lr_decay value: {lr_decay}")
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        check(0.0 <= initial_accumulator_value,
              f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        unsupported("Adagrad", differentiable=differentiable, fused=fused)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)

    def _refuse_sparse(self) -> None:
        raise errors.NotSupported("Adagrad with sparse gradients is not supported (torch "
                                  "updates only their rows); SGD and SparseAdam take them")

    def _init_group_state(self, group: dict[str, Any]) -> None:
        for p in group["params"]:
            state = self.state[p]
            state["step"] = step_tensor()
            state["sum"] = full_like(p, group["initial_accumulator_value"])

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for p, grad in self._with_grads(group):
            state = self.state[p]
            xp = p.device.xp
            g = grad._data
            step_t = state["step"]
            step_t._data += 1
            step = float(step_t._data)
            if maximize:
                g = -g
            if weight_decay != 0:
                g = g.copy()
                _fused.add_(g, p._data, weight_decay, xp)
            clr = lr / (1 + (step - 1) * lr_decay)
            s = state["sum"]._data
            _fused.addcmul_(s, g, g, 1, xp)
            std = _fused.sqrt(s, xp)
            std += _fused.scalar(eps, std)
            _fused.addcdiv_(p._data, g, std, -clr, xp)
            p._vc[0] += 1
