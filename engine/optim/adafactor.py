"""``torch.optim.Adafactor`` (Shazeer and Stern, 2018, in torch's variant): Adam's second moment
kept factored for matrices, no first moment, relative step sizes.

Per parameter, at step ``t``: ``beta2_t = 1 - t ** beta2_decay`` (the weight given to the new
squared gradient is ``t ** beta2_decay``); ``rho = min(lr, t ** -0.5)``; the step size is
``alpha = max(eps2, RMS(p)) * rho``. A parameter of two or more dimensions keeps a row factor
(the mean of ``g²`` over the last dimension) and a column factor (over the one before), and
estimates ``v = row @ col / mean(row)``; a vector keeps ``v`` whole. The update
``u = g / sqrt(max(v, eps1²))`` is clipped to an RMS of at most ``d``, and ``p -= alpha * u``.
Weight decay is decoupled (``p *= 1 - lr * weight_decay``), as in AdamW.

The arithmetic is the engine's own tensor ops, in the order torch's single-tensor loop uses
them (its CPU default), so every rounding is the op's: ``norm(...).square_().div_(n)`` for
the factors, ``lerp_`` for the running averages, ``clamp_().rsqrt_()`` for the scale.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import errors
from ..dtype_info import finfo
from ..modes import no_grad
from ..ops import zeros, zeros_like
from ..tensor import Tensor
from .optimizer import Optimizer, check, step_tensor


class Adafactor(Optimizer):
    """``torch.optim.Adafactor(params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
    weight_decay=0.0, *, foreach=None, maximize=False)``."""

    def __init__(self, params: Iterable[Any], lr: float | Tensor = 1e-2,
                 beta2_decay: float = -0.8, eps: tuple[float | None, float] = (None, 1e-3),
                 d: float = 1.0, weight_decay: float = 0.0, *, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise errors.EngineValueError("Tensor lr must be 1-element")
        check(0.0 <= lr, f"Learning rate should be >= 0 but is: {lr}")
        check(0.0 >= beta2_decay, f"beta2_decay should be <= 0 but is: {beta2_decay}")
        check(eps[0] is None or 0.0 <= eps[0], f"epsilon1 should be >= 0 but is: {eps[0]}")
        check(0.0 <= eps[1], f"epsilon2 should be >= 0 but is: {eps[1]}")
        check(1.0 <= d, f"Clipping threshold d should be >= 1 but is: {d}")
        check(0.0 <= weight_decay, f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize}
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = group["lr"]  # a Tensor lr stays one: the step size is then rounded to its dtype
        if isinstance(lr, Tensor) and lr.dim() != 0:
            lr = lr.squeeze()
        beta2_decay, d = group["beta2_decay"], group["d"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        eps1, eps2 = group["eps"]
        work = []
        for p, grad in self._with_grads(group):  # every state is made before any update
            state = self.state[p]
            if not state:
                state["step"] = step_tensor()
                if grad.dim() > 1:
                    shape = list(grad.shape)
                    state["row_var"] = zeros(shape[:-1] + [1], dtype=grad.dtype,
                                             device=grad.device)
                    state["col_var"] = zeros(shape[:-2] + [1, shape[-1]], dtype=grad.dtype,
                                             device=grad.device)
                else:
                    state["variance"] = zeros_like(grad)
            work.append((p, grad, state))
        with no_grad():
            for p, grad, state in work:
                if maximize:
                    grad = -grad
                if eps1 is None:  # the first parameter's dtype decides, as in torch's loop
                    eps1 = finfo(p.dtype).eps
                step_t = state["step"]
                step_t._data += 1
                t = float(step_t._data)
                new_weight = t ** beta2_decay
                rho = min(lr, 1 / t ** 0.5)
                alpha = max(eps2, p.norm(2).item() / p.numel() ** 0.5) * rho
                if weight_decay != 0:
                    p.mul_(1 - lr * weight_decay)
                if grad.dim() > 1:
                    row_var, col_var = state["row_var"], state["col_var"]
                    row_var.lerp_(grad.norm(dim=-1, keepdim=True).square_()
                                  .div_(grad.size(-1)), new_weight)
                    col_var.lerp_(grad.norm(dim=-2, keepdim=True).square_()
                                  .div_(grad.size(-2)), new_weight)
                    estimate = row_var @ col_var
                    estimate.div_(row_var.mean(dim=-2, keepdim=True).clamp_(min=eps1))
                else:
                    variance = state["variance"]
                    variance.lerp_(grad * grad, new_weight)
                    estimate = variance.clone()
                update = estimate.clamp_(min=eps1 * eps1).rsqrt_()
                update.mul_(grad)
                denom = max(1.0, update.norm(2).item() / (update.numel() ** 0.5 * d))
                p.add_(update, alpha=-alpha / denom)
