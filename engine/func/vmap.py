"""``vmap``: run a function of one sample over a batch.

The inputs become tensors holding ``BatchedArray``s (see ``batching``) on a ``BatchedDevice``
(the same device, with the batching array namespace), the function runs ONCE, and the outputs
are unwrapped with the batch moved to ``out_dims``. Autograd and forward mode compose: the
wrapping and unwrapping are recorded as graph nodes, so ``grad`` inside ``vmap`` gives
per-sample gradients and ``vmap`` inside ``grad`` differentiates through the batch.

When some array operation cannot be batched (``BatchingError``), the function is run once per
sample and the results are stacked: correct for every op, slower, and the function's side
effects happen again (``vmap.fallbacks`` counts these runs).
"""

from __future__ import annotations

import itertools
from contextvars import ContextVar

import numpy as np

from .. import errors
from ..autograd.graph import needs_grad, record
from ..device import Device
from ..random import Generator, use_generator
from ..tensor import Tensor, _wrap
from ._pytree import broadcast_prefix, tree_flatten, tree_unflatten
from .batching import BatchedArray, BatchedNamespace, BatchingError

_levels = itertools.count(1)
_depth: ContextVar[int] = ContextVar("vmap_depth", default=0)
stats = {"fallbacks": 0, "batched": 0}


class BatchedDevice(Device):
    """The device of tensors inside one ``vmap`` level: equal to (and printed as) its base,
    with the batching array namespace as ``xp``."""

    __slots__ = ("base",)

    def __init__(self, base: Device, level: int, size: int):
        self.type, self.index, self._str = base.type, base.index, base._str
        self.xp = BatchedNamespace(base.xp, level, size)
        self.base = base

    def scope(self):
        return self.base.scope()


_devices: dict[tuple, BatchedDevice] = {}


def batched_device(dev: Device, arr=None) -> Device:
    """The device for a tensor holding ``arr`` that asked for ``dev``."""
    if type(arr) is not BatchedArray:
        return dev
    base = _real_device(dev)
    key = (id(base), arr.level, arr.phys.shape[0])
    bd = _devices.get(key)
    if bd is None:
        bd = _devices[key] = BatchedDevice(base, arr.level, arr.phys.shape[0])
    return bd


def _forget_devices(level: int) -> None:
    for key in [k for k in _devices if k[1] == level]:
        del _devices[key]


def _real_device(dev: Device) -> Device:
    while type(dev) is BatchedDevice:
        dev = dev.base
    return dev


class _RandomnessError(Generator):
    """The generator inside ``vmap(..., randomness="error")``: any draw is an error (torch's
    words come from ``_bits``, the other draws from ``_rng``)."""

    @property
    def _rng(self):
        raise errors.EngineRuntimeError(
            "vmap: called random operation while in randomness error mode. Please either use "
            "the 'same' or 'different' randomness flags on vmap or perform the randomness "
            "operation out of vmap")

    @property
    def _bits(self):
        return self._rng


# --------------------------------------------------------------------------- wrap / unwrap
def _move(arr, src: int, dst: int):
    return arr if src == dst else np.moveaxis(arr, src, dst)


def _batch(t: Tensor, in_dim: int, level: int) -> Tensor:
    phys = _move(t._data, in_dim, 0)
    arr = BatchedArray(phys, level)
    out = _wrap(arr, t.dtype, batched_device(t.device, arr))
    if needs_grad(t):
        record(out, "AliasBackward0", (lambda g: _unbatch_grad(g, level, in_dim, t),), (t,),
               jvp=lambda ts: _batch(ts[0], in_dim, level))
    return out


def _extract(data, level: int):
    """``data`` with ``level``'s batch as (logical) axis 0, wherever in the nesting of batched
    arrays that level sits (a graph made in an inner ``vmap`` can be run by an outer one, which
    wraps the levels the other way round); None when ``data`` does not vary over it."""
    if type(data) is not BatchedArray:
        return None
    if data.level == level:
        return data.phys
    inner = _extract(data.phys, level)  # (B_level, B_data, ...)
    if inner is None:
        return None
    return BatchedArray(np.moveaxis(inner, 1, 0), data.level)


def _unbatch_grad(g: Tensor, level: int, in_dim: int, like: Tensor) -> Tensor:
    phys = _extract(g._data, level)
    if phys is None:  # a gradient that does not vary over the batch
        data = g._data
        phys = np.broadcast_to(data, (like.shape[in_dim],) + tuple(np.shape(data)))
    return _plain(_move(phys, 0, in_dim), g.dtype, g.device)


def _plain(arr, dtype, dev) -> Tensor:
    dev = _real_device(dev)
    if type(arr) is not BatchedArray and not isinstance(arr, np.ndarray) and dev.type == "cpu":
        arr = np.asarray(arr)
    return _wrap(arr, dtype, batched_device(dev, arr))


def _unbatch(o: Tensor, out_dim: int, level: int, size: int, inputs: dict | None = None):
    """``o`` with ``level``'s batch at ``out_dim``. ``inputs``: id of a batched input ->
    (the tensor given to vmap, its in_dim): an input returned as it is comes back as the
    tensor itself where its batch already sits at ``out_dim`` (as torch gives it back)."""
    phys = _extract(o._data, level)
    varies = phys is not None
    if phys is None:
        data = o._data
        phys = np.broadcast_to(data, (size,) + tuple(np.shape(data)))
    nd = len(np.shape(phys))
    if not -nd <= out_dim < nd:
        raise errors.EngineValueError(
            f"vmap: out_dim {out_dim} is out of range for an output of dimensionality {nd - 1}")
    out_dim = out_dim % nd
    given = inputs.get(id(o)) if inputs else None
    if given is not None and given[0] is not None and given[1] == out_dim and \
            given[2] is o:
        return given[0]
    res = _plain(_move(phys, 0, out_dim), o.dtype, o.device)
    if needs_grad(o):
        record(res, _unbatch_node(o, varies, out_dim, given),
               (lambda g: _rebatch(g, out_dim, level),), (o,),
               jvp=lambda ts: _unbatch(ts[0], out_dim, level, size))
    return res


def _unbatch_node(o: Tensor, varies: bool, out_dim: int, given) -> str:
    """The name torch's regular autograd level records for an output of ``vmap``: the op that
    made it (torch's batched tensor unwraps to that op's result), ``ExpandBackward0`` for one
    that does not vary over the batch (torch expands it), ``PermuteBackward0`` for a batch moved
    to another dim than its own (torch's movedim)."""
    if not varies:
        return "ExpandBackward0"
    if out_dim != (0 if given is None else given[1]):
        return "PermuteBackward0"
    fn = o.grad_fn
    if fn is None:
        return "AliasBackward0"
    return _PER_SAMPLE.get(fn.name(), fn.name())


# a reduction of all of each sample is, batched, torch's reduction over the sample's dims
_PER_SAMPLE = {"SumBackward0": "SumBackward1", "MeanBackward0": "MeanBackward1",
               "ProdBackward0": "ProdBackward1", "MaxBackward1": "MaxBackward0",
               "MinBackward1": "MinBackward0"}


def _rebatch(g: Tensor, out_dim: int, level: int) -> Tensor:
    arr = BatchedArray(_move(g._data, out_dim, 0), level)
    return _wrap(arr, g.dtype, batched_device(g.device, arr))


# --------------------------------------------------------------------------- vmap
def _fn_name(func) -> str:
    return getattr(func, "__name__", type(func).__name__)


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """``vmap(func)(*args)``: ``func`` applied to every slice of ``args`` along ``in_dims``, the
    results stacked along ``out_dims`` (as ``torch.func.vmap``)."""
    if randomness not in ("error", "different", "same"):
        raise errors.EngineRuntimeError(
            f"Only allowed values for randomness are 'error', 'different', or 'same'. Got "
            f"{randomness}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise errors.EngineValueError(
            f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    def wrapped(*args, **kwargs):
        name = _fn_name(func)
        if not isinstance(in_dims, (int, tuple)) and in_dims is not None:
            raise errors.EngineValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int "
                f"or a (potentially nested) tuple matching the structure of inputs, got: "
                f"{type(in_dims)}.")
        if isinstance(in_dims, tuple) and len(in_dims) != len(args):
            raise errors.EngineValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with "
                f"the structure of `inputs`. in_dims has structure {in_dims} but inputs has "
                f"structure {args}.")
        flat, spec = tree_flatten(args)
        dims = broadcast_prefix(in_dims if isinstance(in_dims, tuple) else in_dims,
                                args if isinstance(in_dims, tuple) else flat)
        if not isinstance(in_dims, tuple):
            dims = [in_dims] * len(flat)
        sizes = []
        for x, d in zip(flat, dims):
            if d is None:
                continue
            if not isinstance(x, Tensor):
                raise errors.EngineValueError(
                    f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an "
                    f"input but the input is of type {type(x)}. We cannot vmap over non-Tensor "
                    "arguments, please use None as the respective in_dim")
            if not -max(x.ndim, 1) <= d < max(x.ndim, 1) or x.ndim == 0:
                raise errors.EngineValueError(
                    f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for some "
                    f"input, but that input is a Tensor of dimensionality {x.ndim} so expected "
                    f"in_dim to satisfy -{x.ndim} <= in_dim < {x.ndim}.")
            sizes.append(x.shape[d])
        if not sizes:
            raise errors.EngineValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): at least one input must be "
                "batched (got in_dims that are all None)")
        if len(set(sizes)) != 1:
            raise errors.EngineValueError(
                "vmap: Expected all tensors to have the same size in the mapped dimension, got "
                f"sizes {sizes} for the mapped dimension")
        size = sizes[0]
        dims = [None if d is None else d % x.ndim for x, d in zip(flat, dims)]
        if chunk_size is not None and chunk_size < size:
            return _chunked(func, flat, spec, dims, size, kwargs, chunk_size, randomness,
                            out_dims)
        return _run(func, flat, spec, dims, size, kwargs, randomness, out_dims)

    wrapped.__name__ = f"vmap({_fn_name(func)})"
    return wrapped


def _out_dims_list(out_dims, out, n: int) -> list:
    if isinstance(out_dims, tuple):
        if not isinstance(out, tuple):
            out = (out,)
        return broadcast_prefix(out_dims, out, "out_dims")
    return [out_dims] * n


def _chunked(func, flat, spec, dims, size, kwargs, chunk, randomness, out_dims):
    from ..ops import cat

    pieces = []
    for start in range(0, size, chunk):
        n = min(chunk, size - start)
        part = [x if d is None else x.narrow(d, start, n) for x, d in zip(flat, dims)]
        pieces.append(_run(func, part, spec, dims, n, kwargs, randomness, out_dims))
    leaves0, ospec = tree_flatten(pieces[0])
    per = [tree_flatten(p)[0] for p in pieces]
    dims_out = _out_dims_list(out_dims, pieces[0], len(leaves0))
    return tree_unflatten([cat([p[i] for p in per], d % (leaves0[i].ndim))
                           if isinstance(leaves0[i], Tensor) and d is not None
                           else leaves0[i] for i, d in enumerate(dims_out)], ospec)


def _run(func, flat, spec, dims, size, kwargs, randomness, out_dims):
    if randomness != "different":
        try:
            return _run_batched(func, flat, spec, dims, size, kwargs, randomness, out_dims)
        except BatchingError:
            stats["fallbacks"] += 1
    return _run_loop(func, flat, spec, dims, size, kwargs, randomness, out_dims)


def _run_batched(func, flat, spec, dims, size, kwargs, randomness, out_dims):
    level = next(_levels)
    batched = [x if d is None else _batch(x, d, level) for x, d in zip(flat, dims)]
    token = _depth.set(_depth.get() + 1)
    running = _enter(level)
    try:
        if randomness == "error":
            with use_generator(_RandomnessError()):
                out = func(*tree_unflatten(batched, spec), **kwargs)
        else:
            out = func(*tree_unflatten(batched, spec), **kwargs)
    finally:
        _exit(running)
        _depth.reset(token)
        _forget_devices(level)
    stats["batched"] += 1
    given = {id(b): (x, d, b) for x, d, b in zip(flat, dims, batched) if d is not None}
    return _unbatch_outputs(out, level, size, out_dims, given)


def _unbatch_outputs(out, level: int, size: int, out_dims, given=None):
    leaves, ospec = tree_flatten(out)
    dims = _out_dims_list(out_dims, out, len(leaves))
    res = []
    for o, d in zip(leaves, dims):
        if isinstance(o, Tensor):
            res.append(_unbatch(o, d, level, size, given) if d is not None else o)
        elif d is None:
            res.append(o)
        else:
            raise errors.EngineValueError(
                "vmap: `func` must only return Tensors, got type "
                f"{type(o)}. Did you mean to set out_dims= to None for output?")
    return tree_unflatten(res, ospec)


def _run_loop(func, flat, spec, dims, size, kwargs, randomness, out_dims):
    from ..ops import stack

    outs = []
    for b in range(size):
        args_b = [x if d is None else x.select(d, b) for x, d in zip(flat, dims)]
        if randomness == "error":
            with use_generator(_RandomnessError()):
                outs.append(func(*tree_unflatten(args_b, spec), **kwargs))
        else:
            outs.append(func(*tree_unflatten(args_b, spec), **kwargs))
    leaves0, ospec = tree_flatten(outs[0])
    per = [tree_flatten(o)[0] for o in outs]
    dims_out = _out_dims_list(out_dims, outs[0], len(leaves0))
    res = []
    for i, d in enumerate(dims_out):
        if isinstance(leaves0[i], Tensor) and d is not None:
            res.append(stack([p[i] for p in per], d))
        else:
            res.append(leaves0[i])
    return tree_unflatten(res, ospec)


def _register() -> None:
    import sys

    tensor_module = sys.modules["engine.tensor"]
    tensor_module._batched_type = BatchedArray
    tensor_module._batched_device = batched_device


_register()


# --------------------------------------------------------------------------- boundaries
def _levels_of(data) -> set:
    found = set()
    while type(data) is BatchedArray:
        found.add(data.level)
        data = data.phys
    return found


def _boundary(outputs, rule, inputs, per_input):
    """An op inside ``vmap`` that mixed an unbatched input into a batched result broadcast it
    over the batch. A backward run inside that ``vmap`` wants per-sample gradients (``vmap``
    of ``grad``, of ``autograd.grad``); one run after the ``vmap`` has returned (``.backward()``
    on its output, an outer transform through this graph) differentiates the broadcast, so the
    input's gradient is summed over the batch there (``record`` calls this while a vmap or dual
    level is open)."""
    if not _active[0]:
        return rule
    first = outputs if type(outputs) is Tensor else outputs[0]
    out_levels = _levels_of(first._data)
    if not out_levels:
        return rule
    missing = [None if type(x) is not Tensor or not x.requires_grad else
               tuple(sorted(out_levels - _levels_of(x._data))) for x in inputs]
    if not any(missing):
        return rule
    if per_input:
        return tuple(f if f is None or not m else _summing(f, m) for f, m in zip(rule, missing))

    def adapted(g, needs, *saved):
        grads = rule(g, needs, *saved)
        grads = grads if type(grads) is tuple else (grads,)
        return tuple(_sum_levels(gi, m) if gi is not None and m else gi
                     for gi, m in zip(grads, missing))

    return adapted


def _summing(f, levels):
    return lambda g, *saved: _sum_levels(f(g, *saved), levels)


def _sum_levels(g: Tensor, levels) -> Tensor:
    running = _running.get()
    for level in levels:
        if level in running:
            continue
        phys = _extract(g._data, level)
        if phys is None:
            continue
        size = np.shape(phys)[0]
        out = _plain(np.sum(phys, axis=0), g.dtype, g.device)
        if needs_grad(g):
            record(out, "SumBackward1", (lambda gg, lv=level, n=size: _spread(gg, lv, n),),
                   (g,))
        g = out
    return g


def _spread(g: Tensor, level: int, size: int) -> Tensor:
    arr = BatchedArray(np.broadcast_to(g._data, (size,) + tuple(np.shape(g._data))), level)
    return _wrap(arr, g.dtype, batched_device(g.device, arr))


_active = [0]  # vmaps running, in any context
_running: ContextVar[frozenset] = ContextVar("vmap_levels", default=frozenset())


def _enter(level: int):
    from ..autograd.graph import FW_ACTIVE

    _active[0] += 1
    FW_ACTIVE[0] += 1
    return _running.set(_running.get() | {level})


def _exit(token) -> None:
    from ..autograd.graph import FW_ACTIVE

    _running.reset(token)
    _active[0] -= 1
    FW_ACTIVE[0] -= 1


def _register_boundary() -> None:
    from ..autograd import forward_ad

    forward_ad.BATCH_BOUNDARY[0] = _boundary


_register_boundary()
