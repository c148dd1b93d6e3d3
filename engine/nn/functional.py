"""``torch.nn.functional``: the functional ops of the op table under torch.nn.functional's
names. They are the table's own functions (``functional.relu is engine.ops.OPS["relu"].fn``),
so their signatures, docs and gradients are the table's; a name appears here once its op is in
the table. ``triplet_margin_with_distance_loss``, which calls a distance the program passes, is
composed here from table ops (as torch composes it)."""

from __future__ import annotations

from .. import errors
from ..ops.loss import _same_ndim
from ..ops.registry import OPS

#: torch.nn.functional's functional names (those the op table has are exported).
TORCH_NAMES = (
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
    "adaptive_max_pool2d", "adaptive_max_pool3d", "affine_grid", "alpha_dropout", "avg_pool1d",
    "avg_pool2d", "avg_pool3d", "batch_norm", "bilinear", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "celu", "celu_", "channel_shuffle", "conv1d", "conv2d",
    "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "cosine_embedding_loss", "cosine_similarity", "cross_entropy", "ctc_loss", "dropout",
    "dropout1d", "dropout2d", "dropout3d", "elu", "elu_", "embedding", "embedding_bag",
    "feature_alpha_dropout", "fold",
    "fractional_max_pool2d", "fractional_max_pool3d", "gaussian_nll_loss", "gelu", "glu",
    "grid_sample",
    "group_norm", "gumbel_softmax", "hardshrink", "hardsigmoid", "hardswish", "hardtanh",
    "hardtanh_", "hinge_embedding_loss", "huber_loss", "instance_norm", "interpolate", "kl_div",
    "l1_loss", "layer_norm", "leaky_relu", "leaky_relu_", "linear", "local_response_norm",
    "log_softmax", "logsigmoid", "lp_pool1d", "lp_pool2d", "margin_ranking_loss", "max_pool1d",
    "max_pool2d", "max_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d", "mish", "mse_loss",
    "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss", "nll_loss",
    "normalize", "one_hot", "pad", "pairwise_distance", "pdist", "pixel_shuffle",
    "pixel_unshuffle", "poisson_nll_loss", "prelu", "relu", "relu6", "relu_", "rms_norm",
    "rrelu", "rrelu_", "scaled_dot_product_attention", "selu", "selu_", "sigmoid", "silu",
    "smooth_l1_loss", "soft_margin_loss", "softmax", "softmin", "softplus", "softshrink",
    "softsign", "tanh", "tanhshrink", "threshold", "threshold_", "triplet_margin_loss",
    "unfold", "upsample", "upsample_bilinear", "upsample_nearest",
)

__all__ = [name for name in TORCH_NAMES if name in OPS]
globals().update({name: OPS[name].fn for name in __all__})
if "kl_div" in OPS:  # torch.kl_div takes the reduction as an enum; F.kl_div by name
    from ..ops.distance import functional_kl_div as kl_div  # noqa: F401


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean"):
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))`` for any distance ``d``
    (a callable of two tensors; ``pairwise_distance`` by default). Composed of ops, as torch
    composes it, so the graph's nodes are those of ``d`` and of the ops below."""
    if margin <= 0:
        raise errors.EngineValueError("TripletMarginWithDistanceLoss: expected margin to be "
                                      f"greater than 0, got {margin} instead")
    _same_ndim(anchor, positive, negative)
    distance = OPS["pairwise_distance"].fn if distance_function is None else distance_function
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = OPS["minimum"].fn(dist_neg, distance(positive, negative))
    loss = OPS["clamp_min"].fn(margin + dist_pos - dist_neg, 0)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise errors.EngineValueError(f"{reduction} is not a valid value for reduction")


if "pairwise_distance" in OPS:
    __all__.append("triplet_margin_with_distance_loss")


from ..ops.fractional_pool import (  # noqa: E402  (torch's dispatch targets)
    fractional_max_pool2d_with_indices,
    fractional_max_pool3d_with_indices,
)

__all__ += ["fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices"]

from ._mha import multi_head_attention_forward  # noqa: E402, F401  (composed of table ops)

__all__.append("multi_head_attention_forward")

from . import _composed  # noqa: E402  (composed of table ops, as torch composes them)

globals().update({name: getattr(_composed, name) for name in _composed.COMPOSED})
__all__ += _composed.COMPOSED
