"""``torch.utils.data``: datasets, samplers, ``default_collate``, ``DataLoader`` and
``random_split``.

A ``DataLoader`` uses only ``len(dataset)`` and ``dataset[i]`` (or ``iter(dataset)`` for an
``IterableDataset``), so a user's own dataset class works as long as it has those. Shuffling
and ``random_split`` draw from the current generator (the session's, inside a run) unless a
``generator`` is given. Loading happens in the caller's process: ``num_workers`` is accepted
(the batches are the same) but no worker processes are started.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from .. import errors
from ..dtypes import float64, int64
from ..memory import register_holder
from ..ops.creation import randperm, tensor
from ..ops.samplers import multinomial
from ..ops.shape import stack
from ..random import Generator
from ..tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset",
           "Subset", "random_split", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "DataLoader",
           "default_collate", "default_convert", "get_worker_info"]


# --------------------------------------------------------------------------- datasets
@register_holder
class Dataset:
    """A map-style dataset: subclasses define ``__getitem__`` (and usually ``__len__``)."""

    def __getitem__(self, index: Any) -> Any:
        raise errors.NotSupported("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])

    def __repr__(self) -> str:
        return f"<torch.utils.data.dataset.{type(self).__name__} object at {id(self):#x}>"


class IterableDataset(Dataset):
    """A dataset read by iterating it (subclasses define ``__iter__``)."""

    def __iter__(self) -> Iterator[Any]:
        raise errors.NotSupported("Subclasses of IterableDataset should implement __iter__.")


class TensorDataset(Dataset):
    """Samples are the ``index``-th rows of each tensor, as a tuple."""

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors or any(not isinstance(t, Tensor) for t in tensors):
            raise errors.EngineTypeError("TensorDataset() expects tensors")
        if any(tensors[0].shape[0] != t.shape[0] for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class StackDataset(Dataset):
    """Samples of several datasets side by side, as a tuple (or a dict with keywords)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args and kwargs:
            raise errors.EngineValueError(
                "Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                "input/output, but both types are given.")
        datasets = list(args) or list(kwargs.values())
        if not datasets:
            raise errors.EngineValueError("At least one dataset should be passed")
        self._length = len(datasets[0])
        if any(self._length != len(d) for d in datasets):
            raise errors.EngineValueError("Size mismatch between datasets")
        self.datasets = tuple(args) if args else dict(kwargs)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset):
    """Several datasets one after the other."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        if idx < 0:
            if -idx > len(self):
                raise errors.EngineValueError(
                    "absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        k = 0
        while k < len(self.cumulative_sizes) and self.cumulative_sizes[k] <= idx:
            k += 1
        if k == len(self.cumulative_sizes):
            raise IndexError("list index out of range")
        start = self.cumulative_sizes[k - 1] if k > 0 else 0
        return self.datasets[k][idx - start]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)


def _draw_seed(generator: Generator | None) -> int:
    """``torch.empty((), dtype=torch.int64).random_(generator=generator).item()``: a seed drawn
    from ``generator`` (the current one when None)."""
    from ..random import current_generator, full_range

    return int(full_range(current_generator(generator=generator), (), int64).item())


def random_split(dataset: Any, lengths: Sequence[int | float],
                 generator: Generator | None = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets of the given lengths (or
    fractions summing to 1; the remainder goes round-robin to the first subsets)."""
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = [int(math.floor(n * frac)) for frac in lengths]
        remainder = n - sum(counts)
        for i in range(remainder):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise errors.EngineValueError(
            "Sum of input lengths does not equal the length of the input dataset!")
    order = randperm(sum(lengths), generator=generator).tolist()
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, order[offset:offset + length]))
        offset += length
    return out


# --------------------------------------------------------------------------- samplers
@register_holder
class Sampler:
    """Yields dataset indices (subclasses define ``__iter__``)."""

    def __init__(self, data_source: Any = None) -> None:
        pass

    def __iter__(self) -> Iterator[Any]:
        raise errors.NotSupported("Subclasses of Sampler should implement __iter__.")


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh random permutation of the indices each epoch (or ``num_samples`` draws with
    replacement)."""

    def __init__(self, data_source: Any, replacement: bool = False,
                 num_samples: int | None = None, generator: Generator | None = None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise errors.EngineTypeError(
                f"replacement should be a boolean value, but got replacement={replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise errors.EngineValueError(
                "num_samples should be a positive integer value, but got "
                f"num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        if self.replacement:
            from ..ops.creation import randint

            generator = self.generator
            if generator is None:
                generator = Generator().manual_seed(_draw_seed(None))
            return iter(randint(0, n, (self.num_samples,), generator=generator).tolist())
        generator = self.generator
        if generator is None:  # torch's: a fresh generator seeded by a draw of the current one
            generator = Generator().manual_seed(_draw_seed(None))
        out: list[int] = []
        for _ in range(self.num_samples // n):
            out.extend(randperm(n, generator=generator).tolist())
        out.extend(randperm(n, generator=generator).tolist()[:self.num_samples % n])
        return iter(out)

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order each epoch."""

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        return iter([self.indices[i]
                     for i in randperm(len(self.indices), generator=self.generator).tolist()])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights`` (with
    replacement by default), from the current generator unless one is given."""

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Generator | None = None) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or \
                num_samples <= 0:
            raise errors.EngineValueError(
                "num_samples should be a positive integer value, but got "
                f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise errors.EngineValueError(
                f"replacement should be a boolean value, but got replacement={replacement}")
        weights_tensor = (weights if isinstance(weights, Tensor) else tensor(weights)).to(
            float64)
        if weights_tensor.ndim != 1:
            raise errors.EngineValueError(
                "weights should be a 1d sequence but given weights have shape "
                f"{tuple(weights_tensor.shape)}")
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        drawn = multinomial(self.weights, self.num_samples, self.replacement,
                            generator=self.generator)
        return iter(drawn.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise errors.EngineValueError(
                "batch_size should be a positive integer value, but got "
                f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise errors.EngineValueError(
                f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else \
            (n + self.batch_size - 1) // self.batch_size


# --------------------------------------------------------------------------- collation
def default_convert(data: Any) -> Any:
    """Leaves tensors and containers of them as they are (no NumPy arrays here)."""
    if isinstance(data, Mapping):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(v) for v in data))
    if isinstance(data, (list, tuple)):
        return [default_convert(v) for v in data]
    return data


def default_collate(batch: Sequence[Any]) -> Any:
    """Samples into a batch: tensors stacked on a new dim 0, Python ints and floats into
    int64 / float64 tensors, strings kept, tuples/lists/dicts collated field by field."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(list(batch), 0)
    if isinstance(elem, bool):
        return tensor(list(batch))
    if isinstance(elem, int):
        return tensor(list(batch))
    if isinstance(elem, float):
        from ..dtypes import float64

        return tensor(list(batch), dtype=float64)
    if isinstance(elem, str):
        return batch
    if isinstance(elem, Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, (list, tuple)):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise errors.EngineRuntimeError(
                "each element in list of batch should be of equal size")
        return [default_collate(samples) for samples in zip(*batch)]
    raise errors.EngineTypeError(
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {type(elem)}")


def get_worker_info() -> None:
    """None: data is always loaded in the main process here."""
    return None


# --------------------------------------------------------------------------- loader
@register_holder
class DataLoader:
    """Iterates ``dataset`` in batches of ``batch_size`` (shuffled each epoch when
    ``shuffle``), collating samples with ``collate_fn`` (``default_collate``)."""

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Any = None, batch_sampler: Any = None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable | None = None, multiprocessing_context: Any = None,
                 generator: Generator | None = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True) -> None:
        if num_workers < 0:
            raise errors.EngineValueError("num_workers option should be non-negative; use "
                                          "num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise errors.EngineValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise errors.EngineValueError(
                "prefetch_factor option could only be specified in multiprocessing.let "
                "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to "
                "None.")
        if persistent_workers and num_workers == 0:
            raise errors.EngineValueError("persistent_workers option needs num_workers > 0")
        if worker_init_fn is not None or multiprocessing_context is not None:
            raise errors.NotSupported(
                "DataLoader(worker_init_fn=..., multiprocessing_context=...) is not supported: "
                "data is loaded in the run's own process")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.generator = generator
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise errors.EngineValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                    f"but got shuffle={shuffle}")
            if sampler is not None:
                raise errors.EngineValueError(
                    "DataLoader with IterableDataset: expected unspecified sampler option, but "
                    f"got sampler={sampler}")
            if batch_sampler is not None:
                raise errors.EngineValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler "
                    f"option, but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise errors.EngineValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise errors.EngineValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise errors.EngineValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last")
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else \
                SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        elif batch_size is not None and self._iterable and (
                isinstance(batch_size, bool) or not isinstance(batch_size, int) or
                batch_size <= 0):
            raise errors.EngineValueError(
                "batch_size should be a positive integer value, but got "
                f"batch_size={batch_size}")
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._auto_collation = batch_sampler is not None or (self._iterable and
                                                             batch_size is not None)
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
            return n
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self) -> Iterator[Any]:
        # torch's iterator draws a base seed for its workers (one 64-bit draw) when it is made,
        # with or without workers: a seeded program's later draws come after it
        _draw_seed(self.generator)
        if self._iterable:
            return self._iter_iterable()
        if self.batch_sampler is None:
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        return self._iter_batches()

    def _iter_batches(self) -> Iterator[Any]:
        fast = type(self.dataset) is TensorDataset and self.collate_fn is default_collate and \
            not any(t.requires_grad for t in self.dataset.tensors)
        for indices in self.batch_sampler:
            if fast:  # the same values as stacking samples, in one indexing per tensor
                index = tensor(list(indices))
                yield [t[index] for t in self.dataset.tensors]
            else:
                yield self.collate_fn([self.dataset[i] for i in indices])

    def _iter_iterable(self) -> Iterator[Any]:
        if self.batch_size is None:
            for item in self.dataset:
                yield self.collate_fn(item)
            return
        batch: list[Any] = []
        for item in self.dataset:
            batch.append(item)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __repr__(self) -> str:
        return f"<torch.utils.data.dataloader.DataLoader object at {id(self):#x}>"
