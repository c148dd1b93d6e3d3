"""``torch.finfo`` / ``torch.iinfo`` against torch 2.13: every attribute, the repr, equality
and the argument errors' classes and texts."""

from __future__ import annotations

import pytest

import engine

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name", ["float16", "float32", "float64", None])
def test_finfo_matches_torch(name):
    ours = engine.finfo() if name is None else engine.finfo(getattr(engine, name))
    theirs = torch.finfo() if name is None else torch.finfo(getattr(torch, name))
    assert repr(ours) == repr(theirs)
    for key in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, key) == getattr(theirs, key), key
        assert type(getattr(ours, key)) is type(getattr(theirs, key)), key
    assert ours == engine.finfo(engine.float32 if name is None else getattr(engine, name))


@pytest.mark.parametrize("name", ["int32", "int64"])
def test_iinfo_matches_torch(name):
    ours, theirs = engine.iinfo(getattr(engine, name)), torch.iinfo(getattr(torch, name))
    assert repr(ours) == repr(theirs)
    assert (ours.bits, ours.max, ours.min, ours.dtype) == \
        (theirs.bits, theirs.max, theirs.min, theirs.dtype)


@pytest.mark.parametrize("call", [
    lambda lib: lib.finfo(lib.int32), lambda lib: lib.finfo(3), lambda lib: lib.finfo("float32"),
    lambda lib: lib.iinfo(lib.float32), lambda lib: lib.iinfo(3), lambda lib: lib.iinfo(lib.bool),
])
def test_errors_are_torchs(call):
    texts = []
    for lib in (engine, torch):
        with pytest.raises(TypeError) as info:
            call(lib)
        texts.append(str(info.value))
    assert texts[0] == texts[1]


def test_tensor_reads_deques_and_ranges_as_torch_does():
    """``torch.tensor`` of a deque (REINFORCE's returns) or a range, nested too."""
    import collections

    for data in (collections.deque([1.5, 2.0]), range(3), collections.deque(),
                 [collections.deque([1, 2]), collections.deque([3, 4])], (range(2), [5, 6])):
        ours, theirs = engine.tensor(data), torch.tensor(data)
        assert repr(ours) == repr(theirs)
    assert repr(engine.as_tensor(collections.deque([True]))) == \
        repr(torch.as_tensor(collections.deque([True])))
