"""``torch.optim.NAdam``: Adam with Nesterov momentum (and torch's momentum decay)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..ops import zeros_like  # (torch's layout: memory_format, layouts.py)
from ..tensor import Tensor
from . import _fused
from .adam import _check_betas
from .optimizer import Optimizer, check, check_tensor_lr, step_tensor, unsupported


class NAdam(Optimizer):
    """``mu_t = beta1 (1 - 0.5 * 0.96^(t psi))``; ``m``, ``v`` as Adam;
    ``p -= lr (1 - mu_t) / (1 - prod mu) * g / d + lr mu_{t+1} / (1 - prod mu * mu_{t+1}) *
    m / d`` with ``d = sqrt(v / (1 - beta2^t)) + eps``."""

    def __init__(self, params: Iterable[Any], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_tensor_lr(lr)
        check(0.0 <= lr, f"Invalid learning rate: {lr}")
        check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        betas = _check_betas(betas)
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        check(0.0 <= momentum_decay, f"Invalid momentum_decay value: {momentum_decay}")
        unsupported("NAdam", capturable=capturable, differentiable=differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        psi, decoupled = group["momentum_decay"], group["decoupled_weight_decay"]
        for p, grad in self._with_grads(group):
            state = self.state[p]
            if not state:
                state["step"] = step_tensor()
                state["mu_product"] = step_tensor()
                state["mu_product"]._data += 1
                state["exp_avg"] = zeros_like(p)
                state["exp_avg_sq"] = zeros_like(p)
            xp = p.device.xp
            a = p._data
            g = -grad._data if group["maximize"] else grad._data
            step_t = state["step"]
            step_t._data += 1
            step = float(step_t._data)
            bias_correction2 = 1 - beta2 ** step
            if weight_decay != 0:
                if decoupled:
                    a *= _fused.scalar(1 - lr * weight_decay, a)
                else:
                    g = g.copy()
                    _fused.add_(g, a, weight_decay, xp)
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
            mu_product = state["mu_product"]._data
            mu_product *= mu_product.dtype.type(mu)
            m = state["exp_avg"]._data
            v = state["exp_avg_sq"]._data
            _fused.lerp_(m, g, 1 - beta1, xp)
            v *= _fused.scalar(beta2, v)
            _fused.addcmul_(v, g, g, 1 - beta2, xp)
            product = float(mu_product)
            if group["foreach"]:
                # torch's _multi_tensor_nadam: sqrt(v) / sqrt(1 - beta2^t), and the step
                # sizes from lr's Python value (a tensor lr is read with item())
                denom = _fused.sqrt(v, xp) / _fused.scalar(bias_correction2 ** 0.5, v)
                denom += _fused.scalar(eps, denom)
                r = lr.item() if isinstance(lr, Tensor) else lr
                _fused.addcdiv_(a, g, denom, (r * (1.0 - mu) / (1.0 - product)) * -1, xp)
                _fused.addcdiv_(a, m, denom, (r * mu_next / (1.0 - product * mu_next)) * -1,
                                xp)
            else:
                denom = _fused.sqrt(v / _fused.scalar(bias_correction2, v), xp)
                denom += _fused.scalar(eps, denom)
                _fused.addcdiv_(a, g, denom, -lr * (1.0 - mu) / (1.0 - product), xp)
                _fused.addcdiv_(a, m, denom, (-lr * mu_next) / (1.0 - product * mu_next), xp)
            p._vc[0] += 1
