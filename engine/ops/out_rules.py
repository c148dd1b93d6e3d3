"""``out=`` on torch functions, per op as torch 2.13 does it.

Each op of the table that torch gives ``out=`` carries an ``OutRule`` (``OpDef.out``); the others
have ``None`` and refuse the keyword as Python does (``relu() got an unexpected keyword argument
'out'``). ``install`` (run once the table is complete) puts the rules on the table's entries and
wraps the function forms (``torch.add``, ``torch.linalg.inv`` ...) to take ``out=``; Tensor
methods and operators keep the plain functions (torch's methods have no ``out=`` either), so
they pay nothing.

What a call with ``out=`` does, in torch's order:

1. ``out`` must be a tensor (a tuple of them for ops returning several);
2. with grad mode on, no argument (``out`` included) may require grad: "matmul(): functions with
   out=... arguments don't support automatic differentiation, but one of the arguments requires
   grad." (the op torch names, e.g. ``linalg_inv_ex`` for ``linalg.inv``); the ops torch writes
   as compositions (``linalg.norm``, ``tensordot`` ...) instead compute with autograd and copy
   the result into ``out`` (``CopyBackwards``);
3. the result's dtype against out's: a result that cannot be cast (float into an integer, a
   non-bool into bool) raises the op's cast text; ops that demand out's dtype exactly raise
   theirs; the rest cast the result (pointwise ops compute in the inputs' dtype, then cast);
   reductions of the ``compute`` family compute *in* out's dtype (``sum(x, 0, out=double)`` is
   the bits of ``x.double().sum(0)``); creation ops make their values in out's dtype;
4. an out that overlaps an input other than exactly (pointwise ops and ``cat``) raises torch's
   overlap error;
5. ``out`` of another shape is resized (with torch's deprecation warning when it held
   elements), written (through views into their base), its version bumped, and returned
   itself (a tuple of outs as ``torch.return_types.<op>_out``).

The per-op data (texts, families) was measured on torch 2.13 by
``tests/oracle/out_recorder.py`` (its record: ``tests/oracle/out_golden.json``).
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass, replace

import numpy as np

from .. import errors
from ..autograd.grad_mode import is_grad_enabled, no_grad
from ..tensor import Tensor

# --------------------------------------------------------------------------- texts
CAST = "result type {R} can't be cast to the desired output type {O}"
EXPECTED = "Expected out tensor to have dtype {r}, but got {o} instead"
FOUND = "Found dtype {O} but expected {R}"
CAT_CAST = "TypeError:torch.cat(): input types can't be cast to the desired output type {O}"
SAFELY = "{op}: Expected result to be safely castable from {R} dtype, but got result with dtype {O}"
GRAD = ("{op}(): functions with out=... arguments don't support automatic differentiation, but "
        "one of the arguments requires grad.")
OVERLAP = ("unsupported operation: some elements of the input tensor and the written-to tensor "
           "refer to a single memory location. Please clone() the tensor before performing the "
           "operation.")
RESIZED = ("An output with one or more elements was resized since it had shape {old}, which does "
           "not match the required output shape {new}. This behavior is deprecated, and in a "
           "future PyTorch release outputs will not be resized unless they have zero elements. "
           "You can explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
           "with t.resize_(0).")
ARANGE_RESIZED = ("The number of elements in the out tensor of shape {old} is {n} which does not "
                  "match the computed number of elements {m}. Note that this may occur as a "
                  "result of rounding error. The out tensor will be resized to a tensor of shape "
                  "{shape}.")


@dataclass(frozen=True)
class OutRule:
    """How one op takes ``out=``.

    ``family``: "cast" (compute, then cast into out), "compute" (compute in out's dtype through
    the op's ``dtype=``), "upcast" (the same through floating inputs cast to out's dtype, for
    ops without ``dtype=``), "create" (a creation op: its values made in out's dtype).
    ``cast``: the text when the result's dtype cannot be cast to out's (None: no such check).
    ``exact``: the text when out's dtype is not the result's (a tuple: one per output).
    Texts are ``str.format`` templates: ``{R}``/``{O}`` the result's/out's ScalarType names
    (Float, Long), ``{r}``/``{o}`` their C++ names (float, long int), ``{tr}``/``{to}`` their
    legacy type names (torch.FloatTensor; CPUBoolType), ``{op}``; a text starting
    with ``TypeError:`` or ``NotImplementedError:`` raises that class (else RuntimeError).
    ``grad``: the op torch names in its autograd refusal ("" = the op's own name with ``.`` as
    ``_``; None = torch computes with autograd and copies into out).
    ``warn``: warn when resizing an out that held elements. ``needs_dim``: torch's overload
    with ``out=`` needs ``dim`` (``sum(x, out=t)`` is refused, ``sum(x, 0, out=t)`` is not).
    ``overlap``: refuse an out that overlaps an input other than exactly. ``outputs``: how
    many tensors the op returns (0: one, not a tuple). ``kernel``: ("float" | "nonbool",
    text): the out dtypes torch's kernel has no version for.
    """

    family: str = "cast"
    cast: str | None = CAST
    exact: str | tuple | None = None
    grad: str | None = ""
    warn: bool = True
    needs_dim: bool = False
    overlap: bool = False
    outputs: int = 0
    kernel: tuple | None = None
    bumps: int = 1
    resize_bumps: int = 0
    order: tuple | None = None  # the order torch checks the outputs' dtypes in (default: theirs)
    dtype_text: str | None = None  # compute family: dtype= other than out's (default EXPECTED)


    def select(self, args: tuple, kwargs: dict) -> OutRule:
        return self


def _type_label(x) -> str:
    return "Tensor" if isinstance(x, Tensor) else type(x).__name__


def invalid_combination(op: str, args: tuple, kwargs: dict) -> errors.EngineTypeError:
    """The first line of torch's argument-parser refusal (``sum() received an invalid
    combination of arguments - got (Tensor, out=Tensor), but expected one of:``); torch's list
    of the op's overloads that follows it is not reproduced."""
    got = [_type_label(a) for a in args] + [f"{k}={_type_label(v)}" for k, v in
                                            sorted(kwargs.items())]
    return errors.EngineTypeError(f"{op}() received an invalid combination of arguments - got "
                                  f"({', '.join(got)}), but expected one of:")


@dataclass(frozen=True)
class Refused:
    """An op torch refuses ``out=`` for, with a text other than Python's own: its argument
    parser's (``combination``) or a Python function under another name (``name``)."""

    name: str = ""
    combination: bool = False

    def refuse(self, op: str, args: tuple, kwargs: dict):
        if self.combination:
            raise invalid_combination(op, args, kwargs)
        raise errors.EngineTypeError(f"{self.name}() got an unexpected keyword argument 'out'")


@dataclass(frozen=True)
class ByDim:
    """Ops whose ``out=`` overload depends on ``dim`` (``max(x, out=t)``, ``max(x, y, out=t)``,
    ``max(x, 0, out=(v, i))``): ``plain`` without a dim (``binary`` with a second tensor),
    ``with_dim`` with one."""

    plain: OutRule | str
    with_dim: OutRule
    binary: OutRule | None = None

    def select(self, args: tuple, kwargs: dict) -> OutRule:
        second = args[1] if len(args) > 1 else kwargs.get("dim", kwargs.get("other"))
        if isinstance(second, Tensor) and self.binary is not None:
            return self.binary
        if second is None:
            if isinstance(self.plain, str):
                raise errors.EngineTypeError(self.plain)
            return self.plain
        return self.with_dim


def _names(dt) -> tuple[str, str]:
    """torch's ScalarType name (Float) and C++ name (float) of a dtype."""
    return dt.scalar_name, dt.c_name


def _raise(template: str, op: str, res, out):
    cls: type = errors.EngineRuntimeError
    if template.startswith("TypeError:"):
        cls, template = errors.EngineTypeError, template[len("TypeError:"):]
    elif template.startswith("NotImplementedError:"):
        cls, template = errors.KernelNotImplemented, template[len("NotImplementedError:"):]
    (big_r, small_r), (big_o, small_o) = _names(res), _names(out)

    def legacy(dt, big):  # torch's legacy type names (no BoolTensor there)
        return "CPUBoolType" if dt.name == "bool" else f"torch.{big}Tensor"

    raise cls(template.format(R=big_r, O=big_o, r=small_r, o=small_o, op=op,
                              tr=legacy(res, big_r), to=legacy(out, big_o)))


def _can_cast(res, out) -> bool:
    return res._kind <= out._kind


def _tensors(value, found: list) -> None:
    if isinstance(value, Tensor):
        found.append(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _tensors(v, found)


def _same_layout(a: np.ndarray, b: np.ndarray) -> bool:
    return a.__array_interface__["data"][0] == b.__array_interface__["data"][0] and \
        a.shape == b.shape and a.strides == b.strides


def _check_overlap(inputs: list, outs: tuple) -> None:
    for o in outs:
        od = o._data
        if type(od) is not np.ndarray:
            continue
        for t in inputs:
            td = t._data
            if type(td) is np.ndarray and td.size and od.size and \
                    np.may_share_memory(td, od) and not _same_layout(td, od) and \
                    np.shares_memory(td, od):
                raise errors.EngineRuntimeError(OVERLAP)


_OUT_TYPES: dict[type, type] = {}


def _out_type(result) -> type | None:
    """``torch.return_types.sort_out`` for a ``sort`` result (None for a plain tuple)."""
    cls = type(result)
    if cls is tuple or cls is list or not hasattr(cls, "_fields"):
        return None
    made = _OUT_TYPES.get(cls)
    if made is None:
        from .reduction import _return_type

        made = _return_type(cls.__name__ + "_out", cls._fields)
        _OUT_TYPES[cls] = made
    return made


def _shape_text(shape: tuple) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _write(out: Tensor, res: Tensor, rule: OutRule, op: str, record: bool) -> None:
    from .registry import OPS

    shape = tuple(res._data.shape)
    before = out._version
    resized = tuple(out._data.shape) != shape
    if resized:
        if out._data.size and rule.warn:
            if op == "arange":
                text = ARANGE_RESIZED.format(old=_shape_text(out._data.shape), n=out._data.size,
                                             m=res._data.size, shape=repr(shape))
            else:
                text = RESIZED.format(old=_shape_text(out._data.shape), new=_shape_text(shape))
            warnings.warn(text, UserWarning, stacklevel=4)
        wants = out.requires_grad  # (torch resizes out under no_grad even then)
        out.requires_grad = False
        try:
            with no_grad():
                OPS["resize_"].fn(out, shape)
        finally:
            out.requires_grad = wants
    vc = out._vc
    if rule.family == "empty":  # nothing written
        vc[0] = before + (rule.resize_bumps if resized else 0)
        return
    if record:
        OPS["copy_"].fn(out, res)
    else:
        with no_grad():
            OPS["copy_"].fn(out, res)
    vc[0] = before + rule.bumps + (rule.resize_bumps if resized else 0)


def _outs(op: str, out, n: int | None) -> tuple:
    """``out`` as a tuple of tensors (``n``: how many the op returns; None: one tensor)."""
    if n is None:
        if not isinstance(out, Tensor):
            raise errors.EngineTypeError(
                f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
        return (out,)
    if not isinstance(out, (tuple, list)):
        raise errors.EngineTypeError(
            f"{op}() received an invalid combination of arguments - got (Tensor, "
            f"out={type(out).__name__ if not isinstance(out, Tensor) else 'Tensor'}), ...")
    if len(out) != n:
        raise errors.EngineTypeError(f"expected tuple of {n} elements but got {len(out)}")
    for i, o in enumerate(out):
        if not isinstance(o, Tensor):
            raise errors.EngineTypeError(
                f"expected Tensor as element {i} in argument {n + 1}, but got "
                f"{type(o).__name__}")
    return tuple(out)


def _run(fn, name: str, rule, args: tuple, kwargs: dict, out):
    op = name.split(".")[-1]
    rule = rule.select(args, kwargs)
    arity = rule.outputs or None
    outs = _outs(op, out, arity)
    if rule.needs_dim and len(args) < 2 and kwargs.get("dim") is None:
        raise invalid_combination(op, args, {**kwargs, "out": out})
    inputs: list = []
    _tensors(args, inputs)
    _tensors(list(kwargs.values()), inputs)
    grad_on = is_grad_enabled()
    if grad_on and rule.grad is not None and any(t.requires_grad for t in (*inputs, *outs)):
        raise errors.EngineRuntimeError(GRAD.format(op=rule.grad or name.replace(".", "_")))
    record = grad_on and rule.grad is None
    given = kwargs.get("dtype")
    if given is not None and rule.family in ("create", "empty", "compute") and \
            given != outs[0].dtype:
        if rule.family == "compute":
            _raise(rule.dtype_text or EXPECTED, op, given, outs[0].dtype)
        raise errors.EngineRuntimeError(
            f"dtype {_names(given)[0]} does not match dtype of out parameter "
            f"({_names(outs[0].dtype)[0]})")
    if rule.kernel is not None:
        kind, text = rule.kernel
        dt = outs[0].dtype
        if dt.is_floating_point is False and kind == "float" or \
                dt.name == "bool" and kind == "nonbool":
            _raise(text, op, dt, dt)
    if rule.family in ("create", "empty") and kwargs.get("dtype") is None:
        res = fn(*args, **kwargs, dtype=outs[0].dtype)
    elif record:
        res = fn(*args, **kwargs)
    else:
        with no_grad():
            res = fn(*args, **kwargs)
    results = (res,) if arity is None else tuple(res)
    for i in rule.order or range(len(outs)):
        o, r = outs[i], results[i]
        if o.dtype == r.dtype:
            continue
        if rule.cast is not None and not _can_cast(r.dtype, o.dtype):
            _raise(rule.cast, name, r.dtype, o.dtype)
        exact = rule.exact[i] if isinstance(rule.exact, tuple) else rule.exact
        if exact is not None:
            _raise(exact, name, r.dtype, o.dtype)
    if rule.family == "compute" and outs[0].dtype is not results[0].dtype \
            and kwargs.get("dtype") is None:
        with no_grad():
            results = (fn(*args, **kwargs, dtype=outs[0].dtype),)
    elif rule.family == "upcast" and outs[0].dtype is not results[0].dtype \
            and outs[0].dtype.is_floating_point:
        dt = outs[0].dtype

        def up(v):
            return v.to(dt) if isinstance(v, Tensor) and v.dtype.is_floating_point else v

        with no_grad():
            results = (fn(*[up(a) for a in args], **{k: up(v) for k, v in kwargs.items()}),)
    if rule.overlap:
        _check_overlap(inputs, outs)
    for o, r in zip(outs, results, strict=True):
        _write(o, r, rule, name, record)
    if arity is None:
        return outs[0]
    made = _out_type(res)
    return made(*outs) if made is not None else tuple(outs)


def _with_out(fn, name: str, rule):
    if isinstance(rule, Refused):
        @functools.wraps(fn)
        def call(*args, **kwargs):
            if "out" in kwargs:
                rule.refuse(name.split(".")[-1], args, kwargs)
            return fn(*args, **kwargs)
    else:
        @functools.wraps(fn)
        def call(*args, out=None, **kwargs):
            if out is None:
                return fn(*args, **kwargs)
            return _run(fn, name, rule, args, kwargs, out)

    for attr in ("operator", "operator_form"):
        if hasattr(fn, attr):
            setattr(call, attr, getattr(fn, attr))
    return call


def install(table: dict) -> None:
    """Give every function-form entry of ``table`` with a rule in ``RULES`` its ``out=``."""
    from .out_table import RULES

    done: dict = {}
    for key, d in list(table.items()):
        rule = RULES.get(d.name)
        if rule is None or d.kind == "method":
            continue
        new = done.get(id(d))
        if new is None:
            new = replace(d, fn=_with_out(d.fn, d.name, rule),
                          out=None if isinstance(rule, Refused) else rule)
            done[id(d)] = new
        table[key] = new
