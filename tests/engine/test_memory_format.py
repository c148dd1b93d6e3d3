"""``torch.memory_format`` (engine/ops/memory_format.py) against torch 2.13: the layout rules
(torch's preserve_format strides on 3,000 random layouts; channels-last strides and contiguity
tests), ``contiguous`` / ``is_contiguous`` / ``clone`` / ``to`` / the casts with ``memory_format=``,
their nodes, aliasing and errors; the names through the language."""

from __future__ import annotations

import random

import numpy as np
import pytest

import engine
from engine.ops import memory_format as mf

torch = pytest.importorskip("torch")
from .torch_compare import compare  # noqa: E402


def _random_layouts(n: int, seed: int):
    """(torch tensor, engine tensor over the same values and strides) pairs: slices, steps,
    permutations, broadcast dimensions, size-0 and size-1 dimensions."""
    rnd = random.Random(seed)
    for _ in range(n):
        nd = rnd.randint(0, 5)
        shape = [rnd.randint(0, 4) if rnd.random() < 0.1 else rnd.randint(1, 4)
                 for _ in range(nd)]
        steps = [rnd.choice([1, 1, 2]) for _ in range(nd)]
        perm = list(range(nd))
        rnd.shuffle(perm)
        expand = rnd.randrange(nd) if nd and rnd.random() < 0.25 else None
        vals = np.random.default_rng(rnd.randrange(1 << 30)).standard_normal(
            [s * st for s, st in zip(shape, steps)])
        pair = []
        for m in (torch, engine):
            # (an empty one from a factory: torch.tensor(ndarray) keeps NumPy's zero strides,
            # a factory's empty tensor is row-major, as the engine's empty tensors are)
            t = m.tensor(vals) if vals.size else m.zeros(vals.shape, dtype=m.float64)
            t = t[tuple(slice(0, s * st, st) for s, st in zip(shape, steps))]
            t = t.permute(*perm) if nd else t
            if expand is not None:
                t = t.unsqueeze(expand)
                t = t.expand(*[3 if i == expand else -1 for i in range(t.dim())])
            pair.append(t)
        yield pair


def test_preserve_format_strides_match_torch_on_random_layouts():
    bad = []
    for theirs, ours in _random_layouts(3000, 12):
        if ours.stride() != theirs.stride():  # (unsqueeze's strides: torch's since session 13)
            bad.append(("stride", tuple(theirs.shape), theirs.stride(), ours.stride()))
            continue
        want = theirs.clone().stride()
        if mf.preserved_strides(tuple(ours.shape), ours.stride()) != want:
            bad.append(("preserved_strides", tuple(theirs.shape), theirs.stride(), want))
        got = ours.clone()
        if not np.array_equal(engine.to_numpy(got), theirs.numpy()):
            bad.append(("clone values", tuple(theirs.shape), theirs.stride()))
        if got.stride() != want:  # (every layout as torch's, since session 13)
            bad.append(("clone", tuple(theirs.shape), theirs.stride(), want, got.stride()))
        if ours.is_contiguous() != theirs.is_contiguous():
            bad.append(("is_contiguous", tuple(theirs.shape), theirs.stride()))
        if ours.dim() in (4, 5):
            fm, tf = ((mf.channels_last, torch.channels_last) if ours.dim() == 4 else
                      (mf.channels_last_3d, torch.channels_last_3d))
            if ours.is_contiguous(memory_format=fm) != theirs.is_contiguous(memory_format=tf):
                bad.append(("is_contiguous cl", tuple(theirs.shape), theirs.stride()))
            a, b = ours.contiguous(memory_format=fm), theirs.contiguous(memory_format=tf)
            if a.stride() != b.stride() or (a is ours) != (b is theirs):
                bad.append(("contiguous cl", tuple(theirs.shape), theirs.stride()))
            a, b = ours.to(memory_format=fm), theirs.to(memory_format=tf)
            if a.stride() != b.stride() or (a is ours) != (b is theirs):
                bad.append(("to cl", tuple(theirs.shape), theirs.stride()))
    assert not bad, bad[:10]


def test_the_formats_are_torch_values():
    assert repr(engine.channels_last) == "torch.channels_last"
    assert str(engine.contiguous_format) == "torch.contiguous_format"
    assert [repr(getattr(engine, n)) for n in ("channels_last_3d", "preserve_format")] == \
        ["torch.channels_last_3d", "torch.preserve_format"]
    import copy
    import pickle

    assert copy.deepcopy(engine.channels_last) is engine.channels_last
    assert pickle.loads(pickle.dumps(engine.channels_last)) is engine.channels_last
    for m in (engine, torch):
        with pytest.raises(TypeError, match="cannot create 'torch.memory_format' instances"):
            m.memory_format()
        with pytest.raises(AttributeError, match="'torch.memory_format' object has no attribute"):
            m.channels_last.foo = 1


CALLS = [
    lambda m, x: x.contiguous(memory_format=m.channels_last),
    lambda m, x: x.contiguous(memory_format=m.channels_last).contiguous(),
    lambda m, x: x.contiguous(memory_format=m.contiguous_format),
    lambda m, x: x.contiguous(memory_format=m.preserve_format),
    lambda m, x: x.contiguous(memory_format=m.channels_last_3d),
    lambda m, x: x.contiguous(memory_format=3),
    lambda m, x: x.clone(memory_format=m.channels_last),
    lambda m, x: x.clone(memory_format=m.channels_last).clone(),
    lambda m, x: x.clone(memory_format=m.contiguous_format),
    lambda m, x: x.clone(memory_format=3),
    lambda m, x: x.to(memory_format=m.channels_last),
    lambda m, x: x.to(m.float32, memory_format=m.channels_last),
    lambda m, x: x.to(memory_format=m.preserve_format),
    lambda m, x: x.float(memory_format=m.channels_last),
    lambda m, x: x.double(memory_format=m.channels_last),
    lambda m, x: x.is_contiguous(memory_format=m.channels_last),
    lambda m, x: x.is_contiguous(memory_format=m.preserve_format),
    lambda m, x: x.is_contiguous(memory_format=3),
    lambda m, x: x.contiguous(memory_format=m.channels_last).is_contiguous(),
    lambda m, x: x.contiguous(memory_format=m.channels_last) * 2,
    lambda m, x: x.contiguous(memory_format=m.channels_last).relu(),
    lambda m, x: x.contiguous(memory_format=m.channels_last).view(-1),
    lambda m, x: x.contiguous(memory_format=m.channels_last).reshape(-1),
    lambda m, x: x.contiguous(memory_format=m.channels_last).permute(0, 2, 3, 1).view(-1),
]


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (2, 1, 4, 5), (1, 3, 1, 1), (2, 3, 4),
                                   (2, 3, 2, 2, 2), (3, 4)])
@pytest.mark.parametrize("call", range(len(CALLS)))
def test_memory_format_calls_match_torch(shape, call):
    vals = np.random.default_rng(call).standard_normal(shape).tolist()

    def case(m, F, leaf):
        x = leaf(vals)
        out = CALLS[call](m, x)
        if isinstance(out, (engine.Tensor, torch.Tensor)):
            return out, out.stride(), out is x, out.is_contiguous()
        return out

    compare(case)


def test_memory_format_through_the_language():
    from tests.app.lang.published import run_ours, run_torch

    cells = ["import torch\nx = torch.arange(24.).reshape(1, 2, 3, 4).requires_grad_()\n"
             "y = x.contiguous(memory_format=torch.channels_last)\n"
             "print(torch.channels_last, type(torch.channels_last), y.stride())\n"
             "print(y.is_contiguous(), y.is_contiguous(memory_format=torch.channels_last))\n"
             "print(y.grad_fn.name(), x.clone(memory_format=torch.contiguous_format).stride())\n"
             "print(x.to(memory_format=torch.channels_last).stride(), "
             "isinstance(torch.preserve_format, torch.memory_format))\n"
             "(y * y).sum().backward()\nprint(x.grad[0, 1])\n"
             "print(torch.channels_last_3d == torch.channels_last)\n"]
    assert run_ours(cells) == run_torch(cells)


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("which", ["x", "w", "none", "both"])
def test_convolution_result_layout_as_torch(dt, k, transposed, which):
    rng = np.random.default_rng(k)
    x = rng.standard_normal((2, 3) + (5,) * k)
    w = rng.standard_normal(((3, 4) if transposed else (4, 3)) + (3,) * k)
    got = []
    for m, F in ((torch, torch.nn.functional), (engine, engine.nn.functional)):
        fm = m.channels_last if k == 2 else m.channels_last_3d
        xi, wi = m.tensor(x, dtype=getattr(m, dt)), m.tensor(w, dtype=getattr(m, dt))
        if which in ("x", "both"):
            xi = xi.contiguous(memory_format=fm)
        if which in ("w", "both"):
            wi = wi.contiguous(memory_format=fm)
        out = getattr(F, f"conv{'_transpose' if transposed else ''}{k}d")(xi, wi, padding=1)
        got.append((out.stride(), out.is_contiguous(), engine.to_numpy(out) if m is engine
                    else out.numpy()))
    assert got[0][:2] == got[1][:2]
    np.testing.assert_allclose(got[1][2], got[0][2], rtol=1e-5 if dt == "float32" else 1e-12,
                               atol=1e-5 if dt == "float32" else 1e-12)


def test_module_to_memory_format_as_torch():
    for m in (engine, torch):
        conv = m.nn.Conv2d(3, 4, 3).to(memory_format=m.channels_last)
        assert conv.weight.stride() == (27, 1, 9, 3) and conv.bias.stride() == (1,)
        assert conv.weight.is_leaf and conv.weight.requires_grad
        lin = m.nn.Linear(3, 4).to(torch.float64 if m is torch else engine.float64,
                                   memory_format=m.channels_last)
        assert lin.weight.stride() == (3, 1) and str(lin.weight.dtype) == "torch.float64"
        with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
            m.nn.Conv3d(1, 1, 1).to(memory_format=m.channels_last)
        with pytest.raises(TypeError, match="to\\(\\) received an invalid combination"):
            m.nn.Linear(3, 4).to(memory_format=3)
