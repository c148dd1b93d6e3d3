"""``torch.optim.Adamax``: Adam with the infinity norm."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..ops import zeros_like  # (torch's layout: memory_format, layouts.py)
from ..tensor import Tensor
from . import _fused
from .adam import _check_betas
from .optimizer import Optimizer, check, check_tensor_lr, step_tensor, unsupported


class Adamax(Optimizer):
    """``m = lerp(m, g, 1 - beta1)``; ``u = max(beta2 * u, |g| + eps)``;
    ``p -= lr / (1 - beta1^t) * m / u``."""

    def __init__(self, params: Iterable[Any], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        check_tensor_lr(lr)
        check(0.0 <= lr, f"Invalid learning rate: {lr}")
        check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        betas = _check_betas(betas)
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        unsupported("Adamax", capturable=capturable, differentiable=differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        maximize = group["maximize"]
        for p, grad in self._with_grads(group):
            state = self.state[p]
            if not state:
                state["step"] = step_tensor()
                state["exp_avg"] = zeros_like(p)
                state["exp_inf"] = zeros_like(p)
            xp = p.device.xp
            g = grad._data
            if maximize:
                g = -g
            step_t = state["step"]
            step_t._data += 1
            if weight_decay != 0:
                g = g.copy()
                _fused.add_(g, p._data, weight_decay, xp)
            m = state["exp_avg"]._data
            u = state["exp_inf"]._data
            _fused.lerp_(m, g, 1 - beta1, xp)
            u *= _fused.scalar(beta2, u)
            norm = xp.abs(g)
            norm += _fused.scalar(eps, norm)
            xp.maximum(u, norm, out=u)
            # (torch's _multi_tensor_adamax reads a tensor lr with item(): a double step)
            r = lr.item() if group["foreach"] and isinstance(lr, Tensor) else lr
            clr = r / (1 - beta1 ** float(step_t._data))
            _fused.addcdiv_(p._data, m, u, -clr, xp)
            p._vc[0] += 1
