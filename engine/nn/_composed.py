"""``torch.nn.functional`` functions that torch writes in Python over other ops
(``local_response_norm``, ``gumbel_softmax``): composed here of the table's ops in the same
order, so the recorded nodes, values and errors are torch's."""

from __future__ import annotations

import warnings

from .. import errors
from ..ops.registry import OPS


def _op(name: str):
    return OPS[name].fn


def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0):
    """Normalize each element by the (padded, averaged) sum of squares of its ``size``
    neighbouring channels: ``x / (k + alpha * mean(x²))**beta``."""
    dim = input.ndim
    if dim < 3:
        raise errors.EngineValueError(
            "Expected 3D or higher dimensionality                          input (got "
            f"{dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = div.unsqueeze(1)
        div = _op("pad")(div, (0, 0, size // 2, (size - 1) // 2))
        div = _op("avg_pool2d")(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = input.shape
        div = div.view(sizes[0], 1, sizes[1], sizes[2], -1)
        div = _op("pad")(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = _op("avg_pool3d")(div, (size, 1, 1), stride=1).squeeze(1)
        div = div.view(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div


def gumbel_softmax(logits, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1):
    """A sample of the Gumbel-softmax distribution over ``dim`` (noise from the current
    generator), ``hard``: one-hot forward with the soft sample's gradient."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", UserWarning,
                      stacklevel=2)
    gumbels = -_op("empty_like")(logits).exponential_().log()
    gumbels = (logits + gumbels) / tau
    y_soft = gumbels.softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    d = dim % logits.ndim if logits.ndim else 0
    shape = [1] * logits.ndim
    if logits.ndim:
        shape[d] = logits.shape[d]
    positions = _op("arange")(logits.shape[d] if logits.ndim else 1,
                              device=logits.device).view(shape)
    y_hard = (positions == index).to(logits.dtype)  # (one-hot at the argmax, as a scatter)
    return y_hard - y_soft.detach() + y_soft


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5):
    """Normalize each channel of each sample over its spatial positions; as ATen computes it:
    a batch norm of the input viewed as one sample of ``N * C`` channels, with the running
    statistics (when given) updated by the mean over the batch."""
    if use_input_stats:
        prod = 1
        for s in input.shape[2:]:
            prod *= s
        if prod == 1:
            raise errors.EngineValueError("Expected more than 1 spatial element when training, "
                                          f"got input size {input.shape}")
    shape = list(input.shape)
    b, c = shape[0], shape[1]
    shape[1] = b * c
    shape[0] = 1

    def repeated(t):
        return None if t is None else t.repeat(b)

    mean_, var_ = repeated(running_mean), repeated(running_var)
    out = _op("batch_norm")(input.contiguous().view(shape), mean_, var_, repeated(weight),
                            repeated(bias), use_input_stats, momentum, eps)
    from ..modes import no_grad

    with no_grad():
        if running_mean is not None:
            running_mean.copy_(mean_.view(b, c).mean(0))
        if running_var is not None:
            running_var.copy_(var_.view(b, c).mean(0))
    return out.view(input.shape)
