"""Issue 10's everyday ops are in the op table and listed by ``GET /v1/ops`` (as ops or
aliases), with a signature and a one-line doc."""

from __future__ import annotations

EVERYDAY = """
equal allclose isclose type one_hot repeat_interleave meshgrid argsort nonzero diag diag_embed
tril_indices logspace multinomial bernoulli normal_ uniform_ exponential_ random_ clamp_min
clamp_max new_ones new_zeros new_full new_tensor new_empty empty empty_like nelement t_ cdist
cosine_similarity pairwise_distance pad kl_div unique median mode quantile kthvalue histc
bucketize searchsorted cross trace kron tensordot baddbmm addmm addmv addcmul addcdiv lerp hypot
logaddexp logit xlogy sinc frac deg2rad conv1d conv2d conv_transpose2d max_pool1d max_pool2d
avg_pool1d avg_pool2d adaptive_avg_pool2d adaptive_max_pool2d unfold fold interpolate
linalg.norm linalg.vector_norm linalg.matrix_norm linalg.det linalg.slogdet linalg.inv
linalg.solve linalg.cholesky linalg.qr linalg.eigh linalg.svd linalg.svdvals linalg.pinv
linalg.lstsq linalg.matrix_exp any all isfinite
""".split()


def test_issue_10_ops_are_listed(client):
    ops = client.get("/v1/ops").json()["ops"]
    listed = {op["name"]: op for op in ops}
    for op in ops:
        for alias in op["aliases"]:
            listed[alias] = op
    missing = [n for n in EVERYDAY if n not in listed]
    assert not missing, missing
    for name in EVERYDAY:
        assert listed[name]["signature"] and listed[name]["doc"], name
