"""``torch.optim.Adam`` (with ``amsgrad``, ``maximize`` and L2 or decoupled weight decay)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import errors
from ..ops import zeros_like  # (torch's layout: memory_format, layouts.py)
from ..tensor import Tensor
from . import _fused
from .optimizer import Optimizer, check, check_tensor_lr, step_tensor, unsupported

_TENSOR_LR_FOREACH = "lr as a Tensor is not supported for capturable=False and foreach=True"


def _check_betas(betas: tuple) -> tuple:
    check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
    check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
    return tuple(betas)


class Adam(Optimizer):
    """Adaptive moment estimation: ``m = lerp(m, g, 1 - beta1)``, ``v = beta2 * v +
    (1 - beta2) * g²``, ``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)``."""

    _sparse_refusal = ("Adam does not support sparse gradients, please consider SparseAdam "
                       "instead")

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        if isinstance(lr, Tensor):
            if foreach and not capturable:
                raise errors.EngineValueError(_TENSOR_LR_FOREACH)
            check_tensor_lr(lr)
        check(0.0 <= lr, f"Invalid learning rate: {lr}")
        check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        betas = _check_betas(betas)
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        check(all(isinstance(b, float) for b in betas),
              "betas must be either both floats or both Tensors")
        unsupported(type(self).__name__, capturable=capturable, differentiable=differentiable,
                    fused=fused)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        amsgrad, maximize = group["amsgrad"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for p, grad in self._with_grads(group):
            state = self.state[p]
            if not state:
                state["step"] = step_tensor()
                state["exp_avg"] = zeros_like(p)
                state["exp_avg_sq"] = zeros_like(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = zeros_like(p)
            if group["foreach"] and isinstance(lr, Tensor) and not group["capturable"]:
                # (torch's _init_group, after the first state: an lr made a tensor later)
                raise errors.EngineRuntimeError(_TENSOR_LR_FOREACH)
            xp = p.device.xp
            a = p._data
            g = grad._data
            if maximize:
                g = -g
            step_t = state["step"]
            step_t._data += 1
            if weight_decay != 0:
                if decoupled:
                    a *= _fused.scalar(1 - lr * weight_decay, a)
                    p._vc[0] += 1
                else:
                    g = g.copy()
                    _fused.add_(g, a, weight_decay, xp)
            m = state["exp_avg"]._data
            v = state["exp_avg_sq"]._data
            _fused.lerp_(m, g, 1 - beta1, xp)
            v *= _fused.scalar(beta2, v)
            _fused.addcmul_(v, g, g, 1 - beta2, xp)
            step = float(step_t._data)
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            step_size = lr / bias_correction1
            bias_correction2_sqrt = bias_correction2 ** 0.5
            if amsgrad:
                vmax = state["max_exp_avg_sq"]._data
                xp.maximum(vmax, v, out=vmax)
                v = vmax
            denom = _fused.sqrt(v, xp)
            denom /= _fused.scalar(bias_correction2_sqrt, denom)
            denom += _fused.scalar(eps, denom)
            _fused.addcdiv_(a, m, denom, -step_size, xp)
            p._vc[0] += 1
