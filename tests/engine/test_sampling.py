"""multinomial, bernoulli and the in-place samplers: PyTorch's argument checks and error texts
(compared with torch 2.13), node names on tensors with history, and the distributions — bounds,
dtypes and moments checked against the distribution's and torch's own samples (not values:
generators differ). All draws come from the seeded generator."""

from __future__ import annotations

import math

import numpy as np
import pytest

import engine

N = 20000


def moments(t) -> tuple[float, float]:
    a = engine.to_numpy(t).astype(np.float64)
    return float(a.mean()), float(a.std())


SAMPLERS = [  # (call, mean, std) of the distribution
    (lambda t: t.normal_(), 0.0, 1.0),
    (lambda t: t.normal_(2.0, 0.5), 2.0, 0.5),
    (lambda t: t.normal_(mean=-1, std=3), -1.0, 3.0),
    (lambda t: t.uniform_(), 0.5, 1 / math.sqrt(12)),
    (lambda t: t.uniform_(-1, 3), 1.0, 4 / math.sqrt(12)),
    (lambda t: t.exponential_(), 1.0, 1.0),
    (lambda t: t.exponential_(4.0), 0.25, 0.25),
    (lambda t: t.log_normal_(0.0, 0.25), math.exp(0.25 ** 2 / 2),
     math.sqrt((math.exp(0.25 ** 2) - 1) * math.exp(0.25 ** 2))),
    (lambda t: t.geometric_(0.25), 4.0, math.sqrt(0.75) / 0.25),
    (lambda t: t.bernoulli_(), 0.5, 0.5),
    (lambda t: t.bernoulli_(0.2), 0.2, 0.4),
    (lambda t: t.random_(10), 4.5, math.sqrt(99 / 12)),
    (lambda t: t.random_(-5, 5), -0.5, math.sqrt(99 / 12)),
]


@pytest.mark.parametrize("index", range(len(SAMPLERS)))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_in_place_samplers_draw_the_distribution(index, dtype):
    call, mean, std = SAMPLERS[index]
    engine.manual_seed(index)
    t = engine.zeros(N, dtype=dtype)
    out = call(t)
    assert out is t and t.dtype.name == dtype and t._version == 1
    m, s = moments(t)
    assert abs(m - mean) < 5 * std / math.sqrt(N) + 1e-9
    assert abs(s - std) < 0.05 * std


def test_in_place_samplers_match_torch_moments():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    engine.manual_seed(0)
    for name, args in [("normal_", (1.0, 2.0)), ("uniform_", (2, 5)), ("exponential_", (0.5,)),
                       ("geometric_", (0.3,)), ("log_normal_", (0.1, 0.3)),
                       ("bernoulli_", (0.3,)), ("random_", (3, 9))]:
        ours = getattr(engine.zeros(N), name)(*args)
        theirs = getattr(torch.zeros(N), name)(*args)
        (m1, s1), (m2, s2) = moments(ours), (theirs.mean().item(), theirs.std().item())
        assert abs(m1 - m2) < 6 * s2 / math.sqrt(N), name
        assert abs(s1 - s2) < 0.06 * s2, name
        a, b = engine.to_numpy(ours), theirs.numpy()
        assert a.min() >= b.min() - 6 * s2 and a.max() <= b.max() + 6 * s2 or name in (
            "log_normal_",), name


def test_cauchy_median_and_quartiles():
    engine.manual_seed(3)
    a = np.sort(engine.to_numpy(engine.zeros(N).cauchy_(1.0, 2.0)))
    q1, q2, q3 = a[N // 4], a[N // 2], a[3 * N // 4]
    assert abs(q2 - 1.0) < 0.1 and abs(q1 - (1.0 - 2.0)) < 0.15 and abs(q3 - 3.0) < 0.15


@pytest.mark.parametrize("dtype,top", [("float16", 2 ** 11), ("float32", 2 ** 24),
                                       ("int32", 2 ** 31 - 1), ("int64", 2 ** 63 - 1),
                                       ("bool", 1)])
def test_random_without_bounds_spans_the_dtype(dtype, top):
    engine.manual_seed(5)
    a = engine.to_numpy(engine.zeros(4000, dtype=dtype).random_()).astype(np.float64)
    assert a.min() >= 0 and a.max() <= top and a.max() > top / 2
    assert np.all(a == np.round(a))


def test_random_bounds_and_integer_dtypes():
    engine.manual_seed(6)
    a = engine.to_numpy(engine.zeros(3000, dtype="int64").random_(2, 5))
    assert set(np.unique(a)) == {2, 3, 4}
    b = engine.to_numpy(engine.zeros(3000, dtype="int32").random_(5, None))
    assert b.min() >= 5 and b.max() > 2 ** 30
    c = engine.to_numpy(engine.zeros(100, dtype="bool").bernoulli_(0.5))
    assert c.dtype == np.bool_ and 20 < c.sum() < 80


def test_seeded_draws_repeat():
    def draw():
        engine.manual_seed(42)
        return (engine.zeros(5).normal_().tolist(), engine.zeros(5).random_(100).tolist(),
                engine.multinomial(engine.tensor([0.2, 0.3, 0.5]), 6, True).tolist(),
                engine.bernoulli(engine.full((5,), 0.5)).tolist())

    assert draw() == draw()


def test_generator_argument_is_used():
    g1 = engine.Generator().manual_seed(9)
    g2 = engine.Generator().manual_seed(9)
    assert engine.zeros(4).uniform_(generator=g1).tolist() == \
        engine.zeros(4).uniform_(generator=g2).tolist()


def test_multinomial_frequencies():
    engine.manual_seed(7)
    probs = engine.tensor([0.1, 0.0, 0.6, 0.3])
    draws = engine.to_numpy(engine.multinomial(probs, N, replacement=True))
    assert draws.dtype == np.int64 and 1 not in draws
    freq = np.bincount(draws, minlength=4) / N
    np.testing.assert_allclose(freq, [0.1, 0.0, 0.6, 0.3], atol=0.02)
    rows = engine.multinomial(engine.tensor([[1.0, 1.0, 8.0], [5.0, 0.0, 5.0]]), 2)
    assert rows.shape == (2, 2)
    for r in engine.to_numpy(rows):
        assert len(set(r.tolist())) == 2
    assert 1 not in engine.to_numpy(rows)[1]


def test_multinomial_without_replacement_prefers_likely_categories():
    engine.manual_seed(8)
    first = [engine.multinomial(engine.tensor([0.05, 0.9, 0.05]), 1).item() for _ in range(300)]
    assert 0.8 < first.count(1) / 300 < 0.97
    engine.manual_seed(8)
    full = engine.multinomial(engine.tensor([1.0, 0.0, 0.0]), 3).tolist()
    assert full[0] == 0 and sorted(full) == [0, 1, 2]


def test_bernoulli_probabilities():
    engine.manual_seed(10)
    p = engine.tensor([0.0, 1.0, 0.25]).expand(N, 3)
    a = engine.to_numpy(engine.bernoulli(p))
    assert a.dtype == np.float32
    np.testing.assert_allclose(a.mean(axis=0), [0.0, 1.0, 0.25], atol=0.02)
    b = engine.to_numpy(engine.bernoulli(engine.zeros(N, dtype="float64"), 0.7))
    assert b.dtype == np.float64 and abs(b.mean() - 0.7) < 0.02


# --------------------------------------------------------------------------- against torch
def _errors_and_nodes():
    two = lambda m, leaf: leaf([1.0, 2.0]) * 2  # noqa: E731 (a tensor with history)
    return {
        "normal_-node": lambda m, F, leaf: two(m, leaf).normal_(),
        "uniform_-node": lambda m, F, leaf: two(m, leaf).uniform_(),
        "exponential_-node": lambda m, F, leaf: two(m, leaf).exponential_(),
        "cauchy_-node": lambda m, F, leaf: two(m, leaf).cauchy_(),
        "log_normal_-node": lambda m, F, leaf: two(m, leaf).log_normal_(),
        "geometric_-node": lambda m, F, leaf: two(m, leaf).geometric_(0.5),
        "bernoulli_-node": lambda m, F, leaf: two(m, leaf).bernoulli_(0.5),
        "bernoulli_-tensor-node": lambda m, F, leaf: two(m, leaf).bernoulli_(
            m.tensor([0.5, 0.5])),
        "random_-node": lambda m, F, leaf: two(m, leaf).random_(),
        "random_-to-node": lambda m, F, leaf: two(m, leaf).random_(5),
        "random_-from-to-node": lambda m, F, leaf: two(m, leaf).random_(2, 5),
        "random_-from-none-node": lambda m, F, leaf: two(m, leaf).random_(2, None),
        "bernoulli-node": lambda m, F, leaf: m.bernoulli(leaf([0.5, 0.5])),
        "bernoulli-p-node": lambda m, F, leaf: m.bernoulli(leaf([0.5, 0.5]), 0.3),
        "normal_-leaf": lambda m, F, leaf: leaf([1.0]).normal_(),
        "normal_-std": lambda m, F, leaf: m.ones(3).normal_(0, -1),
        "normal_-int": lambda m, F, leaf: m.ones(3, dtype=m.int64).normal_(),
        "uniform_-range": lambda m, F, leaf: m.ones(3).uniform_(2, 1),
        "uniform_-int": lambda m, F, leaf: m.ones(3, dtype=m.int64).uniform_(),
        "exponential_-lambda": lambda m, F, leaf: m.ones(3).exponential_(-1),
        "exponential_-zero": lambda m, F, leaf: m.ones(3).exponential_(0),
        "exponential_-int": lambda m, F, leaf: m.ones(3, dtype=m.int64).exponential_(),
        "cauchy_-sigma": lambda m, F, leaf: m.ones(2).cauchy_(0, -1),
        "cauchy_-int": lambda m, F, leaf: m.ones(2, dtype=m.int64).cauchy_(),
        "log_normal_-std": lambda m, F, leaf: m.ones(2).log_normal_(0, 0),
        "log_normal_-int": lambda m, F, leaf: m.ones(2, dtype=m.int64).log_normal_(),
        "geometric_-p0": lambda m, F, leaf: m.ones(3).geometric_(0),
        "geometric_-p1": lambda m, F, leaf: m.ones(3).geometric_(1),
        "bernoulli_-p": lambda m, F, leaf: m.ones(3).bernoulli_(1.5),
        "bernoulli_-tensor-p": lambda m, F, leaf: m.ones(2).bernoulli_(m.tensor([1.5, 0.0])),
        "bernoulli_-tensor-shape": lambda m, F, leaf: m.ones(2).bernoulli_(
            m.tensor([0.5, 0.0, 1.0])),
        "random_-range": lambda m, F, leaf: m.ones(3).random_(5, 2),
        "random_-zero": lambda m, F, leaf: m.ones(2).random_(0),
        "random_-int32-bound": lambda m, F, leaf: m.ones(2, dtype=m.int32).random_(0, 2 ** 40),
        "random_-bool-bound": lambda m, F, leaf: m.ones(2, dtype=m.bool).random_(0, 3),
        "bernoulli-int": lambda m, F, leaf: m.bernoulli(m.tensor([0, 1])),
        "bernoulli-range": lambda m, F, leaf: m.bernoulli(m.tensor([1.5])),
        "bernoulli-nan": lambda m, F, leaf: m.bernoulli(m.tensor([float("nan")])),
        "bernoulli-p-range": lambda m, F, leaf: m.bernoulli(m.tensor([0.5]), 1.5),
        "multinomial-too-many": lambda m, F, leaf: m.multinomial(m.tensor([0.1, 0.2, 0.7]), 5),
        "multinomial-negative": lambda m, F, leaf: m.multinomial(m.tensor([-0.1, 1.0]), 1),
        "multinomial-zero-sum": lambda m, F, leaf: m.multinomial(m.tensor([0.0, 0.0]), 1),
        "multinomial-inf": lambda m, F, leaf: m.multinomial(m.tensor([float("inf"), 1.0]), 1),
        "multinomial-int": lambda m, F, leaf: m.multinomial(m.tensor([1, 2]), 1),
        "multinomial-3d": lambda m, F, leaf: m.multinomial(m.ones(2, 2, 2), 1),
        "multinomial-0d": lambda m, F, leaf: m.multinomial(m.tensor(1.0), 1),
        "multinomial-zero-samples": lambda m, F, leaf: m.multinomial(m.tensor([0.5, 0.5]), 0),
        "multinomial-shape": lambda m, F, leaf: m.multinomial(leaf([[0.5, 0.5]] * 3), 4,
                                                              True).shape,
        "multinomial-dtype": lambda m, F, leaf: m.multinomial(m.tensor([0.5, 0.5],
                                                                       dtype=m.float16), 1).dtype,
    }


CASES = _errors_and_nodes()


@pytest.mark.parametrize("name", list(CASES))
def test_nodes_and_errors_match_torch(name):
    pytest.importorskip("torch")
    from tests.engine.torch_compare import compare

    compare(CASES[name], values=False)


# ---------------------------------------------------------------- the random samples (oracle)
def _random_cases():
    from tests.engine.samples import RANDOM_SAMPLES

    return [(name, i) for name, items in sorted(RANDOM_SAMPLES.items())
            for i in range(len(items))]


def test_every_random_op_has_random_samples():
    from engine.ops import OPS
    from engine.ops import samplers as sampler_ops
    from tests.engine.samples import RANDOM_SAMPLES

    ours = {n for n, d in OPS.items() if d.fn.__module__ == sampler_ops.__name__}
    assert ours and ours <= set(RANDOM_SAMPLES), sorted(ours - set(RANDOM_SAMPLES))
    assert set(RANDOM_SAMPLES) <= set(OPS)


@pytest.mark.parametrize("name,index", _random_cases())
@pytest.mark.parametrize("target", ["plain", "nonleaf"])
def test_random_samples_match_torch_but_values(name, index, target):
    """Each call of RANDOM_SAMPLES: dtype, shape, flags, node chain, gradients (zeros) and
    errors as torch's (values are random)."""
    pytest.importorskip("torch")
    from tests.engine.samples import RANDOM_SAMPLES
    from tests.engine.torch_compare import compare

    sample = RANDOM_SAMPLES[name][index]

    def case(m, F, leaf):
        args = [m.tensor(a, dtype=m.float64) if isinstance(a, np.ndarray) else a
                for a in sample.args]
        if target == "nonleaf":
            args[0] = leaf(sample.args[0]) * 1
        fn = getattr(m, name, None)
        return fn(*args, **sample.kwargs) if fn is not None and not name.endswith("_") \
            else getattr(args[0], name)(*args[1:], **sample.kwargs)

    compare(case, values=False)
