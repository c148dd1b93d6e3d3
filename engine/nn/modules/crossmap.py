"""``nn.CrossMapLRN2d``: local response normalization across channels of a 4-D input, the
legacy (Lua Torch) form that torch keeps as a Python autograd Function (node
``CrossMapLRN2dBackward``).

Its arithmetic follows torch's Function step by step, quirks included: the running window sum
over channels never drops channel 0 (torch's recurrence subtracts channel ``c - pre_pad`` only
for ``c > pre_pad``), and the gradient is torch's hand-written one for the centred window, not
the derivative of that forward (torch's own gradcheck of it fails likewise). Differentiating
the gradient again fails with torch's error (its backward writes through ``out=``)."""

from __future__ import annotations

from ... import errors
from ...autograd.function import Function
from ...modes import is_grad_enabled
from ...tensor import Tensor, _wrap
from .normalization import _ChannelWindowNorm


def _check(input) -> None:
    if input.dim() != 4:
        raise errors.EngineValueError(
            f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead.")
    if not input.dtype.is_floating_point:
        raise errors.EngineRuntimeError(
            f"result type Float can't be cast to the desired output type "
            f"{input.dtype.scalar_name}")


class CrossMapLRN2d(Function):  # (the node: CrossMapLRN2dBackward, as torch's)
    @staticmethod
    def forward(ctx, input, size, alpha=1e-4, beta=0.75, k=1):
        _check(input)
        ctx.size, ctx.alpha, ctx.beta, ctx.k = size, alpha, beta, k
        x = input._data
        xp = input.device.xp
        channels = x.shape[1]
        square = x * x
        pre_pad = int((size - 1) / 2 + 1)
        scale = xp.empty_like(x)
        scale[:, 0] = square[:, :min(pre_pad, channels)].sum(axis=1)
        for c in range(1, channels):
            scale[:, c] = scale[:, c - 1]
            if c < channels - pre_pad + 1:
                scale[:, c] += square[:, c + pre_pad - 1]
            if c > pre_pad:
                scale[:, c] -= square[:, c - pre_pad]
        scale = scale * (alpha / size) + k
        ctx.scale = scale
        output = _wrap(scale ** -beta * x, input.dtype, input.device)
        ctx.save_for_backward(input, output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, output = ctx.saved_tensors
        if is_grad_enabled() and (grad_output.requires_grad or output.requires_grad):
            raise errors.EngineRuntimeError(
                "mul(): functions with out=... arguments don't support automatic "
                "differentiation, but one of the arguments requires grad.")
        xp = input.device.xp
        x, out, g, scale = input._data, output._data, grad_output._data, ctx.scale
        size = ctx.size
        batch, channels = x.shape[:2]
        ratio_value = 2 * ctx.alpha * ctx.beta / size
        inverse_pre_pad = int(size - (size - 1) / 2)
        grad = scale ** -ctx.beta * g
        padded = xp.zeros((channels + size - 1,) + x.shape[2:], dtype=x.dtype)
        if inverse_pre_pad + channels > padded.shape[0]:  # (size 1: torch's narrow fails)
            raise errors.EngineRuntimeError(
                f"start ({inverse_pre_pad}) + length ({channels}) exceeds dimension size "
                f"({padded.shape[0]}).")
        for n in range(batch):
            padded[inverse_pre_pad:inverse_pre_pad + channels] = g[n] * out[n] / scale[n]
            accum = padded[:size - 1].sum(axis=0)
            for c in range(channels):
                accum = accum + padded[c + size - 1]
                grad[n, c] = grad[n, c] - ratio_value * x[n, c] * accum
                accum = accum - padded[c]
        return _wrap(grad, input.dtype, input.device), None, None, None, None


_cross_map_lrn2d = CrossMapLRN2d


class CrossMapLRN2d(_ChannelWindowNorm):
    """Cross-channel local response normalization of ``(N, C, H, W)`` inputs:
    ``x / (k + alpha / size * sum of x**2 over the channel window)**beta``."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__(size, alpha, beta, k)

    def forward(self, input: Tensor) -> Tensor:
        return _cross_map_lrn2d.apply(input, self.size, self.alpha, self.beta, self.k)
