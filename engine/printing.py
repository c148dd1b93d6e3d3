"""Tensor ``repr`` text, character for character as PyTorch prints it, under its print options.

Standalone on purpose (NumPy and the stdlib only) so the engine, the service and the tests can
all format tensors without import cycles. The behaviour was pinned down by experiment against
real PyTorch; ``tests/engine/goldens/repr.json`` holds the recorded outputs.

How PyTorch lays a tensor out:

* One formatter per tensor decides a mode and a column width from the finite non-zero values
  (only the printed edge values when the tensor is summarised):
  - *int mode* when every such float is integral: ``3.`` style, width = digits + 1;
  - *scientific mode* when max/min of their magnitudes exceeds 1000 or the max exceeds 1e8
    (and, outside int mode, when the min is below 1e-4): ``1.0000e+05`` style;
  - otherwise fixed point with ``PRECISION`` decimals.
  Every element is right-aligned to that width (nan, inf and zeros do not widen it).
* Rows are wrapped to ``LINEWIDTH`` with continuation lines indented under the first element.
* Past ``THRESHOLD`` elements every dimension longer than ``2 * EDGEITEMS`` shows only its
  first and last ``EDGEITEMS`` entries around ``...``.
* Suffixes follow the data in a fixed order: device, size (empty tensors), dtype,
  requires_grad or grad_fn; one that would overflow the line starts a new line.

``set_printoptions`` (``torch.set_printoptions``: precision, threshold, edgeitems, linewidth,
profile, sci_mode) changes these for the current context only (a ``ContextVar``), so each
session keeps its own; ``get_printoptions`` reads them.
"""

from __future__ import annotations

import math
from contextvars import ContextVar
from typing import NamedTuple

import numpy as np

from .dtypes import default_float

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80


class PrintOptions(NamedTuple):
    """torch's ``PRINT_OPTS``; ``sci_mode`` None lets each tensor choose."""

    precision: int = PRECISION
    threshold: float = THRESHOLD
    edgeitems: int = EDGEITEMS
    linewidth: int = LINEWIDTH
    sci_mode: bool | None = None


DEFAULT_OPTIONS = PrintOptions()
_options: ContextVar[PrintOptions] = ContextVar("print_options", default=DEFAULT_OPTIONS)
_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
             "full": (4, math.inf, 3, 80)}


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """``torch.set_printoptions``: a profile first (``default``, ``short``, ``full``; another
    name changes nothing, as in torch), then each given option; ``sci_mode`` is always set (so
    leaving it out returns to the automatic choice, as torch does)."""
    o = _options.get()
    if profile in _PROFILES:
        o = o._replace(**dict(zip(("precision", "threshold", "edgeitems", "linewidth"),
                                  _PROFILES[profile])))
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems,
             "linewidth": linewidth}
    o = o._replace(**{k: v for k, v in given.items() if v is not None}, sci_mode=sci_mode)
    _options.set(o)


def get_printoptions() -> dict:
    """``torch.get_printoptions()``: the options as keyword arguments of set_printoptions."""
    return _options.get()._asdict()


def print_options() -> PrintOptions:
    """The current options (to keep them beyond a context, e.g. in a session)."""
    return _options.get()


def use_print_options(options: PrintOptions):
    """A context in which ``options`` are the print options."""
    from .modes import ContextSetting

    return ContextSetting(_options, options)

PREFIX = "tensor("
INDENT = len(PREFIX)

SCI_RATIO = 1000.0
SCI_MAX = 1.0e8
SCI_MIN = 1.0e-4

FLOAT_DTYPES = ("float16", "float32", "float64")
SMALL = 64  # up to this many shown elements, the format is chosen in plain Python
# Dtypes PyTorch leaves out of the repr of a non-empty tensor: the default floating dtype
# (the context's: float32 unless ``set_default_dtype`` changed it), int64 and bool.
IMPLIED_DTYPES = ("int64", "bool")


class _ElementFormat:
    """Mode and column width shared by every element of one printed tensor."""

    def __init__(self, shown: np.ndarray | list, is_float: bool) -> None:
        """``shown``: the printed elements, as an array or (few of them) a flat list."""
        options = _options.get()
        self.precision = options.precision
        self.is_float = is_float
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        self._forced_sci = options.sci_mode
        self._measure(shown)

    def _measure(self, shown: np.ndarray | list) -> None:
        is_float = self.is_float
        if not is_float:
            flat = shown if type(shown) is list else shown.reshape(-1).tolist()
            self.width = max((len(str(v)) for v in flat), default=1)
            return
        if type(shown) is list or shown.size <= SMALL:  # plain Python beats NumPy here
            flat = shown if type(shown) is list else shown.reshape(-1).tolist()
            values = [v for v in flat if v != 0 and math.isfinite(v)]
            if not values:
                return
            magnitudes = [abs(v) for v in values]
            biggest, smallest = max(magnitudes), min(magnitudes)
            self.int_mode = all(v.is_integer() for v in values)
        else:
            as_double = shown.reshape(-1).astype(np.float64)
            candidates = as_double[np.isfinite(as_double) & (as_double != 0)]
            if candidates.size == 0:
                return
            magnitudes = np.abs(candidates)
            biggest, smallest = float(magnitudes.max()), float(magnitudes.min())
            self.int_mode = bool(np.all(candidates == np.ceil(candidates)))
            values = candidates.tolist()
        sci = self._forced_sci
        if sci is None:  # torch's rule (integral values are never below SCI_MIN)
            sci = biggest / smallest > SCI_RATIO or biggest > SCI_MAX or smallest < SCI_MIN
        self.sci_mode = sci
        precision = self.precision
        if sci:
            self.width = max(len(f"{v:.{precision}e}") for v in values)
        elif self.int_mode:
            self.width = max(len(f"{v:.0f}") + 1 for v in values)
        else:
            self.width = max(len(f"{v:.{precision}f}") for v in values)

    def __call__(self, value: float | int | bool) -> str:
        if not self.is_float:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{self.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if math.isfinite(value):
                text += "."
        else:
            text = f"{value:.{self.precision}f}"
        return text.rjust(self.width)


def _small_float_body(flat: list, vector: bool) -> str | None:
    """The body of a 0-d or 1-d float tensor of at most ``SMALL`` finite elements, by the same
    rules as :class:`_ElementFormat` in one pass (no per-element method calls); None when some
    element is nan or inf (the general path handles those)."""
    options = _options.get()
    if options.sci_mode is not None or not all(map(math.isfinite, flat)):
        return None
    precision = options.precision
    nonzero = [v for v in flat if v]
    width = 1
    if not nonzero:
        texts = list(map("{:.0f}.".format, flat))
    else:
        magnitudes = list(map(abs, nonzero))
        biggest, smallest = max(magnitudes), min(magnitudes)
        int_mode = all(map(float.is_integer, nonzero))
        wide_range = biggest / smallest > SCI_RATIO or biggest > SCI_MAX
        if int_mode and not wide_range:
            pattern = "{:.0f}."
        elif wide_range or (not int_mode and smallest < SCI_MIN):
            pattern = f"{{:.{precision}e}}"
        else:
            pattern = f"{{:.{precision}f}}"
        texts = list(map(pattern.format, flat))
        width = max(map(len, map(pattern.format, nonzero)))
    if not vector:
        return texts[0].rjust(width)
    items = [t.rjust(width) for t in texts]
    per_line = max(1, (options.linewidth - INDENT) // (width + 2))
    if len(items) <= per_line:
        return "[" + ", ".join(items) + "]"
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (INDENT + 1)).join(lines) + "]"


def _edges(length: int, summarize: bool) -> tuple[list[int], list[int]] | None:
    """Indices kept before and after ``...`` along a dimension, or None when all are shown."""
    edge = _options.get().edgeitems
    if summarize and length > 2 * edge:
        return list(range(edge)), list(range(length - edge, length))
    return None


def _shown_values(values: np.ndarray, summarize: bool) -> np.ndarray:
    """The elements that will actually be printed (edges of every long dimension)."""
    if values.ndim == 0:
        return values
    edges = _edges(values.shape[0], summarize)
    kept = values if edges is None else values[edges[0] + edges[1]]
    if values.ndim == 1:
        return kept
    return np.stack([_shown_values(row, summarize) for row in kept])


def _vector_text(values: np.ndarray | list, indent: int, summarize: bool,
                 fmt: _ElementFormat) -> str:
    per_line = max(1, (_options.get().linewidth - indent) // (fmt.width + 2))
    edges = _edges(len(values), summarize)
    if edges is None:
        items = [fmt(v) for v in (values if type(values) is list else values.tolist())]
    else:
        head, tail = edges
        items = (
            [fmt(v) for v in values[head].tolist()]
            + [" ..."]
            + [fmt(v) for v in values[tail].tolist()]
        )
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_text(values: np.ndarray, indent: int, summarize: bool, fmt: _ElementFormat) -> str:
    if values.ndim == 0:
        return fmt(values.item())
    if values.ndim == 1:
        return _vector_text(values, indent, summarize, fmt)
    edges = _edges(values.shape[0], summarize)

    def block(i: int) -> str:
        return _nested_text(values[i], indent + 1, summarize, fmt)

    if edges is None:
        blocks = [block(i) for i in range(values.shape[0])]
    else:
        blocks = [block(i) for i in edges[0]] + ["..."] + [block(i) for i in edges[1]]
    separator = "," + "\n" * (values.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(blocks) + "]"


def _with_suffixes(body: str, suffixes: list[str], force_newline: bool = False) -> str:
    parts = [body]
    # PyTorch's running line length over-counts by two on the first line (kept for exactness).
    line_length = len(body) - body.rfind("\n") + 1
    linewidth = _options.get().linewidth
    for suffix in suffixes:
        if force_newline or line_length + len(suffix) + 2 > linewidth:
            parts.append(",\n" + " " * INDENT + suffix)
            line_length = INDENT + len(suffix)
            force_newline = False
        else:
            parts.append(", " + suffix)
            line_length += len(suffix) + 2
    return "".join(parts) + ")"


def format_tensor(
    values: np.ndarray,
    *,
    dtype: str,
    device: str = "cpu",
    requires_grad: bool = False,
    grad_fn: str | None = None,
    tangent: str | None = None,
) -> str:
    """``repr`` of a tensor holding ``values`` (host data) exactly as PyTorch prints it."""
    values = np.asarray(values)
    suffixes = []
    if device != "cpu":
        suffixes.append(f"device='{device}'")
    if values.size == 0:
        if values.ndim != 1:
            suffixes.append(f"size={tuple(values.shape)}")
        if dtype != default_float().name:
            suffixes.append(f"dtype=torch.{dtype}")
        body = "[]"
    else:
        if dtype not in IMPLIED_DTYPES and dtype != default_float().name:
            suffixes.append(f"dtype=torch.{dtype}")
        is_float = dtype in FLOAT_DTYPES
        if dtype == "float16":
            values = values.astype(np.float32)
        summarize = values.size > _options.get().threshold
        if values.ndim <= 1 and values.size <= SMALL and not summarize:  # the common case
            flat = values.reshape(-1).tolist()
            body = _small_float_body(flat, values.ndim == 1) if is_float else None
            if body is None:
                fmt = _ElementFormat(flat, is_float)
                body = fmt(flat[0]) if values.ndim == 0 else _vector_text(flat, INDENT, False,
                                                                          fmt)
        else:
            fmt = _ElementFormat(_shown_values(values, summarize), is_float)
            body = _nested_text(values, INDENT, summarize, fmt)
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    if tangent is not None:
        suffixes.append(f"tangent={tangent}")
    return _with_suffixes(PREFIX + body, suffixes)


def _body(values: np.ndarray, dtype: str, indent: int) -> str:
    """The bracketed numbers of a non-empty ``values`` whose first line starts at ``indent``
    (torch's ``_tensor_str``)."""
    if dtype == "float16":
        values = values.astype(np.float32)
    summarize = values.size > _options.get().threshold
    fmt = _ElementFormat(_shown_values(values, summarize), dtype in FLOAT_DTYPES)
    return _nested_text(values, indent, summarize, fmt)


def format_sparse(indices: np.ndarray, values: np.ndarray, *, shape: tuple, dtype: str,
                  device: str = "cpu", requires_grad: bool = False,
                  grad_fn: str | None = None) -> str:
    """``repr`` of a sparse COO tensor as PyTorch prints it: its indices and values, then
    size, nnz, dtype (unless implied: int64, bool or the default float), layout and autograd
    suffixes, the first of them on a new line."""
    suffixes = []
    if device != "cpu":
        suffixes.append(f"device='{device}'")
    suffixes.append(f"size={tuple(shape)}")
    suffixes.append(f"nnz={indices.shape[1]}")
    if dtype not in IMPLIED_DTYPES and dtype != default_float().name:
        suffixes.append(f"dtype=torch.{dtype}")
    parts = []
    for name, arr, arr_dtype in (("indices", indices, "int64"), ("values", values, dtype)):
        prefix = f"{name}=tensor("
        if arr.size:
            text = _body(arr, arr_dtype, INDENT + len(prefix))
        else:
            text = f"[], size={tuple(arr.shape)}"
        parts.append(prefix + text + ")")
    suffixes.append("layout=torch.sparse_coo")
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    body = PREFIX + (",\n" + " " * INDENT).join(parts)
    return _with_suffixes(body, suffixes, force_newline=True)
