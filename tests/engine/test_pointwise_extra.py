"""hypot, logaddexp(2), xlogy, logit, sinc, deg2rad, rad2deg, clamp_min, clamp_max: values,
dtypes, node names, gradients and errors compared with torch 2.13 run side by side."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from tests.engine.torch_compare import compare  # noqa: E402

NAN, INF = float("nan"), float("inf")
X = [0.5, -2.0, 3.0, 0.0]
Y = [1.5, 2.0, -0.25, 0.0]

CASES = {
    # two tensors, promotion, broadcasting, 0-d, ints refused
    "hypot": lambda m, F, leaf: m.hypot(leaf(X), leaf(Y)),
    "hypot-f32-int": lambda m, F, leaf: m.hypot(leaf(X, m.float32), m.tensor([1, 2, 3, 4])),
    "hypot-bcast": lambda m, F, leaf: m.hypot(leaf([[1.0], [2.0]]), leaf([3.0, 4.0, 5.0])),
    "hypot-half": lambda m, F, leaf: m.hypot(m.tensor([3.0, 1e4], dtype=m.float16),
                                            m.tensor([4.0, 1e4], dtype=m.float16)),
    "hypot-int": lambda m, F, leaf: m.hypot(m.tensor([1]), m.tensor([2])),
    "hypot-bool": lambda m, F, leaf: m.hypot(m.tensor([True]), m.tensor([False])),
    "hypot-scalar": lambda m, F, leaf: m.hypot(leaf(X), 2.0),
    "hypot-scalar-first": lambda m, F, leaf: m.hypot(2.0, leaf(X)),
    "hypot-method": lambda m, F, leaf: leaf(X).hypot(leaf(Y)),
    "hypot_": lambda m, F, leaf: (leaf(X) * 1).hypot_(leaf(Y)),
    "hypot_-int": lambda m, F, leaf: m.tensor([1, 2]).hypot_(m.tensor([1.0, 2.0])),
    "logaddexp": lambda m, F, leaf: m.logaddexp(leaf(X), leaf(Y)),
    "logaddexp-inf": lambda m, F, leaf: m.logaddexp(m.tensor([INF, -INF, 1e4]),
                                                    m.tensor([INF, -INF, 1e4])),
    "logaddexp-0d": lambda m, F, leaf: m.logaddexp(leaf(X, m.float32), m.tensor(2)),
    "logaddexp-int": lambda m, F, leaf: m.logaddexp(m.tensor([1]), m.tensor([2])),
    "logaddexp-scalar": lambda m, F, leaf: m.logaddexp(leaf(X), 1),
    "logaddexp2": lambda m, F, leaf: m.logaddexp2(leaf(X), leaf(Y)),
    "logaddexp2-method": lambda m, F, leaf: leaf(X).logaddexp2(leaf(Y, m.float64)),
    "logaddexp2-half": lambda m, F, leaf: m.logaddexp2(m.tensor([1.0], dtype=m.float16),
                                                       m.tensor([3.0], dtype=m.float16)),
    # xlogy: three forms with three node names; ints compute in float
    "xlogy": lambda m, F, leaf: m.xlogy(leaf([0.0, 0.0, 1.0, 2.0, 0.5]),
                                        leaf([0.0, 1.0, 0.0, 3.0, 0.25])),
    "xlogy-nan": lambda m, F, leaf: m.xlogy(m.tensor([0.0, 0.0, 1.0]),
                                            m.tensor([0.0, NAN, 0.0])),
    "xlogy-zero-self": lambda m, F, leaf: m.xlogy(leaf([0.0] * 7), leaf(
        [0.3, 0.0, -2.0, float("nan"), float("inf"), 1.0, 2.0])),
    "xlogy-scalar-self": lambda m, F, leaf: m.xlogy(2, leaf([1.0, 2.0, 3.0])),
    "xlogy-scalar-other": lambda m, F, leaf: m.xlogy(leaf([1.0, 0.0, 3.0]), 2),
    "xlogy-int": lambda m, F, leaf: m.xlogy(m.tensor([1, 2, 0]), m.tensor([1, 2, 3])),
    "xlogy-bool": lambda m, F, leaf: m.xlogy(m.tensor([True, False]), m.tensor([True, True])),
    "xlogy-int-scalar": lambda m, F, leaf: m.xlogy(2, m.tensor([1, 2])),
    "xlogy-numbers": lambda m, F, leaf: m.xlogy(2.0, 3.0),
    "xlogy_": lambda m, F, leaf: (leaf([1.0, 2.0]) * 1).xlogy_(leaf([0.5, 4.0])),
    "xlogy_-scalar": lambda m, F, leaf: m.tensor([1.0, 2.0]).xlogy_(2),
    "xlogy_-int": lambda m, F, leaf: m.tensor([1, 2]).xlogy_(m.tensor([1.0, 2.0])),
    # logit with and without eps (gradients 0 / NaN outside the range)
    "logit": lambda m, F, leaf: m.logit(leaf([0.0, 0.05, 0.3, 1.0, 0.1, 0.9, -1.0, 2.0])),
    "logit-eps": lambda m, F, leaf: m.logit(leaf([0.0, 0.05, 0.3, 1.0, 0.1, 0.9, -1.0]),
                                            eps=0.1),
    "logit-eps-positional": lambda m, F, leaf: m.logit(leaf([0.2, 0.5]), 0.3),
    "logit-eps-negative": lambda m, F, leaf: m.logit(leaf([0.2, 1.2, -0.5]), -1.0),
    "logit-int": lambda m, F, leaf: m.logit(m.tensor([0, 1])),
    "logit-bool": lambda m, F, leaf: m.logit(m.tensor([True, False])),
    "logit_": lambda m, F, leaf: m.tensor([0.25, 0.5]).logit_(),
    "logit_-eps": lambda m, F, leaf: (leaf([0.01, 0.5]) * 1).logit_(0.1),
    "logit_-int": lambda m, F, leaf: m.tensor([1, 2]).logit_(),
    # sinc (1 at 0, gradient 0 there), degrees and radians
    "sinc": lambda m, F, leaf: m.sinc(leaf([0.0, 0.5, -1.5, 2.25, 1.0])),
    "sinc-f32": lambda m, F, leaf: m.sinc(leaf([1.0, 2.0, 3.0], m.float32)),
    "sinc-int": lambda m, F, leaf: m.sinc(m.tensor([0, 1, 2])),
    "sinc-bool": lambda m, F, leaf: m.sinc(m.tensor([True, False])),
    "sinc-half": lambda m, F, leaf: m.sinc(m.tensor([0.5, 1.0, 2.0], dtype=m.float16)),
    "sinc_": lambda m, F, leaf: m.tensor([0.5]).sinc_(),
    "sinc_-int": lambda m, F, leaf: m.tensor([1]).sinc_(),
    "deg2rad": lambda m, F, leaf: m.deg2rad(leaf([0.0, 90.0, -180.0])),
    "deg2rad-int": lambda m, F, leaf: m.deg2rad(m.tensor([0, 90, 180])),
    "deg2rad-half": lambda m, F, leaf: m.deg2rad(m.tensor([90.0], dtype=m.float16)),
    "deg2rad_": lambda m, F, leaf: (leaf([90.0]) * 1).deg2rad_(),
    "deg2rad_-int": lambda m, F, leaf: m.tensor([90]).deg2rad_(),
    "rad2deg": lambda m, F, leaf: leaf([0.0, 1.0, -3.0]).rad2deg(),
    "rad2deg-bool": lambda m, F, leaf: m.rad2deg(m.tensor([True, False])),
    "rad2deg_": lambda m, F, leaf: m.tensor([1.0]).rad2deg_(),
    # clamp_min / clamp_max: scalar (Backward0) and tensor (Backward1) bounds, ties, NaN
    "clamp_min": lambda m, F, leaf: m.clamp_min(leaf([1.0, 2.0, 3.0]), 2.0),
    "clamp_min-tensor": lambda m, F, leaf: m.clamp_min(leaf([1.0, 2.0, 3.0]),
                                                       leaf([2.0, 2.0, 2.0])),
    "clamp_min-bcast": lambda m, F, leaf: m.clamp_min(leaf([1.0, 2.0]), leaf([[1.5], [0.0]])),
    "clamp_min-kw": lambda m, F, leaf: m.clamp_min(leaf([1.0, 2.0, 3.0]), min=2),
    "clamp_min-int-float": lambda m, F, leaf: m.clamp_min(m.tensor([1, 2, 3]), 2.5),
    "clamp_min-int-tensor": lambda m, F, leaf: m.clamp_min(m.tensor([1, 2]),
                                                           m.tensor([2.5])),
    "clamp_min-bool": lambda m, F, leaf: m.clamp_min(m.tensor([True, False]), 0),
    "clamp_min-nan": lambda m, F, leaf: m.clamp_min(m.tensor([NAN, 2.0]), 1.0),
    "clamp_min-nan-bound": lambda m, F, leaf: m.clamp_min(m.tensor([1.0, 2.0]), NAN),
    "clamp_min-nan-tensor": lambda m, F, leaf: m.clamp_min(m.tensor([1.0, 2.0]),
                                                           m.tensor([NAN, 1.0])),
    "clamp_min-half": lambda m, F, leaf: m.clamp_min(m.tensor([1.0, 2.0], dtype=m.float16),
                                                     1.5),
    "clamp_min-method": lambda m, F, leaf: leaf([1.0, 2.0, 3.0]).clamp_min(2),
    "clamp_max": lambda m, F, leaf: m.clamp_max(leaf([1.0, 2.0, 3.0]), 2.0),
    "clamp_max-tensor": lambda m, F, leaf: m.clamp_max(leaf([1.0, 2.0, 3.0]),
                                                       leaf([2.0, 2.0, 2.0])),
    "clamp_max-kw": lambda m, F, leaf: m.clamp_max(leaf([1.0, 2.0, 3.0]), max=2),
    "clamp_max-none": lambda m, F, leaf: m.clamp_max(leaf([1.0]), None),
    "clamp_min_": lambda m, F, leaf: (leaf([1.0, 2.0, 3.0]) * 1).clamp_min_(2.5),
    "clamp_min_-tensor": lambda m, F, leaf: (leaf([1.0, 2.0]) * 1).clamp_min_(leaf([1.5, 1.5])),
    "clamp_max_": lambda m, F, leaf: (leaf([1.0, 2.0, 3.0]) * 1).clamp_max_(2.5),
    "clamp_min_-int-scalar": lambda m, F, leaf: m.tensor([1, 2]).clamp_min_(2.5),
    "clamp_max_-int-scalar": lambda m, F, leaf: m.tensor([1, 2]).clamp_max_(2.5),
    "clamp_min_-int-tensor": lambda m, F, leaf: m.tensor([1, 2]).clamp_min_(m.tensor(2.5)),
    "clamp_min_-bool": lambda m, F, leaf: m.tensor([True]).clamp_min_(0),
    "clamp_min_-leaf": lambda m, F, leaf: leaf([1.0]).clamp_min_(0),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    compare(CASES[name])
