"""``torch.nn.utils.rnn`` (engine/nn/utils/rnn.py) and the RNN modules on a PackedSequence,
against torch 2.13 side by side: values, dtypes, the whole chain of node names, gradients of
the sequences and of every parameter, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import engine
from engine.nn.utils import rnn as er

torch = pytest.importorskip("torch")
from torch.nn.utils import rnn as tr  # noqa: E402

from .torch_compare import compare  # noqa: E402

RNG = np.random.default_rng(12)
A, B, C = (RNG.standard_normal(s).tolist() for s in ((3, 2), (1, 2), (2, 2)))
X342 = RNG.standard_normal((3, 4, 2)).tolist()
S1, S2, S3 = (RNG.standard_normal((n, 3)).tolist() for n in (4, 2, 3))


def R(m):
    return er if m is engine else tr


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("value", [0.0, -1.5])
def test_pad_sequence(batch_first, side, value):
    compare(lambda m, F, leaf: R(m).pad_sequence(
        [leaf(A), leaf(B), leaf(C)], batch_first=batch_first, padding_value=value,
        padding_side=side))


@pytest.mark.parametrize("call", [
    lambda m, leaf: R(m).pad_sequence([]),
    lambda m, leaf: R(m).pad_sequence([leaf(A)], padding_side="up"),
    lambda m, leaf: R(m).pad_sequence([leaf(A), m.ones(2, 3)]),
    lambda m, leaf: R(m).pad_sequence([leaf(A), leaf(B, dtype=m.float32)]),
    lambda m, leaf: R(m).pad_sequence(leaf(A)),
    lambda m, leaf: R(m).pad_sequence(3),
    lambda m, leaf: R(m).pad_sequence([leaf(A), m.tensor(1.0)]),
    lambda m, leaf: R(m).pad_sequence([m.tensor(1.0), m.tensor(2.0)]),
    lambda m, leaf: R(m).pad_sequence([m.tensor([1, 2]), m.tensor([3])], padding_value=1.5),
    lambda m, leaf: R(m).pad_sequence([leaf(A), leaf(B)], padding_value=True),
    lambda m, leaf: R(m).pack_padded_sequence(leaf(X342), [3, 4, 1, 1]),
    lambda m, leaf: R(m).pack_padded_sequence(leaf(X342), [3, 3, 2, 0]),
    lambda m, leaf: R(m).pack_padded_sequence(leaf(X342), [3]),
    lambda m, leaf: R(m).pack_padded_sequence(leaf(X342), m.tensor([[3, 1, 1, 1]])),
    lambda m, leaf: R(m).pack_padded_sequence(leaf(X342), m.tensor([3.0, 2, 1, 1])).data,
    lambda m, leaf: R(m).pack_padded_sequence(leaf(X342), [3, -1, 1, 1], enforce_sorted=False),
    lambda m, leaf: R(m).pack_padded_sequence(leaf(X342)[0], [3, 2]).data,
    lambda m, leaf: R(m).pack_padded_sequence(leaf(X342)[0, 0], [2]),
    lambda m, leaf: R(m).pad_packed_sequence(R(m).pack_sequence([leaf(A), leaf(B)]),
                                             total_length=2),
    lambda m, leaf: R(m).pad_packed_sequence(R(m).pack_sequence([leaf(A), leaf(B)]),
                                             total_length=5),
    lambda m, leaf: R(m).PackedSequence(leaf(A), m.tensor([2, 1])),
    lambda m, leaf: tuple(R(m).PackedSequence((leaf(A), m.tensor([2, 1])))),
    lambda m, leaf: R(m).PackedSequence(leaf(A)),
    lambda m, leaf: R(m).invert_permutation(m.tensor([2, 0, 1])),
    lambda m, leaf: R(m).invert_permutation(None),
    lambda m, leaf: tuple(R(m).pack_sequence([leaf(A), leaf(C)]).double()),
    lambda m, leaf: tuple(R(m).pack_sequence([leaf(A), leaf(C)]).to(m.float32)),
    lambda m, leaf: R(m).pack_sequence([leaf(A), leaf(C)]).is_cuda,
    lambda m, leaf: R(m).pack_sequence([leaf(A), leaf(C)])._fields,
    lambda m, leaf: R(m).pack_sequence([leaf(A), leaf(B), leaf(C)]),
    lambda m, leaf: R(m).unpad_sequence(leaf(X342) * 1, m.tensor([3, 2, 2, 1])),
    lambda m, leaf: R(m).unpad_sequence(leaf(X342) * 1, m.tensor([3, 2, 2, 1]),
                                        batch_first=True),
])
def test_rnn_utils_calls_and_errors(call):
    def case(m, F, leaf):
        out = call(m, leaf)
        return tuple(out) if type(out).__name__ == "PackedSequence" else out

    compare(case)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("sort", [True, False])
def test_pack_and_pad_round_trip(batch_first, sort):
    seqs = [A, C, B] if sort else [B, A, C]

    def case(m, F, leaf):
        p = R(m).pack_sequence([leaf(s) for s in seqs], enforce_sorted=sort)
        out, lengths = R(m).pad_packed_sequence(p, batch_first=batch_first, padding_value=2.0,
                                                total_length=5)
        again = R(m).pack_padded_sequence(out, lengths, batch_first=batch_first,
                                          enforce_sorted=False)
        return tuple(p), out, lengths, tuple(again), R(m).unpack_sequence(again)

    compare(case)


@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_padded_sequence_of_a_batch(batch_first):
    def case(m, F, leaf):
        x = leaf(X342)
        return tuple(R(m).pack_padded_sequence(x.transpose(0, 1) if batch_first else x,
                                               [3, 3, 2, 1], batch_first=batch_first))

    compare(case)


def test_pack_padded_sequence_second_order():
    for m in (engine, torch):
        x = m.tensor(X342, dtype=m.float64, requires_grad=True)
        data = R(m).pack_padded_sequence(x, [3, 3, 2, 1]).data
        (g,) = (engine.grad if m is engine else torch.autograd.grad)(
            (data ** 2).sum(), x, create_graph=True)
        (gg,) = (engine.grad if m is engine else torch.autograd.grad)((g ** 2).sum(), x)
        if m is engine:
            ours = engine.to_numpy(gg)
        else:
            np.testing.assert_allclose(ours, gg.numpy(), rtol=1e-12)


def _module(m, mode, dtype="float64", **kw):
    """The engine's (or torch's) module with torch's seeded initial parameters."""
    torch.manual_seed(0)
    ref = getattr(torch.nn, mode)(3, 2, **kw)
    mod = getattr(m.nn, mode)(3, 2, **kw)
    with m.no_grad():
        for k, v in mod.named_parameters():
            v.copy_(m.tensor(ref.state_dict()[k].numpy()))
    return getattr(mod, "double" if dtype == "float64" else "float")()


@pytest.mark.parametrize("mode,bi,layers,sort", list(itertools.product(
    ["RNN", "LSTM", "GRU"], [False, True], [1, 2], [True, False])))
def test_rnn_modules_on_a_packed_sequence(mode, bi, layers, sort):
    def case(m, F, leaf):
        mod = _module(m, mode, num_layers=layers, bidirectional=bi)
        seqs = [leaf(S1), leaf(S3), leaf(S2)] if sort else [leaf(S2), leaf(S1), leaf(S3)]
        out, h = mod(R(m).pack_sequence(seqs, enforce_sorted=sort))
        grads = (engine.grad if m is engine else torch.autograd.grad)(
            out.data.sum() + (h[0] if mode == "LSTM" else h).sum(), list(mod.parameters()))
        return tuple(out), h, grads

    compare(case, rtol=1e-10)


@pytest.mark.parametrize("mode,kw", [
    ("LSTM", {"proj_size": 1}), ("RNN", {"nonlinearity": "relu"}),
    ("LSTM", {"batch_first": True}), ("GRU", {"bias": False}), ("LSTM", {"dtype": "float32"}),
    ("GRU", {"hx": True}), ("LSTM", {"hx": True}), ("RNN", {"hx": True, "bidirectional": True}),
])
def test_rnn_modules_on_a_packed_sequence_variants(mode, kw):
    kw = dict(kw)
    dtype = kw.pop("dtype", "float64")
    with_hx = kw.pop("hx", False)

    def case(m, F, leaf):
        mod = _module(m, mode, dtype, **kw)
        dt = getattr(m, dtype)
        seqs = [leaf(S2, dtype=dt), leaf(S1, dtype=dt), leaf(S3, dtype=dt)]
        p = R(m).pack_sequence(seqs, enforce_sorted=False)
        args = [p]
        if with_hx:
            n = 2 if kw.get("bidirectional") else 1
            h0 = leaf(np.linspace(-1, 1, n * 3 * 2).reshape(n, 3, 2).tolist(), dtype=dt)
            args.append((h0, h0 * 0.5) if mode == "LSTM" else h0)
        out, h = mod(*args)
        return tuple(out), h

    compare(case, rtol=1e-10)


@pytest.mark.parametrize("call", [
    lambda m: _module(m, "GRU")(R(m).PackedSequence(m.ones(5, 1, 3, dtype=m.float64),
                                                     m.tensor([3, 2]))),
    lambda m: _module(m, "GRU")(R(m).pack_sequence([m.ones(3, 2, dtype=m.float64)])),
    lambda m: _module(m, "GRU")(R(m).pack_sequence([m.ones(3, 3, dtype=m.float64)]),
                                m.zeros(1, 2, 2, dtype=m.float64)),
])
def test_rnn_modules_on_a_packed_sequence_errors(call):
    compare(lambda m, F, leaf: call(m))


def _hx_case(m, kind, hx, packed=True, unsorted=False, **kw):
    m.manual_seed(0)
    mod = getattr(m.nn, kind)(2, 3, **kw)
    if packed:
        seqs = [m.ones(2, 2), m.ones(3, 2)] if unsorted else [m.ones(3, 2), m.ones(2, 2)]
        x = R(m).pack_sequence(seqs, enforce_sorted=not unsorted)
    else:
        x = m.ones(4, 2, 2) if hx[0] == "b" else m.ones(4, 2)
        hx = hx[1]
    z = m.zeros
    value = hx(z) if callable(hx) else hx
    out = mod(x, value)
    return out[0].data if packed else out[0]


# the hx torch's LSTM/GRU/RNN refuse or take (measured on torch 2.13; a packed LSTM runs no
# check_forward_args: ATen's packed kernel meets the states as they are)
HX_CASES = {
    "packed plain tensor": ("LSTM", lambda z: z(1, 2, 3), {}),
    "packed plain tensor, 2 layers bi": ("LSTM", lambda z: z(4, 2, 3),
                                         {"num_layers": 2, "bidirectional": True}),
    "packed plain tensor, proj, no bias": ("LSTM", lambda z: z(1, 2, 2),
                                           {"proj_size": 2, "bias": False}),
    "packed plain tensor, unsorted": ("LSTM", lambda z: z(2, 2, 3), {"unsorted": True}),
    "packed list hx": ("LSTM", lambda z: [z(1, 2, 3), z(1, 2, 3)], {}),
    "packed h batch 1": ("LSTM", lambda z: (z(1, 1, 3), z(1, 2, 3)), {}),
    "packed c batch 1": ("LSTM", lambda z: (z(1, 2, 3), z(1, 1, 3)), {}),
    "packed batch 3": ("LSTM", lambda z: (z(1, 3, 3), z(1, 3, 3)), {}),
    "packed c batch 3": ("LSTM", lambda z: (z(1, 2, 3), z(1, 3, 3)), {}),
    "packed fewer layers": ("LSTM", lambda z: (z(1, 2, 3), z(1, 2, 3)), {"num_layers": 2}),
    "packed more layers": ("LSTM", lambda z: (z(3, 2, 3), z(3, 2, 3)), {}),
    "packed c more layers": ("LSTM", lambda z: (z(1, 2, 3), z(2, 2, 3)), {}),
    "packed h hidden": ("LSTM", lambda z: (z(1, 2, 4), z(1, 2, 3)), {}),
    "packed c hidden": ("LSTM", lambda z: (z(1, 2, 3), z(1, 2, 4)), {}),
    "packed 2-D h": ("LSTM", lambda z: (z(2, 3), z(1, 2, 3)), {}),
    "packed 4-D h": ("LSTM", lambda z: (z(1, 1, 2, 3), z(1, 2, 3)), {}),
    "packed one state": ("LSTM", lambda z: (z(1, 2, 3),), {}),
    "packed three states": ("LSTM", lambda z: (z(1, 2, 3),) * 3, {}),
    "packed unsorted batch 3": ("LSTM", lambda z: (z(1, 3, 3), z(1, 3, 3)), {"unsorted": True}),
    "packed GRU tuple": ("GRU", lambda z: (z(1, 2, 3), z(1, 2, 3)), {}),
    "packed GRU list": ("GRU", lambda z: [z(1, 2, 3)], {}),
    "packed GRU 2-D": ("GRU", lambda z: z(2, 3), {}),
    "packed RNN batch 3": ("RNN", lambda z: z(1, 3, 3), {}),
    "packed GRU unsorted batch 3": ("GRU", lambda z: z(1, 3, 3), {"unsorted": True}),
    "plain tensor of one": ("LSTM", ("b", lambda z: z(1, 2, 3)), {"packed": False}),
    "plain tensor of two": ("LSTM", ("b", lambda z: z(2, 2, 3)), {"packed": False}),
    "unbatched plain tensor": ("LSTM", ("u", lambda z: z(2, 3)), {"packed": False}),
    "2-D h": ("LSTM", ("b", lambda z: (z(2, 3), z(1, 2, 3))), {"packed": False}),
    "2-D c": ("LSTM", ("b", lambda z: (z(1, 2, 3), z(2, 3))), {"packed": False}),
    "unbatched 3-D c": ("LSTM", ("u", lambda z: (z(1, 3), z(1, 1, 3))), {"packed": False}),
    "one state": ("LSTM", ("b", lambda z: (z(1, 2, 3),)), {"packed": False}),
    "three states": ("LSTM", ("b", lambda z: (z(1, 2, 3),) * 3), {"packed": False}),
    "h batch": ("LSTM", ("b", lambda z: (z(1, 3, 3), z(1, 2, 3))), {"packed": False}),
    "a number": ("LSTM", ("b", 3), {"packed": False}),
    "numbers": ("LSTM", ("b", (1, 2)), {"packed": False}),
}


@pytest.mark.parametrize("name", sorted(HX_CASES))
def test_hx_errors_as_torch(name):
    kind, hx, kw = HX_CASES[name]
    kw = dict(kw)
    packed, unsorted = kw.pop("packed", True), kw.pop("unsorted", False)
    # (the modules' initial weights are each generator's draws: values not compared)
    compare(lambda m, F, leaf: _hx_case(m, kind, hx, packed, unsorted, **kw), grads=False,
            graph=False, values=False)


def test_rnn_utils_through_the_language():
    from tests.app.lang.published import run_ours, run_torch

    cells = ["import torch\nimport torch.nn as nn\n"
             "from torch.nn.utils.rnn import pad_sequence, pack_padded_sequence, "
             "pad_packed_sequence, pack_sequence, PackedSequence\n"
             "torch.manual_seed(0)\n"
             "seqs = [torch.ones(3, 2), torch.full((1, 2), 2.0), torch.full((2, 2), 3.0)]\n"
             "padded = pad_sequence(seqs, batch_first=True)\nprint(padded)\n"
             "lengths = torch.tensor([len(s) for s in seqs])\n"
             "packed = pack_padded_sequence(padded, lengths, batch_first=True, "
             "enforce_sorted=False)\n"
             "print(packed.batch_sizes, packed.sorted_indices, isinstance(packed, "
             "PackedSequence))\n"
             "rnn = nn.GRU(2, 3, batch_first=True)\nout, h = rnn(packed)\n"
             "print(type(out).__name__, out.data.shape, h.shape, h.grad_fn.name())\n"
             "unpacked, lens = pad_packed_sequence(out, batch_first=True)\n"
             "print(unpacked.shape, lens)\n"
             "data, batch_sizes, _, _ = pack_sequence(seqs, enforce_sorted=False)\n"
             "print(data.shape, batch_sizes)\n"
             "import torch.nn.utils.rnn as rnn_utils\n"
             "print([t.shape for t in rnn_utils.unpack_sequence(packed)])\n"]
    assert run_ours(cells) == run_torch(cells)
