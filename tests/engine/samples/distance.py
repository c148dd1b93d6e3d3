"""cdist, pairwise_distance, cosine_similarity, kl_div. cdist's second derivative is refused
(as in PyTorch): first order only."""

import numpy as np

from . import Sample, samples

rng = np.random.default_rng(43)


def r(*shape):
    return rng.uniform(-2.0, 2.0, size=shape)


def prob(*shape):
    p = rng.uniform(0.1, 1.0, size=shape)
    return p / p.sum(axis=-1, keepdims=True)


samples("cdist",
        Sample((r(3, 4), r(5, 4)), second_order=False),
        Sample((r(3, 4), r(5, 4), 1.0), second_order=False, name="p1"),
        Sample((r(2, 3, 2), r(1, 4, 2), 3.0), second_order=False, name="p3-batched"),
        Sample((r(3, 2), r(2, 2), 1.5), second_order=False, name="p1.5"),
        Sample((r(3, 2), r(2, 2), 0.5), second_order=False, name="p0.5"),
        Sample((r(3, 2), r(2, 2)), {"compute_mode": "use_mm_for_euclid_dist"}, name="mm"),
        Sample((r(2, 3, 2), r(1, 3, 2)), {"compute_mode": "use_mm_for_euclid_dist"},
               name="mm-batched"))
samples("pairwise_distance",
        Sample((r(3, 4), r(3, 4))),
        Sample((r(3, 4), r(1, 4), 1.5), name="p1.5-broadcast"),
        Sample((r(4), r(4)), {"keepdim": True}, name="1-d"))
samples("cosine_similarity",
        Sample((r(3, 4), r(3, 4))),
        Sample((r(3, 4), r(1, 4), 0), name="dim0-broadcast"))
# torch.kl_div: the reduction as torch's enum (1 mean, 2 sum, others none); F.kl_div's names and
# "batchmean" are compared with torch in test_distance.py
samples("kl_div",
        Sample((np.log(prob(3, 4)), prob(3, 4)), {"reduction": 2}),
        Sample((np.log(prob(3, 4)), prob(3, 4)), {"reduction": 1}, name="mean"),
        Sample((np.log(prob(3, 4)), prob(3, 4)), name="default-none"),
        Sample((np.log(prob(3, 4)), np.log(prob(3, 4))),
               {"reduction": 0, "log_target": True}, name="log-target"))
