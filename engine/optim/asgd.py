"""``torch.optim.ASGD``: averaged stochastic gradient descent (Polyak–Ruppert averaging in
the ``ax`` state, with the decaying step ``eta`` and averaging weight ``mu`` torch keeps)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..ops import zeros_like  # (torch's layout: memory_format, layouts.py)
from ..tensor import Tensor
from . import _fused
from .optimizer import Optimizer, check, step_tensor, unsupported


class ASGD(Optimizer):
    """``torch.optim.ASGD(params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
    foreach=None, maximize=False, differentiable=False, capturable=False)``."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            check(False, "Tensor lr must be 1-element")
        check(0.0 <= lr, f"Invalid learning rate: {lr}")
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        unsupported("ASGD", capturable=capturable, differentiable=differentiable)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        if isinstance(lr, Tensor):
            lr = lr.item()
        weight_decay = group["weight_decay"]
        for p, grad in self._with_grads(group):
            state = self.state[p]
            if not state:
                state["step"] = step_tensor()
                state["eta"] = _scalar_state(lr)
                state["mu"] = _scalar_state(1.0)
                state["ax"] = zeros_like(p)
            xp = p.device.xp
            a = p._data
            g = grad._data
            if group["maximize"]:
                g = -g
            state["step"]._data += 1
            if weight_decay != 0:
                g = g.copy()
                _fused.add_(g, a, weight_decay, xp)
            eta = float(state["eta"]._data)
            a *= _fused.scalar(1 - lambd * eta, a)
            _fused.add_(a, g, -eta, xp)
            ax = state["ax"]._data
            mu = state["mu"]._data
            if float(mu) != 1:
                ax += (a - ax) * mu.astype(a.dtype)
            else:
                ax[...] = a
            step = float(state["step"]._data)
            state["eta"]._data[...] = lr / ((1 + lambd * lr * step) ** alpha)
            state["mu"]._data[...] = 1 / max(1, step - t0)
            p._vc[0] += 1


def _scalar_state(value: float) -> Tensor:
    t = step_tensor()
    t._data[...] = np.float32(value)
    return t
