"""``engine.utils.data``: datasets, samplers, collation and the DataLoader, as torch has them."""

from __future__ import annotations

import pytest

import engine
from engine.utils import data


def dataset(n: int = 5):
    return data.TensorDataset(engine.arange(2.0 * n).reshape(n, 2), engine.arange(n))


def test_tensor_dataset_samples_and_length():
    ds = dataset()
    x, y = ds[1]
    assert x.tolist() == [2.0, 3.0] and y.item() == 1 and len(ds) == 5
    with pytest.raises(AssertionError, match="^Size mismatch between tensors$"):
        data.TensorDataset(engine.ones(2), engine.ones(3))


def test_loader_batches_in_order_with_a_short_last_batch():
    loader = data.DataLoader(dataset(), batch_size=2)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    assert batches[0][0].tolist() == [[0.0, 1.0], [2.0, 3.0]] and batches[0][1].tolist() == [0, 1]
    assert batches[2][1].tolist() == [4] and isinstance(batches[0], list)
    assert [b[1].tolist() for b in data.DataLoader(dataset(), batch_size=2, drop_last=True)] \
        == [[0, 1], [2, 3]]
    assert len(data.DataLoader(dataset(), batch_size=2, drop_last=True)) == 2


def test_shuffle_draws_from_the_current_generator_each_epoch():
    loader = data.DataLoader(dataset(20), batch_size=20, shuffle=True)
    with engine.use_generator(engine.Generator().manual_seed(3)):
        first = next(iter(loader))[1].tolist()
        second = next(iter(loader))[1].tolist()
    with engine.use_generator(engine.Generator().manual_seed(3)):
        again = next(iter(loader))[1].tolist()
    assert sorted(first) == list(range(20)) and first != list(range(20))
    assert first != second and first == again
    # torch's order of draws: the iterator's base seed (one 64-bit draw), then the sampler's
    # permutation; from the loader's own generator directly, from a generator seeded by a
    # draw of the current one without
    gen = engine.Generator().manual_seed(3)
    own = data.DataLoader(dataset(20), batch_size=20, shuffle=True, generator=gen)
    mine = engine.Generator().manual_seed(3)
    engine.zeros((), dtype=engine.int64).random_(generator=mine)
    assert next(iter(own))[1].tolist() == engine.randperm(20, generator=mine).tolist()
    current = engine.Generator().manual_seed(3)
    engine.zeros((), dtype=engine.int64).random_(generator=current)
    seed = engine.zeros((), dtype=engine.int64).random_(generator=current).item()
    assert first == engine.randperm(20, generator=engine.Generator().manual_seed(seed)).tolist()


def test_fast_path_equals_stacking_samples():
    ds = dataset(7)
    loader = data.DataLoader(ds, batch_size=3, shuffle=True)
    stacked = data.DataLoader(ds, batch_size=3, shuffle=True,
                              collate_fn=lambda batch: data.default_collate(batch))
    with engine.use_generator(engine.Generator().manual_seed(1)):
        a = [[t.tolist() for t in b] for b in loader]
    with engine.use_generator(engine.Generator().manual_seed(1)):
        b = [[t.tolist() for t in b] for b in stacked]
    assert a == b


def test_default_collate_as_torch():
    batch = data.default_collate([(1, 2.0, "a", {"k": 1}), (3, 4.0, "b", {"k": 2})])
    assert repr(batch) == ("[tensor([1, 3]), tensor([2., 4.], dtype=torch.float64), ('a', 'b'), "
                           "{'k': tensor([1, 2])}]")
    assert repr(data.default_collate([engine.tensor(1.0), engine.tensor(2.0)])) == \
        "tensor([1., 2.])"


class Squares:
    """A user dataset: only ``__len__`` and ``__getitem__``."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return engine.tensor([float(i)]), i * i


def test_user_dataset_and_batch_size_none():
    loader = data.DataLoader(Squares(), batch_size=3)
    (x, y), (x2, y2) = list(loader)
    assert x.tolist() == [[0.0], [1.0], [2.0]] and y.tolist() == [0, 1, 4] and y2.tolist() == [9]
    assert [s[1] for s in data.DataLoader(Squares(), batch_size=None)] == [0, 1, 4, 9]


class Counter(data.IterableDataset):
    def __iter__(self):
        return iter(range(5))


def test_iterable_dataset():
    assert [b.tolist() for b in data.DataLoader(Counter(), batch_size=2)] == [[0, 1], [2, 3],
                                                                              [4]]
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        data.DataLoader(Counter(), shuffle=True)


def test_random_split_lengths_and_fractions():
    with engine.use_generator(engine.Generator().manual_seed(0)):
        a, b = data.random_split(range(10), [3, 7])
    assert len(a) == 3 and len(b) == 7 and sorted(list(a) + list(b)) == list(range(10))
    assert [len(s) for s in data.random_split(range(10), [0.25, 0.25, 0.5])] == [3, 2, 5]
    with pytest.raises(ValueError, match="^Sum of input lengths does not equal the length of "
                                         "the input dataset!$"):
        data.random_split(range(10), [3, 3])
    assert isinstance(a, data.Subset)


def test_samplers_and_option_errors():
    assert list(data.BatchSampler(data.SequentialSampler(range(5)), 2, False)) == [[0, 1],
                                                                                   [2, 3], [4]]
    with pytest.raises(ValueError, match="^sampler option is mutually exclusive with shuffle$"):
        data.DataLoader(dataset(), shuffle=True, sampler=data.SequentialSampler(dataset()))
    with pytest.raises(ValueError, match="^batch_size should be a positive integer value, but "
                                         "got batch_size=0$"):
        data.DataLoader(dataset(), batch_size=0)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        data.DataLoader(dataset(), persistent_workers=True)
    assert len(list(data.DataLoader(dataset(), batch_size=2, num_workers=2))) == 3


def test_concat_and_subset():
    both = dataset(2) + dataset(3)
    assert len(both) == 5 and both[3][1].item() == 1
    sub = data.Subset(dataset(), [4, 0])
    assert sub[0][1].item() == 4 and len(sub) == 2


def test_weighted_random_sampler():
    s = data.WeightedRandomSampler([0.0, 1.0, 0.0], 5)
    assert list(s) == [1] * 5 and len(s) == 5 and s.weights.dtype is engine.float64
    engine.manual_seed(0)
    assert sorted(data.WeightedRandomSampler([0.1, 0.9, 0.4], 3, replacement=False)) == [0, 1, 2]
    g = engine.Generator().manual_seed(3)
    drawn = list(data.WeightedRandomSampler(engine.tensor([1.0, 3.0]), 400, generator=g))
    assert 240 < drawn.count(1) < 360  # 3 to 1
    loader = data.DataLoader(range(3), batch_size=2, sampler=data.WeightedRandomSampler(
        [1.0, 0.0, 0.0], 4))
    assert [b.tolist() for b in loader] == [[0, 0], [0, 0]]
    for kwargs, text in ((dict(num_samples=0), "num_samples should be a positive integer "
                                               "value, but got num_samples=0"),
                         (dict(num_samples=2.5), "num_samples=2.5"),
                         (dict(num_samples=2, replacement=1), "replacement should be a boolean "
                                                              "value, but got replacement=1")):
        with pytest.raises(ValueError, match=text):
            data.WeightedRandomSampler([1.0], **kwargs)
    with pytest.raises(ValueError, match=r"weights should be a 1d sequence but given weights "
                                         r"have shape \(1, 2\)"):
        data.WeightedRandomSampler([[1.0, 2.0]], 2)
