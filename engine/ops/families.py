"""Helpers that turn a family of similar ops into one line each: unary and binary elementwise
ops, and their in-place twins. Each builds the forward, records the graph node and registers
the op in the table.
"""

from __future__ import annotations

import re
import warnings
import weakref

import numpy as np

from .. import errors
from .._fperr import all_ignored
from .._parallel import MIN_ELEMENTS, PARALLEL_NUMPY
from ..autograd import OUTPUT, record
from ..autograd import saved_hooks as _saved_hooks
from ..autograd.forward_ad import elementwise_rules, transfer_tangent
from ..autograd.grad_mode import SEEN as _INFERENCE_SEEN
from ..autograd.grad_mode import check_inplace as _inference_inplace
from ..autograd.graph import (
    FORMULA_ANY,
    FW_ACTIVE,
    WRITING_INTEGRAL,
    copy_slices,
    in_formula,
    regraph_view,
    view_rebase_error,
)
from ..dtypes import bool_, default_float, float16, half_number, half_source, int64
from ..modes import _grad_enabled, check_numel, no_grad
from ..tensor import Tensor, _wrap
from ._args import (
    _INT64_LIMIT,
    _UINT64_LIMIT,
    broadcast_shape,
    check_scalar_int,
    device_of,
    float_dtype,
    is_scalar,
    operand,
    promote_args,
)
from .keywords import inplace_keyword_check
from .memory_format import as_iterated, as_row_major, iterates_unsorted
from .registry import register


def node_name(op_name: str, n: int = 0) -> str:
    """PyTorch's node name for an op: ``log_softmax`` -> ``LogSoftmaxBackward0``."""
    camel = "".join(p[:1].upper() + p[1:] for p in op_name.split("_"))
    camel = re.sub(r"(\d)([a-z])", lambda m: m.group(1) + m.group(2).upper(), camel)
    return f"{camel}Backward{n}"


def unary(name: str, fwd, grad=None, *, save=("input",), floating=True, node=None,
          doc: str, aliases=(), kind="both", inplace=True, bool_out=False, arith=None):
    """An elementwise op of one tensor. ``fwd(xp, array) -> array``; ``grad(g, *saved)`` where
    ``saved`` lists "input" and/or "out". ``floating`` ops compute ints in the default float.
    ``arith``: ``grad``'s first-order formula for NumPy arrays of one floating dtype, making
    the NumPy calls the engine's ops make, in their order (True: ``grad`` itself, when it is
    plain arithmetic: ``+ - * /``, unary minus, Python numbers); a plain backward then runs it
    on the arrays (``arith_rule``)."""
    node = node or node_name(name)
    if arith is not None and grad is not None:
        grad = arith_rule(grad, grad if arith is True else arith)
    rule = elementwise_rules((grad,))  # its reverse rule is its tangent rule
    # what ``record`` saves, without a generator per call in the common cases
    saves_out = (OUTPUT,) * len(save) if all(s == "out" for s in save) else None
    saves_input = tuple(save) == ("input",)

    def forward(input):
        if type(input) is not Tensor and not isinstance(input, Tensor):
            raise errors.EngineTypeError(  # torch's text: a number is not a tensor
                f"{name}(): argument 'input' (position 1) must be Tensor, not "
                f"{type(input).__name__}")
        dt = input.dtype
        if floating and not dt.is_floating_point:
            arr = input._data.astype(default_float().np)
            dt = default_float()
        else:
            arr = input._data
        dev = input.device
        xp = dev.xp
        if arr.size >= MIN_ELEMENTS and xp is np:  # large: its ufuncs run on every core
            xp = PARALLEL_NUMPY
        res = fwd(xp, arr)
        if not arr.flags.c_contiguous:  # (torch's layout of the result: TensorIterator's)
            res = as_iterated(res, (arr,))
        if bool_out:
            out = _wrap(res, bool_, dev)
        else:
            if res.dtype != dt.np:
                res = res.astype(dt.np)
            out = _wrap(res, dt, dev)
        if grad is not None and (input.requires_grad and _grad_enabled.get() or FW_ACTIVE[0]):
            record(out, node, rule, (input,), saves_out if saves_out is not None else
                   (input,) if saves_input else tuple(OUTPUT if s == "out" else input
                                                      for s in save))
        return out

    forward.__name__ = name
    forward.__qualname__ = name
    forward.__doc__ = doc
    register(name, forward, doc=doc, differentiable=grad is not None, kind=kind,
             aliases=aliases, grad_fns=(node,) if grad is not None else ())
    if inplace:
        inplace_twin(name, forward)
    return forward


def arith_rule(rule, formula):
    """``rule(g, saved)`` (a unary op's gradient rule made of engine ops: the gradient and one
    saved tensor) that runs ``formula`` on the NumPy arrays instead when nothing can tell the
    difference: a plain backward (grad mode off, no forward-AD level or vmap), both operands
    NumPy arrays of one floating dtype, not 0-d (NumPy would go on in scalar arithmetic, whose
    NaNs may carry another sign), below the size where ops chunk over threads, and NumPy's
    error state "ignore all" (the engine's: a few engine ops silence warnings of their own).
    ``formula`` must make the very NumPy calls the engine's ops make (plain arithmetic does:
    their same-dtype fast path is one ufunc per operator; a commutative one may take a number
    first, which IEEE arithmetic does not see): the same values to the bit, without an op's
    dispatch, result tensor and checks per operator (~150 bytecodes each)."""

    def run(g, saved):
        if not FW_ACTIVE[0] and not _grad_enabled.get():
            d = g._data
            dt = g.dtype
            if type(d) is np.ndarray and dt.is_floating_point and d.size < MIN_ELEMENTS and \
                    d.ndim and type(saved) is Tensor and saved.dtype is dt and \
                    dt.name != "float16":  # (half: a Python number is no half operand)
                a = saved._data
                if type(a) is np.ndarray and all_ignored():
                    res = formula(d, a)
                    if type(res) is np.ndarray and res.dtype == d.dtype:
                        return _wrap(res, dt, g.device)
        return rule(g, saved)

    run.__name__ = run.__qualname__ = getattr(rule, "__name__", "rule")
    run.tensor_rule, run.formula = rule, formula  # (for the tests)
    return run


def binary(name: str, fwd, grads=None, *, save=("input", "other"), out="promote", node=None,
           doc: str, aliases=(), kind="both", inplace=True, public=True,
           ufunc: str | None = None, check=None, number_edges: bool = True,
           half_scalar: bool = False, other_first: bool = False, row_major: bool = False,
           scalar_node: str | None = None, joint=None):
    """An elementwise broadcasting op of two operands (tensors or Python scalars).

    ``out``: "promote" (PyTorch's promotion), "float" (ints become the default float), or
    "bool" (comparisons: compute in the promoted dtype, answer bool). ``grads`` is one
    ``f(g, *saved)`` per operand (None where not differentiable); ``save`` names what to keep:
    "input", "other" and "out" ("X:input": X only when ``input`` needs its gradient, as
    ``ldexp``'s other and ``copysign``'s input), or is "cross" for products
    (``f(g, input, other)`` where each operand is kept only when the other one requires grad,
    as PyTorch saves them), or
    "quotient" for a division (``other`` always, ``input`` only for ``other``'s gradient),
    or "own+out" (each operand for its own gradient only, and the result: ``hypot``), or
    "for other" (both operands, only for ``other``'s gradient: ``fmod``, ``remainder``).
    ``check(input, other)`` refuses operands before promotion; it runs off the fast paths
    only, so it may only refuse what those never see (bool tensors or Python bools).
    ``number_edges=False``: a Python number operand is no input of the node (PyTorch's Scalar
    overloads: ``x ** 2`` is PowBackward0 with one edge, where ``x * 2`` keeps an empty one).
    ``half_scalar``: a float16 result with a 0-d tensor of another dtype as ``other`` reaches
    ``fwd`` as the Python number it holds (torch's kernels take a CPU scalar's own value).
    ``other_first``: torch computes it as ``f(other, input)`` (``rsub``): the result's layout
    follows ``other`` first. ``row_major``: torch allocates the result row-major whatever
    the operands' layout (``pow(Scalar, Tensor)``). ``scalar_node``: the node of torch's
    C++ Scalar overload (``AddBackward1``), which a derivative formula records for a tensor
    and a Python number (``graph.in_formula``), with one edge; a program's ``x + 1`` wraps the
    number (``AddBackward0`` with an empty second edge). ``joint(g, needs, *saved)``: the
    reverse rule of two tensors as one formula (torch's ``atan2_backward`` computes a term
    both gradients share once); ``grads`` stay its tangent rules.
    """
    node = node or node_name(name)
    cross = save == "cross"
    quotient = save == "quotient"
    own = save == "own+out"
    for_other = save == "for other"
    keep = () if cross or quotient or own or for_other else tuple(save)
    numbers_saved = cross or quotient  # (a Python number operand is saved, as torch wraps it)
    float_out = out == "float"
    bool_out = out == "bool"
    if grads is not None:
        elementwise_rules(grads, cross)  # its reverse rules are its tangent rules

    def slow(input, other):
        if check is not None:
            check(input, other)
        dt = promote_args(input, other)
        if float_out:
            dt = float_dtype(dt)
        dev = device_of(input, other)
        if type(input) is Tensor and type(other) is Tensor and \
                input._data.shape != other._data.shape:
            check_numel(broadcast_shape(input._data.shape, other._data.shape))
        xp = dev.xp
        if xp is np and (type(input) is Tensor and input._data.size >= MIN_ELEMENTS or
                         type(other) is Tensor and other._data.size >= MIN_ELEMENTS):
            xp = PARALLEL_NUMPY
        if half_scalar and dt.name == "float16" and type(other) is Tensor and \
                other.dtype is not dt and not other._data.ndim and type(input) is Tensor and \
                xp is np:
            res = fwd(xp, operand(input, dt), other._data.item())
        else:
            res = fwd(xp, operand(input, dt), operand(other, dt))
        a = input._data if type(input) is Tensor else input
        b = other._data if type(other) is Tensor else other
        if type(a) is np.ndarray and not a.flags.c_contiguous or \
                type(b) is np.ndarray and not b.flags.c_contiguous or _unsorted(a, b):
            res = as_row_major(res) if row_major else \
                as_iterated(res, (b, a) if other_first else (a, b))
        if bool_out:
            return _wrap(res, bool_, dev)
        if res.dtype != dt.np:
            res = res.astype(dt.np)
        return _wrap(res, dt, dev)

    def make(as_operator: bool):
        def forward(input, other):
            # Fast path: a floating tensor with a same-typed tensor on its device, or with a
            # Python scalar (weak, so it never changes the dtype).
            if type(input) is Tensor and input.dtype.is_floating_point and not bool_out and (
                    type(other) is float or type(other) is int or type(other) is Tensor and
                    other.dtype is input.dtype and other.device is input.device):
                dev = input.device
                a = input._data
                b = other._data if type(other) is Tensor else other
                if type(b) is float and input.dtype is float16:
                    b = half_number(b)  # (a Scalar reaches half through float)
                if type(b) is int and not -_INT64_LIMIT <= b < _UINT64_LIMIT:
                    check_scalar_int(b)  # (torch's Scalar: int64 or uint64, else Python's error)
                if type(other) is Tensor and b.shape != a.shape and \
                        a.size != 1 and b.size != 1:  # (one element: fits)
                    check_numel(broadcast_shape(a.shape, b.shape))
                xp = dev.xp
                if a.size >= MIN_ELEMENTS and xp is np:  # large: its ufuncs run on every core
                    xp = PARALLEL_NUMPY
                res = fwd(xp, a, b)
                if not a.flags.c_contiguous or type(b) is np.ndarray and (
                        not b.flags.c_contiguous or
                        (type(a) is not np.ndarray or a.shape != b.shape) and _unsorted(a, b)) \
                        or type(b) is not np.ndarray and type(a) is np.ndarray and \
                        a.ndim > 1 and _unsorted(a, b):
                    # (torch's layout; _unsorted is called only where it can be True: not for
                    # same-shaped arrays, nor for a number with at most one dimension)
                    res = as_row_major(res) if row_major else \
                        as_iterated(res, (b, a) if other_first else (a, b))
                result = _wrap(res, input.dtype, dev)
            elif (type(input) is float or type(input) is int) and type(other) is Tensor and \
                    other.dtype.is_floating_point and not bool_out:  # ``1 - t``
                dev = other.device
                b = other._data
                if type(input) is int and not -_INT64_LIMIT <= input < _UINT64_LIMIT:
                    check_scalar_int(input)
                if type(input) is float and other.dtype is float16:
                    input = half_number(input)
                xp = dev.xp
                if b.size >= MIN_ELEMENTS and xp is np:
                    xp = PARALLEL_NUMPY
                res = fwd(xp, input, b)
                if not b.flags.c_contiguous or b.ndim > 1 and (1 in b.shape or 0 in b.shape) \
                        and iterates_unsorted(b):
                    res = as_row_major(res) if row_major else \
                        as_iterated(res, (b, input) if other_first else (input, b))
                result = _wrap(res, other.dtype, dev)
            elif as_operator and not (_operand_ok(input) and _operand_ok(other)):
                return NotImplemented  # Python then tries the other side, then says so
            else:
                result = slow(input, other)
            if grads is not None and (_grad_enabled.get() and (
                    type(input) is Tensor and input.requires_grad or
                    type(other) is Tensor and other.requires_grad) or FW_ACTIVE[0]):
                if cross:  # each operand is needed only for the other's gradient
                    saved = (input if type(other) is Tensor and other.requires_grad else None,
                             other if type(other) is not Tensor or
                             type(input) is Tensor and input.requires_grad else None)
                elif own:
                    fw = FW_ACTIVE[0]
                    saved = (input if fw or type(input) is Tensor and input.requires_grad
                             else None,
                             other if fw or type(other) is Tensor and other.requires_grad
                             else None, OUTPUT)
                elif for_other:  # only other's rule reads them (torch's codegen guards
                    need = FW_ACTIVE[0] or type(other) is Tensor and other.requires_grad
                    saved = (input, other) if need else (None, None)  # both saves on it)
                elif quotient:  # both rules read other; only other's reads input
                    saved = (input if FW_ACTIVE[0] or type(other) is Tensor and
                             other.requires_grad else None, other)
                elif keep:
                    saved = tuple(input if s == "input" else other if s == "other" else
                                  OUTPUT if s == "out" else
                                  (other if s[0] == "o" else input) if FW_ACTIVE[0] or
                                  type(input) is Tensor and input.requires_grad else None
                                  for s in keep)
                else:
                    saved = ()
                if scalar_node is not None and FORMULA_ANY[0] and (
                        type(input) is not Tensor or type(other) is not Tensor) and \
                        in_formula():  # torch's C++ formula: the Scalar overload
                    if type(input) is Tensor:
                        record(result, scalar_node, grads[:1], (input,), saved,
                               saves_scalars=numbers_saved)
                    elif name in ("add", "mul"):  # (``2 * g``: commutative ops only)
                        record(result, scalar_node, grads[1:], (other,), saved,
                               saves_scalars=numbers_saved)
                    else:
                        record(result, node, grads, (input, other), saved,
                               saves_scalars=numbers_saved)
                elif joint is not None and type(input) is Tensor and type(other) is Tensor:
                    record(result, node, joint, (input, other), saved, False,
                           saves_scalars=numbers_saved)
                elif number_edges or type(input) is Tensor and type(other) is Tensor:
                    record(result, node, grads, (input, other), saved, saves_scalars=numbers_saved)
                elif type(input) is Tensor:
                    record(result, node, grads[:1], (input,), saved, saves_scalars=numbers_saved)
                else:
                    record(result, node, grads[1:], (other,), saved, saves_scalars=numbers_saved)
            return result

        return forward

    forward = make(False)
    forward.operator_form = make(True)

    forward.__name__ = name
    forward.__qualname__ = name
    forward.__doc__ = doc
    if public:
        register(name, forward, doc=doc, differentiable=grads is not None, kind=kind,
                 aliases=aliases, grad_fns=(node,) if grads is not None else ())
    if inplace:
        inplace_twin(name, forward, ufunc=ufunc)
    return forward


# in-place ufuncs whose float16 result with a Python number is computed in float32 (the
# forward's rule, pointwise._half_by_number): not the direct ufunc into the array
_HALF_BY_NUMBER = ("multiply", "true_divide")


def _unsorted(a, b) -> bool:
    """Whether the iterator may lay ``a op b`` out otherwise than row-major though NumPy calls
    both operands C-contiguous: only when their shapes differ (a number, broadcasting; torch
    gives same-shaped contiguous operands a row-major result) and a size-1 or size-0
    dimension's stride is out of order (``memory_format.iterates_unsorted``)."""
    if type(b) is np.ndarray:
        if type(a) is np.ndarray and a.shape == b.shape:
            return False
        if b.ndim > 1 and (1 in b.shape or 0 in b.shape) and iterates_unsorted(b):
            return True
    # (one dimension, or none, is always in order: iterates_unsorted says False)
    return type(a) is np.ndarray and a.ndim > 1 and (1 in a.shape or 0 in a.shape) and \
        iterates_unsorted(a)


def _operand_ok(x) -> bool:
    return type(x) is Tensor or is_scalar(x)


# --------------------------------------------------------------------------- in place
def check_inplace(t: Tensor, *others) -> None:
    """PyTorch's checks before an in-place op on ``t`` (in grad mode): a view that may not be
    rebased, a view of a leaf that requires grad, such a leaf itself. ``others``: the op's
    other arguments; one that requires grad makes the result need a gradient, so the view
    check comes before the op's own argument checks (torch's autograd layer runs first)."""
    if _INFERENCE_SEEN[0]:  # (inference tensors, or saved-tensor hooks open)
        _inference_inplace(t)
        _saved_hooks.INPLACE_TARGET.set(t)  # (a pack hook gets a copy of it: pack_saved)
    if not _grad_enabled.get():
        return
    base = t._base
    if base is not None and (t.requires_grad or base.requires_grad or any(
            type(o) is Tensor and o.requires_grad for o in others)):
        check_view_rebase(t)
    if t.grad_fn is None and t.requires_grad:
        raise errors.EngineRuntimeError(errors.LEAF_INPLACE)
    if base is not None and base.grad_fn is None and base.requires_grad:
        raise errors.EngineRuntimeError(errors.LEAF_VIEW_INPLACE)


def check_view_rebase(t: Tensor) -> None:
    """Refuse an in-place op on a view PyTorch will not rebase: one of several views one op
    returned (split, unbind, ...), or one made in no_grad mode (shape.make_view marks them)."""
    creation = getattr(t._view_fn, "creation", None)
    if creation is not None:
        raise view_rebase_error(t, creation, indirect=False)


def check_overlap(t: Tensor) -> None:
    """PyTorch refuses to write a result into a tensor whose elements share memory (an
    expanded view): each would be written more than once."""
    arr = t._data
    strides = getattr(arr, "strides", ())
    if 0 in strides and arr.size:
        for st, n in zip(strides, arr.shape):
            if st == 0 and n > 1:
                raise errors.EngineRuntimeError(errors.INTERNAL_OVERLAP)


def check_mem_overlap(self: Tensor, operands, full: bool = False) -> None:
    """torch's checks between the tensor an op writes and the tensors it reads: no element of
    an operand may share memory with ``self`` unless both are the same elements in the same
    layout (TensorIterator's ``assert_no_partial_overlap``: ``y[1:].add_(y[:-1])``,
    ``y[1:].copy_(y[:-1])``); ``full``: no sharing at all (``assert_no_overlap``, the index
    ops' source: ``x.index_add_(0, i, x)``)."""
    sd = self._data
    if type(sd) is not np.ndarray or not sd.size:
        return
    for t in operands:
        if type(t) is not Tensor or t is self and not full:
            continue
        td = t._data
        if type(td) is np.ndarray and td.size and np.may_share_memory(td, sd) and (
                full or not (td.shape == sd.shape and td.strides == sd.strides and
                             td.__array_interface__["data"][0] ==
                             sd.__array_interface__["data"][0])) and np.shares_memory(td, sd):
            from .out_rules import OVERLAP

            raise errors.EngineRuntimeError(OVERLAP)


def has_overlap(t: Tensor) -> bool:
    """Do elements of ``t`` share memory (a stride-0 dim of size > 1: torch's
    ``has_internal_overlap`` answering Yes)?"""
    arr = t._data
    return any(st == 0 and n > 1 for st, n in zip(getattr(arr, "strides", ()), arr.shape))


def apply_inplace(self: Tensor, result: Tensor, overlap_ok: bool = False,
                  writes=None) -> Tensor:
    """Write an op's out-of-place ``result`` into ``self`` and make ``self`` its output.

    The data is copied into ``self``'s own storage, so views and aliases see the change; the
    version counter moves on, so a saved copy of the old value fails loudly in backward.
    ``overlap_ok``: PyTorch writes this op (``fill_``) even into an expanded view.
    ``writes(arr)``: into an expanded ``self``, the op's own writes (only the elements its
    kernel writes, in its order, so the last one into a shared location wins, or accumulate)
    in place of copying ``result``.
    """
    node = result.grad_fn
    if node is not None and self._base is not None:
        check_view_rebase(self)
    if not overlap_ok:
        check_overlap(self)
    if result._data.shape != self._data.shape:
        raise errors.EngineRuntimeError(
            f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
            f"{list(result._data.shape)}")
    if result.dtype is not self.dtype and not _can_cast(result.dtype, self.dtype):
        raise errors.EngineRuntimeError(
            f"result type {result.dtype.scalar_name} can't be cast to the desired "
            f"output type {self.dtype.scalar_name}")
    if _INFERENCE_SEEN[0]:
        _saved_hooks.INPLACE_TARGET.set(None)
    if node is not None:
        _protect_saved_self(node, self)
    xp = self.device.xp
    if writes is not None and has_overlap(self):
        writes(self._data)
    else:
        data = result._data
        if self.dtype is float16 and result.dtype is not float16:
            data = half_source(data)  # (a double reaches half through float, as in C++)
        xp.copyto(self._data, data, casting="unsafe")
    self._vc[0] += 1
    if node is not None and node._had_tensors:
        _saved_output_is_self(node, result, self)
    if FW_ACTIVE[0]:
        transfer_tangent(result, self)
    if node is not None:
        root = self if self._base is None else self._base
        if not root.requires_grad:
            _views_require_grad(root)
        if self._base is not None:  # the base joins the graph even if it had no history
            _rebase_view(self, result)
        else:
            self._grad_fn, self._output_nr, self.requires_grad = node, result._output_nr, True
        if result.dtype is not self.dtype:  # computed wider, cast back: the node's output is
            nr = result._output_nr           # of self's dtype, as torch records it
            meta = node._out_meta
            node._out_meta = ((meta[0], self.dtype, meta[2]) if node._nout == 1 else
                              tuple((m[0], self.dtype, m[2]) if i == nr else m
                                    for i, m in enumerate(meta)))
    return self


def _can_cast(src, dst) -> bool:
    """torch's ``canCast`` for writing a result into a tensor: never floating into integral
    (or bool), never a number into bool; narrowing within a kind is allowed."""
    if src.is_floating_point:
        return dst.is_floating_point
    if dst is bool_:
        return src is bool_
    return True


def _views_require_grad(base: Tensor) -> None:
    """``base`` comes to require grad by an in-place op: so do the views of it made before
    (``shape.make_view`` lists them, weakly, after the version in the shared counter); their
    nodes are made when next read, over the base's new history."""
    for ref in base._vc[1:]:
        v = ref()
        if v is not None and v._base is base:
            v.requires_grad = True


def _saved_output_is_self(node, result: Tensor, self: Tensor) -> None:
    """The op's output, if its node saved it, is now ``self`` (at its new version): writing
    into ``self`` again must fail the backward, as in PyTorch."""
    from ..autograd import SavedTensor

    for s in node._saved or ():
        if type(s) is SavedTensor and s.is_output and s.vc is result._vc:
            s.vc, s.version = self._vc, self._vc[0]
            s.tensor = self._data, self.dtype, self.device
            s.ref = weakref.ref(self)


def _protect_saved_self(node, self: Tensor) -> None:
    """If the node saved ``self`` (about to be overwritten) as its first operand, save a copy
    of its old value: PyTorch's ``original_self = self.clone()``, a CloneBackward0 of
    ``self``'s history (which a second-order graph goes through); other saves of it still
    see the write."""
    from ..autograd import SavedTensor
    from .tensor_methods import clone

    saved = node._saved
    if not node._had_tensors or saved is None:
        return
    for i, s in enumerate(saved):
        if type(s) is SavedTensor and s.tensor is self:
            if self.requires_grad and _grad_enabled.get():
                old = clone(self)
            else:  # (a forward-AD level alone records the op)
                old = _wrap(self._data.copy(), self.dtype, self.device)
                old._grad_fn, old._output_nr, old.requires_grad = \
                    self.grad_fn, self._output_nr, self.requires_grad
            node._saved = saved[:i] + (SavedTensor(old, False),) + saved[i + 1:]
            return


def _rebase_view(view: Tensor, result: Tensor) -> None:
    """In-place on a view of a tensor that requires grad: the base's history gets a
    ``CopySlices`` node; the view is then the view of the new base (``AsStridedBackward0``)."""
    base = view._base
    if not copy_slices(base, view, result._grad_fn):  # (a composite op's last node)
        record(base, "CopySlices", _copy_slices_rule, (base, result),
               (view._view_fn, base._data.shape), per_input=False)
        base._output_nr = 0
    regraph_view(view)


def _copy_slices_rule(g, needs, view_fn, base_shape):
    gb = gv = None
    if needs[1]:
        gv = view_fn(g).clone()
    if needs[0]:  # zero where the view was written, with engine ops (so it differentiates)
        # (marked by the view's positions: a replay re-expressed over a base whose shape
        # changed in place, shape.relayout_views, may read a copy, never write through one)
        xp = g.device.xp
        n = int(np.prod(base_shape))
        with no_grad():
            where = view_fn(_wrap(xp.arange(n, dtype=xp.int64).reshape(base_shape), int64,
                                  g.device))._data.reshape(-1)
        mask = xp.zeros(n, dtype=bool)
        mask[where] = True
        gb = g.masked_fill(_wrap(mask.reshape(base_shape), bool_, g.device), 0)
    return gb, gv


def inplace_twin(name: str, forward, differentiable: bool | None = None,
                 ufunc: str | None = None, zero_grad: str | None = None,
                 autograd_checks: bool = True, precheck=None, expanded=None,
                 fast=None, overlap: str | None = "partial") -> None:
    """Register ``name_``: the op applied in place on its first argument.

    With ``ufunc`` (the array module's function name), a call that records nothing and needs no
    promotion or broadcasting writes straight into the tensor's storage (``p -= lr * p.grad``
    under ``no_grad`` costs one pass over the data, not two and an allocation).

    ``zero_grad`` (torch's comparisons, e.g. "EqBackward"): the op has zero gradients; in place
    on a tensor that requires grad its result takes the tensor's dtype and a node of that name
    (``EqBackward0`` for a number operand, ``EqBackward1`` for a tensor).
    ``autograd_checks=False``: an op torch does not differentiate at all (logical_and_ ...)
    writes even into a leaf that requires grad, as torch's does.
    ``precheck(self, *args)``: the op's own argument checks that torch makes before the
    overlap check (a structured kernel's meta function: heaviside's dtypes).
    ``expanded``: torch writes this op through an expanded (stride-0) ``self`` instead of
    refusing it: ``(warning, writes)``, the deprecation text torch warns first (or None) and
    ``writes(self, *args, **kwargs)`` giving the op's own writes for ``apply_inplace`` (None:
    an elementwise op, each shared location written with the one value it holds).
    ``fast(self, *args, **kwargs)``: the op's own write straight into ``self``'s storage for
    the calls it can take (it returns ``self``), or None (then the general path runs); it is
    called after the checks above, only for a call with keywords (``add_(g, alpha=-lr)``; a
    plain ``add_(g)`` takes the ufunc path without it) and only when nothing is recorded (no
    grad mode or no operand that requires grad, no forward-AD level).
    ``overlap``: torch's check of the tensor operands against ``self`` (``check_mem_overlap``):
    "partial" (an elementwise op), "full" (an index op's source), None (no check: masked_fill_,
    index_fill_, masked_scatter_, composite ops).
    """
    full = overlap == "full"

    keywords = inplace_keyword_check(name + "_", forward)

    def method(self, *args, **kwargs):
        if kwargs and keywords is not None:  # (torch's parser refuses a keyword first)
            keywords(kwargs)
        if autograd_checks:
            check_inplace(self, *args, *kwargs.values())
        if precheck is not None:
            precheck(self, *args, **kwargs)
        if 0 in self._data.strides:  # (torch checks the overlap before the shapes)
            if expanded is None:
                check_overlap(self)
            elif has_overlap(self):
                if expanded[0] is not None:
                    warnings.warn(expanded[0], UserWarning, stacklevel=2)
                return writing_into(self, write_expanded, self, *args, **kwargs)
        if fast is not None and kwargs and not FW_ACTIVE[0] and not (_grad_enabled.get() and (
                self.requires_grad or any(type(a) is Tensor and a.requires_grad
                                          for a in args))):
            if overlap is not None:
                check_mem_overlap(self, args + tuple(kwargs.values()), full)
            res = fast(self, *args, **kwargs)
            if res is not None:
                return res
        if ufunc is not None and len(args) == 1 and not kwargs and \
                self.dtype.is_floating_point:
            other = args[0]
            t_other = type(other)
            if t_other is int and not -_INT64_LIMIT <= other < _UINT64_LIMIT:
                check_scalar_int(other)
            direct = (t_other is float or t_other is int) and not (
                ufunc in _HALF_BY_NUMBER and self._data.dtype == np.float16) or (
                t_other is Tensor and other.dtype is self.dtype and
                other.device is self.device and other._data.shape == self._data.shape)
            if direct and not (_grad_enabled.get() and (
                    self.requires_grad or t_other is Tensor and other.requires_grad)) and \
                    not FW_ACTIVE[0] and 0 not in self._data.strides:
                if t_other is Tensor and overlap is not None:
                    check_mem_overlap(self, args, full)
                arr = self._data
                if t_other is float and self.dtype is float16:
                    other = half_number(other)  # (a Scalar reaches half through float)
                getattr(self.device.xp, ufunc)(
                    arr, other._data if t_other is Tensor else other, out=arr)
                self._vc[0] += 1
                return self
        if self.dtype.is_floating_point:
            return write(self, *args, **kwargs)
        return writing_into(self, write, self, *args, **kwargs)

    def write(self, *args, **kwargs):
        try:
            result = forward(self, *args, **kwargs)
        except errors.EngineTypeError as e:
            raise _as_method_error(e, name) from None
        except errors.KernelNotImplemented:
            # (torch's TensorIterator checks the overlap, then the shapes, before the kernel's
            # dtype dispatch refuses: ``float.bitwise_and_`` over a partial overlap)
            if overlap is not None:
                check_mem_overlap(self, args + tuple(kwargs.values()) if kwargs else args, full)
            _shape_before_kernel(self, args)
            raise
        if overlap is not None:  # (after the arguments' checks: torch's parser comes first)
            check_mem_overlap(self, args + tuple(kwargs.values()) if kwargs else args, full)
        if zero_grad is not None and _grad_enabled.get() and (  # (torch: integer self too)
                self.requires_grad or any(type(a) is Tensor and a.requires_grad for a in args)):
            result = _zero_grad_result(result, self, args, zero_grad)
        return apply_inplace(self, result)

    def write_expanded(self, *args, **kwargs):
        try:
            result = forward(self, *args, **kwargs)
        except errors.EngineTypeError as e:
            raise _as_method_error(e, name) from None
        if overlap is not None:
            check_mem_overlap(self, args + tuple(kwargs.values()) if kwargs else args, full)
        writes = expanded[1] and expanded[1](self, *args, **kwargs)
        return apply_inplace(self, result, overlap_ok=True, writes=writes)

    method.__name__ = method.__qualname__ = name + "_"
    register(name + "_", method, doc=f"In-place version of {name}.", kind="method",
             differentiable=_differentiable(name) if differentiable is None else differentiable,
             inplace=True)


def _shape_before_kernel(self: Tensor, args) -> None:
    """torch's TensorIterator fixes the broadcast shape before the kernel looks at the dtype:
    an in-place op whose kernel refuses ``self``'s dtype raises the shape error first when
    ``self`` cannot hold the broadcast shape of its tensor operands (``hypot_`` of an int32
    ``(3, 1)`` by a ``(4,)``: "output with shape [3, 1] doesn't match the broadcast shape
    [3, 4]", not "hypot_cpu" not implemented; seed 11)."""
    shape = full = self._data.shape
    for a in args:
        if type(a) is Tensor:
            full = broadcast_shape(full, a._data.shape)
    if full != shape:
        raise errors.EngineRuntimeError(
            f"output with shape {list(shape)} doesn't match the broadcast shape {list(full)}")


def writing_into(self: Tensor, fn, *args, **kwargs):
    """``fn(*args, **kwargs)``: an in-place op's computation of what it writes into ``self``.
    Into an integer or bool tensor a result may be recorded (torch rebases ``self``'s history,
    where an out-of-place integer result that needs a gradient raises "Autograd not support
    dtype")."""
    if self.dtype.is_floating_point:
        return fn(*args, **kwargs)
    token = WRITING_INTEGRAL.set(True)
    try:
        return fn(*args, **kwargs)
    finally:
        WRITING_INTEGRAL.reset(token)


def _as_method_error(e: errors.EngineTypeError, name: str,
                     suffix: str = "_") -> errors.EngineTypeError:
    """An argument error of ``name(input, ...)`` as torch words it for ``input.name_(...)``
    or ``input.name(...)`` (``suffix`` ""): positions count after ``self``."""
    text = str(e)
    if not text.startswith(name + "("):
        return e
    text = name + suffix + re.sub(r"\(position (\d+)\)",
                                  lambda m: f"(position {int(m[1]) - 1})", text[len(name):])
    return errors.EngineTypeError(text)


def method_form(fn, name: str):
    """``fn`` as the Tensor method ``name``: its argument errors count positions after
    ``self``, as torch's method parser does (for ops whose function form checks types)."""
    def method(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except errors.EngineTypeError as e:
            raise _as_method_error(e, name, "") from None

    method.__name__ = method.__qualname__ = name
    method.__doc__ = fn.__doc__
    method.__wrapped__ = fn
    return method


def _zero_grad_result(result: Tensor, self: Tensor, args: tuple, node: str) -> Tensor:
    out = _wrap(result._data.astype(self.dtype.np), self.dtype, self.device)
    other = args[0] if args else None
    tensor = type(other) is Tensor
    record(out, node + ("1" if tensor else "0"), (_zeros_of, _zeros_of if tensor else None),
           (self, other if tensor else None))
    return out


def _zeros_of(g: Tensor) -> Tensor:
    return _wrap(g.device.xp.zeros(g._data.shape, dtype=g.dtype.np), g.dtype, g.device)


def _differentiable(name: str) -> bool:
    from .registry import OPS

    return OPS[name].differentiable
