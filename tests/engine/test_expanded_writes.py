"""In-place writes into expanded (stride-0) tensors against torch 2.13: which ops torch writes
through the shared memory (index_fill_, index_put_ and advanced-index assignment, masked_fill_,
tril_/triu_, threshold_, fill_/zero_) and which it refuses with its overlap error; the values
after the write (the last write into a shared location wins, accumulate adds every value into
it), the deprecation warnings, the nodes recorded and the backward (CopySlices refuses to copy
the view's gradient into the overlapping view, unless the base's history is not needed)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("torch")
import torch  # noqa: E402

import engine  # noqa: E402
from tests.engine.torch_compare import compare  # noqa: E402

ROWS = [[0.5], [0.25], [0.75]]  # expand(3, 4): each row one memory location
COLS = [[1.0, 2.0, 3.0, 4.0]]  # expand(3, 4): each column one memory location


def _e(m, leaf, data=ROWS, shape=(3, 4)):
    """An expanded view of a non-leaf that requires grad (a leaf's view may not be written)."""
    return (leaf(data) * 1).expand(*shape)


def _n(m, data=ROWS, shape=(3, 4), dtype=None):
    return m.tensor(data, dtype=dtype or m.float64).expand(*shape)


def _after(m, t, write):
    """Write into ``t`` (an expanded view), then read it back through a product (so the
    gradient reaches the leaves through the base's CopySlices)."""
    write(t)
    return t * m.arange(12.0, dtype=m.float64).reshape(3, 4)


def _idx(m, *v):
    return m.tensor(list(v))


WRITES = {
    "index_fill_1": lambda m, t, s: t.index_fill_(1, _idx(m, 0, 2), 2.0),
    "index_fill_0": lambda m, t, s: t.index_fill_(0, _idx(m, 0, 2), -1.5),
    "index_fill_neg": lambda m, t, s: t.index_fill_(-1, _idx(m, -1), 7.0),
    "index_fill_t": lambda m, t, s: t.index_fill_(1, _idx(m, 1), s[0]),
    "index_put": lambda m, t, s: t.index_put_((_idx(m, 0, 1), _idx(m, 1, 2)), s),
    "index_put_dup": lambda m, t, s: t.index_put_((_idx(m, 0, 0), _idx(m, 1, 2)), s),
    "index_put_acc": lambda m, t, s: t.index_put_((_idx(m, 0, 1), _idx(m, 1, 2)), s,
                                                  accumulate=True),
    "index_put_acc_dup": lambda m, t, s: t.index_put_((_idx(m, 0, 0), _idx(m, 1, 2)), s,
                                                      accumulate=True),
    "index_put_rows_acc": lambda m, t, s: t.index_put_((_idx(m, 0, 2),), s[0], accumulate=True),
    "index_put_mask": lambda m, t, s: t.index_put_((m.tensor([True, False, True]),), s[1]),
    "setitem_adv": lambda m, t, s: t.__setitem__((_idx(m, 0, 1), _idx(m, 1, 2)), s),
    "setitem_mask": lambda m, t, s: t.__setitem__(m.tensor([True, False, True]), 3.0),
    "setitem_mask2d": lambda m, t, s: t.__setitem__(t > 0.4, 0.0),
    "setitem_cols": lambda m, t, s: t.__setitem__((slice(None), _idx(m, 0, 2)), s[0]),
    "setitem_basic_0d": lambda m, t, s: t.__setitem__((0, 1), 3.0),
    "setitem_basic_slice": lambda m, t, s: t.__setitem__(slice(0, 2), 0.0),
    "masked_fill": lambda m, t, s: t.masked_fill_(m.tensor([True, False, True, False]), 1.0),
    "masked_fill_t": lambda m, t, s: t.masked_fill_(m.tensor([[True], [False], [True]]), s[1]),
    "tril": lambda m, t, s: t.tril_(),
    "tril_k": lambda m, t, s: t.tril_(1),
    "triu": lambda m, t, s: t.triu_(),
    "triu_k": lambda m, t, s: t.triu_(-1),
    "threshold": lambda m, t, s: (engine if m is engine else torch.nn.functional).threshold_(
        t, 0.4, 1.0),
    "fill": lambda m, t, s: t.fill_(2.0),
    "zero": lambda m, t, s: t.zero_(),
    # refused by torch: the overlap error
    "index_add": lambda m, t, s: t.index_add_(1, _idx(m, 0, 2), m.ones(3, 2, dtype=m.float64)),
    "index_copy": lambda m, t, s: t.index_copy_(1, _idx(m, 0, 2), m.ones(3, 2, dtype=m.float64)),
    "masked_scatter": lambda m, t, s: t.masked_scatter_(m.tensor([True, False, True, False]),
                                                        m.ones(12, dtype=m.float64)),
    "scatter": lambda m, t, s: t.scatter_(1, m.tensor([[0], [1], [2]]), 3.0),
    "put": lambda m, t, s: t.put_(_idx(m, 0, 5), s),
    "copy": lambda m, t, s: t.copy_(m.ones(3, 4, dtype=m.float64)),
    "fill_tensor": lambda m, t, s: t.fill_(s[0]),
    "add": lambda m, t, s: t.add_(1.0),
    "relu": lambda m, t, s: t.relu_(),
    "clamp": lambda m, t, s: t.clamp_(0.3, 0.6),
    "cumsum": lambda m, t, s: t.cumsum_(1),
}


@pytest.mark.parametrize("layout", ["rows", "cols"])
@pytest.mark.parametrize("name", sorted(WRITES))
def test_write_through_expanded_as_torch(name, layout):
    data = ROWS if layout == "rows" else COLS
    write = WRITES[name]

    def case(m, F, leaf):
        s = leaf([5.0, 6.0])
        t = _e(m, leaf, data)
        return _after(m, t, lambda t: write(m, t, s)), t._base

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(case)


@pytest.mark.parametrize("layout", ["rows", "cols"])
@pytest.mark.parametrize("name", sorted(WRITES))
def test_write_through_expanded_no_grad_as_torch(name, layout):
    data = ROWS if layout == "rows" else COLS
    write = WRITES[name]

    def case(m, F, leaf):
        s = m.tensor([5.0, 6.0], dtype=m.float64)
        t = _n(m, data)
        write(m, t, s)
        return t

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(case)


def _warnings(lib, name, layout):
    data = ROWS if layout == "rows" else COLS
    s = lib.tensor([5.0, 6.0], dtype=lib.float64)
    t = _n(lib, data)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            WRITES[name](lib, t, s)
        except RuntimeError:
            pass
    return [(x.category, str(x.message).split(" (Triggered internally")[0]) for x in w]


@pytest.mark.parametrize("name", sorted(WRITES))
def test_deprecation_warnings_as_torch(name):
    assert _warnings(engine, name, "rows") == _warnings(torch, name, "rows")


@pytest.mark.parametrize("kind", ["int64", "bool"])
def test_integer_and_bool_targets(kind):
    def case(m, F, leaf):
        dt = getattr(m, kind if kind != "bool" else "bool")
        t = m.tensor([[1], [0], [1]], dtype=dt).expand(3, 4)
        t.index_put_((_idx(m, 0, 1, 1),), m.tensor([1, 0, 1], dtype=dt).reshape(3, 1)
                     .expand(3, 4), accumulate=kind != "bool")
        t.index_fill_(1, _idx(m, 3), 0)
        return t

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(case)


def test_grad_of_values_only_when_base_history_not_needed():
    """torch's CopySlices copies the view's gradient (and raises) only where the base's
    history needs it: autograd.grad over the written values alone succeeds."""
    for lib in (engine, torch):
        a = lib.tensor(ROWS, dtype=lib.float64, requires_grad=True)
        s = lib.tensor([5.0, 6.0], dtype=lib.float64, requires_grad=True)
        y = a * 1
        v = y.expand(3, 4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            v.index_put_((lib.tensor([0, 1]), lib.tensor([1, 2])), s)
        out = (v * lib.arange(12.0, dtype=lib.float64).reshape(3, 4)).sum()
        grad = engine.grad if lib is engine else torch.autograd.grad
        (gs,) = grad(out, s, retain_graph=True)
        assert gs.tolist() == [6.0, 22.0]
        with pytest.raises(RuntimeError, match="more than one element of the written-to"):
            grad(out, a)


def test_values_large_random_as_torch():
    rng = np.random.default_rng(3)
    for _ in range(40):
        rows = rng.integers(1, 5)
        cols = rng.integers(2, 6)
        base = rng.standard_normal((rows, 1))
        n = rng.integers(1, 8)
        i0 = rng.integers(0, rows, n)
        i1 = rng.integers(0, cols, n)
        vals = rng.standard_normal(n)
        acc = bool(rng.integers(0, 2))
        res = []
        for lib in (engine, torch):
            t = lib.tensor(base).expand(int(rows), int(cols))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t.index_put_((lib.tensor(i0), lib.tensor(i1)), lib.tensor(vals),
                             accumulate=acc)
            res.append(np.array(t.tolist()))
        np.testing.assert_array_equal(res[0], res[1])


def _fused_case(rng, lib, which):
    dt = str(rng.choice(["float64", "float32"]))
    beta = float(rng.choice([0.0, 1.0, 0.5, -1.25, 2.0]))
    alpha = float(rng.choice([1.0, 3.0, -0.5]))
    if which == "addmv":
        n, k = int(rng.integers(2, 5)), int(rng.integers(0, 4))
        layout = int(rng.integers(0, 3))  # row-major, column-major, strided copy
        a = rng.standard_normal((n, k) if layout != 1 else (k, n))
        x = rng.standard_normal(k)
        y0 = rng.standard_normal(1)

        def run():
            m = lib.tensor(a, dtype=getattr(lib, dt))
            m = m.t() if layout == 1 else m
            if layout == 2:
                m = lib.cat([m, m], 1)[:, ::2] if k else m
            return lib.tensor(y0, dtype=getattr(lib, dt)).expand(n).addmv_(
                m, lib.tensor(x, dtype=getattr(lib, dt)), beta=beta, alpha=alpha)
        return run
    nb, n, k, p = (int(v) for v in rng.integers(1, 4, 4))
    k = int(rng.choice([0, k, 40, 70]))
    form = [(1, n, p), (1, 1, p), (1, n, 1), (1, 1, 1), (nb, 1, p)][int(rng.integers(0, 5))]
    c0 = rng.standard_normal(form)
    a, b = rng.standard_normal((nb, n, k)), rng.standard_normal((nb, k, p))

    def run():
        T = getattr(lib, dt)
        return lib.tensor(c0, dtype=T).expand(nb, n, p).baddbmm_(
            lib.tensor(a, dtype=T), lib.tensor(b, dtype=T), beta=beta, alpha=alpha)
    return run


@pytest.mark.parametrize("which", ["addmv", "baddbmm"])
def test_fused_through_expanded_random_as_torch(which):
    """addmv_ / baddbmm_ into an expanded self: torch's kernels read and store each element in
    turn; the engine's model of their loops gives torch's values (or its overlap error)."""
    rng = np.random.default_rng(11 if which == "addmv" else 12)
    for _ in range(120):
        seed = int(rng.integers(0, 2 ** 31))
        out = []
        for lib in (engine, torch):
            try:
                r = _fused_case(np.random.default_rng(seed), lib, which)()
                out.append(np.array(r.tolist()))
            except RuntimeError as e:
                out.append(str(e))
        if isinstance(out[0], str) or isinstance(out[1], str):
            assert out[0] == out[1]
        else:
            np.testing.assert_allclose(out[0], out[1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["addmv", "baddbmm"])
def test_fused_graph_as_torch(name):
    def case(m, F, leaf):
        a = leaf([[1.0, 2.0], [3.0, 4.0], [5.0, -6.0]])
        x = leaf([0.5, -1.0])
        y = (leaf([1.5]) * 1)
        if name == "addmv":
            t = y.expand(3)
            t.addmv_(a, x, beta=0.5)
        else:
            t = y.reshape(1, 1, 1).expand(2, 3, 3)
            t.baddbmm_(a.expand(2, 3, 2), a.t().expand(2, 2, 3), alpha=2)
        return t * 1, y

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(case)
