"""``torch.nn.utils.rnn``: batches of sequences of different lengths, padded or packed.

- ``pad_sequence``: one tensor padded to the longest sequence, built as torch's kernel builds
  it (``new_full`` then each sequence copied into its slice: a chain of ``CopySlices``), on the
  right or (``padding_side="left"``) the left.
- ``pack_padded_sequence`` / ``pack_sequence``: a :class:`PackedSequence` whose ``data`` holds,
  time step by time step, the rows of the sequences still running at that step
  (``PackPaddedSequenceBackward0``; its gradient scatters back into a zero padded batch and is
  itself differentiable). ``enforce_sorted=False`` sorts by length first (``index_select``) and
  keeps the permutation and its inverse.
- ``pad_packed_sequence``: the padded batch again (torch's copies, one per run of equal batch
  sizes) and the lengths; ``unpad_sequence`` / ``unpack_sequence``: the list of sequences.
- The RNN modules (``RNN``, ``LSTM``, ``GRU``) accept a PackedSequence (engine/nn/modules/rnn.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

from ... import errors
from ...autograd.graph import needs_grad, record
from ...dtypes import int64
from ...tensor import Tensor, _wrap

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]


class PackedSequence_(NamedTuple):  # noqa: N801 (torch's name)
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(PackedSequence_):
    """A batch of sequences packed time step by time step: ``data`` holds at step ``t`` the
    ``batch_sizes[t]`` sequences still running; ``sorted_indices`` (``unsorted_indices``) map
    the original batch order to the packed one (and back), or are None."""

    __slots__ = ()

    def __new__(cls, data: Any, batch_sizes: Tensor | None = None,
                sorted_indices: Tensor | None = None, unsorted_indices: Tensor | None = None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != "cpu":
                raise errors.EngineValueError(
                    "batch_sizes should always be on CPU. Instances of PackedSequence should "
                    "never be created manually. They should be instantiated by functions like "
                    "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                    "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        else:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data`` converted as ``Tensor.to`` would; the index tensors follow its device."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self

        def move(t):
            return None if t is None else t.to(data.device)

        return type(self)(data, self.batch_sizes, move(self.sorted_indices),
                          move(self.unsorted_indices))

    def cpu(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return self.to("cpu", *args, **kwargs)

    def cuda(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return self.to("cuda", *args, **kwargs)

    def double(self) -> PackedSequence:
        return self.to(dtype=_dt("float64"))

    def float(self) -> PackedSequence:
        return self.to(dtype=_dt("float32"))

    def half(self) -> PackedSequence:
        return self.to(dtype=_dt("float16"))

    def long(self) -> PackedSequence:
        return self.to(dtype=_dt("int64"))

    def int(self) -> PackedSequence:
        return self.to(dtype=_dt("int32"))

    def short(self) -> PackedSequence:
        return self.to(dtype=_dt("int16"))

    def char(self) -> PackedSequence:
        return self.to(dtype=_dt("int8"))

    def byte(self) -> PackedSequence:
        return self.to(dtype=_dt("uint8"))

    @property
    def is_cuda(self) -> bool:
        return self.data.device.type == "cuda"

    def is_pinned(self) -> bool:
        return False


def _dt(name: str):
    from ...dtypes import dtype_from_name

    return dtype_from_name(name)


def _ops():
    from ...ops import OPS

    return OPS


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of an index permutation (None stays None)."""
    if permutation is None:
        return None
    out = _ops()["empty_like"].fn(permutation)
    arange = _ops()["arange"].fn
    return out.scatter_(0, permutation, arange(0, permutation.numel(),
                                               device=permutation.device))


# --------------------------------------------------------------------------- padding
def pad_sequence(sequences: Tensor | list[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """The sequences (each ``(L_i, *)``) as one tensor ``(max L, B, *)`` (``(B, max L, *)``
    with ``batch_first``), padded with ``padding_value`` on ``padding_side``."""
    if not isinstance(sequences, Iterable):
        raise errors.EngineRuntimeError(
            "pad_sequence: Expected iterable for input sequences, but got arg of type: "
            f"<class '{type(sequences).__name__}'>")
    seqs = tuple(sequences)
    if not seqs:
        raise errors.EngineRuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise errors.EngineRuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}.")
    first = seqs[0]
    if first.ndim == 0:  # (torch reads the first one's trailing sizes, then each length)
        raise errors.EngineRuntimeError("ArrayRef: invalid slice, N = 1; size = 0")
    if any(s.ndim == 0 for s in seqs):
        raise errors.EngineIndexError("Dimension specified as 0 but tensor has no dimensions")
    max_len = max(int(s.shape[0]) for s in seqs)
    trailing = tuple(first.shape[1:])
    dims = (len(seqs), max_len) + trailing if batch_first else (max_len, len(seqs)) + trailing
    out = first.new_full(dims, padding_value)
    for i, seq in enumerate(seqs):
        length = int(seq.shape[0])
        start = max_len - length if padding_side == "left" else 0
        out.select(0 if batch_first else 1, i).narrow(0, start, length).copy_(seq)
    return out


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor,
                   batch_first: bool = False) -> list[Tensor]:
    """The list of sequences of a padded batch, each cut to its length. As torch's, a
    time-major batch is transposed in place first."""
    if not batch_first:
        padded_sequences.transpose_(0, 1)
    max_length = padded_sequences.shape[1]
    idx = _ops()["arange"].fn(max_length, device=lengths.device)
    out = []
    for seq, length in zip(padded_sequences, lengths, strict=True):
        out.append(seq[idx < length])
    return out


# --------------------------------------------------------------------------- packing
def _lengths_list(lengths: Tensor) -> list[int]:
    if lengths.ndim != 1 or lengths.dtype is not int64 or lengths.device.type != "cpu":
        raise errors.EngineRuntimeError(
            "'lengths' argument should be a 1D CPU int64 tensor, but got "
            f"{lengths.ndim}D {lengths.device.type} {lengths.dtype.scalar_name} tensor")
    return [int(v) for v in np.asarray(lengths._data)]


def _pack(input: Tensor, lengths: Tensor, batch_first: bool) -> tuple[Tensor, Tensor]:
    """torch's ``_pack_padded_sequence``: (data, batch_sizes)."""
    lens = _lengths_list(lengths)
    x = input.transpose(0, 1) if batch_first else input
    if x.ndim < 2:
        raise errors.EngineIndexError(
            f"Dimension out of range (expected to be in range of [-{max(x.ndim, 1)}, "
            f"{max(x.ndim, 1) - 1}], but got 1)")
    batch = x.shape[1]
    if len(lens) != batch:
        raise errors.EngineRuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {len(lens)} "
            f"(batch_size={batch})")
    if lens and lens[-1] <= 0:
        raise errors.EngineRuntimeError(
            "Length of all samples has to be greater than 0, but found an element in "
            "'lengths' that is <= 0")
    for a, b in zip(lens, lens[1:]):
        if a < b:
            raise errors.EngineRuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
    steps = lens[0] if lens else 0
    sizes = [sum(1 for n in lens if n > t) for t in range(steps)]
    arr = x._data
    pieces = [arr[t, :sizes[t]] for t in range(steps)]
    data = np.concatenate(pieces, 0) if pieces else arr[:0, 0]
    out = _wrap(input.device.xp.ascontiguousarray(data), input.dtype, input.device)
    batch_sizes = _wrap(np.asarray(sizes, dtype=np.int64), int64, lengths.device)
    if needs_grad(input):
        shape = tuple(input.shape)
        record(out, "PackPaddedSequenceBackward0",
               (lambda g: _unpack_grad(g, shape, sizes, batch_first),), (input,))
    return out, batch_sizes


def _unpack_grad(g: Tensor, shape: tuple, sizes: list, batch_first: bool) -> Tensor:
    """The gradient of packing: ``g``'s rows put back at their (time, batch) places of a zero
    padded batch, with engine ops (so it is differentiable again)."""
    ops = _ops()
    tmajor = (shape[1], shape[0]) + shape[2:] if batch_first else shape
    batch = tmajor[1]
    rows, offset = [], 0
    for t in range(tmajor[0]):
        n = sizes[t] if t < len(sizes) else 0
        piece = g.narrow(0, offset, n)
        offset += n
        if n < batch:
            pad = ops["zeros"].fn((batch - n,) + tuple(tmajor[2:]), dtype=g.dtype,
                                  device=g.device)
            piece = ops["cat"].fn([piece, pad], 0)
        rows.append(piece)
    out = ops["stack"].fn(rows, 0)
    return out.transpose(0, 1) if batch_first else out


def pack_padded_sequence(input: Tensor, lengths: Tensor | list[int], batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """A padded batch (``(T, B, *)``, or ``(B, T, *)`` with ``batch_first``) and its lengths
    as a :class:`PackedSequence`; ``enforce_sorted=False`` sorts it by length first."""
    ops = _ops()
    if not isinstance(lengths, Tensor):
        lengths = ops["as_tensor"].fn(lengths, dtype=int64, device="cpu")
    else:
        lengths = lengths.to(dtype=int64)
    sorted_indices = None
    if not enforce_sorted:
        lengths, sorted_indices = ops["sort"].fn(lengths, descending=True)
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    data, batch_sizes = _pack(input, lengths, batch_first)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """The padded batch of a :class:`PackedSequence` and the lengths (int64), in the original
    batch order; ``total_length`` pads the time dimension further."""
    sizes = [int(v) for v in np.asarray(sequence.batch_sizes._data)]
    max_len = len(sizes)
    if total_length is not None:
        if total_length < max_len:
            raise errors.EngineValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{max_len}")
        max_len = total_length
    data = sequence.data
    batch = sizes[0] if sizes else 0
    trailing = tuple(data.shape[1:])
    out = data.new_full((max_len, batch) + trailing, padding_value)
    lengths = [0] * batch
    # torch's kernel: one copy per run of equal batch sizes, the data viewed as (run, size, *)
    offset, start = 0, 0
    for i in range(1, len(sizes) + 1):
        if i < len(sizes) and sizes[i] == sizes[start]:
            continue
        run, size = i - start, sizes[start]
        block = data.narrow(0, offset, run * size).view((run, size) + trailing)
        out.narrow(0, start, run).narrow(1, 0, size).copy_(block)
        offset += run * size
        nxt = sizes[i] if i < len(sizes) else 0
        for j in range(nxt, size):
            lengths[j] = i
        start = i
    if batch_first:
        out = out.transpose(0, 1)
    lens = _wrap(np.asarray(lengths, dtype=np.int64), int64, sequence.batch_sizes.device)
    if sequence.unsorted_indices is not None:
        return (out.index_select(0 if batch_first else 1, sequence.unsorted_indices),
                lens[sequence.unsorted_indices.cpu()])
    return out, lens


def pack_sequence(sequences: list[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """A list of sequences (longest first unless ``enforce_sorted=False``) packed."""
    lengths = _ops()["as_tensor"].fn([int(v.shape[0]) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences a :class:`PackedSequence` holds, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
