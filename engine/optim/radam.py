"""``torch.optim.RAdam``: Adam with the variance of its adaptive step rectified."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..modes import no_grad
from ..ops import zeros_like  # (torch's layout: memory_format, layouts.py)
from ..tensor import Tensor
from . import _fused
from .adam import _check_betas
from .optimizer import Optimizer, check, check_tensor_lr, step_tensor, unsupported


class RAdam(Optimizer):
    """``m``, ``v`` as Adam; while the approximated SMA length ``rho_t`` is at most 5 the step
    is ``lr * m / (1 - beta1^t)`` (momentum SGD); after, Adam's step times the rectification
    ``r_t``."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        check_tensor_lr(lr)
        check(0.0 <= lr, f"Invalid learning rate: {lr}")
        check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        betas = _check_betas(betas)
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        unsupported("RAdam", capturable=capturable, differentiable=differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        for p, grad in self._with_grads(group):
            state = self.state[p]
            if not state:
                state["step"] = step_tensor()
                state["exp_avg"] = zeros_like(p)
                state["exp_avg_sq"] = zeros_like(p)
            xp = p.device.xp
            a = p._data
            g = -grad._data if group["maximize"] else grad._data
            step_t = state["step"]
            step_t._data += 1
            step = float(step_t._data)
            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    a *= _fused.scalar(1 - lr * weight_decay, a)
                else:
                    g = g.copy()
                    _fused.add_(g, a, weight_decay, xp)
            m = state["exp_avg"]._data
            v = state["exp_avg_sq"]._data
            _fused.lerp_(m, g, 1 - beta1, xp)
            v *= _fused.scalar(beta2, v)
            _fused.addcmul_(v, g, g, 1 - beta2, xp)
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            corrected = m / _fused.scalar(bias_correction1, m)
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
            if group["foreach"]:
                _multi_tensor_update(a, m, v, lr, eps, beta1, beta2, step, rho_inf, rho_t, xp)
                p._vc[0] += 1
                continue
            update = corrected * _fused.scalar(lr, corrected)
            if rho_t > 5.0:
                root = _fused.sqrt(v, xp)
                root += _fused.scalar(eps, root)
                adaptive = _fused.scalar(bias_correction2 ** 0.5, root) / root
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf /
                        ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                update = update * adaptive
                update *= _fused.scalar(rect, update)
            a -= update
            p._vc[0] += 1


def _multi_tensor_update(a, m, v, lr, eps: float, beta1: float, beta2: float, step: float,
                         rho_inf: float, rho_t: float, xp) -> None:
    """torch's ``_multi_tensor_radam`` (``foreach=True``): another formula, ``p += m / ((sqrt(v)
    + eps) / s2) + s1`` with ``s2 = sqrt(1 - beta2^t) lr rect / (1 - beta1^t) * -1`` (``-0.``
    when unrectified: the reciprocal is ``-0.``) and ``s1 = lr unrect / (1 - beta1^t) * -1``,
    the step sizes in a tensor lr's own dtype."""
    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf /
            ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5 if rho_t > 5 else 0
    unrect = 0 if rect > 0 else 1.0
    bc1 = 1 - beta1 ** step
    with no_grad():
        s1 = (lr * unrect / bc1) * -1
        s2 = ((1 - beta2 ** step) ** 0.5) * (lr * rect / bc1) * -1
    s1, s2 = (float(x) if isinstance(x, Tensor) else x for x in (s1, s2))
    buf = _fused.sqrt(v, xp)
    buf += _fused.scalar(eps, buf)
    with np.errstate(divide="ignore"):
        buf /= _fused.scalar(s2, buf)
        buf = 1 / buf
    buf += _fused.scalar(s1, buf)
    _fused.addcmul_(a, m, buf, 1, xp)
