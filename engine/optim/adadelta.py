"""``torch.optim.Adadelta``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..ops import zeros_like  # (torch's layout: memory_format, layouts.py)
from . import _fused
from .optimizer import Optimizer, check, check_tensor_lr, step_tensor, unsupported


class Adadelta(Optimizer):
    """``v = rho v + (1 - rho) g²``; ``d = sqrt(u + eps) / sqrt(v + eps) * g``;
    ``u = rho u + (1 - rho) d²``; ``p -= lr * d``."""

    def __init__(self, params: Iterable[Any], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_tensor_lr(lr)
        check(0.0 <= lr, f"Invalid learning rate: {lr}")
        check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        unsupported("Adadelta", capturable=capturable, differentiable=differentiable)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for p, grad in self._with_grads(group):
            state = self.state[p]
            if not state:
                state["step"] = step_tensor()
                state["square_avg"] = zeros_like(p)
                state["acc_delta"] = zeros_like(p)
            xp = p.device.xp
            g = grad._data
            state["step"]._data += 1
            if maximize:
                g = -g
            if weight_decay != 0:
                g = g.copy()
                _fused.add_(g, p._data, weight_decay, xp)
            sq = state["square_avg"]._data
            acc = state["acc_delta"]._data
            sq *= _fused.scalar(rho, sq)
            _fused.addcmul_(sq, g, g, 1 - rho, xp)
            std = sq + _fused.scalar(eps, sq)
            std[...] = _fused.sqrt(std, xp)
            delta = acc + _fused.scalar(eps, acc)
            delta[...] = _fused.sqrt(delta, xp)
            delta /= std
            delta *= g
            acc *= _fused.scalar(rho, acc)
            _fused.addcmul_(acc, delta, delta, 1 - rho, xp)
            _fused.add_(p._data, delta, -lr, xp)
            p._vc[0] += 1
