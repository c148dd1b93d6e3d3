"""``torch.optim.SGD``: stochastic gradient descent with momentum, dampening, Nesterov
momentum, weight decay and ``maximize``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import errors
from ..tensor import _wrap
from . import _fused
from .optimizer import Optimizer, check, check_tensor_lr, unsupported


class SGD(Optimizer):
    """``p -= lr * g`` where ``g`` is the gradient (plus ``weight_decay * p``), or its
    momentum buffer ``buf = momentum * buf + (1 - dampening) * g`` (Nesterov: ``g + momentum *
    buf``)."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        check_tensor_lr(lr)
        check(lr >= 0.0, f"Invalid learning rate: {lr}")
        check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        unsupported("SGD", differentiable=differentiable, fused=fused)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        check(not nesterov or (momentum > 0 and dampening == 0),
              "Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov, maximize = (group["weight_decay"], group["nesterov"],
                                            group["maximize"])
        for p, grad in self._with_grads(group):
            xp = p.device.xp
            g = grad._data
            if type(g) is not xp.ndarray and grad.is_sparse:
                self._sparse_update(p, grad, lr, momentum, weight_decay, maximize)
                continue
            if maximize:
                g = -g
            if weight_decay != 0:
                g = g.copy(order="K")
                _fused.add_(g, p._data, weight_decay, xp)
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = _wrap(g.copy(order="K"), p.dtype, p.device)  # (torch: clone)
                    state["momentum_buffer"] = buf
                else:
                    b = buf._data
                    b *= _fused.scalar(momentum, b)
                    _fused.add_(b, g, 1 - dampening, xp)
                    buf._vc[0] += 2
                if nesterov:
                    g = g.copy() if g is grad._data else g
                    _fused.add_(g, buf._data, momentum, xp)
                else:
                    g = buf._data
            _fused.add_(p._data, g, -lr, xp)
            p._vc[0] += 1

    def _refuse_sparse(self) -> None:
        """SGD takes sparse gradients (``Embedding(sparse=True)``): see ``_sparse_update``."""

    def _sparse_update(self, p, grad, lr: float, momentum: float, weight_decay: float,
                       maximize: bool) -> None:
        """``p.add_(grad, alpha=-lr)`` of a sparse gradient, as torch adds one into a dense
        tensor: entry by entry in the gradient's order (a row looked up twice is updated
        twice, each rounded once)."""
        if weight_decay != 0:  # (torch: grad.add(param, alpha=weight_decay))
            raise errors.EngineRuntimeError(
                "add(sparse, dense) is not supported. Use add(dense, sparse) instead.")
        if momentum != 0:
            raise errors.NotSupported("SGD with momentum and sparse gradients is not "
                                      "supported (torch keeps a sparse momentum buffer)")
        s = grad._data
        values = -s.values if maximize else s.values
        sparse_add_(p._data, s.indices, values, -lr)
        p._vc[0] += 1


def sparse_add_(dense, indices, values, alpha: float) -> None:
    """``dense += alpha * values`` at ``indices`` (sparse_dim x nnz), in entry order: the
    entries are applied in rounds, the k-th round holding each position's k-th entry."""
    import numpy as np

    if indices.shape[1] == 0:
        return
    flat = np.ravel_multi_index(tuple(indices), dense.shape[:indices.shape[0]])
    order = np.argsort(flat, kind="stable")
    sorted_flat = flat[order]
    starts = np.r_[0, np.flatnonzero(sorted_flat[1:] != sorted_flat[:-1]) + 1]
    rank = np.empty(flat.size, np.int64)
    run = np.repeat(starts, np.diff(np.r_[starts, flat.size]))
    rank[order] = np.arange(flat.size) - run
    for k in range(int(rank.max()) + 1):
        pick = np.flatnonzero(rank == k)
        where = tuple(indices[:, pick])
        rows = dense[where]
        _fused.add_(rows, values[pick], alpha, np)
        dense[where] = rows
