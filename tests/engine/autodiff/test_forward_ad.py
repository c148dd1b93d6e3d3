"""Forward-mode AD: every differentiable op's tangent rule, checked in float64 against central
finite differences and against its reverse rule (``w . (J v) == (J^T w) . v``) on random
directions, plus the ``forward_ad`` API itself."""

from __future__ import annotations

import numpy as np
import pytest

import engine
import engine.autograd.forward_ad as fwAD
from engine.ops import OPS
from tests.engine.samples import SAMPLES
from tests.engine.test_gradcheck import CASES, _call, _diff_positions

EPS = 1e-6


def _tensors(arrays, requires_grad=False):
    return [engine.tensor(a, dtype=engine.float64, requires_grad=requires_grad) for a in arrays]


# ops whose forward mode PyTorch does not implement (the engine raises its error too)
FORWARD_AD_REFUSED = {"cdist", "pdist", "multi_margin_loss", "multilabel_margin_loss",
                      "scaled_dot_product_attention",  # (its fused CPU kernel)
                      "special.zeta", "embedding_bag", "grid_sample"}


@pytest.mark.parametrize("name,index", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_tangent_rule(name, index):
    sample = SAMPLES[name][index]
    pos = _diff_positions(sample)
    arrays = [np.asarray(sample.args[p], dtype=np.float64) for p in pos]
    rng = np.random.default_rng(7 + index)
    vs = [rng.standard_normal(a.shape) for a in arrays]

    with fwAD.dual_level():
        duals = [fwAD.make_dual(t, engine.tensor(v)) for t, v in zip(_tensors(arrays), vs)]
        try:
            outs = _call(name, sample, pos, duals)
        except NotImplementedError as e:
            if name in FORWARD_AD_REFUSED and str(e).startswith("Trying to use forward AD"):
                pytest.skip("PyTorch has no forward-mode rule for this op and refuses, as here")
            raise
        tangents = [fwAD.unpack_dual(o).tangent for o in outs]
        primals = [engine.to_numpy(fwAD.unpack_dual(o).primal) for o in outs]
    with engine.no_grad():
        plain = [engine.to_numpy(o) for o in _call(name, sample, pos, _tensors(arrays))]
    for p, q in zip(primals, plain):
        np.testing.assert_array_equal(p, q, err_msg="dual primal differs from the plain value")

    def at(step):
        shifted = [a + step * v for a, v in zip(arrays, vs)]
        with engine.no_grad():
            return [engine.to_numpy(o) for o in _call(name, sample, pos, _tensors(shifted))]

    hi, lo = at(EPS), at(-EPS)
    for k, (t, h, low) in enumerate(zip(tangents, hi, lo)):
        numeric = (h - low) / (2 * EPS)
        got = np.zeros_like(numeric) if t is None else engine.to_numpy(t)
        assert got.shape == numeric.shape
        np.testing.assert_allclose(got, numeric, atol=sample.atol, rtol=sample.rtol,
                                   err_msg=f"tangent of output {k} vs finite differences")

    if sample.grad_error:  # torch refuses this call's reverse gradient (as the engine)
        return
    # against the reverse rule: w . (J v) == (J^T w) . v
    inputs = _tensors(arrays, requires_grad=True)
    outs = _call(name, sample, pos, inputs)
    ws = [rng.standard_normal(o.shape) for o in outs]
    loss = sum((o * engine.tensor(w)).sum() for o, w in zip(outs, ws) if o.requires_grad)
    if not isinstance(loss, engine.Tensor):
        return
    grads = engine.grad(loss, inputs, allow_unused=True)
    reverse = sum(float((engine.to_numpy(g) * v).sum()) for g, v in zip(grads, vs)
                  if g is not None)
    forward = sum(float((engine.to_numpy(t) * w).sum()) for t, w in zip(tangents, ws)
                  if t is not None)
    np.testing.assert_allclose(forward, reverse, atol=1e-7, rtol=1e-6)


def test_every_differentiable_op_is_covered():
    names = {n for n, _ in CASES}
    differentiable = {d.name for d in OPS.values() if d.differentiable and not d.inplace}
    assert differentiable - names <= set(__import__(
        "tests.engine.samples", fromlist=["NOT_GRADCHECKED"]).NOT_GRADCHECKED)


# --------------------------------------------------------------------------- the API
def test_dual_tensors_print_and_unpack_as_torch():
    p = engine.tensor([1.0, 2.0])
    t = engine.tensor([1.0, 0.5])
    with fwAD.dual_level():
        x = fwAD.make_dual(p, t)
        assert repr(x) == "tensor([1., 2.], tangent=tensor([1.0000, 0.5000]))"
        assert not x.requires_grad and x.grad_fn is None
        y = x.sin() * 2
        assert repr(y) == "tensor([1.6829, 1.8186], tangent=tensor([ 1.0806, -0.4161]))"
        assert repr(x.sum()) == "tensor(3., tangent=1.5)"
        u = fwAD.unpack_dual(x)
        assert u.tangent is t and u.primal._base is p and type(u).__name__ == "UnpackedDualTensor"
        with engine.no_grad():  # forward mode is not grad mode
            assert fwAD.unpack_dual(x * 3).tangent.tolist() == [3.0, 1.5]
        with engine.inference_mode():
            assert fwAD.unpack_dual(x * 3).tangent is None
        xi = fwAD.make_dual(engine.ones(2), engine.ones(2))
        xi.mul_(3)
        assert repr(xi) == "tensor([3., 3.], tangent=tensor([3., 3.]))"
        with pytest.raises(RuntimeError, match="^Nested forward mode AD is not supported"):
            with fwAD.dual_level():
                pass
    assert fwAD.unpack_dual(y).tangent is None and repr(y) == "tensor([1.6829, 1.8186])"


def test_make_dual_errors_use_torch_texts():
    p = engine.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="^Trying to create a dual Tensor for forward AD but "
                                           "no level exists"):
        fwAD.make_dual(p, engine.ones(2))
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match=r"Tensor is of size \[2\] while the given forward "
                                               r"gradient is of size \[3\]\.$"):
            fwAD.make_dual(p, engine.ones(3))
        with pytest.raises(ValueError, match="^Expected tangent to be floating point or complex, "
                                             "but got: torch.int64$"):
            fwAD.make_dual(p, engine.ones(2, dtype=engine.int64))


def test_dual_of_a_tensor_that_requires_grad_keeps_both_modes():
    pr = engine.tensor([1.0, 2.0], requires_grad=True)
    with fwAD.dual_level():
        x = fwAD.make_dual(pr, engine.tensor([1.0, 0.5]))
        assert x.grad_fn.name() == "ViewBackward0"
        y = (x * x).sum()
        assert repr(y) == "tensor(5., grad_fn=<SumBackward0>, tangent=4.0)"
        # the tangent is differentiable too (reverse over forward)
        (g,) = engine.autograd.grad(fwAD.unpack_dual(y).tangent, pr)
        assert g.tolist() == [2.0, 1.0]


def test_custom_function_jvp():
    class Square(engine.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_forward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            raise AssertionError("not used")

        @staticmethod
        def jvp(ctx, t):
            (a,) = ctx.saved_for_forward
            return 2 * a * t

    class NoJvp(Square):
        jvp = None

    with fwAD.dual_level():
        x = fwAD.make_dual(engine.tensor([3.0]), engine.tensor([1.0]))
        assert fwAD.unpack_dual(Square.apply(x)).tangent.tolist() == [6.0]
        with pytest.raises(NotImplementedError, match="You must implement the jvp function"):
            NoJvp.apply(x)


# Where the engine's tangent requires grad differently from torch's: torch builds these ops from
# others, or its formula for these inputs reads no primal (slogdet's, prod of one element, an
# integer-order norm). (einsum is built as torch's now; l1_loss and smooth_l1_loss too.)
REQUIRES_GRAD_DIFFERS = {"linalg.slogdet", "slogdet", "logdet", "prod", "norm"}


def test_tangents_require_grad_as_torch_does():
    """A tangent requires grad when torch's does: in grad mode, when the op's formula reads a
    primal that requires grad (``x @ W`` with ``W`` a dual parameter), not for linear ops."""
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as tfw

    from tests.oracle.backends import _torch_function

    differ, compared = set(), 0
    for name, samples in SAMPLES.items():
        d = OPS.get(name)
        fn = _torch_function(name) if d is not None and d.differentiable else None
        for sample in samples if fn is not None else ():
            pos = _diff_positions(sample)
            if not pos:
                continue
            try:
                with tfw.dual_level():
                    args = [torch.tensor(a) if isinstance(a, np.ndarray) else a
                            for a in sample.args]
                    for p in pos:
                        args[p] = torch.tensor(np.asarray(sample.args[p], dtype=np.float64),
                                               requires_grad=True)
                    args[pos[0]] = tfw.make_dual(args[pos[0]], torch.ones_like(args[pos[0]]))
                    kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                              for k, v in sample.kwargs.items()}
                    outs = _float(fn(*args, **kwargs), torch.Tensor)
                    want = [_requires(tfw.unpack_dual(o).tangent) for o in outs]
            except (TypeError, RuntimeError):  # torch's signature differs from the table's
                continue
            with fwAD.dual_level():
                ts = _tensors([sample.args[p] for p in pos], requires_grad=True)
                ts[0] = fwAD.make_dual(ts[0], engine.ones_like(ts[0]))
                got = [_requires(fwAD.unpack_dual(o).tangent)
                       for o in _call(name, sample, pos, ts)]
            compared += 1
            if got != want:
                differ.add(name)
    assert compared > 400
    assert differ == REQUIRES_GRAD_DIFFERS


def _float(out, cls) -> list:
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, cls) and o.is_floating_point()]


def _requires(t) -> bool | None:
    return None if t is None else t.requires_grad
