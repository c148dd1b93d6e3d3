"""``torch.optim.ASGD``: averaged stochastic gradient descent (Polyak–Ruppert averaging in
the ``ax`` state, with the decaying step ``eta`` and averaging weight ``mu`` torch keeps)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..dtypes import default_float
from ..modes import no_grad
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
        weight_decay = group["weight_decay"]
        multi = bool(group["foreach"])  # torch's _multi_tensor_asgd: another update formula
        for p, grad in self._with_grads(group):
            state = self.state[p]
            if not state:
                state["step"] = step_tensor()
                state["eta"] = _scalar_state(lr.item() if isinstance(lr, Tensor) else lr)
                state["mu"] = _scalar_state(1.0)
                state["ax"] = zeros_like(p)
            xp = p.device.xp
            a = p._data
            g = grad._data
            if group["maximize"]:
                g = -g
            state["step"]._data += 1
            ax = state["ax"]._data
            if multi:
                # g + wd*p + lambd*p (two fused adds), then p += -1 * that * eta (addcmul_),
                # ax += (p - ax) * mu (addcmul_, also when mu is 1)
                g = g.copy()
                if weight_decay != 0:
                    _fused.add_(g, a, weight_decay, xp)
                _fused.add_(g, a, lambd, xp)
                eta = state["eta"]._data.astype(a.dtype)
                _fused.addcmul_(a, g, eta, -1, xp)
                _fused.addcmul_(ax, a - ax, state["mu"]._data.astype(a.dtype), 1, xp)
            else:
                if weight_decay != 0:
                    g = g.copy()
                    _fused.add_(g, a, weight_decay, xp)
                eta = float(state["eta"]._data)
                a *= _fused.scalar(1 - lambd * eta, a)
                _fused.add_(a, g, -eta, xp)
                mu = state["mu"]._data
                if float(mu) != 1:
                    ax += (a - ax) * mu.astype(a.dtype)
                else:
                    ax[...] = a
            step = float(state["step"]._data)
            # torch.as_tensor of the new values: a Python float becomes a tensor of the
            # default dtype (float32: rounded there even when eta is float64, as after
            # load_state_dict); a tensor lr is computed in tensor arithmetic, in its dtype
            # (torch's foreach path divides by a power of the step tensor: float32 steps)
            state["eta"]._data[...] = _new_eta(lr, lambd, alpha,
                                               state["step"] if multi else step)
            state["mu"]._data[...] = _as_default(1 / max(1, step - t0))
            p._vc[0] += 1


def _as_default(value: float):
    """``torch.as_tensor(value)``'s value: the Python float in the default dtype."""
    return default_float().np.type(value)


def _new_eta(lr: Any, lambd: float, alpha: float, step: Any):
    if not isinstance(lr, Tensor) and not isinstance(step, Tensor):
        return _as_default(lr / ((1 + lambd * lr * step) ** alpha))
    with no_grad():
        if isinstance(lr, Tensor) and lr.dim():
            lr = lr.reshape(())
        return (lr / ((1 + lambd * lr * step) ** alpha))._data


def _scalar_state(value: float) -> Tensor:
    """``torch.as_tensor(value, dtype=_get_scalar_dtype())``: float32, or float64 when that
    is the default dtype."""
    t = step_tensor()
    t._data[...] = t._data.dtype.type(value)
    return t
