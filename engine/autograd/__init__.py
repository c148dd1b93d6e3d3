"""Autograd, laid out as ``torch.autograd``: graph nodes (``graph``), the reverse-mode engine
(``engine``), custom Functions (``function``), forward mode (``forward_ad``), the functional
API (``functional``), ``gradcheck``, grad modes and anomaly detection.

``__all__`` is what programs may reach as ``torch.autograd.*``; the rest (``record``,
``run_backward``, ...) is the engine's own plumbing."""

from . import forward_ad, functional
from .anomaly import (
           detect_anomaly,
           is_anomaly_check_nan_enabled,
           is_anomaly_enabled,
           set_detect_anomaly,
)
from .engine import backward, grad
from .engine import run_backward as run_backward
from .engine import sum_to as sum_to
from .function import Function, FunctionCtx, once_differentiable
from .function import apply_function as apply_function
from .grad_mode import (
           enable_grad,
           inference_mode,
           is_grad_enabled,
           is_inference_mode_enabled,
           no_grad,
           set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import OUTPUT as OUTPUT
from .graph import AccumulateGrad as AccumulateGrad
from .graph import Node as Node
from .graph import SavedTensor as SavedTensor
from .graph import edge_of as edge_of
from .graph import grad_accumulator as grad_accumulator
from .graph import needs_grad as needs_grad
from .graph import record as record

__all__ = ["Function", "FunctionCtx", "GradcheckError", "backward", "detect_anomaly",
           "enable_grad", "forward_ad", "functional", "grad", "gradcheck", "gradgradcheck",
           "inference_mode", "is_anomaly_check_nan_enabled", "is_anomaly_enabled",
           "is_grad_enabled", "is_inference_mode_enabled", "no_grad", "once_differentiable",
           "set_detect_anomaly", "set_grad_enabled"]
