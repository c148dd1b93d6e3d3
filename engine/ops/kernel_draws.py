"""torch's per-element sampling kernels as table ops: ``torch.poisson``, ``torch.binomial``,
``torch._standard_gamma`` and its gradient ``torch._standard_gamma_grad``.

The draws are ``engine.distributions._draws``' (torch's CPU algorithms on its scalar uniform and
normal draws, element by element in the result's row-major order), from ``generator=`` or the
current generator, so they are torch's numbers and leave the generator where torch's leaves
it. Nodes, gradients and refusals are torch's: poisson's gradient is zero, binomial has none,
``_standard_gamma``'s is the implicit reparameterisation gradient ``_standard_gamma_grad``.
"""

from __future__ import annotations

import warnings

from .. import errors
from ..autograd import needs_grad, record
from ..distributions import _draws
from ..distributions._gamma import _standard_gamma_grad, standard_gamma
from ..tensor import Tensor
from ._args import broadcast_shape
from .registry import register

_RESIZED = ("An output with one or more elements was resized since it had shape {old}, which "
            "does not match the required output shape {new}. This behavior is deprecated, and "
            "in a future PyTorch release outputs will not be resized unless they have zero "
            "elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero "
            "elements with t.resize_(0).")


def _tensor(x, fn: str, name: str, pos: int) -> None:
    if not isinstance(x, Tensor):
        raise errors.EngineTypeError(errors.MUST_BE_TENSOR.format(
            op=fn, arg=name, pos=pos, type=type(x).__name__))


def _kernel_dtype(t: Tensor, kernel: str, half: bool = False) -> None:
    """torch's dispatch: floating types only (and Half where ``half``)."""
    name = t.dtype.name
    if name not in ("float32", "float64") and not (half and name == "float16"):
        raise errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel=kernel, dtype=t.dtype.scalar_name))


def _broadcast_pair(first: Tensor, second: Tensor) -> tuple[Tensor, Tensor]:
    """Both operands at their broadcast shape, as the kernels' TensorIterator sees them; the
    result, made at ``first``'s shape, is resized with torch's warning when that differs."""
    shape = broadcast_shape(first._data.shape, second._data.shape)
    if shape != first._data.shape:
        if first._data.size:
            warnings.warn(_RESIZED.format(old=list(first._data.shape), new=list(shape)),
                          UserWarning, stacklevel=3)
        first = first.expand(shape)
    if shape != second._data.shape:
        second = second.expand(shape)
    return first, second


def _same_dtype(expected: Tensor, found: Tensor) -> None:
    if found.dtype is not expected.dtype:
        raise errors.EngineRuntimeError(f"Found dtype {found.dtype.scalar_name} but expected "
                                        f"{expected.dtype.scalar_name}")


def _zero_grad(g):
    return g * 0


def poisson(input, generator=None):
    """Poisson counts with rates ``input`` (non-negative), in its dtype; the gradient is
    zero."""
    _tensor(input, "poisson", "input", 1)
    _kernel_dtype(input, "poisson_cpu", half=True)
    out = _draws.poisson(input.detach(), generator)
    if needs_grad(input):
        record(out, "PoissonBackward0", (_zero_grad,), (input,))
    return out


def _no_binomial_derivative(g, *_):
    raise errors.EngineRuntimeError(errors.NO_DERIVATIVE.format(op="binomial"))


def binomial(count, prob, generator=None):
    """Binomial counts of ``count`` trials of success probability ``prob`` (floating tensors of
    one dtype, broadcast), in ``count``'s dtype; torch defines no derivative."""
    _tensor(count, "binomial", "count", 1)
    _tensor(prob, "binomial", "prob", 2)
    for name, t in (("count", count), ("prob", prob)):
        if not t.dtype.is_floating_point:
            raise errors.EngineValueError(
                f"binomial only supports floating-point dtypes for {name}, got: "
                f"{t.dtype.scalar_name}")
    c, p = _broadcast_pair(count.detach(), prob.detach())
    _same_dtype(count, prob)
    out = _draws.binomial(c, p, generator)
    if needs_grad(count, prob):
        record(out, "NotImplemented", (_no_binomial_derivative, _no_binomial_derivative),
               (count, prob))
    return out


def _standard_gamma_op(input, generator=None):
    """Gamma(``input``, 1) draws, at least the dtype's smallest normal number, with the
    implicit reparameterisation gradient (``StandardGammaBackward0``)."""
    _tensor(input, "_standard_gamma", "input", 1)
    _kernel_dtype(input, "gamma_cpu")
    return standard_gamma(input, generator)


def _standard_gamma_grad_op(input, output):
    """``d output / d input`` of Gamma(``input``, 1) draws ``output`` (broadcast), as torch
    approximates it; torch defines no derivative of it."""
    _tensor(input, "_standard_gamma_grad", "input", 1)
    _tensor(output, "_standard_gamma_grad", "output", 2)
    alpha, x = _broadcast_pair(input, output)
    _same_dtype(input, output)
    _kernel_dtype(input, "_standard_gamma_grad_cpu")
    return _standard_gamma_grad(x, alpha)


_standard_gamma_op.__name__ = _standard_gamma_op.__qualname__ = "_standard_gamma"
_standard_gamma_grad_op.__name__ = _standard_gamma_grad_op.__qualname__ = "_standard_gamma_grad"

register("poisson", poisson, kind="function", grad_fns=("PoissonBackward0",))
register("binomial", binomial, kind="function", differentiable=False)
register("_standard_gamma", _standard_gamma_op, kind="function",
         grad_fns=("StandardGammaBackward0", "StandardGammaGradBackward0"))
register("_standard_gamma_grad", _standard_gamma_grad_op, kind="function",
         differentiable=False, grad_fns=("StandardGammaGradBackward0",))

__all__ = ["poisson", "binomial"]
