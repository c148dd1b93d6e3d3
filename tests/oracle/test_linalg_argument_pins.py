"""Every optional argument of the linalg, embedding/distance and indexing/scatter ops at a
non-default value, against torch 2.13 (values, dtypes, graphs, gradients, errors): an argument
accepted but ignored or half-honoured shows here (session 15's sweep)."""

import warnings

import numpy as np
import pytest

pytest.importorskip("torch")

from tests.engine.torch_compare import compare  # noqa: E402

rng = np.random.default_rng(0)
M = rng.standard_normal((3, 3))
S = M @ M.T + 3 * np.eye(3)
R = rng.standard_normal((4, 3))
Bt = rng.standard_normal((2, 3, 3))
V = rng.standard_normal((3, 4))
U = np.triu(M) + 2 * np.eye(3)
T6 = np.eye(6) + 0.1
CASES = {
    "norm ord=fro dim": lambda m, F, l: m.linalg.norm(l(R), "fro", dim=(0, 1), keepdim=True),
    "norm ord=nuc": lambda m, F, l: m.linalg.norm(l(R), "nuc"),
    "norm ord=-2": lambda m, F, l: m.linalg.norm(l(R), -2),
    "norm ord=3 vec dim": lambda m, F, l: m.linalg.norm(l(R), 3, dim=1, keepdim=True),
    "norm dtype": lambda m, F, l: m.linalg.norm(l(R, dtype=m.float32), dtype=m.float64),
    "vector_norm dtype": lambda m, F, l: m.linalg.vector_norm(
        l(R, dtype=m.float32), 1.5, dim=0, dtype=m.float64
    ),
    "vector_norm inf": lambda m, F, l: m.linalg.vector_norm(
        l(R), float("inf"), dim=(0,), keepdim=True
    ),
    "vector_norm 0": lambda m, F, l: m.linalg.vector_norm(l(R), 0),
    "matrix_norm 1 keepdim": lambda m, F, l: m.linalg.matrix_norm(
        l(Bt), 1, dim=(-1, -2), keepdim=True
    ),
    # (ord 1/inf casts inside the vector norm, not before it: no ToCopyBackward0)
    "matrix_norm -inf dtype": lambda m, F, l: m.linalg.matrix_norm(
        l(Bt, dtype=m.float32), -float("inf"), dtype=m.float64
    ),
    "matrix_norm 1 dtype keepdim": lambda m, F, l: m.linalg.matrix_norm(
        l(Bt, dtype=m.float32), 1, dim=(0, 2), keepdim=True, dtype=m.float64
    ),
    "matrix_norm 2 dtype": lambda m, F, l: m.linalg.matrix_norm(
        l(Bt, dtype=m.float32), 2, dtype=m.float64
    ),
    "matrix_norm 2": lambda m, F, l: m.linalg.matrix_norm(l(Bt), 2, dim=(0, 2)),
    "matrix_rank atol": lambda m, F, l: m.linalg.matrix_rank(l(R), atol=1.0),
    "matrix_rank rtol herm": lambda m, F, l: m.linalg.matrix_rank(l(S), rtol=0.3, hermitian=True),
    "matrix_rank tol": lambda m, F, l: m.linalg.matrix_rank(l(R), tol=1.0),
    "pinv atol": lambda m, F, l: m.linalg.pinv(l(R), atol=1.0),
    "pinv rtol herm": lambda m, F, l: m.linalg.pinv(l(S), rtol=0.3, hermitian=True),
    "pinv rcond": lambda m, F, l: m.linalg.pinv(l(R), rcond=0.3),
    "pinv atol tensor": lambda m, F, l: m.linalg.pinv(
        l(Bt), atol=m.tensor([0.1, 2.0], dtype=m.float64)
    ),
    "svd full": lambda m, F, l: m.linalg.svd(l(R), full_matrices=False)[1],
    "svdvals": lambda m, F, l: m.linalg.svdvals(l(R)),
    "eigh U": lambda m, F, l: m.linalg.eigh(l(M), UPLO="U")[0],
    "eigvalsh U": lambda m, F, l: m.linalg.eigvalsh(l(M), UPLO="U"),
    "cholesky upper": lambda m, F, l: m.linalg.cholesky(l(S), upper=True),
    "cholesky_ex upper": lambda m, F, l: m.linalg.cholesky_ex(l(S), upper=True, check_errors=True),
    "cholesky_ex fail": lambda m, F, l: m.linalg.cholesky_ex(l(M), check_errors=False),
    "qr r": lambda m, F, l: m.linalg.qr(l(R), mode="r"),
    "qr complete": lambda m, F, l: m.linalg.qr(l(R), mode="complete"),
    "solve left=False": lambda m, F, l: m.linalg.solve(l(S), l(V.T), left=False),
    "solve_ex left=False": lambda m, F, l: m.linalg.solve_ex(
        l(S), l(V.T), left=False, check_errors=True
    ),
    "lu_factor pivot": lambda m, F, l: m.linalg.lu_factor(l(S), pivot=True),
    "lu pivot": lambda m, F, l: m.linalg.lu(l(R), pivot=True),
    "lu_solve left adjoint": lambda m, F, l: m.linalg.lu_solve(
        *m.linalg.lu_factor(l(S)), l(V.T), left=False, adjoint=True
    ),
    "lu_solve adjoint": lambda m, F, l: m.linalg.lu_solve(
        *m.linalg.lu_factor(l(S)), l(V), adjoint=True
    ),
    "solve_triangular": lambda m, F, l: m.linalg.solve_triangular(
        l(U), l(V), upper=True, unitriangular=True
    ),
    "solve_triangular lower right": lambda m, F, l: m.linalg.solve_triangular(
        l(U.T), l(V.T), upper=False, left=False
    ),
    "solve_triangular upper ignores lower part": lambda m, F, l: m.linalg.solve_triangular(
        l(M + 4 * np.eye(3)), l(V), upper=True
    ),
    "cross dim": lambda m, F, l: m.linalg.cross(l(Bt), l(Bt[::-1].copy()), dim=1),
    "vecdot dim": lambda m, F, l: m.linalg.vecdot(l(Bt), l(Bt), dim=0),
    "diagonal": lambda m, F, l: m.linalg.diagonal(l(Bt), offset=1, dim1=0, dim2=2),
    "vander N": lambda m, F, l: m.linalg.vander(l(V[0]), N=6),
    "cond p": lambda m, F, l: m.linalg.cond(l(S), "nuc"),
    "cond -2": lambda m, F, l: m.linalg.cond(l(S), -2),
    "inv_ex": lambda m, F, l: m.linalg.inv_ex(l(S), check_errors=True),
    "tensorinv ind": lambda m, F, l: m.linalg.tensorinv(l(T6.reshape(6, 2, 3)), ind=1),
    "tensorsolve dims": lambda m, F, l: m.linalg.tensorsolve(
        l(T6.reshape(2, 3, 6)), l(np.ones((2, 3))), dims=None
    ),
    "tensorsolve dims2": lambda m, F, l: m.linalg.tensorsolve(
        l(T6.reshape(6, 2, 3)), l(np.ones(6)), dims=(0,)
    ),
    "householder": lambda m, F, l: m.linalg.householder_product(l(R), l(np.array([1.2, 0.5]))),
    "matrix_power neg": lambda m, F, l: m.linalg.matrix_power(l(S), -2),
    "multi_dot": lambda m, F, l: m.linalg.multi_dot([l(V[0]), l(S), l(V[:, 0])]),
    "slogdet": lambda m, F, l: m.linalg.slogdet(l(M)),
    "cholesky_solve upper": lambda m, F, l: m.cholesky_solve(
        l(V), m.linalg.cholesky(l(S), upper=True), upper=True
    ),
    "cholesky_inverse upper": lambda m, F, l: m.cholesky_inverse(
        m.linalg.cholesky(l(S), upper=True), upper=True
    ),
    "lu_unpack": lambda m, F, l: m.lu_unpack(*m.linalg.lu_factor(l(S)), unpack_data=False),
    "lu_unpack2": lambda m, F, l: m.lu_unpack(*m.linalg.lu_factor(l(S)), unpack_pivots=False),
    "svd some": lambda m, F, l: m.svd(l(R), some=False)[1],
    "svd compute_uv": lambda m, F, l: m.svd(l(R), compute_uv=False),
    "torch.norm p dim": lambda m, F, l: m.norm(l(R), p=3, dim=1, keepdim=True),
    "torch.norm dtype": lambda m, F, l: m.norm(l(R, dtype=m.float32), dtype=m.float64),
    "torch.norm fro dim": lambda m, F, l: m.norm(l(R), p="fro", dim=1),
    "matrix_exp": lambda m, F, l: m.linalg.matrix_exp(l(M)),
    "embedding padding": lambda m, F, l: F.embedding(m.tensor([0, 2, 1, 2]), l(R), padding_idx=2),
    "embedding neg padding": lambda m, F, l: F.embedding(
        m.tensor([0, 2, 1, 3]), l(R), padding_idx=-1
    ),
    "embedding sgbf": lambda m, F, l: F.embedding(
        m.tensor([0, 2, 1, 2]), l(R), scale_grad_by_freq=True
    ),
    "embedding max_norm": lambda m, F, l: F.embedding(
        m.tensor([0, 2, 1, 2]), l(R).clone(), max_norm=1.0, norm_type=1.0
    ),
    "one_hot": lambda m, F, l: F.one_hot(m.tensor([0, 2]), num_classes=5),
    "one_hot -1": lambda m, F, l: F.one_hot(m.tensor([0, 2]), -1),
    "embedding_bag max_norm": lambda m, F, l: F.embedding_bag(
        m.tensor([0, 2, 1, 2]),
        l(R).clone(),
        m.tensor([0, 2]),
        max_norm=1.0,
        norm_type=1.0,
        mode="sum",
    ),
    "embedding_bag sgbf mean": lambda m, F, l: F.embedding_bag(
        m.tensor([0, 2, 1, 2]), l(R), m.tensor([0, 2]), scale_grad_by_freq=True, mode="mean"
    ),
    "pdist p": lambda m, F, l: F.pdist(l(R), p=3),
    "cdist p": lambda m, F, l: m.cdist(l(R), l(V.T), p=1.5),
    "cdist compute_mode": lambda m, F, l: m.cdist(
        l(R), l(V.T), compute_mode="donot_use_mm_for_euclid_dist"
    ),
    "cosine_similarity eps dim": lambda m, F, l: F.cosine_similarity(
        l(R), l(R[::-1].copy()), dim=0, eps=1e-2
    ),
    "pairwise_distance": lambda m, F, l: F.pairwise_distance(
        l(R), l(R[::-1].copy()), p=1.0, eps=0.5, keepdim=True
    ),
    "normalize": lambda m, F, l: F.normalize(l(R), p=1.0, dim=0, eps=10.0),
}

RNG = np.random.default_rng(1)
X = RNG.standard_normal((4, 3))
Y = RNG.standard_normal((2, 3))
I = [0, 2, 0]
IDX2 = [[0, 1, 2], [2, 0, 0]]
SPARSE_CASES = {
    "scatter_reduce amax noself": lambda m, F, l: l(X).scatter_reduce(
        0, m.tensor(IDX2), l(Y), "amax", include_self=False
    ),
    "scatter_reduce mean noself": lambda m, F, l: l(X).scatter_reduce(
        0, m.tensor(IDX2), l(Y), "mean", include_self=False
    ),
    "scatter_reduce prod": lambda m, F, l: l(X).scatter_reduce(
        1, m.tensor(IDX2)[:, :2], l(Y), "prod"
    ),
    "scatter_reduce sum noself": lambda m, F, l: m.scatter_reduce(
        l(X), 0, m.tensor(IDX2), l(Y), reduce="sum", include_self=False
    ),
    "scatter reduce=multiply": lambda m, F, l: (
        l(X).detach().scatter(0, m.tensor(IDX2), l(Y).detach(), reduce="multiply")
    ),
    "scatter reduce=add value": lambda m, F, l: (
        l(X).detach().scatter(0, m.tensor(IDX2), 2.5, reduce="add")
    ),
    "scatter_add": lambda m, F, l: l(X).scatter_add(0, m.tensor(IDX2), l(Y)),
    # (alpha inside the one IndexAddBackward0 node: no MulBackward0)
    "index_add alpha": lambda m, F, l: l(X).index_add(
        0, m.tensor(I), l(np.ones((3, 3))), alpha=-2.5
    ),
    "index_reduce amin noself": lambda m, F, l: l(X).index_reduce(
        0, m.tensor(I), l(np.ones((3, 3))), "amin", include_self=False
    ),
    "index_reduce mean": lambda m, F, l: l(X).index_reduce(
        0, m.tensor(I), l(np.ones((3, 3))), "mean"
    ),
    "index_copy": lambda m, F, l: l(X).index_copy(1, m.tensor([2, 0]), l(np.ones((4, 2)))),
    "index_fill": lambda m, F, l: l(X).index_fill(1, m.tensor([2, 0]), -1.5),
    "bincount weights minlength": lambda m, F, l: m.bincount(
        m.tensor([0, 2, 2]), weights=l(np.array([0.5, 1.0, 2.0])), minlength=5
    ),
    "histc": lambda m, F, l: m.histc(l(X).detach(), bins=4, min=-1, max=1),
    "take": lambda m, F, l: m.take(l(X), m.tensor([0, 11, -1])),
    "take_along_dim": lambda m, F, l: m.take_along_dim(l(X), m.tensor([[0], [2], [1], [0]]), dim=1),
    "take_along_dim none": lambda m, F, l: m.take_along_dim(l(X), m.tensor([0, 5])),
    "put accumulate": lambda m, F, l: l(X).put(
        m.tensor([0, 0, 5]), l(np.array([1.0, 2.0, 3.0])), accumulate=True
    ),
    "index_put accumulate": lambda m, F, l: l(X).index_put(
        (m.tensor([0, 0]),), l(np.ones((2, 3))), accumulate=True
    ),
    "gather sparse_grad": lambda m, F, l: m.gather(
        l(X), 1, m.tensor([[0], [2], [1], [0]]), sparse_grad=False
    ),
    "index_select": lambda m, F, l: m.index_select(l(X), 1, m.tensor([2, 2])),
    "masked_scatter": lambda m, F, l: l(X).masked_scatter(
        m.tensor([[True, False, True]]), l(np.arange(12.0).reshape(4, 3))
    ),
    "one_hot big": lambda m, F, l: F.one_hot(m.tensor([[0, 2], [1, 1]]), num_classes=4),
    "embedding_bag psw 2d sgbf": lambda m, F, l: F.embedding_bag(
        m.tensor([[0, 2], [1, 1]]),
        l(X),
        mode="sum",
        per_sample_weights=l(np.ones((2, 2)) * 0.5),
        scale_grad_by_freq=True,
    ),
    "embedding 2d padding max_norm": lambda m, F, l: F.embedding(
        m.tensor([[0, 2], [3, 3]]), l(X).clone(), padding_idx=3, max_norm=0.5, norm_type=2.0
    ),
    "sparse-ish: nonzero as_tuple": lambda m, F, l: m.nonzero(
        m.tensor([[0, 1], [2, 0]]), as_tuple=True
    ),
    "argwhere": lambda m, F, l: m.argwhere(m.tensor([[0, 1], [2, 0]])),
    "unique sorted inverse counts dim": lambda m, F, l: m.unique(
        m.tensor([[1, 2], [1, 2], [0, 5]]),
        sorted=True,
        return_inverse=True,
        return_counts=True,
        dim=0,
    ),
    "unique_consecutive": lambda m, F, l: m.unique_consecutive(
        m.tensor([1, 1, 2, 2, 1]), return_inverse=True, return_counts=True
    ),
    "repeat_interleave output_size": lambda m, F, l: m.repeat_interleave(
        l(Y), m.tensor([1, 2]), dim=0, output_size=3
    ),
    "searchsorted right sorter": lambda m, F, l: m.searchsorted(
        m.tensor([3.0, 1.0, 2.0]), m.tensor([2.0, 2.5]), right=True, sorter=m.tensor([1, 2, 0])
    ),
    "searchsorted side": lambda m, F, l: m.searchsorted(
        m.tensor([1.0, 2.0, 2.0]), m.tensor([2.0]), side="right", out_int32=True
    ),
    "bucketize": lambda m, F, l: m.bucketize(
        m.tensor([2.0, 0.5]), m.tensor([1.0, 2.0]), out_int32=True, right=True
    ),
    "tril_indices offset": lambda m, F, l: m.tril_indices(3, 4, offset=-1),
    "triu_indices offset": lambda m, F, l: m.triu_indices(4, 3, offset=1, dtype=m.int32),
    "cumsum dtype": lambda m, F, l: m.cumsum(l(X, dtype=m.float32), 0, dtype=m.float64),
    "diag_embed": lambda m, F, l: m.diag_embed(l(Y), offset=-1, dim1=0, dim2=2),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_optional_argument_as_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(CASES[name])


@pytest.mark.parametrize("name", sorted(SPARSE_CASES))
def test_indexing_optional_argument_as_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(SPARSE_CASES[name])
