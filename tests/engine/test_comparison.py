"""equal, isclose, allclose compared with torch 2.13: dtype rules, tolerances, NaN and inf,
broadcasting and errors."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from tests.engine.torch_compare import compare  # noqa: E402

NAN, INF = float("nan"), float("inf")
A = [1.0, 2.0, 3.0]

CASES = {
    "equal": lambda m, F, leaf: m.equal(m.tensor(A), m.tensor(A)),
    "equal-int-float": lambda m, F, leaf: m.equal(m.tensor(A), m.tensor([1, 2, 3])),
    "equal-bool-long": lambda m, F, leaf: m.equal(m.tensor([True, False]), m.tensor([1, 0])),
    "equal-shape": lambda m, F, leaf: m.equal(m.tensor(A), m.tensor(A[:2])),
    "equal-no-broadcast": lambda m, F, leaf: m.equal(m.tensor(A), m.tensor([A])),
    "equal-nan": lambda m, F, leaf: m.equal(m.tensor([NAN]), m.tensor([NAN])),
    "equal-differs": lambda m, F, leaf: m.equal(m.tensor(A), m.tensor([1.0, 2.0, 3.5])),
    "equal-number": lambda m, F, leaf: m.equal(m.tensor(A), 1),
    "equal-method": lambda m, F, leaf: leaf(A).equal(m.tensor(A, dtype=m.float64)),
    "equal-empty": lambda m, F, leaf: m.equal(m.ones(0), m.ones(0)),
    "isclose": lambda m, F, leaf: m.isclose(m.tensor(A), m.tensor([1.0 + 1e-6, 2.1, 3.0])),
    "isclose-tols": lambda m, F, leaf: m.isclose(m.tensor(A), m.tensor([1.5, 2.1, 4.0]),
                                                 rtol=0.1, atol=0.2),
    "isclose-positional": lambda m, F, leaf: m.isclose(m.tensor(A), m.tensor([1.5, 2.1, 4.0]),
                                                       0.1, 0.2),
    "isclose-int": lambda m, F, leaf: m.isclose(m.tensor([10, 11, 12]), m.tensor([10, 10, 10]),
                                                rtol=0.1, atol=0),
    "isclose-int-exact": lambda m, F, leaf: m.isclose(m.tensor([10, 11]), m.tensor([10, 10]),
                                                      rtol=0, atol=0),
    "isclose-bool": lambda m, F, leaf: m.isclose(m.tensor([True, False]),
                                                 m.tensor([True, True])),
    "isclose-nan": lambda m, F, leaf: m.isclose(m.tensor([NAN, INF, 1.0, -INF]),
                                                m.tensor([NAN, INF, INF, -INF])),
    "isclose-equal-nan": lambda m, F, leaf: m.isclose(m.tensor([NAN, INF, 1.0]),
                                                      m.tensor([NAN, INF, INF]), equal_nan=True),
    "isclose-half": lambda m, F, leaf: m.isclose(m.tensor([1.0, 2.0], dtype=m.float16),
                                                 m.tensor([1.0009765625, 2.01], dtype=m.float16),
                                                 rtol=1e-3),
    "isclose-bcast": lambda m, F, leaf: m.isclose(m.tensor([[1.0], [2.0]]), m.tensor(A)),
    "isclose-bad-bcast": lambda m, F, leaf: m.isclose(m.tensor(A), m.tensor(A[:2])),
    "isclose-dtypes": lambda m, F, leaf: m.isclose(m.tensor(A), m.tensor(A, dtype=m.float64)),
    "isclose-int-float": lambda m, F, leaf: m.isclose(m.tensor([1]), m.tensor([1.0])),
    "isclose-bool-int": lambda m, F, leaf: m.isclose(m.tensor([True]), m.tensor([1])),
    "isclose-number": lambda m, F, leaf: m.isclose(m.tensor(A), 1.0),
    "isclose-rtol": lambda m, F, leaf: m.isclose(m.tensor(A), m.tensor(A), rtol=-1),
    "isclose-atol": lambda m, F, leaf: m.isclose(m.tensor(A), m.tensor(A), atol=-1e-9),
    "isclose-requires-grad": lambda m, F, leaf: m.isclose(leaf(A), leaf(A)),
    "isclose-method": lambda m, F, leaf: m.tensor(A).isclose(m.tensor(A), 1e-5, 1e-8, True),
    "isclose-empty": lambda m, F, leaf: m.isclose(m.ones(0), m.ones(0)),
    "allclose": lambda m, F, leaf: m.allclose(m.tensor(A), m.tensor(A) + 1e-6),
    "allclose-false": lambda m, F, leaf: m.allclose(m.tensor(A), m.tensor(A) + 1e-3),
    "allclose-bcast": lambda m, F, leaf: m.allclose(m.tensor(A), m.tensor(1.0)),
    "allclose-shape": lambda m, F, leaf: m.allclose(m.tensor(A), m.tensor(A[:2])),
    "allclose-dtypes": lambda m, F, leaf: m.allclose(m.tensor([1]), m.tensor([1.0])),
    "allclose-nan": lambda m, F, leaf: m.allclose(m.tensor([NAN]), m.tensor([NAN]),
                                                  equal_nan=True),
    "allclose-method": lambda m, F, leaf: m.tensor(A).allclose(m.tensor(A), 1e-5, 1e-8, True),
    "allclose-empty": lambda m, F, leaf: m.allclose(m.ones(0), m.ones(0)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    compare(CASES[name])
