"""``torch.optim.Rprop``: resilient backpropagation, a step size per element that grows
while the gradient keeps its sign and shrinks when it flips (then that element waits a step)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..ops import full_like, zeros_like  # (torch's layout: memory_format, layouts.py)
from ..tensor import Tensor
from . import _fused
from .optimizer import Optimizer, check, step_tensor, unsupported


class Rprop(Optimizer):
    """``torch.optim.Rprop(params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
    capturable=False, foreach=None, maximize=False, differentiable=False)``."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            check(False, "Tensor lr must be 1-element")
        check(0.0 <= lr, f"Invalid learning rate: {lr}")
        check(0.0 < etas[0] < 1.0 < etas[1], f"Invalid eta values: {etas[0]}, {etas[1]}")
        unsupported("Rprop", capturable=capturable, differentiable=differentiable)
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        shrink, grow = group["etas"]
        smallest, largest = group["step_sizes"]
        lr = group["lr"]
        if isinstance(lr, Tensor):
            lr = lr.item()
        for p, grad in self._with_grads(group):
            state = self.state[p]
            if not state:
                state["step"] = step_tensor()
                state["prev"] = zeros_like(p)
                state["step_size"] = full_like(grad, lr)
            xp = p.device.xp
            g = grad._data
            if group["maximize"]:
                g = -g
            state["step"]._data += 1
            prev, size = state["prev"]._data, state["step_size"]._data
            # the factor per element: grow where the sign held, shrink where it flipped, 1
            # where either was zero or NaN (torch's sign of NaN is 0)
            factor = _sign(g * prev, xp)
            flipped = factor < 0
            factor[factor > 0] = grow
            factor[flipped] = shrink
            factor[factor == 0] = 1
            size *= factor
            xp.clip(size, size.dtype.type(smallest), size.dtype.type(largest), out=size)
            g = g.copy()
            g[factor == factor.dtype.type(shrink)] = 0
            _fused.addcmul_(p._data, _sign(g, xp), size, -1, xp)
            prev[...] = g
            p._vc[0] += 1


def _sign(a, xp):
    """torch's ``sign``: -1, 0 or 1, and 0 for NaN (NumPy's gives NaN)."""
    return (a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)
