"""Autograd, laid out as ``torch.autograd``: graph nodes (``graph``), the reverse-mode engine
(``engine``), custom Functions (``function``), forward mode (``forward_ad``), the functional
API (``functional``), ``gradcheck``, grad modes and anomaly detection.

``__all__`` is what programs may reach as ``torch.autograd.*``; the rest (``record``,
``run_backward``, the grad-mode and anomaly queries torch keeps on ``torch`` ...) is the engine's
own."""

from . import forward_ad, functional
from . import introspect as _introspect  # noqa: F401  (torch's grad_fn._saved_* names on Node)
from .anomaly import detect_anomaly, set_detect_anomaly
from .anomaly import is_anomaly_check_nan_enabled as is_anomaly_check_nan_enabled
from .anomaly import is_anomaly_enabled as is_anomaly_enabled
from .engine import backward, grad
from .engine import run_backward as run_backward
from .engine import sum_to as sum_to
from .function import Function
from .function import FunctionCtx as FunctionCtx
from .function import apply_function as apply_function
from .function import once_differentiable as once_differentiable
from .grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled
from .grad_mode import is_grad_enabled as is_grad_enabled
from .grad_mode import is_inference_mode_enabled as is_inference_mode_enabled
from .gradcheck import GradcheckError as GradcheckError
from .gradcheck import gradcheck, gradgradcheck
from .graph import OUTPUT as OUTPUT
from .graph import AccumulateGrad as AccumulateGrad
from .graph import Node as Node
from .graph import SavedTensor as SavedTensor
from .graph import display_name as display_name
from .graph import edge_of as edge_of
from .graph import grad_accumulator as grad_accumulator
from .graph import needs_grad as needs_grad
from .graph import record as record

# only what torch 2.13's ``torch.autograd`` has: ``is_grad_enabled``,
# ``is_inference_mode_enabled`` and the anomaly queries live on ``torch`` itself, and
# ``FunctionCtx``, ``once_differentiable`` and ``GradcheckError`` in their submodules (a program
# reaching them here sees torch's AttributeError; the engine's own imports are unaffected)
__all__ = ["Function", "backward", "detect_anomaly", "enable_grad", "forward_ad", "functional",
           "grad", "gradcheck", "gradgradcheck", "inference_mode", "no_grad",
           "set_detect_anomaly", "set_grad_enabled"]
