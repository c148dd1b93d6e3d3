"""Sample inputs for every differentiable op, one module per op family.

``tests/engine/test_gradcheck.py`` iterates over the op table: every differentiable op must have
samples here (or an entry in ``NOT_GRADCHECKED`` with a reason), so an op without samples fails
the suite.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Sample:
    """One call of an op. NumPy float arrays in ``args`` become float64 tensors that require
    grad (the differentiated inputs, in order); everything else is passed as is. ``kwargs`` are
    passed as is (arrays in kwargs are not differentiated).

    ``oracle(anp, *arrays)``: the same function written with HIPS ``autograd.numpy`` over the
    differentiated arrays (None where autograd has no such function); values and gradients must
    agree with it. ``second_order``: also check the gradient of the gradient.
    ``noncontig``: also run with non-contiguous views as inputs.
    ``out_index``: for ops returning tuples, which float outputs to check (None = all float).
    ``grad_error``: torch itself refuses this call's gradient (the text it raises); gradcheck
    then checks that backward raises it (the differential suite compares it with torch's).
    """

    args: tuple
    kwargs: dict = field(default_factory=dict)
    oracle: Callable[..., Any] | None = None
    second_order: bool = True
    noncontig: bool = True
    name: str = ""
    atol: float = 1e-5
    rtol: float = 1e-3
    grad_error: str = ""


SAMPLES: dict[str, list[Sample]] = {}
NOT_GRADCHECKED: dict[str, str] = {}
# calls of the random ops (samplers): their values are random, so only what the call observes
# besides them (dtype, shape, flags, grad_fn name, errors) can be compared with torch's
RANDOM_SAMPLES: dict[str, list[Sample]] = {}


def samples(op_name: str, *items: Sample) -> None:
    SAMPLES.setdefault(op_name, []).extend(items)


def random_samples(op_name: str, *items: Sample) -> None:
    RANDOM_SAMPLES.setdefault(op_name, []).extend(items)


def skip(op_name: str, reason: str) -> None:
    NOT_GRADCHECKED[op_name] = reason


for _mod in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_mod.name}")
