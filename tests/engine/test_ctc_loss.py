"""``nn.CTCLoss`` / ``F.ctc_loss`` against torch 2.13: values, node chains, gradients (torch's
formula, which is the derivative through the ``log_softmax`` that makes ``log_probs``), errors,
double backward and the module's repr."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import nn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(29)
X = RNG.normal(size=(7, 3, 5))
PADDED = np.array([[1, 2, 2, 4], [3, 1, 0, 0], [4, 4, 4, 1]])


def chain(t) -> list[str]:
    names, fn = [], t.grad_fn
    while fn is not None:
        names.append(fn.name().replace("torch::autograd::", ""))
        fn = next((f for f, _ in fn.next_functions if f is not None), None)
    return names


def run(lib, x, targets, il, tl, dtype="float64", weight=None, **kw):
    lp = lib.tensor(x, dtype=getattr(lib, dtype)).log_softmax(-1).detach().requires_grad_()
    conv = (lambda v: lib.tensor(v)) if isinstance(targets, np.ndarray) else (lambda v: v)
    loss = lib.nn.functional.ctc_loss(lp, lib.tensor(targets), conv(il), conv(tl), **kw)
    w = lib.tensor(np.ones(loss.shape) if weight is None else weight, dtype=loss.dtype)
    (g,) = lib.autograd.grad((loss * w).sum(), [lp])
    return np.array(loss.tolist()), np.array(g.tolist()), chain(loss)


def check(x, targets, il, tl, dtype="float64", **kw):
    as_np = (lambda v: np.array(v)) if not isinstance(il, (list, tuple)) else (lambda v: v)
    weight = RNG.uniform(0.5, 2.0, size=np.shape(tl)) if kw.get("reduction") == "none" else None
    ours = run(engine, x, targets, as_np(il), as_np(tl), dtype, weight, **kw)
    ref = run(torch, x, targets, as_np(il), as_np(tl), dtype, weight, **kw)
    # float32: both libraries are about 1e-5 from the float64 values over 60 steps
    tol = dict(rtol=1e-12, atol=1e-13) if dtype == "float64" else dict(rtol=1e-4, atol=5e-5)
    np.testing.assert_allclose(ours[0], ref[0], **tol)
    np.testing.assert_allclose(ours[1], ref[1], **tol)
    assert ours[2] == ref[2]
    return ours


@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_reductions_values_grads_and_nodes(reduction, zero_infinity):
    check(X, PADDED, [7, 5, 6], [4, 2, 3], reduction=reduction, zero_infinity=zero_infinity)
    check(X, PADDED, np.array([7, 5, 6]), np.array([4, 2, 3]), reduction=reduction,
          zero_infinity=zero_infinity)


def test_float32_concatenated_targets_blank_and_int32_lengths():
    check(X, PADDED, [7, 5, 6], [4, 2, 3], dtype="float32")
    check(X, np.array([1, 2, 2, 4, 3, 1, 4, 4, 4]), np.array([7, 5, 6]), np.array([4, 2, 3]))
    check(X, PADDED + 0, [7, 7, 7], [4, 2, 3], blank=0, reduction="none")
    check(X, np.where(PADDED == 4, 0, PADDED), [7, 7, 7], [4, 2, 3], blank=4)
    ours = check(X, PADDED.astype(np.int32), np.array([7, 5, 6], dtype=np.int32),
                 np.array([4, 2, 3], dtype=np.int32))
    assert ours[0].shape == ()


def test_longer_sequences():
    x = RNG.normal(size=(60, 4, 12))
    targets = RNG.integers(1, 12, size=(4, 25))
    check(x, targets, [60, 48, 30, 55], [25, 17, 10, 1])
    check(x, targets, [60, 48, 30, 55], [25, 17, 10, 1], dtype="float32", reduction="sum")


def test_unbatched():
    for reduction in ("none", "mean", "sum"):
        check(X[:, 0], np.array([1, 2, 2]), np.array(7), np.array(3), reduction=reduction,
              zero_infinity=True)


def test_impossible_and_empty_alignments():
    # too short for its target (inf, and NaN gradients unless zero_infinity), empty inputs
    loss, grad, _ = check(X, PADDED, [2, 5, 0], [4, 2, 0], reduction="none")
    assert loss[0] == np.inf and np.isnan(grad[:2, 0]).all() and not grad[2:, 0].any()
    assert loss[2] == 0 and np.signbit(loss[2])
    loss, grad, _ = check(X, PADDED, [2, 5, 0], [4, 2, 3], reduction="none",
                          zero_infinity=True)
    assert loss[0] == 0 and loss[2] == 0 and not grad[:, 0].any()
    check(X, PADDED, [2, 5, 6], [4, 0, 3], zero_infinity=True)
    check(X, np.zeros((3, 0), dtype=np.int64), [7, 5, 6], [0, 0, 0], reduction="none")


def test_gradient_through_log_softmax_is_the_derivative():
    def f(z):
        return engine.nn.functional.ctc_loss(z.log_softmax(-1), engine.tensor(PADDED),
                                             [7, 5, 6], [4, 2, 3], reduction="none")

    z = engine.tensor(X[:, :, :], requires_grad=True)
    assert engine.autograd.gradcheck(f, (z,))
    # a target holding the blank index (meaningless for CTC, accepted by torch): our gradient
    # stays the derivative; torch's drops a term at the last step, so only values are compared
    blanks = np.array([[1, 0, 2, 4]] * 3)
    assert engine.autograd.gradcheck(
        lambda z: engine.nn.functional.ctc_loss(z.log_softmax(-1), engine.tensor(blanks),
                                                [7, 6, 5], [4, 3, 2]), (z,))
    ours = run(engine, X, blanks, np.array([7, 6, 5]), np.array([4, 3, 2]))
    ref = run(torch, X, blanks, np.array([7, 6, 5]), np.array([4, 3, 2]))
    np.testing.assert_allclose(ours[0], ref[0], rtol=1e-12)


def test_double_backward_and_forward_ad_fail_as_in_torch():
    for lib in (engine, torch):
        lp = lib.tensor(X).log_softmax(-1).detach().requires_grad_()
        loss = lib.nn.functional.ctc_loss(lp, lib.tensor(PADDED), [7, 5, 6], [4, 2, 3])
        (g,) = lib.autograd.grad(loss, [lp], create_graph=True)
        assert g.requires_grad and g.grad_fn.name().endswith("NotImplemented")
        with pytest.raises(RuntimeError,
                           match="derivative for aten::_ctc_loss_backward is not implemented"):
            g.sum().backward()
        loss = lib.nn.functional.ctc_loss(lp, lib.tensor(PADDED), [7, 5, 6], [4, 2, 3],
                                          reduction="none")
        loss.sum().backward()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second"):
            loss.sum().backward()
    fwad = engine.autograd.forward_ad
    with fwad.dual_level(), pytest.raises(
            NotImplementedError, match="Trying to use forward AD with _ctc_loss"):
        lp = engine.tensor(X).log_softmax(-1)
        engine.nn.functional.ctc_loss(fwad.make_dual(lp, engine.ones_like(lp)),
                                      engine.tensor(PADDED), [7, 5, 6], [4, 2, 3])


ERRORS = {
    "batch of input_lengths": lambda L, lp, t: L.nn.functional.ctc_loss(
        lp, t, L.tensor([7]), L.tensor([4, 2, 3])),
    "batch of target_lengths": lambda L, lp, t: L.nn.functional.ctc_loss(
        lp, t, L.tensor([7, 5, 6]), L.tensor([4, 2])),
    "input too long": lambda L, lp, t: L.nn.functional.ctc_loss(
        lp, t, L.tensor([8, 5, 6]), L.tensor([4, 2, 3])),
    "targets too short": lambda L, lp, t: L.nn.functional.ctc_loss(
        lp, t, L.tensor([7, 5, 6]), L.tensor([5, 2, 3])),
    "concatenated size": lambda L, lp, t: L.nn.functional.ctc_loss(
        lp, L.tensor([1, 2, 3]), L.tensor([7, 5, 6]), L.tensor([4, 2, 3])),
    "negative input length": lambda L, lp, t: L.nn.functional.ctc_loss(
        lp, t, L.tensor([-1, 5, 6]), L.tensor([4, 2, 3])),
    "negative target length": lambda L, lp, t: L.nn.functional.ctc_loss(
        lp, t, L.tensor([7, 5, 6]), L.tensor([4, -2, 3])),
    "blank high": lambda L, lp, t: L.nn.functional.ctc_loss(
        lp, t, [7, 5, 6], [4, 2, 3], blank=5),
    "blank negative": lambda L, lp, t: L.nn.functional.ctc_loss(
        lp, t, [7, 5, 6], [4, 2, 3], blank=-1),
    "float lengths": lambda L, lp, t: L.nn.functional.ctc_loss(
        lp, t, L.tensor([7.0, 5, 6]), L.tensor([4, 2, 3])),
    "reduction": lambda L, lp, t: L.nn.functional.ctc_loss(
        lp, t, [7, 5, 6], [4, 2, 3], reduction="avg"),
    "half": lambda L, lp, t: L.nn.functional.ctc_loss(lp.half(), t, [7, 5, 6], [4, 2, 3]),
    "4-d": lambda L, lp, t: L.nn.functional.ctc_loss(lp[None], t, [7, 5, 6], [4, 2, 3]),
    "empty": lambda L, lp, t: L.nn.functional.ctc_loss(lp[:0], t, [0, 0, 0], [0, 0, 0]),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_are_torchs(case):
    texts = []
    for lib in (engine, torch):
        lp = lib.tensor(X).log_softmax(-1)
        with pytest.raises(Exception) as info:
            ERRORS[case](lib, lp, lib.tensor(PADDED))
        texts.append((str(info.value), isinstance(info.value, (RuntimeError, ValueError,
                                                                NotImplementedError))))
    assert texts[0] == texts[1]


def test_module():
    for lib in (nn, torch.nn):
        assert repr(lib.CTCLoss()) == "CTCLoss()"
        m = lib.CTCLoss(blank=4, reduction="sum", zero_infinity=True)
        assert (m.blank, m.reduction, m.zero_infinity) == (4, "sum", True)
    lp = [lib.tensor(X).log_softmax(-1).requires_grad_() for lib in (engine, torch)]
    t = np.where(PADDED == 4, 0, PADDED)
    outs = [lib.nn.CTCLoss(blank=4, reduction="none", zero_infinity=True)(
        x, lib.tensor(t), lib.tensor([7, 2, 6]), lib.tensor([4, 2, 3]))
        for lib, x in zip((engine, torch), lp)]
    np.testing.assert_allclose(outs[0].tolist(), outs[1].tolist(), rtol=1e-6)
    assert outs[0].grad_fn.name() == outs[1].grad_fn.name() == "WhereBackward0"
