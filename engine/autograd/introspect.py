"""What a graph node shows of its saved values, as torch's nodes do: ``y.grad_fn._saved_self``,
``_saved_result``, ``_saved_self_sym_sizes``, ``_saved_alpha`` ... and ``_raw_saved_self`` (a
``SavedTensor`` whose ``register_hooks(pack, unpack)`` puts a hook pair on that one value).

torch generates one class per node with one attribute per value its derivative formula saves.
The engine's nodes keep the same values in ``Node._saved`` (tensors, numbers), in their input
metadata (``_meta``: the inputs' shapes) and in their rules' closures (``alpha``); the table
below names, for each covered node, torch's attributes (measured on torch 2.13: its ``dir()``)
and where the engine's value is. Reading costs nothing until a program reads: the attributes
are non-data descriptors on ``Node``, so a custom Function's ``ctx`` may still set its own.

As torch:
* a saved input is the very tensor (``y.grad_fn._saved_self is x``); a saved output is a new
  tensor on the same data at every read (``y.grad_fn._saved_result is y`` is False), with the
  node as its ``grad_fn``;
* a value is saved only when a gradient that needs it is computed (``(a * b)._saved_self`` is
  None when ``b`` does not require grad); a saved Python number reads as a 0-d tensor
  (float64 for a float, int64 for an int, bool for a bool);
* after backward freed the graph a saved tensor raises torch's "Trying to backward through
  the graph a second time (or directly access saved tensors ...)" error; one modified in place
  since raises the version error; sizes and strides stay readable;
* an attribute torch's node does not have is an AttributeError naming the node's class
  (``'MulBackward0' object has no attribute '_saved_foo'``).

Where torch has a saved value the engine keeps in another form (a reduction's ``_saved_dim``,
held normalized where torch shows a negative dim as its unsigned 64-bit wrap), reading it is
a ``NotSupported`` that names it: never a made-up value.
"""

from __future__ import annotations

import numpy as np

from .. import errors
from ..dtypes import bool_, float64, int64
from ..tensor import Tensor, _wrap
from .graph import Node, SavedTensor

# ---------------------------------------------------------------------------- value sources
# ("t", i, needed_by): the tensor at ``_saved[i]``; None unless an input in ``needed_by`` has
#   an edge (None: always saved)
# ("sizes", j) / ("numel", j): input j's shape / element count (from ``_meta``)
# ("strides", i, needed_by): the strides of the tensor at ``_saved[i]``
# ("number", i): the Python number at ``_saved[i]``
# ("closure", rule, name, default): a free variable of the rule of input ``rule``
# ("absent",): torch has it; the engine does not keep it in torch's form (NotSupported)

_NEEDS_ALL = None


def _unary_self(n: int = 1) -> dict:
    return {"len": n, "self": ("t", 0, _NEEDS_ALL)}


def _unary_result() -> dict:
    return {"len": 1, "result": ("t", 0, _NEEDS_ALL)}


def _mm(a: str, b: str) -> dict:
    # (torch keeps an input's strides for its own gradient: () when that is not computed)
    return {"len": 2, a: ("t", 0, (1,)), b: ("t", 1, (0,)),
            f"{a}_sym_sizes": ("sizes", 0), f"{a}_sym_strides": ("strides", 0, (0,)),
            f"{b}_sym_sizes": ("sizes", 1), f"{b}_sym_strides": ("strides", 1, (1,))}


TABLE: dict[str, dict] = {
    "MulBackward0": {"len": 2, "self": ("t", 0, (1,)), "other": ("t", 1, (0,))},
    "DivBackward0": {"len": 2, "self": ("t", 0, (1,)), "other": ("t", 1, (0, 1))},
    "AddBackward0": {"len": 0, "alpha": ("closure", 1, "alpha", 1)},
    "SubBackward0": {"len": 0, "alpha": ("closure", 1, "alpha", 1)},
    "PowBackward0": {"len": 2, "self": ("t", 0, _NEEDS_ALL), "exponent": ("number", 1)},
    "PowBackward1": {"len": 3, "self": ("t", 0, _NEEDS_ALL), "exponent": ("t", 1, _NEEDS_ALL),
                     "result": ("t", 2, _NEEDS_ALL),
                     # (an exponent that does not require grad: the engine keeps no result)
                     2: {"result": ("absent",)}},
    "PowBackward2": {"len": 3, "self": ("number", 0), "exponent": ("t", 1, _NEEDS_ALL),
                     "result": ("t", 2, _NEEDS_ALL)},
    "ExpBackward0": _unary_result(),
    "TanhBackward0": _unary_result(),
    "SigmoidBackward0": _unary_result(),
    "SqrtBackward0": _unary_result(),
    "ReluBackward0": _unary_result(),
    "LogBackward0": _unary_self(),
    "SinBackward0": _unary_self(),
    "CosBackward0": _unary_self(),
    "AbsBackward0": _unary_self(),
    "MmBackward0": _mm("self", "mat2"),
    "MvBackward0": {"len": 2, "self": ("t", 0, (1,)), "vec": ("t", 1, (0,))},
    "SumBackward0": {"len": 0, "self_sym_sizes": ("sizes", 0)},
    "SumBackward1": {"len": 0, "self_sym_sizes": ("sizes", 0), "dim": ("absent",),
                     "keepdim": ("closure", 0, "keepdim", None)},
    "MeanBackward0": {"len": 0, "self_sym_sizes": ("sizes", 0), "self_sym_numel": ("numel", 0)},
    "MeanBackward1": {"len": 0, "self_sym_sizes": ("sizes", 0), "self_sym_numel": ("numel", 0),
                      "dim": ("absent",), "keepdim": ("closure", 0, "keepdim", None)},
    "ViewBackward0": {"len": 0, "self_sym_sizes": ("sizes", 0)},
    "ExpandBackward0": {"len": 0, "self_sym_sizes": ("sizes", 0)},
    "SoftmaxBackward0": {"len": 1, "result": ("t", 0, _NEEDS_ALL), "dim": ("absent",)},
    "LogSoftmaxBackward0": {"len": 1, "result": ("t", 0, _NEEDS_ALL), "dim": ("absent",)},
    "MaxBackward1": {"len": 2, "self": ("t", 0, _NEEDS_ALL), "result": ("t", 1, _NEEDS_ALL)},
    "MinBackward1": {"len": 2, "self": ("t", 0, _NEEDS_ALL), "result": ("t", 1, _NEEDS_ALL)},
    "ProdBackward0": {"len": 2, "self": ("t", 0, _NEEDS_ALL), "result": ("t", 1, _NEEDS_ALL)},
    "ClampBackward1": {"len": 3, "self": ("t", 0, _NEEDS_ALL), "min": ("number", 1),
                       "max": ("number", 2)},
    "MseLossBackward0": {"len": 2, "self": ("t", 0, _NEEDS_ALL),
                         "target": ("t", 1, _NEEDS_ALL), "reduction": ("reduction",)},
    "WhereBackward0": {"len": 1, "condition": ("t", 0, _NEEDS_ALL)},
    "NegBackward0": {"len": 0},
    "TBackward0": {"len": 0},
    "CloneBackward0": {"len": 0},
}

ATTRIBUTES = sorted({k for spec in TABLE.values() for k in spec
                     if k != "len" and isinstance(k, str)})


def _no_attribute(node: Node, attr: str) -> AttributeError:
    return AttributeError(f"'{type(node).__name__}' object has no attribute '{attr}'")


def _spec(node: Node, key: str, attr: str):
    table = TABLE.get(node._name)
    if table is None or key not in table:
        if table is None and node._plain:
            # a node whose saved values this table does not describe: torch's may have it
            raise errors.NotSupported(
                f"{node._name}.{attr}: the engine does not expose this node's saved values "
                f"(it does for {', '.join(sorted(TABLE))})")
        raise _no_attribute(node, attr)
    saved = node._saved
    if saved is not None and len(saved) in table:  # another layout of the same node
        variant = table[len(saved)]
        if key in variant:
            return {**table, "len": len(saved)}, variant[key]
        return {**table, "len": len(saved)}, table[key]
    return table, table[key]


def _saved_entry(node: Node, table: dict, i: int, attr: str):
    saved = node._saved
    if saved is None:
        raise errors.EngineRuntimeError(errors.BACKWARD_TWICE)
    if len(saved) != table["len"]:
        raise errors.NotSupported(
            f"{node._name}.{attr}: this {node._name} was recorded by a composite of the engine "
            "that keeps its values in another form; not exposed")
    return saved[i]


def _needed(node: Node, needed_by) -> bool:
    if needed_by is None:
        return True
    edges = node._edges
    return any(j < len(edges) and edges[j] is not None for j in needed_by)


def _as_tensor(value):
    """A saved Python number as torch shows it: a 0-d tensor (a wrapped number)."""
    if isinstance(value, bool):
        return _wrap(np.asarray(value), bool_)
    if isinstance(value, int):
        return _wrap(np.asarray(value, dtype=np.int64), int64)
    return _wrap(np.asarray(float(value)), float64)


def _unpacked(node: Node, s):
    """The tensor a saved entry stands for, as torch's reading gives it: an input itself, an
    output as a new tensor on its data with this node as its ``grad_fn``."""
    if type(s) is not SavedTensor:
        return s
    t = s.unpack(node)  # (the version check and its text)
    if s.is_output and not _hooked_entry(s):
        alias = _wrap(t._data, t.dtype, t.device)
        alias._grad_fn, alias._output_nr, alias.requires_grad = node, s.owner_nr, True
        alias._vc = t._vc
        return alias
    return t


def _hooked_entry(s: SavedTensor) -> bool:
    from .saved_hooks import _Unpacker

    return type(getattr(s, "ref", None)) is _Unpacker


def read(node: Node, attr: str):
    """``node.<attr>`` for ``attr`` = ``_saved_<key>``."""
    key = attr[len("_saved_"):]
    table, spec = _spec(node, key, attr)
    kind = spec[0]
    if kind == "absent":
        raise errors.NotSupported(
            f"{node._name}.{attr}: the engine keeps this value in another form than torch "
            "(a dim normalized) or not at all here; not exposed")
    if kind in ("sizes", "numel"):
        shape = _input_shape(node, spec[1], attr)
        if kind == "sizes":
            return shape
        n = 1
        for v in shape:
            n *= v
        return n
    if kind == "closure":
        fn = _rule_of(node, spec[1])
        code = getattr(fn, "__code__", None)
        if code is not None and spec[2] in code.co_freevars:
            return fn.__closure__[code.co_freevars.index(spec[2])].cell_contents
        if spec[3] is None:
            raise errors.NotSupported(f"{node._name}.{attr}: not exposed for this node")
        return spec[3]
    if kind == "reduction":  # torch's enum: none 0, mean 1, sum 2
        back = _closure_value(_rule_of(node, 0), "back")
        reduction = getattr(back, "reduction", None)
        if reduction not in _REDUCTIONS:
            raise errors.NotSupported(f"{node._name}.{attr}: not exposed for this node")
        return _REDUCTIONS[reduction]
    if kind == "number":
        if node._saved is None:  # torch keeps numbers past backward; the engine frees them
            raise errors.NotSupported(            # with the saved tensors
                f"{node._name}.{attr} after backward: the engine freed it with the graph's "
                "saved values")
        return _saved_entry(node, table, spec[1], attr)
    if kind == "strides":
        if not _needed(node, spec[2]):
            return ()
        if node._saved is None:
            raise errors.NotSupported(
                f"{node._name}.{attr} after backward: the engine freed the tensor it reads "
                "them from")
        value = _unpacked(node, _saved_entry(node, table, spec[1], attr))
        if not isinstance(value, Tensor) and not hasattr(value, "stride"):
            return None  # (an operand's layout stands in for it where its values are not kept)
        return tuple(value.stride())
    # a tensor
    if not _needed(node, spec[2]):
        return None
    entry = _saved_entry(node, table, spec[1], attr)
    if entry is None:
        return None
    value = _unpacked(node, entry)
    if isinstance(value, Tensor):
        return value
    return _as_tensor(value)


_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


def _rule_of(node: Node, i: int):
    rules = node._rule if node._per_input else (node._rule,)
    return rules[i] if i < len(rules) else None


def _closure_value(fn, name: str):
    code = getattr(fn, "__code__", None)
    if code is None or name not in code.co_freevars:
        return None
    return fn.__closure__[code.co_freevars.index(name)].cell_contents


def _input_shape(node: Node, j: int, attr: str) -> tuple:
    """Input ``j``'s shape: its metadata (kept for an input that requires grad), else the
    saved tensor in its place."""
    meta = node._meta[j] if j < len(node._meta) else None
    if meta is not None:
        return tuple(int(v) for v in meta[0])
    saved = node._saved
    entry = saved[j] if saved is not None and j < len(saved) else None
    if type(entry) is not SavedTensor:
        raise errors.NotSupported(
            f"{node._name}.{attr}: the engine does not keep this input's size here")
    shape = tuple(int(v) for v in _unpacked(node, entry).shape)
    return shape


class RawSaved:
    """torch's ``SavedTensor`` (``grad_fn._raw_saved_self``): one saved value of one node;
    ``register_hooks(pack_hook, unpack_hook)`` packs it now and unpacks it at each use."""

    __slots__ = ("_node", "_index", "_attr")

    def __init__(self, node: Node, index: int | None, attr: str) -> None:
        self._node, self._index, self._attr = node, index, attr

    def __repr__(self) -> str:
        return f"<torch._C._autograd.SavedTensor object at {id(self):#x}>"

    def register_hooks(self, *args, **kwargs) -> None:
        if len(args) != 2 or kwargs or not all(callable(a) for a in args):
            shown = ", ".join([repr(self)] + [repr(a) for a in args] +
                              [f"{k}={v!r}" for k, v in kwargs.items()])
            raise errors.EngineTypeError(
                "register_hooks(): incompatible function arguments. The following argument "
                "types are supported:\n    1. (self: torch._C._autograd.SavedTensor, arg0: "
                "collections.abc.Callable, arg1: collections.abc.Callable) -> None\n\n"
                f"Invoked with: {shown}")
        pack, unpack = args
        node = self._node
        saved = node._saved
        if saved is None:
            raise errors.EngineRuntimeError(
                "Calling register_hooks on a saved tensor after it has been freed. Saved "
                "intermediate values of the graph are freed when you call .backward() or "
                "autograd.grad(). Specify retain_graph=True if you need to backward through "
                "the graph a second time or if you need to access saved variables after "
                "calling backward.")
        entry = saved[self._index] if self._index is not None else None
        if type(entry) is not SavedTensor:
            raise errors.EngineRuntimeError(
                "Calling register_hooks on a saved tensor with value None is forbidden")
        if _hooked_entry(entry):
            raise errors.EngineRuntimeError(
                "Calling register_hooks on a saved tensor whose hooks have already been set. "
                "Hint: only one pair of hooks is allowed at a time.")
        from .saved_hooks import _hooked

        tensor = entry.unpack(node)
        # torch's pack hook gets the saved data as a tensor of its own (not the input)
        hooked = _hooked(tensor, entry.is_output, lambda t: pack(_wrap(t._data, t.dtype,
                                                                      t.device)), unpack)
        node._saved = saved[:self._index] + (hooked,) + saved[self._index + 1:]


def read_raw(node: Node, attr: str) -> RawSaved:
    """``node._raw_saved_<key>``: for the saved tensors of the table."""
    key = attr[len("_raw_saved_"):]
    table, spec = _spec(node, key, attr)
    if spec[0] == "absent":
        raise errors.NotSupported(f"{node._name}.{attr}: not kept by the engine here")
    if spec[0] != "t":
        raise _no_attribute(node, attr)
    saved = node._saved
    if saved is not None and len(saved) != table["len"]:
        raise errors.NotSupported(
            f"{node._name}.{attr}: this {node._name} was recorded by a composite of the engine "
            "that keeps its values in another form; not exposed")
    index = spec[1]
    if saved is not None and not _needed(node, spec[2]):
        index = None
    return RawSaved(node, index, attr)


# torch's class, as programs see it (``type(raw)``: torch._C._autograd.SavedTensor)
RawSaved.__module__, RawSaved.__name__, RawSaved.__qualname__ = (
    "engine._C._autograd", "SavedTensor", "SavedTensor")


class _Attr:
    """A non-data descriptor on ``Node`` for one of torch's saved-value names."""

    __slots__ = ("name", "raw")

    def __init__(self, name: str, raw: bool) -> None:
        self.name, self.raw = name, raw

    def __get__(self, node, owner=None):
        if node is None:
            return self
        return read_raw(node, self.name) if self.raw else read(node, self.name)


def install() -> None:
    for key in ATTRIBUTES:
        setattr(Node, f"_saved_{key}", _Attr(f"_saved_{key}", False))
        if any(spec.get(key, ("",))[0] == "t" for spec in TABLE.values()):
            setattr(Node, f"_raw_saved_{key}", _Attr(f"_raw_saved_{key}", True))


install()
