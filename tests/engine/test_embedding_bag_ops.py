"""F.embedding_bag (engine/ops/embedding_bag.py) and nn.EmbeddingBag against torch 2.13:
values, node names, gradients (weight and per_sample_weights), reprs and error texts."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("torch")
import torch  # noqa: E402

import engine  # noqa: E402
from tests.engine.torch_compare import Run, close, compare  # noqa: E402

rng = np.random.default_rng(0)
W = rng.standard_normal((6, 3))
PS = rng.random(8)
I = [1, 2, 4, 5, 4, 3, 2, 0]
O = [0, 3, 3, 6]


def T(m, v):
    return m.tensor(v)


CASES = []
for mode in ("sum", "mean", "max"):
    CASES += [
        lambda m, F, leaf, mode=mode: F.embedding_bag(T(m, I), leaf(W), T(m, O), mode=mode),
        lambda m, F, leaf, mode=mode: F.embedding_bag(T(m, I).view(2, 4), leaf(W), mode=mode),
        lambda m, F, leaf, mode=mode: F.embedding_bag(
            T(m, I), leaf(W), T(m, O), mode=mode, padding_idx=4
        ),
        lambda m, F, leaf, mode=mode: F.embedding_bag(
            T(m, I), leaf(W), T(m, [0, 3, 3, 6, 8]), mode=mode, include_last_offset=True
        ),
        lambda m, F, leaf, mode=mode: F.embedding_bag(
            T(m, [4, 4]), leaf(W), T(m, [0]), mode=mode, padding_idx=4
        ),
        lambda m, F, leaf, mode=mode: F.embedding_bag(
            T(m, I).int(), leaf(W), T(m, O).int(), mode=mode
        ),
        lambda m, F, leaf, mode=mode: F.embedding_bag(
            T(m, I), leaf(W, dtype=m.float32), T(m, O), mode=mode
        ),
        lambda m, F, leaf, mode=mode: F.embedding_bag(
            T(m, [1, 1, 2, 1]), leaf([[0.0, 1], [1.0, 1.0], [1.0, 0.0]]), T(m, [0]), mode=mode
        ),
        lambda m, F, leaf, mode=mode: F.embedding_bag(
            T(m, I), leaf(W), T(m, O), mode=mode, per_sample_weights=leaf(PS)
        ),
    ]
CASES += [
    lambda m, F, leaf: F.embedding_bag(
        T(m, I).view(2, 4), leaf(W), mode="sum", per_sample_weights=leaf(PS.reshape(2, 4))
    ),
    lambda m, F, leaf: F.embedding_bag(T(m, I), leaf(W)),
    lambda m, F, leaf: F.embedding_bag(T(m, I).view(2, 4), leaf(W), T(m, O)),
    lambda m, F, leaf: F.embedding_bag(T(m, I), leaf(W), T(m, O), mode="x"),
    lambda m, F, leaf: F.embedding_bag(
        T(m, I), leaf(W), T(m, O), per_sample_weights=leaf(PS[:7]), mode="sum"
    ),
    lambda m, F, leaf: F.embedding_bag(T(m, I).float(), leaf(W), T(m, O)),
    lambda m, F, leaf: F.embedding_bag(T(m, I), leaf(W), T(m, O).float()),
    lambda m, F, leaf: F.embedding_bag(T(m, I), leaf(W), T(m, [1, 3])),
    lambda m, F, leaf: F.embedding_bag(T(m, I), leaf(W), T(m, [0, 9])),
    lambda m, F, leaf: F.embedding_bag(T(m, I) + 5, leaf(W), T(m, O)),
    lambda m, F, leaf: F.embedding_bag(T(m, I), leaf(W)[0], T(m, O)),
    lambda m, F, leaf: F.embedding_bag(T(m, I), leaf(W), T(m, O), padding_idx=9),
    lambda m, F, leaf: F.embedding_bag(T(m, I), leaf(W), T(m, O), padding_idx=-1),
    lambda m, F, leaf: F.embedding_bag(T(m, I).view(1, 1, 8), leaf(W)),
    lambda m, F, leaf: F.embedding_bag(T(m, I), leaf(W), T(m, O).view(2, 2)),
    lambda m, F, leaf: F.embedding_bag(
        T(m, I), leaf(W), T(m, O), per_sample_weights=leaf(PS, dtype=m.float32), mode="sum"
    ),
    lambda m, F, leaf: F.embedding_bag(T(m, I), leaf(W), T(m, O), max_norm=1.0),
    lambda m, F, leaf: F.embedding_bag(
        T(m, I), leaf(W), T(m, O), mode="mean", per_sample_weights=leaf(PS)
    ),
    lambda m, F, leaf: F.embedding_bag(T(m, [[0, 1], [2, 0]]), leaf(W)[:0]),
]



@pytest.mark.parametrize("k", range(len(CASES)))
def test_embedding_bag_as_torch(k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(CASES[k])


def test_per_sample_weights_double_backward_as_torch():
    for lib in (engine, torch):
        F = engine.nn.functional if lib is engine else torch.nn.functional
        w = lib.tensor(W, requires_grad=True)
        p = lib.tensor(PS, requires_grad=True)
        o = F.embedding_bag(lib.tensor(I), w, lib.tensor(O), mode="sum", per_sample_weights=p)
        grad = engine.grad if lib is engine else torch.autograd.grad
        gw, gp = grad(o, (w, p), lib.ones_like(o), create_graph=True)
        names = (
            type(gw.grad_fn).__name__,
            type(gp.grad_fn).__name__,
        )
        assert names == ("EmbeddingBagBackwardBackward0", "NotImplemented")
        with pytest.raises(RuntimeError, match="_embedding_bag_per_sample_weights_backward"):
            gp.sum().backward()
        if lib is engine:
            ours = engine.to_numpy(gw), engine.to_numpy(gp)
        else:
            np.testing.assert_allclose(ours[0], gw.detach().numpy(), rtol=1e-12)
            np.testing.assert_allclose(ours[1], gp.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"mode": "sum", "padding_idx": 1, "max_norm": 1.0, "norm_type": 1.0},
        {"mode": "max", "padding_idx": -2},
        {"include_last_offset": True},
    ],
)
def test_module_as_torch(kwargs):
    ours, theirs = engine.nn.EmbeddingBag(5, 3, **kwargs), torch.nn.EmbeddingBag(5, 3, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.padding_idx == theirs.padding_idx
    if "padding_idx" in kwargs:
        assert not engine.to_numpy(ours.weight[ours.padding_idx]).any()
    ours.load_state_dict({"weight": engine.tensor(theirs.weight.detach().numpy())})
    idx, off = [1, 2, 4, 3, 0], [0, 2, 5] if kwargs.get("include_last_offset") else [0, 2]
    a = ours(engine.tensor(idx), engine.tensor(off))
    b = theirs(torch.tensor(idx), torch.tensor(off))
    np.testing.assert_allclose(engine.to_numpy(a), b.detach().numpy(), rtol=1e-6)
    assert a.grad_fn.name() == b.grad_fn.name()


def test_module_errors_and_from_pretrained_as_torch():
    for lib in (engine, torch):
        for make in (
            lambda lib=lib: lib.nn.EmbeddingBag(5, 3, padding_idx=5),
            lambda lib=lib: lib.nn.EmbeddingBag(5, 3, padding_idx=-6),
            lambda lib=lib: lib.nn.EmbeddingBag(5, 3, _weight=lib.ones(2, 3)),
            lambda lib=lib: lib.nn.EmbeddingBag.from_pretrained(lib.ones(3)),
        ):
            with pytest.raises(AssertionError):
                make()
        bag = lib.nn.EmbeddingBag.from_pretrained(lib.ones(2, 3), mode="sum")
        assert repr(bag) == "EmbeddingBag(2, 3, mode='sum')"
        assert bag.weight.requires_grad is False
        assert lib.nn.EmbeddingBag.from_pretrained(
            lib.ones(2, 3), freeze=False
        ).weight.requires_grad


@pytest.mark.parametrize("mode", ["sum", "mean"])
@pytest.mark.parametrize("seed", range(12))
def test_scale_grad_by_freq_as_torch(mode, seed):
    """torch 2.13's CPU kernel divides the u-th distinct row's gradient by the count of the
    u-th sorted index: the engine follows it (1-D with offsets, 2-D, padding_idx, psw)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 9))
    idx = rng.integers(0, 5, n).tolist()
    two_d = seed % 3 == 0 and n % 2 == 0
    offsets = sorted(set([0] + rng.integers(0, n, 2).tolist()))
    pad = int(rng.integers(0, 5)) if seed % 4 == 1 else None
    psw = mode == "sum" and seed % 5 == 2

    def case(m, F, leaf):
        w = leaf(np.linspace(-1.0, 1.0, 15).reshape(5, 3))
        inp = m.tensor(idx).reshape(2, -1) if two_d else m.tensor(idx)
        weights = leaf(rng_weights(n, two_d)) if psw else None
        return F.embedding_bag(inp, w, None if two_d else m.tensor(offsets), mode=mode,
                               scale_grad_by_freq=True, padding_idx=pad,
                               per_sample_weights=weights)

    compare(case)


def rng_weights(n, two_d):
    w = np.linspace(0.5, 1.5, n)
    return w.reshape(2, -1) if two_d else w


# include_last_offset with indices after the last offset: torch's general kernels (float64,
# padding_idx, mode max) add them to the last bag; its fast float32/float16 sum/mean kernel
# leaves them out of the sum but not out of a mean's divisor or its gradient. (With a single
# offset there is no bag and torch 2.13 crashes on such a tail: not compared.)
TAIL_I = [1, 2, 4, 5, 4, 3, 2, 9]
TAIL_BAGS = {
    "tail": ([0, 4, 6], None),
    "tail, empty bags": ([0, 0, 4, 4, 5], None),
    "one bag, tail": ([0, 3], None),
    "no tail": ([0, 4, 8], None),
    "2-D": (None, (2, 4)),
    "2-D, one row": (None, (1, 8)),
}
TAIL_W = np.sin(np.arange(30.0)).reshape(10, 3)


def _tail_case(bags, mode, dtype, pad, psw, transposed=False):
    offsets, shape = TAIL_BAGS[bags]

    def case(m, F, leaf):
        inp = m.tensor(TAIL_I) if shape is None else m.tensor(TAIL_I).reshape(shape)
        dt = getattr(m, dtype)
        if transposed:  # (a weight of stride 3 along dim 1 takes torch's general path)
            w = leaf(np.ascontiguousarray(TAIL_W.T), dtype=dt).t()
        else:
            w = leaf(TAIL_W, dtype=dt)
        p = None
        if psw:
            p = leaf(np.linspace(0.5, 2.0, 8).reshape(shape or (8,)), dtype=dt)
        return F.embedding_bag(inp, w, None if offsets is None else m.tensor(offsets),
                               mode=mode, include_last_offset=True, padding_idx=pad,
                               per_sample_weights=p)

    return case


def _tail_params():
    out = []
    for bags in TAIL_BAGS:
        for mode in ("sum", "mean", "max"):
            for dtype in ("float16", "float32", "float64"):
                for pad in (None, 3):
                    for psw in (False, True) if mode == "sum" else (False,):
                        out.append((bags, mode, dtype, pad, psw))
    return out


def _undefined_in_torch(bags, mode, dtype, pad, psw, transposed=False):
    """torch's fast sum kernel's gradient of a tail index reads beyond grad's last row."""
    offsets, shape = TAIL_BAGS[bags]
    tail = shape is None and offsets[-1] < len(TAIL_I)  # (a 2-D input drops the flag)
    return tail and mode == "sum" and dtype != "float64" and pad is None and not transposed


@pytest.mark.parametrize("bags, mode, dtype, pad, psw", _tail_params())
def test_include_last_offset_with_a_tail_as_torch(bags, mode, dtype, pad, psw):
    case = _tail_case(bags, mode, dtype, pad, psw)
    undefined = _undefined_in_torch(bags, mode, dtype, pad, psw)
    ours = compare(case, grads=not undefined)
    if undefined:  # the rows only the tail picks get the gradient of the sum: none
        theirs = Run(torch, case)
        cut = TAIL_BAGS[bags][0][-1]
        tail_rows = sorted(set(TAIL_I[cut:]))
        gw, gw_torch = ours.grads[0], theirs.grads[0]
        assert not gw[tail_rows].any() or set(TAIL_I[:cut]) & set(tail_rows)
        others = [r for r in range(10) if r not in tail_rows]
        rtol = 2e-2 if dtype == "float16" else 2e-5
        assert close(gw[others], gw_torch[others], rtol, 1e-6)
        if psw:
            assert not ours.grads[1].reshape(-1)[cut:].any()
            assert close(ours.grads[1].reshape(-1)[:cut], theirs.grads[1].reshape(-1)[:cut],
                         rtol, 1e-6)


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_include_last_offset_on_a_strided_float32_weight_as_torch(mode):
    compare(_tail_case("tail", mode, "float32", None, False, transposed=True))


def test_module_include_last_offset_with_a_tail_as_torch():
    for mode in ("sum", "mean", "max"):
        ours = engine.nn.EmbeddingBag(10, 3, mode=mode, include_last_offset=True)
        theirs = torch.nn.EmbeddingBag(10, 3, mode=mode, include_last_offset=True)
        ours.load_state_dict({"weight": engine.tensor(theirs.weight.detach().numpy())})
        a = ours(engine.tensor(TAIL_I), engine.tensor([0, 4, 6]))
        b = theirs(torch.tensor(TAIL_I), torch.tensor([0, 4, 6]))
        np.testing.assert_allclose(engine.to_numpy(a), b.detach().numpy(), rtol=1e-6)
