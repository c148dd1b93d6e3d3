"""Convolutions, im2col, pooling and interpolation: small inputs (the numeric check perturbs
every element), covering stride, padding (including 'same' with an even kernel), dilation,
groups, transposed output padding, ceil mode, count_include_pad, divisor_override, unbatched
inputs, adaptive windows of unequal size and every interpolation mode."""

import numpy as np

from . import Sample, samples

rng = np.random.default_rng(21)


def r(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


def distinct(*shape):
    """Values far apart (max pooling is smooth only away from ties)."""
    n = int(np.prod(shape))
    return rng.permutation(np.linspace(-3.0, 3.0, n)).reshape(shape)


samples("convolution",
        Sample((r(1, 2, 4, 3), r(3, 2, 2, 2), r(3), (1, 2), (1, 0), (1, 1), False, (0, 0), 1)),
        Sample((r(1, 4, 3, 2), r(4, 1, 2, 2), None, (2, 2), (1, 1), (1, 1), True, (1, 1), 2),
               name="transposed"))
samples("conv1d",
        Sample((r(2, 2, 5), r(3, 2, 2), r(3)), {"stride": 2, "padding": 1}),
        Sample((r(1, 4, 5), r(4, 2, 2)), {"padding": "same", "groups": 2, "dilation": 1},
               name="same-even-groups"),
        Sample((r(2, 5), r(2, 2, 3)), {"padding": "valid", "dilation": 2}, name="unbatched"))
samples("conv2d",
        Sample((r(1, 2, 4, 4), r(2, 2, 2, 2), r(2))),
        Sample((r(1, 2, 5, 4), r(4, 1, 2, 2)), {"stride": (2, 1), "padding": (1, 0),
                                                "dilation": (1, 2), "groups": 2},
               name="strided-grouped"),
        Sample((r(2, 3, 3), r(2, 2, 2, 3)), {"padding": "same"}, name="same-unbatched"))
samples("conv3d", Sample((r(1, 1, 3, 3, 2), r(2, 1, 2, 2, 1), r(2)), {"padding": (0, 1, 0)}))
samples("conv_transpose1d",
        Sample((r(1, 2, 3), r(2, 2, 3), r(2)), {"stride": 2, "padding": 1,
                                                "output_padding": 1}))
samples("conv_transpose2d",
        Sample((r(1, 2, 2, 3), r(2, 1, 2, 2), r(1)), {"stride": (2, 1), "padding": (0, 1)}),
        Sample((r(1, 4, 2, 2), r(4, 1, 2, 2)), {"stride": 2, "output_padding": 1, "groups": 2,
                                                "dilation": 2}, name="grouped-dilated"),
        Sample((r(2, 2, 2), r(2, 2, 2, 2)), name="unbatched"))
samples("conv_transpose3d",
        Sample((r(1, 2, 2, 2, 1), r(2, 1, 2, 1, 2)), {"stride": (1, 2, 1)}))
samples("unfold",
        Sample((r(1, 2, 4, 3), (2, 2)), {"dilation": (1, 2), "padding": 1, "stride": (2, 1)}),
        Sample((r(2, 3, 3), 2), name="unbatched"))
samples("fold",
        Sample((r(1, 8, 4), (4, 3), 2), {"stride": (2, 1)}),
        Sample((r(4, 9), (5, 5), 2), {"padding": 1, "stride": 2}, name="unbatched"))

samples("max_pool1d",
        Sample((distinct(2, 2, 7), 3), {"stride": 2, "padding": 1, "ceil_mode": True}),
        Sample((distinct(2, 6), 2), {"dilation": 2}, name="unbatched"))
samples("max_pool2d",
        Sample((distinct(1, 2, 5, 5), 2),),
        Sample((distinct(1, 2, 6, 5), (3, 2)), {"stride": (2, 1), "padding": 1,
                                                "dilation": (1, 2), "ceil_mode": True},
               name="full"),
        Sample((distinct(2, 4, 4), 3), {"stride": 1, "padding": 1, "return_indices": True},
               name="unbatched-indices"))
samples("max_pool3d", Sample((distinct(1, 2, 3, 4, 3), 2), {"stride": 1}))
samples("avg_pool1d",
        Sample((r(2, 2, 7), 3), {"stride": 2, "padding": 1, "ceil_mode": True,
                                 "count_include_pad": False}))
samples("avg_pool2d",
        Sample((r(1, 2, 5, 5), 2),),
        Sample((r(1, 2, 6, 5), (3, 2)), {"stride": 2, "padding": 1, "ceil_mode": True},
               name="ceil-padded"),
        Sample((r(2, 4, 4), 3), {"stride": 1, "padding": 1, "count_include_pad": False},
               name="unbatched-no-pad-count"),
        Sample((r(1, 1, 4, 5), 2), {"divisor_override": 3}, name="divisor"))
samples("avg_pool3d", Sample((r(1, 2, 3, 4, 3), 2), {"stride": 1, "padding": 1}))
samples("adaptive_avg_pool1d", Sample((r(2, 2, 7), 3)))
samples("adaptive_avg_pool2d",
        Sample((r(1, 2, 5, 7), (3, 4)),),
        Sample((r(2, 5, 4), (None, 3)), name="unbatched-none"),
        Sample((r(1, 2, 3, 3), 1), name="mean"))
samples("adaptive_avg_pool3d", Sample((r(1, 1, 3, 5, 4), (2, 3, 3))))
samples("adaptive_max_pool1d", Sample((distinct(2, 2, 7), 3)))
samples("adaptive_max_pool2d",
        Sample((distinct(1, 2, 5, 7), (3, 4)),),
        Sample((distinct(2, 5, 4), 3, True), name="unbatched-indices"))
samples("adaptive_max_pool3d", Sample((distinct(1, 1, 3, 5, 4), (2, 3, 3))))

samples("interpolate",
        Sample((r(1, 2, 3, 2),), {"scale_factor": 2}, name="nearest"),
        Sample((r(1, 2, 5),), {"size": 7, "mode": "nearest-exact"}, name="nearest-exact"),
        Sample((r(1, 2, 4),), {"scale_factor": 1.7, "mode": "linear"}, name="linear"),
        Sample((r(1, 2, 3, 4),), {"size": (5, 3), "mode": "bilinear", "align_corners": True},
               name="bilinear-corners"),
        Sample((r(1, 1, 3, 3),), {"scale_factor": (1.5, 2.0), "mode": "bilinear"},
               name="bilinear"),
        Sample((r(1, 1, 3, 4),), {"size": (5, 3), "mode": "bicubic"}, name="bicubic"),
        Sample((r(1, 1, 2, 3, 2),), {"scale_factor": 1.5, "mode": "trilinear"},
               name="trilinear"),
        Sample((r(1, 2, 5, 4),), {"size": (3, 3), "mode": "area"}, name="area"))
