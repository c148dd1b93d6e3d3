"""Sparse COO tensors against torch 2.13: each program runs in the language and in CPython with
torch, and what it prints (values, reprs, gradients, nodes, layouts) and the error it ends
with (class and text) must be torch's. Gradients are gradchecked in float64, first and second
order."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import engine
from engine.ops import OPS
from tests.app.lang.conftest import our_cells, python_cells

SETUP = """\
import torch
i = torch.tensor([[0, 1, 1, 0], [2, 0, 2, 2]])
v = torch.tensor([3., 4., 5., 1.], requires_grad=True)
s = torch.sparse_coo_tensor(i, v, (2, 3))
D = torch.tensor([[1., -2.], [0.5, 3.], [2., 1.]], requires_grad=True)
"""

PROGRAMS = {
    "repr_and_attributes": "print(s)\nprint(s.is_sparse, s.layout, s.is_coalesced(), s._nnz())\n"
                           "print(s.shape, s.dtype, s.device, s.sparse_dim(), s.dense_dim())\n"
                           "print(D.is_sparse, D.layout, s.layout == torch.sparse_coo)",
    "coalesce": "c = s.coalesce()\nprint(c)\nprint(c.is_coalesced(), c.indices(), c.values())\n"
                "print(s._indices(), s._values())",
    "to_dense": "d = s.to_dense()\nprint(d)\n(d * torch.arange(6.).view(2, 3)).sum().backward()\n"
                "print(v.grad)",
    "sparse_mm": "o = torch.sparse.mm(s, D)\nprint(o)\no.pow(2).sum().backward()\n"
                 "print(v.grad)\nprint(D.grad)",
    "spmm_and_mm": "o = torch.spmm(s, D) + torch.mm(s, D) + s.mm(D) + s @ D\nprint(o)\n"
                   "o.sum().backward()\nprint(v.grad, D.grad)",
    "transpose": "print(s.t())\nprint(s.transpose(0, 1).grad_fn.name())\n"
                 "torch.sparse.mm(s.t(), torch.ones(2, 2)).sum().backward()\nprint(v.grad)",
    "scalar_products": "print(s * 2.5)\nprint(2 * s)\nprint(s / 2)\nprint(-s)\n"
                       "(3 * s).to_dense().sum().backward()\nprint(v.grad)",
    "sum_of_two": "b = torch.sparse_coo_tensor(torch.tensor([[1, 0], [1, 2]]), "
                  "torch.tensor([7., 8.]), (2, 3))\nprint(s + b)\n"
                  "print(s.coalesce() + b.coalesce())\nprint(s + s)\nprint(s - b)\n"
                  "(s + b).to_dense().sum().backward()\nprint(v.grad)",
    "dense_plus_sparse": "print(torch.ones(2, 3) + s)",
    "sparse_sum": "print(torch.sparse.sum(s))\nprint(torch.sparse.sum(s, 0))\n"
                  "print(torch.sparse.sum(s, dim=1))\nprint(torch.sparse.sum(s, (0, 1)))\n"
                  "torch.sparse.sum(s, 1).to_dense().pow(2).sum().backward()\nprint(v.grad)",
    "sparse_sum_all_grad": "torch.sparse.sum(s).backward()\nprint(v.grad)",
    "error_backward_twice": "torch.sparse.sum(s).backward()\ns.to_dense().sum().backward()",
    "to_sparse": "x = torch.tensor([[0., 1.5], [2., 0.], [0., 0.]], requires_grad=True)\n"
                 "xs = x.to_sparse()\nprint(xs)\nprint(x.detach().to_sparse(1))\n"
                 "torch.sparse.mm(xs.t(), torch.ones(3, 1)).sum().backward()\nprint(x.grad)",
    "sparse_leaf_grad": "a = torch.tensor([[0., 1.], [2., 0.]]).to_sparse().requires_grad_()\n"
                        "print(a)\n(a.to_dense() * torch.tensor([[1., 2.], [3., 4.]])).sum()"
                        ".backward()\nprint(a.grad)\n(a.to_dense() * 3).sum().backward()\n"
                        "print(a.grad)\nprint(a.grad.to_dense(), a.grad.is_sparse)",
    "leaf_from_constructor": "l = torch.sparse_coo_tensor(i, torch.tensor([3., 4., 5., 1.]), "
                             "(2, 3), requires_grad=True)\nprint(l)\n"
                             "torch.sparse.mm(l, D).sum().backward()\nprint(l.grad)\n"
                             "torch.mm(l, D).sum().backward()\nprint(l.grad)\nl.grad = None\n"
                             "(l @ D).sum().backward()\nprint(l.grad)",
    "leaf_grads_by_op": "def leaf():\n    return torch.tensor([[0., 2.], [1., 0.]]).to_sparse()"
                        ".requires_grad_()\n"
                        "a, b, c, d, e = leaf(), leaf(), leaf(), leaf(), leaf()\n"
                        "a.sum().backward()\nb.t().to_dense().sum().backward()\n"
                        "c.clone().to_dense().sum().backward()\n"
                        "(d * 2).to_dense().sum().backward()\n"
                        "(torch.ones(2, 2) + e).sum().backward()\n"
                        "for x in (a, b, c, d, e):\n    print(x.grad)",
    "values_grad": "c = s.coalesce()\nc.values().pow(2).sum().backward()\nprint(v.grad)",
    "dtypes": "print(torch.sparse_coo_tensor(i, torch.tensor([3, 4, 5, 1]), (2, 3)))\n"
              "print(torch.sparse_coo_tensor(i, torch.tensor([3., 4., 5., 1.], "
              "dtype=torch.float64)))\n"
              "print(torch.sparse_coo_tensor(i, [1., 2., 3., 4.], (2, 3), dtype=torch.float64))\n"
              "print(torch.sparse_coo_tensor(torch.zeros(2, 0, dtype=torch.long), torch.zeros(0),"
              " (2, 3)))",
    "default_dtype": "torch.set_default_dtype(torch.float64)\n"
                     "print(torch.sparse_coo_tensor(i, torch.tensor([3., 4., 5., 1.]), (2, 3)))\n"
                     "print(torch.sparse_coo_tensor(i, torch.tensor([3., 4., 5., 1.], "
                     "dtype=torch.float32), (2, 3)))\ntorch.set_default_dtype(torch.float32)",
    "summarized_and_element_formats": (
        "torch.manual_seed(0)\nx = (torch.rand(50, 60) < 0.4).float() * torch.randn(50, 60)\n"
        "print(x.to_sparse())\n"
        "print(torch.sparse_coo_tensor(torch.tensor([[0, 3]]), torch.tensor([[1e-8, 2.0], "
        "[3e5, 4.0]]), (5, 2)))\n"
        "print(torch.sparse_coo_tensor(torch.tensor([[0, 1]]), torch.tensor([True, False]), "
        "(3,)))\n"
        "print(torch.sparse_coo_tensor(torch.tensor([[0, 1]]), torch.tensor([1., 2.], "
        "dtype=torch.float16), (3,)))\n"
        "print(torch.sparse_coo_tensor(torch.tensor([[0, 1]]), torch.tensor([1., 2.], "
        "dtype=torch.float64), (3,), requires_grad=True))\n"
        "e = torch.sparse_coo_tensor(torch.zeros(1, 0, dtype=torch.long), torch.zeros(0, 2), "
        "(3, 2))\nprint(e, e.to_dense())"),
    "hybrid": "h = torch.sparse_coo_tensor(i, torch.tensor([[3., 4.], [5., 1.], [1., 1.], "
              "[2., 2.]]), (2, 3, 2))\nprint(h)\nprint(h.to_dense())",
    "dense_sparse_mm": "a = torch.tensor([[0., 2., 1.], [1., 0., 0.], [0., 0., 3.]]).to_sparse()"
                       ".requires_grad_()\nr = D.t() @ a\nprint(r)\nprint(torch.mm(D.t(), a))\n"
                       "r.pow(2).sum().backward()\nprint(a.grad)\nprint(D.grad)",
    "conversions": "print(s.detach().clone(), s.clone().grad_fn.name())\nprint(s.double())\n"
                   "print(s.to(torch.float64).grad_fn.name(), s.float().dtype, s.to('cpu') is s)\n"
                   "print(s.numel(), s.size(), s.dim(), len(s), s.is_contiguous(), s.sum())\n"
                   "print(s.detach().requires_grad, s.data.is_sparse)",
    "sum_with_dtype": "r = s.sum(dtype=torch.float64)\nprint(r)\nr.backward()\nprint(v.grad)",
    "error_numpy": "s.detach().numpy()",
    "error_tolist": "s.tolist()",
    "error_nbytes": "s.nbytes",
    "error_exp": "s.exp()",
    "error_view": "torch.exp(s)",
    "error_add_dense": "s + D.t()",
    "error_values_uncoalesced": "s.values()",
    "error_indices_uncoalesced": "s.indices()",
    "error_nnz_mismatch": "torch.sparse_coo_tensor(i, torch.tensor([1., 2.]), (2, 3))",
    "error_mm_shape": "torch.sparse.mm(s, torch.ones(4, 2))",
    "error_int_requires_grad": "torch.sparse_coo_tensor(i, torch.tensor([1, 2, 3, 4]), (2, 3), "
                               "requires_grad=True)",
}


def _same_error(ours, theirs) -> bool:
    if ours is None or theirs is None:
        return ours == theirs
    if ours[0] != theirs[0]:
        return False
    if theirs[1].startswith("Could not run"):  # (torch's list of backends follows)
        return theirs[1].startswith(ours[1])
    return ours[1] == theirs[1]


@pytest.mark.parametrize(("name", "form"), [(n, "source") for n in sorted(PROGRAMS)] + [
    (n, "json") for n in ("sparse_mm", "sparse_leaf_grad", "error_exp")])
def test_program_prints_what_torch_prints(name, form):
    cells = [SETUP, PROGRAMS[name]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (torch's note that sparse invariant checks are off)
        theirs = python_cells(cells)
    ours = our_cells(cells, form)
    assert ours[0] == theirs[0]
    assert "\n".join(ours[1][0]).splitlines() == theirs[1][0], name
    assert _same_error(ours[1][1], theirs[1][1]), (ours[1][1], theirs[1][1])


IDX = np.array([[0, 1, 1, 0, 2], [2, 0, 2, 2, 1]])


def _sparse(values):
    return OPS["sparse_coo_tensor"].fn(engine.tensor(IDX), values, (3, 3))


FUNCTIONS = {
    "to_dense": lambda v, d: _sparse(v).to_dense() * d[:, :1].t(),
    "sparse.mm": lambda v, d: OPS["sparse.mm"].fn(_sparse(v), d),
    "mm_of_transpose": lambda v, d: engine.mm(_sparse(v).t(), d),
    "scalar_and_sum": lambda v, d: (2.5 * _sparse(v) + _sparse(v * d[0, 0])).to_dense(),
    "sparse.sum": lambda v, d: OPS["sparse.sum"].fn(_sparse(v), 1).to_dense() * d[:, 0],
    "sparse.sum_all": lambda v, d: OPS["sparse.sum"].fn(_sparse(v * v)) * d,
    "values": lambda v, d: _sparse(v).coalesce().values() * d[0, 1],
    "to_sparse": lambda v, d: OPS["sparse.mm"].fn((d @ d.t()).to_sparse(), d) * v[0],
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_gradcheck_float64(name):
    rng = np.random.default_rng(0)
    v = engine.tensor(rng.uniform(-2, 2, 5), dtype=engine.float64, requires_grad=True)
    d = engine.tensor(rng.uniform(-2, 2, (3, 2)), dtype=engine.float64, requires_grad=True)
    f = FUNCTIONS[name]
    assert engine.autograd.gradcheck(f, (v, d))
    assert engine.autograd.gradgradcheck(f, (v, d))


def test_gradients_match_torch_in_float64():
    rng = np.random.default_rng(1)
    v0, d0 = rng.uniform(-2, 2, 5), rng.uniform(-2, 2, (3, 2))
    v = engine.tensor(v0, requires_grad=True)
    d = engine.tensor(d0, requires_grad=True)
    OPS["sparse.mm"].fn(_sparse(v), d).pow(2).sum().backward()
    tv = torch.tensor(v0, requires_grad=True)
    td = torch.tensor(d0, requires_grad=True)
    torch.sparse.mm(torch.sparse_coo_tensor(torch.tensor(IDX), tv, (3, 3)), td).pow(2).sum() \
        .backward()
    np.testing.assert_allclose(engine.to_numpy(v.grad), tv.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(engine.to_numpy(d.grad), td.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("indices", [[[0, 1, 1, 0], [2, 0, 2, 2]], [[0, -1], [2, 0]]])
def test_indices_out_of_range_fail_as_torchs_invariant_check(indices):
    values = [1.0] * len(indices[0])
    with pytest.raises(RuntimeError) as theirs:
        torch.sparse_coo_tensor(torch.tensor(indices), torch.tensor(values), (1, 3),
                                check_invariants=True)
    with pytest.raises(RuntimeError) as ours:
        OPS["sparse_coo_tensor"].fn(engine.tensor(indices), engine.tensor(values), (1, 3))
    assert str(ours.value) == str(theirs.value)


def test_memory_counts_indices_and_values():
    s = _sparse(engine.tensor(np.ones(5)))
    assert engine.held_bytes([s]) == IDX.astype(np.int64).nbytes + 5 * 8


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("coalesce", [False, True])
def test_sums_of_two_sparse_tensors_are_torchs(seed, coalesce):
    """torch adds by one merge pass over both entry lists (in their stored order, coalesced or
    not): the same entries, order and nnz."""
    rng = np.random.default_rng(seed)
    pairs = []
    for n in (7, 5):
        idx = rng.integers(0, 3, (2, n))
        val = rng.integers(-4, 5, n).astype(np.float32)
        val[0] = -0.0  # (torch's sums give 0., not -0.)
        ours = OPS["sparse_coo_tensor"].fn(engine.tensor(idx), engine.tensor(val), (3, 3))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = torch.sparse_coo_tensor(torch.tensor(idx), torch.tensor(val), (3, 3))
        if coalesce:
            ours, theirs = ours.coalesce(), theirs.coalesce()
        pairs.append((ours, theirs))
    (a, ta), (b, tb) = pairs
    assert repr(a + b) == repr(ta + tb)
    assert repr(a - b) == repr(ta - tb)
    assert (a + b).is_coalesced() == (ta + tb).is_coalesced()
