"""Forward mode through in-place writes into views, against torch: the base's tangent takes the
written region (a base without a tangent gets zeros elsewhere); fills give zero tangents."""

from __future__ import annotations

import pytest

import engine
import engine.autograd.forward_ad as efw

torch = pytest.importorskip("torch")
import torch.autograd.forward_ad as tfw  # noqa: E402


def _f64(T, values):
    return T.tensor(values, dtype=T.float64)


def _setitem(t, key, value):
    t[key] = value
    return t


# each case: (T, dual [1, 2] with tangent [1, 1], dual [5, 6, 7] with tangent [10, 20, 30])
# -> the tensors whose primal and tangent are compared
CASES = {
    "copy_into_view_of_plain":
        lambda T, d, b: (lambda o: (o[0:2].copy_(d), o)[1])(T.zeros(3, dtype=T.float64)),
    "setitem_slice_of_plain":
        lambda T, d, b: _setitem(T.zeros(3, dtype=T.float64), slice(0, 2), d),
    "written_view_itself":
        lambda T, d, b: T.zeros(3, dtype=T.float64)[0:2].copy_(d),
    "mul_on_view_of_dual": lambda T, d, b: (lambda o: (o[1:].mul_(2), o)[1])(b.clone()),
    "copy_plain_into_view_of_dual":
        lambda T, d, b: (lambda o: (o[1:].copy_(T.ones(2, dtype=T.float64)), o)[1])(b.clone()),
    "copy_dual_into_view_of_dual":
        lambda T, d, b: (lambda o: (o[1:].copy_(d), o)[1])(b.clone()),
    "transposed_view":
        lambda T, d, b: (lambda o: (o.t()[0].copy_(d * 3), o)[1])(T.zeros(2, 2, dtype=T.float64)),
    "view_of_view":
        lambda T, d, b: (lambda o: (o[0:3][1:3].copy_(d), o)[1])(T.zeros(4, dtype=T.float64)),
    "add_into_view_of_plain":
        lambda T, d, b: (lambda o: (o[0:2].add_(d), o)[1])(T.ones(3, dtype=T.float64)),
    "zero_view_of_dual": lambda T, d, b: (lambda o: (o[0:2].zero_(), o)[1])(b.clone()),
    "view_taken_after_the_write":
        lambda T, d, b: (lambda o: (o[0:2].copy_(d), o[1:])[1])(T.zeros(3, dtype=T.float64)),
    "zero_": lambda T, d, b: (b * 2).zero_(),
    "fill_": lambda T, d, b: (b * 2).fill_(3.0),
    "setitem_number": lambda T, d, b: _setitem(b * 2, slice(0, 2), 5.0),
    "setitem_advanced": lambda T, d, b: _setitem(b * 2, [0, 2], d),
    "setitem_advanced_into_plain":
        lambda T, d, b: _setitem(T.zeros(3, dtype=T.float64), [0, 2], d * 3),
    "base_and_view_both_returned":
        lambda T, d, b: (lambda o: (lambda v: (v.mul_(d), o, v)[1:])(o[1:]))(b.clone()),
}


def _run(T, fw, case):
    with fw.dual_level():
        d = fw.make_dual(_f64(T, [1.0, 2.0]), _f64(T, [1.0, 1.0]))
        b = fw.make_dual(_f64(T, [5.0, 6.0, 7.0]), _f64(T, [10.0, 20.0, 30.0]))
        outs = case(T, d, b)
        outs = outs if isinstance(outs, tuple) else (outs,)
        result = []
        for o in outs:
            primal, tangent = fw.unpack_dual(o)
            result.append((primal.tolist(), None if tangent is None else tangent.tolist()))
        return result


@pytest.mark.parametrize("name", list(CASES))
def test_inplace_into_view_matches_torch(name):
    assert _run(engine, efw, CASES[name]) == _run(torch, tfw, CASES[name])


def test_reverse_over_forward_through_a_written_view():
    # the tangent written into the base stays differentiable in reverse mode
    x = engine.tensor([1.0, 2.0], dtype=engine.float64, requires_grad=True)
    tx = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    grads = []
    for T, fw, v in ((engine, efw, x), (torch, tfw, tx)):
        with fw.dual_level():
            d = fw.make_dual(v * 1.0, v * v)
            o = T.zeros(3, dtype=T.float64)
            o[1:].copy_(d.sin())
            fw.unpack_dual(o).tangent.sum().backward()
        grads.append(v.grad.tolist())
    assert grads[0] == pytest.approx(grads[1])
