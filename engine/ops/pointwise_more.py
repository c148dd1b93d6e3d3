"""More elementwise ops: ``signbit`` and ``isin`` (``sgn`` lives beside ``abs``, whose
gradient it is)."""

from __future__ import annotations

import inspect

import numpy as np

from .. import errors
from ..dtypes import bool_
from ..tensor import Tensor, _wrap
from ._args import ensure_tensor, promote_args
from .families import unary
from .registry import register

signbit = unary("signbit", lambda xp, a: a < 0 if a.dtype.kind in "iub" else xp.signbit(a),
                None, save=(), floating=False, bool_out=True, inplace=False,
                doc="Elementwise: whether the sign bit is set (true for -0. and negative "
                    "numbers).")


def _isin_operand(x):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (bool, int, float, np.integer, np.floating)):
        return x
    return None


def _brute_force(n_elements: int, n_test: int) -> bool:
    """Whether torch 2.13's CPU isin compares every pair (few test elements for the elements'
    count) rather than sorting: measured boundaries, e.g. 12 test elements from 7 elements on,
    15 from 26, 24 from 556."""
    return n_elements > 0 and n_test + 1 < 10 * n_elements ** 0.145


def _isin(elements, test_elements, *, assume_unique=False, invert=False, _given=()):
    """Elementwise: whether each of ``elements`` is among ``test_elements`` (after promoting
    both to one dtype; NaN is in nothing); ``invert`` negates. One of them may be a number."""
    a, b = _isin_operand(elements), _isin_operand(test_elements)
    if a is None or b is None or not (isinstance(a, Tensor) or isinstance(b, Tensor)):
        got = ", ".join([type(x).__name__ for x in (elements, test_elements)] +
                        [f"{k}={type(v).__name__}" for k, v in _given])
        raise errors.EngineTypeError(
            f"isin() received an invalid combination of arguments - got ({got}), but expected "
            "one of:\n * (Tensor elements, Tensor test_elements, *, bool assume_unique = "
            "False, bool invert = False, Tensor out = None)\n * (Number element, Tensor "
            "test_elements, *, bool assume_unique = False, bool invert = False, Tensor out = "
            "None)\n * (Tensor elements, Number test_element, *, bool assume_unique = False, "
            "bool invert = False, Tensor out = None)\n")
    ref = a if isinstance(a, Tensor) else b
    ta, tb = ensure_tensor(a, device=ref.device), ensure_tensor(b, device=ref.device)
    for t in (ta, tb):
        if t.dtype is bool_:
            raise errors.EngineRuntimeError("Unsupported input type encountered for isin(): Bool")
    dt = promote_args(ta, tb)
    xp = ref.device.xp
    if isinstance(b, Tensor) and tb.dtype is dt and _brute_force(ta._data.size, tb._data.size):
        # torch's elementwise kernel views test_elements flat (after ``.to`` the promoted
        # dtype, a copy when that is another dtype), refusing what view(-1) does
        try:
            xp.reshape(tb._data, -1, copy=False)
        except ValueError:
            raise errors.EngineRuntimeError(errors.VIEW_NOT_COMPATIBLE) from None
    found = xp.isin(ta._data.astype(dt.np, copy=False), tb._data.astype(dt.np, copy=False),
                    assume_unique=bool(assume_unique), invert=bool(invert))
    return _wrap(xp.asarray(found).reshape(ta._data.shape), bool_, ref.device)


def isin(elements, test_elements, **kwargs):
    return _isin(elements, test_elements, **kwargs, _given=tuple(kwargs.items()))


isin.__doc__ = _isin.__doc__
isin.__signature__ = inspect.signature(_isin).replace(  # (the catalog's: without _given)
    parameters=[q for q in inspect.signature(_isin).parameters.values() if q.name != "_given"])
register("isin", isin, kind="function", differentiable=False)
