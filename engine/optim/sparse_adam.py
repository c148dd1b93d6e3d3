"""``torch.optim.SparseAdam``: Adam for sparse gradients (``Embedding(sparse=True)``), which
updates the moments and the parameter only at the rows the gradient holds."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import errors
from ..ops import zeros_like
from ..ops.sparse_coo import coalesced
from . import _fused
from .optimizer import Optimizer, check_tensor_lr


class SparseAdam(Optimizer):
    """At the gradient's rows (coalesced): ``m += (1 - beta1) * (g - m)``, ``v += (1 - beta2)
    * (g² - v)``, ``p -= lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)``; other
    rows and their moments stay as they are."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 maximize: bool = False) -> None:
        check_tensor_lr(lr)
        if not 0.0 < lr:
            raise errors.EngineValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise errors.EngineValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise errors.EngineValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise errors.EngineValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize})
        sparse_params, complex_params = [], []
        for index, group in enumerate(self.param_groups):
            for d_index, p in enumerate(group["params"]):
                if p.is_sparse:
                    sparse_params.append([index, d_index])
                if p.is_complex():
                    complex_params.append([index, d_index])
        if sparse_params:
            raise errors.EngineValueError(f"Sparse params at indices {sparse_params}: "
                                          "SparseAdam requires dense parameter tensors")
        if complex_params:
            raise errors.EngineValueError(f"Complex params at indices {complex_params}: "
                                          "SparseAdam does not support complex parameters")

    def _refuse_sparse(self) -> None:
        """Sparse gradients are SparseAdam's own."""

    def _update_group(self, group: dict[str, Any]) -> None:
        pairs = self._with_grads(group)
        for _, grad in pairs:  # (as torch: every gradient checked, every state counted first)
            if not grad.is_sparse:
                raise errors.EngineRuntimeError("SparseAdam does not support dense gradients, "
                                                "please consider Adam instead")
        beta1, beta2 = group["betas"]
        lr, eps, maximize = group["lr"], group["eps"], group.get("maximize", False)
        steps = []
        for p, _ in pairs:
            state = self.state[p]
            if len(state) == 0:
                state["step"] = 0
                state["exp_avg"] = zeros_like(p)
                state["exp_avg_sq"] = zeros_like(p)
            state["step"] += 1
            steps.append(state["step"])
        for (p, grad), step in zip(pairs, steps):
            s = grad._data
            if maximize:
                s = type(s)(s.indices, -s.values, s.shape, s.coalesced)
            s = coalesced(s)  # (the update is not linear: one entry per row)
            values = s.values
            if values.size == 0:
                continue
            where = tuple(s.indices)
            state = self.state[p]
            m, v = state["exp_avg"], state["exp_avg_sq"]
            old_m = m._data[where]
            m_update = (values - old_m) * _fused.scalar(1 - beta1, values)
            m._data[where] += m_update
            old_v = v._data[where]
            v_update = (values * values - old_v) * _fused.scalar(1 - beta2, values)
            v._data[where] += v_update
            m._vc[0] += 1
            v._vc[0] += 1
            numer = m_update + old_m
            denom = np.sqrt(v_update + old_v)
            denom += _fused.scalar(eps, denom)
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            step_size = lr * math.sqrt(bias_correction2) / bias_correction1
            p._data[where] += _fused.scalar(-step_size, numer) * (numer / denom)
            p._vc[0] += 1
