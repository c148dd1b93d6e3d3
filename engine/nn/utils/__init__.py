"""``torch.nn.utils``: gradient clipping, flat parameter vectors, parametrizations
(``parametrize``, ``parametrizations``), the hook forms of ``weight_norm`` /
``spectral_norm`` and pruning (``prune``: torch imports it only on request, as
``import torch.nn.utils.prune``) and ``rnn`` (padded and packed sequences)."""

from . import parametrizations as parametrizations
from . import parametrize as parametrize
from . import prune as prune
from . import rnn as rnn
from .clip_grad import clip_grad_norm_, clip_grad_value_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "parameters_to_vector",
           "remove_spectral_norm", "remove_weight_norm",
           "spectral_norm", "vector_to_parameters", "weight_norm"]
