"""Argument checks and error texts as torch 2.13's (the differential suite's findings, session
4): the name called in an alias's errors, method-form positions, clamp's Number overload and
its ties, the fused ops' check order in place, broadcast_shapes, expand's error dimension,
the C++ dtype names of matrix products, the MulBackward1 of the fused ops' backward."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from tests.engine.torch_compare import compare  # noqa: E402

X = [[-1.5, -0.0, 0.0, 2.0], [0.5, 1.0, -2.0, 0.25]]
NAN, INF = float("nan"), float("inf")


def _rg(m, v):
    return m.tensor(v, dtype=m.float64, requires_grad=True)


CASES = {
    # errors name the function called (an alias), and count positions after self in methods
    "greater_equal-number-first": lambda m, F, leaf: m.greater_equal(1.0, m.ones(2)),
    "not_equal-number-first": lambda m, F, leaf: m.not_equal(1, m.ones(2)),
    "ge-number-first": lambda m, F, leaf: m.ge(1, m.ones(2)),
    "clip-mixed-bounds": lambda m, F, leaf: m.clip(m.ones(2), _rg(m, 1.0), 0.5),
    "arctan2-number": lambda m, F, leaf: m.arctan2(m.ones(2), 1.0),
    "equal-method-number": lambda m, F, leaf: m.ones(2).equal(0.0),
    "equal-unexpected-keyword": lambda m, F, leaf: m.ones(2).equal(0.0, equal_nan=False),
    "equal-keyword-only": lambda m, F, leaf: m.equal(m.ones(2), m.ones(2), equal_nan=False),
    "allclose-number": lambda m, F, leaf: m.allclose(0.5, m.ones(2)),
    "allclose-method-number": lambda m, F, leaf: m.ones(2).allclose(0.0),
    "isclose-method-number": lambda m, F, leaf: m.ones(2).isclose(0.0),
    "logical_and-method-bool": lambda m, F, leaf: m.ones(2).logical_and(True),
    "logical_and_-bool": lambda m, F, leaf: m.ones(2).logical_and_(True),
    "logical_xor_-overlap-first": lambda m, F, leaf: m.tensor([[2]]).expand(1, 3).squeeze(0)
    .logical_xor_(m.tensor([1.5, 1.0])),
    "maximum-method-number": lambda m, F, leaf: m.ones(2).maximum(1.0),
    "hypot_-number": lambda m, F, leaf: m.ones(2).hypot_(1.0),
    # clamp: a 0-d tensor without grad next to a number bound is a number (ClampBackward1)
    "clamp-0d-bound-is-a-number": lambda m, F, leaf: m.clamp(leaf(X), m.tensor(-0.4), 0.8),
    "clamp_-0d-bound-is-a-number": lambda m, F, leaf: leaf(X).clone().clamp_(
        m.tensor(-0.4), 0.8),
    "clamp-grad-bound-and-number": lambda m, F, leaf: m.clamp(leaf(X), _rg(m, -0.4), 0.8),
    "clamp-method-grad-bound": lambda m, F, leaf: leaf(X).clamp(_rg(m, -0.4), 0.8),
    "clamp_-grad-bound": lambda m, F, leaf: leaf(X).clone().clamp_(_rg(m, -0.4), 0.8),
    "clip_-1d-bound-and-number": lambda m, F, leaf: leaf(X).clone().clip_(
        0.5, m.tensor([1.0, 2.0, 3.0, 4.0])),
    "clamp_-split-view-parses-first": lambda m, F, leaf: (leaf(X) * 2).split(2, 1)[1].clamp_(
        _rg(m, -0.4), 0.8),
    "clamp-tensor-bounds": lambda m, F, leaf: m.clamp(leaf(X), m.tensor(-0.4), m.tensor(0.8)),
    "clamp-ties-number": lambda m, F, leaf: m.clamp(m.tensor([-0.0, 0.0, -0.0]), min=0.0),
    "clamp-ties-number-max": lambda m, F, leaf: m.clamp(m.tensor([-0.0, 0.0]), max=-0.0),
    "clamp-ties-tensors": lambda m, F, leaf: m.clamp(
        m.tensor([-0.0, 0.0, 0.0, -0.0]), m.tensor([0.0, -0.0, 0.0, -0.0]),
        m.tensor([-0.0, 0.0, -0.0, 0.0])),
    "clamp-nan-bound": lambda m, F, leaf: m.clamp(m.tensor([1.0, -2.0]), float("nan"), 1.0),
    # the fused ops: self's dtype before mat1's, in place the op's checks before the shape
    "addmm-self-dtype-first": lambda m, F, leaf: m.addmm(
        m.ones(3), m.ones(2, 4), m.ones(4, 3, dtype=m.float64)),
    "addmm_-dtype-before-shape": lambda m, F, leaf: m.ones(3, dtype=m.float64).addmm_(
        m.ones(2, 4), m.ones(4, 3)),
    "addmm_-sizes-before-shape": lambda m, F, leaf: m.ones(3).addmm_(m.ones(2, 4), m.ones(5, 3)),
    "addmm_-shape": lambda m, F, leaf: m.ones(1, 3).addmm_(m.ones(2, 4), m.ones(4, 3)),
    "addmv_-dtype-before-shape": lambda m, F, leaf: m.tensor(1.0, dtype=m.float16).addmv_(
        m.ones(2, 3, dtype=m.float64), m.ones(3, dtype=m.float64)),
    "addmv-0d-size-mismatch": lambda m, F, leaf: m.addmv(m.tensor(1.0), m.ones(2, 3), m.ones(4)),
    "addr_-1d-input": lambda m, F, leaf: m.ones(3).addr_(m.ones(2), m.ones(3)),
    "addr_-0d-input": lambda m, F, leaf: m.tensor(1.0).addr_(m.ones(2), m.ones(3)),
    "addr_-size": lambda m, F, leaf: m.ones(1, 3).addr_(m.ones(2), m.ones(3)),
    "addr-0d-input-promotes": lambda m, F, leaf: m.addr(m.tensor(1.0, dtype=m.float64),
                                                        m.ones(2), m.ones(3)),
    "addr-expand-error-dim": lambda m, F, leaf: m.addr(m.ones(4, 3), m.ones(2), m.ones(4)),
    "baddbmm-batch2-dtype": lambda m, F, leaf: m.baddbmm(
        m.ones(2, 2, 3), m.ones(2, 2, 4), m.ones(2, 4, 3, dtype=m.float64)),
    "baddbmm-batch1-dtype": lambda m, F, leaf: m.baddbmm(
        m.ones(2, 2, 3), m.ones(2, 2, 4, dtype=m.float64), m.ones(2, 4, 3)),
    "baddbmm_-result-dtype": lambda m, F, leaf: m.ones(2, 2, 3).baddbmm_(
        m.ones(2, 2, 4), m.ones(2, 4, 3, dtype=m.float64)),
    "baddbmm_-expand-before-shape": lambda m, F, leaf: m.ones(4, 2, 3).baddbmm_(
        m.ones(2, 2, 4), m.ones(2, 4, 3)),
    "addbmm-self-dtype-first": lambda m, F, leaf: m.addbmm(
        m.ones(2, 3), m.ones(2, 2, 4), m.ones(2, 4, 3, dtype=m.float64)),
    "addbmm-expand-first": lambda m, F, leaf: m.addbmm(
        m.ones(6), m.ones(2, 2, 4), m.ones(3, 4, 3)),
    "mm-dtype-names": lambda m, F, leaf: m.mm(m.ones(2, 2, dtype=m.int64), m.ones(2, 2)),
    "mm-dtype-names-half": lambda m, F, leaf: m.mm(m.ones(2, 2, dtype=m.int32),
                                                   m.ones(2, 2, dtype=m.float16)),
    "addmm-grads-create-graph": lambda m, F, leaf: _grads_of(
        m, lambda a, b, c: m.addmm(a, b, c, beta=0.5, alpha=-2), (3,), (2, 4), (4, 3)),
    "addr-grads-create-graph": lambda m, F, leaf: _grads_of(
        m, lambda a, b, c: m.addr(a, b, c, alpha=2), (2, 3), (2,), (3,)),
    "baddbmm-grads-create-graph": lambda m, F, leaf: _grads_of(
        m, lambda a, b, c: m.baddbmm(a, b, c, alpha=3), (2, 2, 3), (2, 2, 4), (2, 4, 3)),
    "floor_divide_-backward-names-it": lambda m, F, leaf: leaf(X).clone().floor_divide_(2.0),
    "floor_divide-backward": lambda m, F, leaf: m.floor_divide(leaf(X), 2.0),
    "bitwise_or_-float-other": lambda m, F, leaf: m.tensor([1, 2], dtype=m.int32)
    .bitwise_or_(1.5),
    "bitwise_xor_-float-tensor": lambda m, F, leaf: m.tensor([1, 2]).bitwise_xor_(
        m.tensor([1.5, 2.0], dtype=m.float16)),
    "bitwise_xor_-int-into-bool": lambda m, F, leaf: m.tensor([True, False]).bitwise_xor_(2),
    "bitwise_xor_-shape-before-dtype": lambda m, F, leaf: m.tensor(True).bitwise_xor_(
        m.tensor([1.5, 0.25], dtype=m.float64)),
    "bitwise_or_-float-self": lambda m, F, leaf: m.ones(2).bitwise_or_(1),
    "F.leaky_relu_": lambda m, F, leaf: F.leaky_relu_(leaf(X).clone(), 0.2),
    "F.leaky_relu_-default": lambda m, F, leaf: F.leaky_relu_(leaf(X) * 1),
    "F.leaky_relu_-leaf": lambda m, F, leaf: F.leaky_relu_(leaf(X)),
    "F.leaky_relu_-str": lambda m, F, leaf: F.leaky_relu_(leaf(X).clone(), "a"),
    "F.leaky_relu_-number-input": lambda m, F, leaf: F.leaky_relu_(1.0),
    "F.leaky_relu_-long": lambda m, F, leaf: F.leaky_relu_(m.ones(2, dtype=m.int64)),
    # searchsorted/bucketize: torch's bisection (an unsorted sequence too), the common dtype
    "searchsorted-unsorted": lambda m, F, leaf: m.searchsorted(
        m.tensor([[1.0, 0.0, 2.0, 2.0, 1.0], [-1.0, -2.0, 1.0, -2.0, -1.0]]),
        m.tensor([[0.0, -2.0, -1.0], [-2.0, -2.0, -1.0]]), right=True),
    "searchsorted-nan": lambda m, F, leaf: m.searchsorted(
        m.tensor([NAN, NAN, 0.0, 0.0, -0.0]), m.tensor([-INF, 0.0, -0.0, INF]), right=True),
    "searchsorted-bool-values": lambda m, F, leaf: m.searchsorted(
        m.tensor([0.0, 0.5, 1.0]), m.tensor([True, False, True])),
    "searchsorted-bool-both": lambda m, F, leaf: m.searchsorted(
        m.tensor([False, True]), m.tensor([True, False])),
    "searchsorted-int-seq-float-number": lambda m, F, leaf: m.searchsorted(
        m.tensor([0, 1, 2]), 0.5),
    "searchsorted-empty-rows": lambda m, F, leaf: m.searchsorted(
        m.ones(2, 0), m.ones(2, 3)),
    "searchsorted-sorter": lambda m, F, leaf: m.searchsorted(
        m.tensor([3.0, 1.0, 2.0]), m.tensor([0.5, 2.5, 9.0]), sorter=m.tensor([1, 2, 0])),
    "bucketize-unsorted": lambda m, F, leaf: m.bucketize(
        m.tensor([[-0.96, 0.33, 0.31, 0.94]]), m.tensor([-0.62, 0.25, 1.1, 0.015, 0.65])),
    "bucketize-bool-input": lambda m, F, leaf: m.bucketize(
        m.tensor([True, False]), m.tensor([-1.0, 0.5, 2.0])),
    # tensordot: torch's dtype text, size-1 contracted dims, empty contractions, -0. products
    "tensordot-dtype": lambda m, F, leaf: m.tensordot(m.ones(2, 3), m.ones(4, 5, dtype=m.int64),
                                                      1),
    "tensordot-size-1": lambda m, F, leaf: m.tensordot(leaf([[1.0, 2.0, 3.0]]),
                                                       leaf([[1.0, 2.0]]), ([1], [0])),
    "tensordot-size-1-first": lambda m, F, leaf: m.tensordot(leaf([[1.0], [2.0]]),
                                                             leaf(X[:1] * 3), 1),
    "tensordot-empty": lambda m, F, leaf: m.tensordot(m.ones(2, 0), m.ones(0, 2), 1),
    "tensordot-outer-zero-signs": lambda m, F, leaf: m.tensordot(
        m.tensor([-1.5, 2.0]), m.tensor([0.0, -0.0, NAN]), dims=0),
    "mm-k1-zero-signs": lambda m, F, leaf: m.mm(m.tensor([[-1.5], [2.0]]),
                                                m.tensor([[0.0, -0.0]])),
    # xlogy: torch masks the input's gradient with masked_fill
    "xlogy-grads": lambda m, F, leaf: _grads_of(m, lambda a, b: m.xlogy(a - 2, b - 1), (3,), (3,)),
    # broadcast_shapes: padded to the longest shape, as torch reports it
    "broadcast_shapes-report": lambda m, F, leaf: m.broadcast_shapes((2, 0), (4, 1, 2)),
    "broadcast_shapes-list": lambda m, F, leaf: m.broadcast_shapes([2, 3], [4, 1, 2]),
    "broadcast_shapes-int": lambda m, F, leaf: m.broadcast_shapes((2,), 3),
    "broadcast_shapes-negative": lambda m, F, leaf: m.broadcast_shapes((2, -1), (2, 1)),
    "broadcast_shapes-negative-mismatch": lambda m, F, leaf: m.broadcast_shapes((5,), -1),
    "broadcast_shapes-tensor": lambda m, F, leaf: m.broadcast_shapes((2,), m.tensor(3)),
    "broadcast_shapes-ok": lambda m, F, leaf: m.broadcast_shapes((3, 1), (1, 4), ()),
    # expand reports the last mismatching dimension first, as torch's loop runs
    "expand-error-dim": lambda m, F, leaf: m.ones(4, 3).expand(2, 4),
    "expand-leading-negative": lambda m, F, leaf: m.ones(3).expand(-1, -1, 3),
}


def _grads_of(m, fn, *shapes):
    xs = [m.arange(float(__import__("math").prod(s))).reshape(s).to(m.float64).requires_grad_()
          for s in shapes]
    out = fn(*xs)
    return m.autograd.grad((out * out).sum(), xs, create_graph=True)


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    compare(CASES[name])
