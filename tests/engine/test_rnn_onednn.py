"""A float32 nn.LSTM layer on the CPU is one MkldnnRnnLayerBackward0 node, as torch 2.13 records
its oneDNN kernel: names, edges, saved output, values and gradients of every order compared with
torch side by side (the same weights)."""

from __future__ import annotations

import numpy as np
import pytest

import engine as E
import engine.nn as enn

torch = pytest.importorskip("torch")


def _twins(kw, dtype="float32", seed=0):
    torch.manual_seed(seed)
    theirs = torch.nn.LSTM(3, 4, **kw).to(getattr(torch, dtype))
    ours = enn.LSTM(3, 4, **kw).to(getattr(E, dtype))
    ours.load_state_dict({k: E.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def _name(fn):
    return None if fn is None else fn.name().removeprefix("torch::autograd::")


def _graph(t):
    return _name(t.grad_fn), [_name(f) for f, _ in t.grad_fn.next_functions]


@pytest.mark.parametrize("kw", [{}, {"num_layers": 2}, {"bidirectional": True},
                                {"batch_first": True}, {"bias": False}, {"proj_size": 2}])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lstm_nodes_values_and_gradients_match_torch(kw, dtype):
    ours, theirs = _twins(kw, dtype)
    x = np.random.default_rng(1).standard_normal((5, 2, 3)).astype(dtype)
    xe, xt = E.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (oe, (he, ce)), (ot, (ht, ct)) = ours(xe), theirs(xt)
    for a, b in ((oe, ot), (he, ht), (ce, ct)):
        assert _graph(a) == _graph(b)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    (oe.sum() + (he * 2).sum() + (ce * 3).sum()).backward()
    (ot.sum() + (ht * 2).sum() + (ct * 3).sum()).backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-6)
    for (name, pe), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters(),
                                   strict=True):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=name)


def test_initial_state_edges_unbatched_input_and_no_grad():
    ours, theirs = _twins({})
    h0 = np.zeros((1, 2, 4), np.float32)
    he0, ht0 = E.tensor(h0, requires_grad=True), torch.tensor(h0, requires_grad=True)
    x = np.ones((5, 2, 3), np.float32)
    oe, _ = ours(E.tensor(x), (he0, E.tensor(h0)))
    ot, _ = theirs(torch.tensor(x), (ht0, torch.tensor(h0)))
    assert _graph(oe) == _graph(ot)  # [None, w_ih, w_hh, b_ih, b_hh, SelectBackward0, None]
    oe, (he, _) = ours(E.tensor(x[:, 0]))
    ot, (ht, _) = theirs(torch.tensor(x[:, 0]))
    assert (_name(oe.grad_fn), _name(he.grad_fn)) == (_name(ot.grad_fn), _name(ht.grad_fn))
    with E.no_grad():
        assert ours(E.tensor(x))[0].grad_fn is None


def test_the_output_is_saved_and_h_and_c_are_not():
    for which, fails in ((0, True), (1, False), (2, False)):
        ours, _ = _twins({})
        x = E.ones(5, 2, 3, requires_grad=True)
        out, (h, c) = ours(x)
        (out, h, c)[which].add_(1)
        total = out.sum() + h.sum() + c.sum()
        if fails:
            with pytest.raises(RuntimeError, match="output 0 of MkldnnRnnLayer, is at version "
                                                   "1; expected version 0 instead"):
                total.backward()
        else:
            total.backward()


def test_double_backward_through_the_layer_matches_torch():
    ours, theirs = _twins({})
    x = np.random.default_rng(2).standard_normal((4, 2, 3)).astype(np.float32)
    xe, xt = E.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ge,) = E.autograd.grad((ours(xe)[0] ** 2).sum(), xe, create_graph=True)
    (gt,) = torch.autograd.grad((theirs(xt)[0] ** 2).sum(), xt, create_graph=True)
    np.testing.assert_allclose(ge.detach().numpy(), gt.detach().numpy(), rtol=1e-4, atol=1e-6)
    (ge ** 2).sum().backward()
    (gt ** 2).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(ours.weight_hh_l0.grad.numpy(), theirs.weight_hh_l0.grad.numpy(),
                               rtol=1e-3, atol=1e-5)
