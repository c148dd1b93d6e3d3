"""Samples for ``scaled_dot_product_attention``: the math path (a value head size unlike the
query's; 3-D; a float mask that is differentiated) twice differentiable, and the fused CPU flash
path (4-D, one head size), whose gradient torch refuses to differentiate again."""

import numpy as np

import engine

from . import Sample, samples

rng = np.random.default_rng(23)


def r(*shape):
    return rng.standard_normal(shape)


_keep = rng.random((3, 5)) > 0.3
_keep[:, 0] = True
_FLASH_REFUSAL = ("derivative for aten::_scaled_dot_product_flash_attention_for_cpu_backward is "
                  "not implemented")

samples("scaled_dot_product_attention",
        Sample((r(1, 2, 3, 4), r(1, 2, 5, 4), r(1, 2, 5, 3)), name="math"),
        Sample((r(2, 3, 4), r(2, 5, 4), r(2, 5, 4)), {"is_causal": True}, name="3-d causal"),
        Sample((r(1, 2, 3, 4), r(1, 2, 5, 4), r(1, 2, 5, 2), r(3, 5)), name="float mask"),
        Sample((r(1, 2, 3, 4), r(1, 2, 5, 4), r(1, 2, 5, 2)),
               {"attn_mask": engine.tensor(_keep.tolist()), "scale": 0.7}, name="bool mask"),
        Sample((r(1, 2, 3, 4), r(1, 2, 5, 4), r(1, 2, 5, 4)), second_order=False,
               name="flash"),
        Sample((r(1, 2, 3, 4), r(1, 2, 5, 4), r(1, 2, 5, 4)),
               {"attn_mask": engine.tensor(_keep.tolist()), "is_causal": True},
               second_order=False, noncontig=False,  # (strided: math path, which refuses)
               name="flash mask and causal"))
