"""``torch.optim.RMSprop`` (plain, centered, with momentum)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..ops import zeros_like  # (torch's layout: memory_format, layouts.py)
from . import _fused
from .optimizer import Optimizer, check, check_tensor_lr, step_tensor, unsupported


class RMSprop(Optimizer):
    """``v = alpha * v + (1 - alpha) * g²``; ``p -= lr * g / (sqrt(v) + eps)`` (centered:
    ``v - mean(g)²`` under the root; with momentum through a buffer)."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_tensor_lr(lr)
        check(0.0 <= lr, f"Invalid learning rate: {lr}")
        check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        check(0.0 <= momentum, f"Invalid momentum value: {momentum}")
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        check(0.0 <= alpha, f"Invalid alpha value: {alpha}")
        unsupported("RMSprop", capturable=capturable, differentiable=differentiable)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        weight_decay, momentum = group["weight_decay"], group["momentum"]
        centered, maximize = group["centered"], group["maximize"]
        for p, grad in self._with_grads(group):
            state = self.state[p]
            if not state:
                state["step"] = step_tensor()
                state["square_avg"] = zeros_like(p)
                if momentum > 0:
                    state["momentum_buffer"] = zeros_like(p)
                if centered:
                    state["grad_avg"] = zeros_like(p)
            xp = p.device.xp
            a = p._data
            g = grad._data
            if maximize:
                g = -g
            state["step"]._data += 1
            if weight_decay != 0:
                g = g.copy()
                _fused.add_(g, a, weight_decay, xp)
            sq = state["square_avg"]._data
            sq *= _fused.scalar(alpha, sq)
            _fused.addcmul_(sq, g, g, 1 - alpha, xp)
            if centered:
                ga = state["grad_avg"]._data
                _fused.lerp_(ga, g, 1 - alpha, xp)
                avg = sq.copy()
                _fused.addcmul_(avg, ga, ga, -1, xp)
                avg[...] = _fused.sqrt(avg, xp)
            else:
                avg = _fused.sqrt(sq, xp)
            avg += _fused.scalar(eps, avg)
            if momentum > 0:
                buf = state["momentum_buffer"]._data
                buf *= _fused.scalar(momentum, buf)
                _fused.addcdiv_(buf, g, avg, 1, xp)
                _fused.add_(a, buf, -lr, xp)
            else:
                _fused.addcdiv_(a, g, avg, -lr, xp)
            p._vc[0] += 1
