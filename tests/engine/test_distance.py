"""cdist, pairwise_distance, cosine_similarity, kl_div compared with torch 2.13: values,
dtypes, node chains, gradients, errors and warnings."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

pytest.importorskip("torch")

from tests.engine.torch_compare import compare  # noqa: E402

rng = np.random.default_rng(41)
A = [[1.0, 2.0, 3.0], [0.0, -1.0, 2.0]]
B = [[1.0, 0.0, 3.5], [2.0, 2.0, 2.0], [0.5, 0.0, 1.0]]
BIG1, BIG2 = rng.normal(size=(30, 3)).tolist(), rng.normal(size=(4, 3)).tolist()
INP = [[-1.2, -0.5, -2.0], [-0.1, -3.0, -0.7]]
TGT = [[0.2, 0.5, 0.3], [0.0, 0.1, 0.9]]


def quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


CASES = {
    "cdist": lambda m, F, leaf: m.cdist(leaf(A), leaf(B)),
    "cdist-p1": lambda m, F, leaf: m.cdist(leaf(A), leaf(B), p=1),
    "cdist-p0": lambda m, F, leaf: m.cdist(leaf(A), leaf(B), p=0),
    "cdist-pinf": lambda m, F, leaf: m.cdist(leaf(A), leaf(B), p=float("inf")),
    "cdist-p3": lambda m, F, leaf: m.cdist(leaf(A), leaf(B), p=3),
    "cdist-p1.5": lambda m, F, leaf: m.cdist(leaf(A), leaf(B), p=1.5),
    "cdist-p0.5": lambda m, F, leaf: m.cdist(leaf(A), leaf(B), p=0.5),
    "cdist-zero-distance": lambda m, F, leaf: m.cdist(leaf([[0.0, 0.0], [1.0, 1.0]]),
                                                      leaf([[0.0, 0.0], [1.0, 2.0]])),
    "cdist-batched": lambda m, F, leaf: m.cdist(leaf([A, A]), leaf([B])),
    "cdist-f32": lambda m, F, leaf: m.cdist(leaf(A, m.float32), leaf(B, m.float32)),
    "cdist-mm": lambda m, F, leaf: m.cdist(leaf(A), leaf(B),
                                           compute_mode="use_mm_for_euclid_dist"),
    "cdist-many-rows": lambda m, F, leaf: m.cdist(leaf(BIG1), leaf(BIG2)),
    "cdist-many-rows-batched": lambda m, F, leaf: m.cdist(leaf([BIG1, BIG1]), leaf([BIG2])),
    "cdist-many-rows-direct": lambda m, F, leaf: m.cdist(
        leaf(BIG1), leaf(BIG2), compute_mode="donot_use_mm_for_euclid_dist"),
    "cdist-empty": lambda m, F, leaf: m.cdist(m.ones(0, 3), m.ones(2, 3)),
    "cdist-1d": lambda m, F, leaf: m.cdist(m.ones(3), m.ones(3)),
    "cdist-columns": lambda m, F, leaf: m.cdist(m.ones(2, 3), m.ones(2, 4)),
    "cdist-negative-p": lambda m, F, leaf: m.cdist(m.ones(2, 3), m.ones(2, 3), p=-1),
    "cdist-int": lambda m, F, leaf: m.cdist(m.ones(2, 3, dtype=m.int64), m.ones(2, 3)),
    "cdist-int2": lambda m, F, leaf: m.cdist(m.ones(2, 3), m.ones(2, 3, dtype=m.int64)),
    "cdist-dtypes": lambda m, F, leaf: m.cdist(m.ones(2, 3), m.ones(2, 3, dtype=m.float64)),
    "cdist-half": lambda m, F, leaf: m.cdist(m.ones(2, 3, dtype=m.float16),
                                             m.ones(2, 3, dtype=m.float16)),
    "cdist-mode": lambda m, F, leaf: m.cdist(m.ones(2, 3), m.ones(2, 3), compute_mode="foo"),
    "cdist-batch-mismatch": lambda m, F, leaf: m.cdist(m.ones(2, 2, 3), m.ones(3, 2, 3)),
    "cosine_similarity": lambda m, F, leaf: F.cosine_similarity(leaf(A), leaf(B[:2])),
    "cosine_similarity-dim0": lambda m, F, leaf: F.cosine_similarity(leaf(A), leaf(B[:2]),
                                                                     dim=0),
    "cosine_similarity-bcast": lambda m, F, leaf: F.cosine_similarity(leaf(A), leaf(B[:1])),
    "cosine_similarity-zero": lambda m, F, leaf: F.cosine_similarity(leaf([[0.0, 0.0, 0.0]]),
                                                                     leaf(B[:1])),
    "cosine_similarity-eps": lambda m, F, leaf: F.cosine_similarity(leaf(A), leaf(B[:2]),
                                                                    eps=5.0),
    "cosine_similarity-1d": lambda m, F, leaf: F.cosine_similarity(leaf([1.0, 2.0]),
                                                                   leaf([2.0, 1.0]), dim=0),
    "cosine_similarity-int": lambda m, F, leaf: F.cosine_similarity(m.tensor([[1, 2]]),
                                                                    m.tensor([[2, 1]])),
    "cosine_similarity-dtypes": lambda m, F, leaf: F.cosine_similarity(
        leaf([[1.0, 2.0]], m.float32), leaf([[2.0, 1.0]])),
    "cosine_similarity-shapes": lambda m, F, leaf: F.cosine_similarity(m.ones(2, 3),
                                                                       m.ones(2, 4)),
    "pairwise_distance": lambda m, F, leaf: F.pairwise_distance(leaf(A), leaf(B[:2])),
    "pairwise_distance-p1": lambda m, F, leaf: F.pairwise_distance(leaf(A), leaf(B[:2]), p=1),
    # a 0-norm counts nonzeros: no gradient at all (None), as torch
    "pairwise_distance-p0": lambda m, F, leaf: F.pairwise_distance(leaf(A), leaf(B[:2]), p=0),
    "vector_norm-ord0": lambda m, F, leaf: m.linalg.vector_norm(leaf(A), 0, dim=1),
    "norm-p0-plus": lambda m, F, leaf: (lambda x: x.norm(0) + x.sum())(leaf(A)),
    "vector_norm-inf-empty-dim":
        lambda m, F, leaf: m.linalg.vector_norm(m.ones(3, 0, 0), -math.inf, dim=(2, 1)),
    "vector_norm-inf-empty": lambda m, F, leaf: m.linalg.vector_norm(m.ones(3, 0), math.inf),
    "pairwise_distance-inf-empty":
        lambda m, F, leaf: F.pairwise_distance(m.ones(2, 0), m.ones(2, 0), p=math.inf),
    "pairwise_distance-keepdim": lambda m, F, leaf: F.pairwise_distance(leaf(A), leaf(B[:2]),
                                                                        keepdim=True),
    "pairwise_distance-same": lambda m, F, leaf: F.pairwise_distance(leaf(A), leaf(A)),
    "pairwise_distance-1d": lambda m, F, leaf: F.pairwise_distance(leaf([1.0, 2.0]),
                                                                   leaf([2.0, 1.0])),
    "pairwise_distance-bcast": lambda m, F, leaf: F.pairwise_distance(leaf(A), leaf(B[:1])),
    "pairwise_distance-pinf": lambda m, F, leaf: F.pairwise_distance(leaf(A), leaf(B[:2]),
                                                                     p=float("inf")),
    "pairwise_distance-0d": lambda m, F, leaf: F.pairwise_distance(leaf(1.0), leaf(2.0)),
    "pairwise_distance-int": lambda m, F, leaf: F.pairwise_distance(m.tensor([[1, 2]]),
                                                                    m.tensor([[2, 1]])),
    "kl_div-none": lambda m, F, leaf: F.kl_div(leaf(INP), leaf(TGT), reduction="none"),
    "kl_div-sum": lambda m, F, leaf: F.kl_div(leaf(INP), leaf(TGT), reduction="sum"),
    "kl_div-mean": lambda m, F, leaf: quiet(lambda: F.kl_div(leaf(INP), leaf(TGT))),
    "kl_div-batchmean": lambda m, F, leaf: F.kl_div(leaf(INP), leaf(TGT),
                                                    reduction="batchmean"),
    "kl_div-log-target": lambda m, F, leaf: F.kl_div(leaf(INP), leaf(INP[::-1]),
                                                     reduction="sum", log_target=True),
    "kl_div-log-target-none": lambda m, F, leaf: F.kl_div(leaf(INP), leaf(INP[::-1]),
                                                          reduction="none", log_target=True),
    "kl_div-legacy": lambda m, F, leaf: quiet(lambda: F.kl_div(leaf(INP), leaf(TGT),
                                                               size_average=False)),
    "kl_div-legacy-reduce": lambda m, F, leaf: quiet(lambda: F.kl_div(leaf(INP), leaf(TGT),
                                                                      reduce=False)),
    "kl_div-bcast": lambda m, F, leaf: F.kl_div(leaf(INP), leaf(TGT[:1]), reduction="sum"),
    "kl_div-dtypes": lambda m, F, leaf: F.kl_div(leaf(INP, m.float32), leaf(TGT),
                                                 reduction="sum"),
    "kl_div-0d-batchmean": lambda m, F, leaf: F.kl_div(leaf(-1.0), leaf(0.5),
                                                       reduction="batchmean"),
    "kl_div-zero-target": lambda m, F, leaf: F.kl_div(leaf([-1.0, -2.0]), leaf([0.0, 0.5]),
                                                      reduction="sum"),
    "kl_div-bad-reduction": lambda m, F, leaf: F.kl_div(leaf(INP), leaf(TGT), reduction="foo"),
    "kl_div-int": lambda m, F, leaf: F.kl_div(leaf(INP), m.tensor([[0, 1, 0], [1, 0, 0]]),
                                              reduction="sum"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    compare(CASES[name], rtol=1e-5 if "many-rows" in name else 0.0)


def test_kl_div_mean_warns_as_torch_does():
    import engine
    import engine.nn.functional as F

    with pytest.warns(UserWarning, match="^reduction: 'mean' divides the total loss by both"):
        F.kl_div(engine.tensor([-1.0]), engine.tensor([0.5]))
    with warnings.catch_warnings():  # torch.kl_div (the reduction as an enum) does not warn
        warnings.simplefilter("error")
        engine.kl_div(engine.tensor([-1.0]), engine.tensor([0.5]))


KL_ENUM_CASES = {  # torch.kl_div: reduction is torch's enum; its argument checks
    "mean": lambda m: m.kl_div(m.tensor(INP), m.tensor(TGT)),
    "none": lambda m: m.kl_div(m.tensor(INP), m.tensor(TGT), 0),
    "sum": lambda m: m.kl_div(m.tensor(INP), m.tensor(TGT), reduction=2),
    "other-is-none": lambda m: m.kl_div(m.tensor(INP), m.tensor(TGT), reduction=5),
    "log-target": lambda m: m.kl_div(m.tensor(INP), m.tensor(INP), 2, log_target=True),
    "name-positional": lambda m: m.kl_div(m.tensor(INP), m.tensor(TGT), "mean"),
    "name-keyword": lambda m: m.kl_div(m.tensor(INP), m.tensor(TGT), reduction="sum"),
    "bool": lambda m: m.kl_div(m.tensor(INP), m.tensor(TGT), reduction=True),
    "float": lambda m: m.kl_div(m.tensor(INP), m.tensor(TGT), 1.0),
    "log-target-int": lambda m: m.kl_div(m.tensor(INP), m.tensor(TGT), log_target=1),
    "four-positional": lambda m: m.kl_div(m.tensor(INP), m.tensor(TGT), 1, True),
    "size-average": lambda m: m.kl_div(m.tensor(INP), m.tensor(TGT), size_average=None),
    "number-input": lambda m: m.kl_div(1.0, m.tensor(TGT)),
}


@pytest.mark.parametrize("name", list(KL_ENUM_CASES))
def test_torch_kl_div_takes_the_reduction_enum(name):
    compare(lambda m, F, leaf: KL_ENUM_CASES[name](m))


def test_cdist_second_derivative_is_refused_as_in_torch():
    import torch

    import engine

    for lib in (torch, engine):
        x = lib.tensor(A, requires_grad=True)
        d = lib.cdist(x, lib.tensor(B))
        (g,) = (torch.autograd.grad if lib is torch else engine.grad)(d.sum(), [x],
                                                                       create_graph=True)
        assert g.grad_fn.name() == "CdistBackwardBackward0"
        with pytest.raises(NotImplementedError,
                           match="^the derivative for '_cdist_backward' is not implemented.$"):
            g.sum().backward()


def test_cdist_forward_mode_is_refused_as_in_torch():
    import torch
    import torch.autograd.forward_ad as torch_fw

    import engine
    import engine.autograd.forward_ad as fw

    texts = []
    for lib, fwad in ((torch, torch_fw), (engine, fw)):
        with fwad.dual_level():
            x = fwad.make_dual(lib.tensor(A), lib.ones(2, 3))
            with pytest.raises(NotImplementedError) as info:
                lib.cdist(x, lib.tensor(B))
            texts.append(str(info.value))
    assert texts[0] == texts[1]
    with fw.dual_level():  # the matrix-product form has a tangent, as in PyTorch
        x = fw.make_dual(engine.tensor(A), engine.ones(2, 3))
        out = engine.cdist(x, engine.tensor(B), compute_mode="use_mm_for_euclid_dist")
        assert fw.unpack_dual(out).tangent is not None
