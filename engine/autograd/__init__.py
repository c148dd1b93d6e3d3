"""Autograd: graph nodes (``graph``) and the reverse-mode engine (``engine``), as
``torch.autograd`` is laid out. ``backward`` and ``grad`` are the public entry points."""

from .engine import backward, grad, run_backward, sum_to
from .graph import (
    OUTPUT,
    AccumulateGrad,
    Node,
    SavedTensor,
    edge_of,
    grad_accumulator,
    needs_grad,
    record,
)

__all__ = ["AccumulateGrad", "Node", "OUTPUT", "SavedTensor", "backward", "edge_of", "grad",
           "grad_accumulator", "needs_grad", "record", "run_backward", "sum_to"]
