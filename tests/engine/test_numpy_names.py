"""NumPy's argument names (``axis``, ``keepdims``, ``x``/``a``/``x1``, ``x2``) on the ops that
take a dim, through the op table (as programs call them), compared with torch 2.13."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

import engine  # noqa: E402
from tests.engine.torch_compare import compare  # noqa: E402

X = [[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]]


def op(m, name):
    """``torch.<name>``, or the engine table's entry (what the interpreter calls)."""
    return getattr(m, name) if m is not engine else engine.ops.OPS[name].fn


CASES = {
    "sum-axis-keepdims": lambda m, F, leaf: op(m, "sum")(leaf(X), axis=0, keepdims=True),
    "sum-axis-tuple": lambda m, F, leaf: op(m, "sum")(leaf(X), axis=(0, 1)),
    "mean-a": lambda m, F, leaf: op(m, "mean")(a=leaf(X), axis=1),
    "prod-x": lambda m, F, leaf: op(m, "prod")(x=leaf(X), axis=1, keepdims=True),
    "max-axis": lambda m, F, leaf: op(m, "max")(leaf(X), axis=1),
    "amax-axis": lambda m, F, leaf: op(m, "amax")(leaf(X), axis=0),
    "argmax-axis": lambda m, F, leaf: op(m, "argmax")(m.tensor(X), axis=1, keepdims=True),
    "std-axis": lambda m, F, leaf: op(m, "std")(leaf(X), axis=0, keepdims=True),
    "var-axis": lambda m, F, leaf: op(m, "var")(leaf(X), axis=1),
    "logsumexp-axis": lambda m, F, leaf: op(m, "logsumexp")(leaf(X), axis=1),
    "cumsum-axis": lambda m, F, leaf: op(m, "cumsum")(leaf(X), axis=1),
    "softmax-axis": lambda m, F, leaf: op(m, "softmax")(leaf(X), axis=0),
    "cat-axis": lambda m, F, leaf: op(m, "cat")([leaf(X), leaf(X)], axis=1),
    "stack-axis": lambda m, F, leaf: op(m, "stack")([leaf(X), leaf(X)], axis=1),
    "squeeze-axis": lambda m, F, leaf: op(m, "squeeze")(leaf([X]), axis=0),
    "unsqueeze-axis": lambda m, F, leaf: op(m, "unsqueeze")(leaf(X), axis=1),
    "sort-axis": lambda m, F, leaf: op(m, "sort")(leaf(X), axis=0),
    "all-axis": lambda m, F, leaf: op(m, "all")(m.tensor(X), axis=1, keepdims=True),
    "any-axis": lambda m, F, leaf: op(m, "any")(m.tensor(X), axis=0),
    "median-axis": lambda m, F, leaf: op(m, "median")(leaf(X), axis=1),
    "quantile-axis": lambda m, F, leaf: op(m, "quantile")(leaf(X), 0.5, axis=1, keepdims=True),
    "count_nonzero-axis": lambda m, F, leaf: op(m, "count_nonzero")(m.tensor(X), axis=0),
    "gather-axis": lambda m, F, leaf: op(m, "gather")(leaf(X), axis=1,
                                                      index=m.tensor([[0], [2]])),
    "both-names": lambda m, F, leaf: op(m, "sum")(m.tensor(X), dim=0, axis=0),
    "both-keepdim-names": lambda m, F, leaf: op(m, "sum")(m.tensor(X), 0, keepdim=True,
                                                          keepdims=True),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    compare(CASES[name])


def test_methods_and_operators_keep_the_plain_functions():
    # (the table's function forms are wrapped once more for out=: engine/ops/out_rules.py)
    assert engine.Tensor.sum is engine.ops.OPS["sum"].fn.__wrapped__.__wrapped__
    assert engine.ops.OPS["exp"].fn.__wrapped__ is engine.Tensor.exp  # no dim: not wrapped
    assert engine.ops.OPS["sum"].signature == "sum(input, dim=None, keepdim=False, *, dtype=None)"
