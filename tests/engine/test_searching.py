"""argsort, nonzero, argwhere, count_nonzero, searchsorted, bucketize, histc, unique,
unique_consecutive compared with torch 2.13 (values, dtypes, shapes, errors, nodes)."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from tests.engine.torch_compare import compare  # noqa: E402

NAN, INF = float("nan"), float("inf")
X = [[3.0, 1.0, 2.0, 1.0], [0.0, 5.0, -1.0, 5.0]]
B = [1, 3, 5, 7, 9]

CASES = {
    "argsort": lambda m, F, leaf: m.argsort(leaf(X)),
    "argsort-dim0-desc": lambda m, F, leaf: m.argsort(m.tensor(X), dim=0, descending=True),
    "argsort-stable": lambda m, F, leaf: m.argsort(m.tensor(X), stable=True),
    "argsort-positional": lambda m, F, leaf: m.argsort(m.tensor(X), 1, True),
    "argsort-0d": lambda m, F, leaf: m.argsort(m.tensor(1.0)),
    "argsort-bool": lambda m, F, leaf: m.argsort(m.tensor([True, False, True])),
    "argsort-nan": lambda m, F, leaf: m.argsort(m.tensor([NAN, 1.0, -INF])),
    "argsort-method": lambda m, F, leaf: m.tensor([3, 1, 2]).argsort(),
    "nonzero": lambda m, F, leaf: m.nonzero(leaf(X)),
    "nonzero-tuple": lambda m, F, leaf: m.nonzero(m.tensor(X), as_tuple=True),
    "nonzero-0d": lambda m, F, leaf: m.nonzero(m.tensor(3.0)),
    "nonzero-0d-zero": lambda m, F, leaf: m.nonzero(m.tensor(0.0)),
    "nonzero-0d-tuple": lambda m, F, leaf: m.nonzero(m.tensor(3.0), as_tuple=True),
    "nonzero-0d-zero-tuple": lambda m, F, leaf: m.nonzero(m.tensor(0.0), as_tuple=True),
    "nonzero-bool": lambda m, F, leaf: m.nonzero(m.tensor([True, False, True])),
    "nonzero-empty": lambda m, F, leaf: m.nonzero(m.zeros(2, 0)),
    "nonzero-nan": lambda m, F, leaf: m.nonzero(m.tensor([NAN, 0.0])),
    "nonzero-method": lambda m, F, leaf: m.tensor([0, 2, 0, 3]).nonzero(),
    "argwhere": lambda m, F, leaf: m.argwhere(m.tensor(X)),
    "count_nonzero": lambda m, F, leaf: m.count_nonzero(m.tensor(X)),
    "count_nonzero-dim": lambda m, F, leaf: m.count_nonzero(m.tensor(X), dim=1),
    "count_nonzero-dims": lambda m, F, leaf: m.count_nonzero(m.tensor([X, X]), dim=(0, 2)),
    "searchsorted": lambda m, F, leaf: m.searchsorted(m.tensor([B, [2, 4, 6, 8, 10]]),
                                                      m.tensor([[3, 6, 9], [3, 6, 9]])),
    "searchsorted-right": lambda m, F, leaf: m.searchsorted(m.tensor([B, [2, 4, 6, 8, 10]]),
                                                            m.tensor([[3, 6, 9], [3, 6, 9]]),
                                                            right=True),
    "searchsorted-side": lambda m, F, leaf: m.searchsorted(m.tensor(B), m.tensor([3, 6, 9]),
                                                           side="right"),
    "searchsorted-side-conflict": lambda m, F, leaf: m.searchsorted(
        m.tensor(B), m.tensor([3]), side="left", right=True),
    "searchsorted-bad-side": lambda m, F, leaf: m.searchsorted(m.tensor(B), m.tensor([3]),
                                                               side="foo"),
    "searchsorted-nd-values": lambda m, F, leaf: m.searchsorted(m.tensor(B),
                                                                m.tensor([[3, 6], [9, 0]])),
    "searchsorted-scalar": lambda m, F, leaf: m.searchsorted(m.tensor(B), 5),
    "searchsorted-sorter": lambda m, F, leaf: m.searchsorted(m.tensor([9, 1, 5]),
                                                             m.tensor([4, 6]),
                                                             sorter=m.tensor([1, 2, 0])),
    "searchsorted-bad-rows": lambda m, F, leaf: m.searchsorted(m.tensor([[1, 3], [2, 4]]),
                                                               m.tensor([[3, 6, 9]])),
    "searchsorted-bad-rows-1d": lambda m, F, leaf: m.searchsorted(m.tensor([[1, 3], [2, 4]]),
                                                                  m.tensor([3, 6, 9])),
    "searchsorted-mixed": lambda m, F, leaf: m.searchsorted(m.tensor([1.0, 2.0]),
                                                            m.tensor([1, 2])),
    "searchsorted-int32": lambda m, F, leaf: m.searchsorted(m.tensor([1.0, 2.0]),
                                                            m.tensor([1.5]), out_int32=True),
    "searchsorted-0d": lambda m, F, leaf: m.searchsorted(m.tensor(1.0), m.tensor([1.5])),
    "searchsorted-bad-sorter": lambda m, F, leaf: m.searchsorted(
        m.tensor([9, 1, 5]), m.tensor([4, 6]), sorter=m.tensor([1, 2])),
    "searchsorted-bool": lambda m, F, leaf: m.searchsorted(m.tensor([False, True]),
                                                           m.tensor([True])),
    "searchsorted-nan": lambda m, F, leaf: m.searchsorted(m.tensor([0.0, 2.0]),
                                                          m.tensor([NAN, 1.0, INF])),
    "bucketize": lambda m, F, leaf: m.bucketize(m.tensor([[3, 6, 9], [3, 6, 9]]), m.tensor(B)),
    "bucketize-right": lambda m, F, leaf: m.bucketize(m.tensor([[3, 6, 9]]), m.tensor(B),
                                                      right=True),
    "bucketize-int32": lambda m, F, leaf: m.bucketize(m.tensor([3, 6]), m.tensor(B),
                                                      out_int32=True),
    "bucketize-scalar": lambda m, F, leaf: m.bucketize(4, m.tensor(B)),
    "bucketize-float": lambda m, F, leaf: m.bucketize(leaf([1.5, 3.0]), m.tensor([1.0, 2.0,
                                                                                  3.0])),
    "bucketize-mixed": lambda m, F, leaf: m.bucketize(m.tensor([1.5, 3.0]), m.tensor(B)),
    "bucketize-2d": lambda m, F, leaf: m.bucketize(m.tensor([3]), m.tensor([B])),
    "histc": lambda m, F, leaf: m.histc(m.tensor([1.0, 2, 1, 4, 2.5]), bins=4, min=0, max=3),
    "histc-default": lambda m, F, leaf: m.histc(m.tensor([1.0, 2, 1, 4, 2.5])),
    "histc-auto-range": lambda m, F, leaf: m.histc(m.tensor([1.0, 2, 1, 4, 2.5]), bins=3),
    "histc-one-value": lambda m, F, leaf: m.histc(m.tensor([2.0, 2.0]), bins=4),
    "histc-edges": lambda m, F, leaf: m.histc(m.tensor([[0.0, 1.0], [2.0, 3.0]]), 3, 0, 3),
    "histc-f64": lambda m, F, leaf: m.histc(m.tensor([1.0, 2, 1], dtype=m.float64), bins=4),
    "histc-half": lambda m, F, leaf: m.histc(m.tensor([0.0, 1.0], dtype=m.float16), 3, 0, 3),
    "histc-fractions": lambda m, F, leaf: m.histc(m.tensor([0.1, 0.2, 0.3, 0.25, 0.15]),
                                                  bins=3, min=0.1, max=0.3),
    "histc-requires-grad": lambda m, F, leaf: m.histc(leaf([1.0, 2.0]), bins=2),
    "histc-empty": lambda m, F, leaf: m.histc(m.tensor([]), bins=2),
    "histc-int": lambda m, F, leaf: m.histc(m.tensor([1, 2, 1]), bins=4),
    "histc-bins0": lambda m, F, leaf: m.histc(m.tensor([1.0, 2.0]), bins=0),
    "histc-max-below-min": lambda m, F, leaf: m.histc(m.tensor([1.0, 2.0]), bins=2, min=3,
                                                      max=1),
    "histc-nan": lambda m, F, leaf: m.histc(m.tensor([1.0, NAN]), bins=2),
    "histc-inf": lambda m, F, leaf: m.histc(m.tensor([1.0, INF]), bins=2),
    "histc-inf-range": lambda m, F, leaf: m.histc(m.tensor([1.0, 2.0]), bins=2, min=0, max=INF),
    "unique": lambda m, F, leaf: m.unique(m.tensor([3, 1, 2, 1, 3, 3])),
    "unique-unsorted": lambda m, F, leaf: m.unique(m.tensor([3, 1, 2, 1]), sorted=False),
    "unique-inverse": lambda m, F, leaf: m.unique(m.tensor([3, 1, 2, 1, 3, 3]),
                                                  return_inverse=True),
    "unique-counts": lambda m, F, leaf: m.unique(m.tensor([3, 1, 2, 1, 3, 3]),
                                                 return_counts=True),
    "unique-both": lambda m, F, leaf: m.unique(m.tensor([3, 1, 2, 1, 3, 3]),
                                               return_inverse=True, return_counts=True),
    "unique-float": lambda m, F, leaf: m.unique(m.tensor([1.5, NAN, 1.5, NAN, -0.0, 0.0]),
                                                return_counts=True),
    "unique-2d": lambda m, F, leaf: m.unique(m.tensor([[1, 2], [1, 2], [0, 5]]),
                                             return_inverse=True),
    "unique-dim0": lambda m, F, leaf: m.unique(m.tensor([[1, 2], [1, 2], [0, 5]]), dim=0,
                                               return_inverse=True, return_counts=True),
    "unique-dim1": lambda m, F, leaf: m.unique(m.tensor([[1, 2, 1], [3, 4, 3]]), dim=1,
                                               return_inverse=True, return_counts=True),
    "unique-dim-lexicographic": lambda m, F, leaf: m.unique(
        m.tensor([[3, 2], [1, 9], [3, 1], [1, 2]]), dim=0, sorted=False),
    "unique-dim-empty": lambda m, F, leaf: m.unique(m.zeros(0, 2), dim=0),
    "unique-dim-other-dim-empty": lambda m, F, leaf: m.unique(m.zeros(3, 0), dim=0),
    "unique-dim-0d": lambda m, F, leaf: m.unique(m.tensor(1.0), dim=0),
    "unique_consecutive-dim-0d": lambda m, F, leaf: m.unique_consecutive(m.tensor(1.0), dim=-1),
    "unique_consecutive-dim-other-dim-empty":
        lambda m, F, leaf: m.unique_consecutive(m.zeros(3, 0), dim=0),
    "unique_consecutive-dim-selected-empty":
        lambda m, F, leaf: m.unique_consecutive(m.zeros(3, 0), dim=1, return_counts=True),
    "unique-dim-bad": lambda m, F, leaf: m.unique(m.ones(2, 2), dim=2),
    "unique-dim-nan": lambda m, F, leaf: m.unique(m.tensor([[NAN, 1.0], [NAN, 1.0]]), dim=0),
    "unique-bool": lambda m, F, leaf: m.unique(m.tensor([True, False, True])),
    "unique-requires-grad": lambda m, F, leaf: m.unique(leaf([1.0, 2.0, 1.0]),
                                                        return_inverse=True),
    "unique-dim-requires-grad": lambda m, F, leaf: m.unique(leaf([[1.0, 2.0]]), dim=0),
    "unique-0d": lambda m, F, leaf: m.unique(m.tensor(3), return_inverse=True,
                                             return_counts=True),
    "unique-empty": lambda m, F, leaf: m.unique(m.tensor([]), return_counts=True),
    "unique-method": lambda m, F, leaf: m.tensor([3, 1, 3]).unique(return_counts=True),
    "unique_consecutive": lambda m, F, leaf: m.unique_consecutive(
        m.tensor([1, 1, 2, 2, 3, 1, 1, 2])),
    "unique_consecutive-all": lambda m, F, leaf: m.unique_consecutive(
        m.tensor([1, 1, 2, 2, 3, 1, 1, 2]), return_inverse=True, return_counts=True),
    "unique_consecutive-dim": lambda m, F, leaf: m.unique_consecutive(
        m.tensor([[1, 1, 2], [1, 1, 2]]), dim=1, return_counts=True),
    "unique_consecutive-2d": lambda m, F, leaf: m.unique_consecutive(
        m.tensor([[1, 1], [2, 2]]), return_inverse=True),
    "unique_consecutive-requires-grad": lambda m, F, leaf: m.unique_consecutive(
        leaf([1.0, 2.0, 2.0])),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    compare(CASES[name])


@pytest.mark.parametrize("dim", [None, 0])
def test_unique_has_no_derivative(dim):
    import torch

    import engine

    texts = []
    for lib in (engine, torch):
        x = lib.tensor([[1.0, 2.0]], requires_grad=True)
        out = lib.unique(x) if dim is None else lib.unique(x, dim=dim)
        with pytest.raises(NotImplementedError) as info:
            out.sum().backward()
        texts.append(str(info.value))
    assert texts[0] == texts[1]
