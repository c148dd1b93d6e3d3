"""kthvalue, median, nanmedian, mode, quantile, nanquantile compared with torch 2.13: values,
indices (ties avoided where PyTorch leaves them unspecified), node chains, gradients, errors."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from tests.engine.torch_compare import compare  # noqa: E402

NAN = float("nan")
X = [[3.0, 1.0, 2.0, 0.5], [0.0, 5.0, -1.0, 4.0]]
Y = [[3.0, 1.0, 2.0, 0.5, 7.0], [0.0, 5.0, -1.0, 4.0, 2.5], [1.5, -2.0, 6.0, 0.25, 3.5]]

CASES = {
    "kthvalue": lambda m, F, leaf: m.kthvalue(leaf(X), 2),
    "kthvalue-dim0": lambda m, F, leaf: m.kthvalue(leaf(Y), 1, dim=0, keepdim=True),
    "kthvalue-last": lambda m, F, leaf: m.kthvalue(leaf(Y), 5, 1),
    "kthvalue-0d": lambda m, F, leaf: m.kthvalue(leaf(2.0), 1),
    "kthvalue-int": lambda m, F, leaf: m.kthvalue(m.tensor([3, 1, 2]), 2),
    "kthvalue-nan": lambda m, F, leaf: m.kthvalue(m.tensor([3.0, NAN, 1.0]), 3),
    "kthvalue-k-big": lambda m, F, leaf: m.kthvalue(m.tensor(X), 5),
    "kthvalue-k-0": lambda m, F, leaf: m.kthvalue(m.tensor(X), 0),
    "kthvalue-bool": lambda m, F, leaf: m.kthvalue(m.tensor([True, False]), 1),
    "kthvalue-method": lambda m, F, leaf: leaf(X).kthvalue(3),
    "median": lambda m, F, leaf: m.median(leaf(Y)),
    "median-even": lambda m, F, leaf: m.median(leaf([1.0, 4.0, 2.0, 3.0])),
    "median-ties": lambda m, F, leaf: m.median(leaf([2.0, 1.0, 2.0, 2.0])),
    "median-nan": lambda m, F, leaf: m.median(leaf([2.0, 1.0, NAN, 2.0])),
    "median-dim": lambda m, F, leaf: m.median(leaf(Y), dim=1),
    "median-dim-keep": lambda m, F, leaf: m.median(leaf(Y), 0, keepdim=True),
    "median-dim-nan": lambda m, F, leaf: m.median(leaf([[1.0, NAN, 3.0], [2.0, 0.5, 1.0]]), 1),
    "median-0d": lambda m, F, leaf: m.median(leaf(2.0)),
    "median-0d-dim": lambda m, F, leaf: m.median(leaf(2.0), 0),
    "median-int": lambda m, F, leaf: m.median(m.tensor([3, 1, 2, 4])),
    "median-empty": lambda m, F, leaf: m.median(m.tensor([])),
    "median-empty-dim": lambda m, F, leaf: m.median(m.zeros(0, 3), dim=0),
    "median-bool": lambda m, F, leaf: m.median(m.tensor([True, False])),
    "median-method": lambda m, F, leaf: leaf(X).median(-1),
    "nanmedian": lambda m, F, leaf: m.nanmedian(leaf([1.0, NAN, 3.0, 2.0])),
    "nanmedian-all-nan": lambda m, F, leaf: m.nanmedian(leaf([NAN, NAN])),
    "nanmedian-dim": lambda m, F, leaf: m.nanmedian(leaf([[1.0, NAN, 3.0], [NAN, NAN, NAN],
                                                          [4.0, 2.0, NAN]]), dim=1),
    "mode": lambda m, F, leaf: m.mode(leaf([[3.0, 1.0, 3.0, 1.0, 2.0], [1.0, 2.0, 2.0, 0.0,
                                                                        2.0]])),
    "mode-dim0": lambda m, F, leaf: m.mode(leaf([[1.0, 2.0], [1.0, 3.0], [2.0, 3.0]]), 0),
    "mode-keepdim": lambda m, F, leaf: m.mode(leaf([[1.0, 2.0, 1.0]]), -1, True),
    "mode-int": lambda m, F, leaf: m.mode(m.tensor([3, 1, 3, 1, 2])),
    "mode-bool": lambda m, F, leaf: m.mode(m.tensor([True, False, True])),
    "mode-0d": lambda m, F, leaf: m.mode(leaf(2.0)),
    "mode-empty": lambda m, F, leaf: m.mode(m.tensor([])),
    "mode-distinct": lambda m, F, leaf: m.mode(leaf([4.0, 2.0, 3.0])),
    "quantile": lambda m, F, leaf: m.quantile(leaf(Y), 0.3),
    "quantile-dim": lambda m, F, leaf: m.quantile(leaf(Y), 0.3, dim=1),
    "quantile-dim0-keep": lambda m, F, leaf: m.quantile(leaf(Y), 0.75, dim=0, keepdim=True),
    "quantile-full-keep": lambda m, F, leaf: m.quantile(leaf(Y), 0.75, keepdim=True),
    "quantile-q-tensor": lambda m, F, leaf: m.quantile(
        leaf(Y), m.tensor([0.25, 0.5], dtype=m.float64), dim=1, keepdim=True),
    "quantile-q-tensor-full": lambda m, F, leaf: m.quantile(leaf(Y), m.tensor(
        [0.1, 0.9], dtype=m.float64)),
    "quantile-q-0d": lambda m, F, leaf: m.quantile(leaf(Y), m.tensor(0.4, dtype=m.float64), 0),
    "quantile-f32": lambda m, F, leaf: m.quantile(leaf(Y, m.float32), 0.3, dim=1),
    "quantile-nan": lambda m, F, leaf: m.quantile(leaf([[1.0, NAN, 3.0], [2.0, 0.5, 1.0]]),
                                                  0.5, dim=1),
    "quantile-0d": lambda m, F, leaf: m.quantile(leaf(2.0), 0.5),
    "quantile-0d-dim": lambda m, F, leaf: m.quantile(leaf(2.0), 0.5, dim=0),
    "quantile-bad-q": lambda m, F, leaf: m.quantile(m.tensor(X), 1.5),
    "quantile-bad-q-tensor": lambda m, F, leaf: m.quantile(m.tensor(X), m.tensor([1.5])),
    "quantile-int": lambda m, F, leaf: m.quantile(m.tensor([1, 2]), 0.5),
    "quantile-half": lambda m, F, leaf: m.quantile(m.tensor([1.0], dtype=m.float16), 0.5),
    "quantile-q-dtype": lambda m, F, leaf: m.quantile(m.tensor(X), m.tensor([0.5],
                                                                            dtype=m.float64)),
    "quantile-q-2d": lambda m, F, leaf: m.quantile(m.tensor(X), m.tensor([[0.5]])),
    "quantile-bad-interpolation": lambda m, F, leaf: m.quantile(m.tensor(X), 0.5,
                                                                interpolation="foo"),
    "quantile-empty": lambda m, F, leaf: m.quantile(m.tensor([]), 0.5),
    "quantile-method": lambda m, F, leaf: leaf(X).quantile(0.5, 0),
    "nanquantile": lambda m, F, leaf: m.nanquantile(leaf([[1.0, NAN, 3.0, 0.5],
                                                          [NAN, NAN, NAN, NAN]]), 0.5, dim=1),
    "nanquantile-q-tensor": lambda m, F, leaf: m.nanquantile(
        leaf([1.0, NAN, 3.0, 2.0]), m.tensor([0.0, 0.3, 1.0], dtype=m.float64)),
}
for _mode in ("linear", "lower", "higher", "nearest", "midpoint"):
    CASES[f"quantile-{_mode}"] = (lambda mode: lambda m, F, leaf: m.quantile(
        leaf(Y), m.tensor([0.1, 0.5, 0.625, 0.9], dtype=m.float64), dim=1,
        interpolation=mode))(_mode)
    CASES[f"quantile-{_mode}-half-ranks"] = (lambda mode: lambda m, F, leaf: m.quantile(
        leaf([0.0, 1.0, 2.0, 3.0]), m.tensor([0.5, 1 / 6, 0.5 / 3], dtype=m.float64),
        interpolation=mode))(_mode)


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    compare(CASES[name])


@pytest.mark.parametrize("call", [
    lambda m, x: m.nanquantile(x, 1.2),
    lambda m, x: m.nanquantile(x[:0], 0.5),
    lambda m, x: m.nanquantile(x, 0.5, interpolation="foo"),
    lambda m, x: m.kthvalue(x.reshape(3, 1)[:, :0], 1, 1),
    lambda m, x: m.kthvalue(x[:0], 5),
    lambda m, x: m.nanmedian(x[:0], 0),
    lambda m, x: m.kthvalue(x.reshape(3, 1)[:, :0], 1, 0),
])
def test_edge_errors_as_torch(call):
    compare(lambda m, F, leaf: call(m, leaf([1.0, 2.0, 3.0])))
