"""Pinned cases of session 21's hunt (issue 10; most found by ``tests/oracle/chain_sweep.py``),
run on the engine and on torch 2.13 side by side. Each case failed on the engine before its
fix."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402

from .backends import _as_program_sees, observed, pinned_obs  # noqa: E402


def _same(program):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return observed(program, engine, pinned_obs) == observed(program, torch, pinned_obs)


# ------------------------------------------------ numbers where a tensor goes (chain seed 2104)
_COPY_SOURCES = [2, -1, 0.1, 65519.0, 2.7, True, np.float32(1.5), np.int64(-3), 2 ** 63,
                 2 ** 64 - 1, 1 + 2j, -2 ** 70, float("nan"), float("-inf"), "a", None]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64", "int32", "uint8",
                                   "bool"])
def test_copy_takes_a_number_as_torchs_parser_does(dtype):
    """``copy_`` is one of the functions whose Tensor parameter torch's argument parser lets a
    Python number bind to (as a 0-d bool/int64/float64 tensor; an int past int64 is a uint64
    Scalar): ``v.copy_(2)`` computes, with ``CopyBackwards`` on a tensor that requires grad.
    The engine raised "argument 'src' ... must be Tensor, not int"."""
    def program(T, v):
        x = T.zeros(2, dtype=getattr(T, dtype))
        y = x.copy_(v)
        return [y, y is x, x._version]

    for v in _COPY_SOURCES:
        assert _same(lambda T, v=v: program(T, v)), v


def test_copy_of_a_number_into_a_view_records_copy_backwards():
    def program(T):
        x = T.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = x * 2
        y[1:].copy_(1.5)
        (y * T.tensor([1.0, 2.0, 3.0])).sum().backward()
        return [y, x.grad]

    assert _same(program)


@pytest.mark.parametrize("fn", ["mul", "multiply"])
@pytest.mark.parametrize("a, b", [(2, 3), (2, 3.5), (2.5, 3), (True, True), (True, 2),
                                  (-1, False)])
def test_mul_of_two_numbers_is_a_tensor(fn, a, b):
    """``torch.mul(2, 3)`` binds both numbers as tensors (``tensor(6)``); the engine's float16
    check of mul's kernel read ``a.dtype`` of a Python number (AttributeError)."""
    def program(T):
        if T is engine:
            return _as_program_sees(getattr(T, fn), fn, "function", (a, b), {})
        return getattr(T, fn)(a, b)

    assert _same(program)
