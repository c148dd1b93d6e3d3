"""``torch.optim.swa_utils`` side by side with torch: averaged weights bit for bit (SWA's
running mean, EMA through multi_avg_fn and avg_fn, use_buffers), SWALR's learning rates,
update_bn's statistics, and torch's errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import engine as E
import engine.optim.swa_utils as eswa

torch = pytest.importorskip("torch")
tswa = torch.optim.swa_utils

RNG = np.random.default_rng(7)
W1, B1 = RNG.standard_normal((5, 3)), RNG.standard_normal(5)
W2, B2 = RNG.standard_normal((2, 5)), RNG.standard_normal(2)
X = RNG.standard_normal((12, 3))
Y = RNG.standard_normal((12, 2))


def _model(L, dtype):
    torch_dtype = getattr(L, dtype)
    m = L.nn.Sequential(L.nn.Linear(3, 5), L.nn.BatchNorm1d(5), L.nn.Tanh(), L.nn.Linear(5, 2))
    m = m.to(torch_dtype)
    with L.no_grad():
        for p, a in zip(m.parameters(), [W1, B1, np.ones(5), np.zeros(5), W2, B2]):
            p.copy_(L.tensor(a, dtype=torch_dtype))
    return m


STEPS = [[RNG.standard_normal(a.shape) for a in (W1, B1, np.ones(5), np.zeros(5), W2, B2)]
         for _ in range(7)]


def _train(L, swa, dtype, make):
    """The model's parameters take fixed values step after step (so the averages, not the
    training, are compared), with SWALR annealing an optimizer on the way."""
    torch_dtype = getattr(L, dtype)
    model = _model(L, dtype)
    opt = L.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    averaged = make(swa, model)
    sched = swa.SWALR(opt, swa_lr=0.01, anneal_epochs=2)
    x, y = L.tensor(X, dtype=torch_dtype), L.tensor(Y, dtype=torch_dtype)
    log = []
    for k, values in enumerate(STEPS):
        with L.no_grad():
            for p, a in zip(model.parameters(), values):
                p.copy_(L.tensor(a, dtype=torch_dtype))
            model(x[k:k + 4])  # the batch-norm statistics move too
        averaged.update_parameters(model)
        opt.step()
        sched.step()
        log.append(sched.get_last_lr())
    params = [p.detach().numpy().copy() for p in averaged.parameters()]
    buffers = [b.detach().numpy().copy() for b in averaged.buffers()]
    swa.update_bn([(x[:6], y[:6]), (x[6:], y[6:])], averaged)
    stats = [b.detach().numpy().copy() for b in averaged.buffers()]
    return params, buffers, stats, log, int(averaged.n_averaged)


MAKERS = {
    "swa": lambda swa, m: swa.AveragedModel(m),
    "ema-multi": lambda swa, m: swa.AveragedModel(m, multi_avg_fn=swa.get_ema_multi_avg_fn(0.9)),
    "ema-one": lambda swa, m: swa.AveragedModel(m, avg_fn=swa.get_ema_avg_fn(0.8)),
    "swa-multi": lambda swa, m: swa.AveragedModel(m, multi_avg_fn=swa.get_swa_multi_avg_fn()),
    "ema-buffers": lambda swa, m: swa.AveragedModel(
        m, multi_avg_fn=swa.get_ema_multi_avg_fn(0.5), use_buffers=True),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", list(MAKERS))
def test_averages_rates_and_statistics_as_torch(kind, dtype):
    ours = _train(E, eswa, dtype, MAKERS[kind])
    theirs = _train(torch, tswa, dtype, MAKERS[kind])
    for a, b in zip(ours[0], theirs[0]):  # the averaged parameters: bit for bit
        np.testing.assert_array_equal(a, b)
    # The buffers hold batch-norm statistics, whose last bits differ from torch's in the
    # engine's batch_norm itself (its per-channel sums run in another order: 263 of 400
    # random batches differ in a last bit; faith's reduction-order item), not in swa_utils.
    rtol = 1e-6 if dtype == "float32" else 1e-14
    for a, b in zip(ours[1] + ours[2], theirs[1] + theirs[2]):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=0)
    assert ours[3] == theirs[3] and ours[4] == theirs[4]


@pytest.mark.parametrize("strategy,epochs", [("cos", 3), ("linear", 3), ("cos", 0),
                                             ("linear", 1)])
def test_swalr_rates_as_torch(strategy, epochs):
    def rates(L, swa):
        p = L.zeros(2, requires_grad=True)
        q = L.zeros(2, requires_grad=True)
        opt = L.optim.SGD([{"params": [p], "lr": 0.3}, {"params": [q], "lr": 0.1}], lr=0.2)
        sched = swa.SWALR(opt, swa_lr=[0.05, 0.02], anneal_epochs=epochs,
                          anneal_strategy=strategy)
        out = [sched.get_last_lr()]
        for _ in range(5):
            opt.step()
            sched.step()
            out.append(sched.get_last_lr())
        state = sched.state_dict()
        return out, sorted(state), state["_anneal_strategy"]

    assert rates(E, eswa) == rates(torch, tswa)


@pytest.mark.parametrize("call", [
    lambda swa, L: swa.get_ema_multi_avg_fn(1.5),
    lambda swa, L: swa.get_ema_avg_fn(-0.1),
    lambda swa, L: swa.SWALR(L.optim.SGD([L.zeros(1, requires_grad=True)], lr=0.1), 0.1,
                             anneal_strategy="exp"),
    lambda swa, L: swa.SWALR(L.optim.SGD([L.zeros(1, requires_grad=True)], lr=0.1), 0.1,
                             anneal_epochs=-1),
    lambda swa, L: swa.SWALR(L.optim.SGD([L.zeros(1, requires_grad=True)], lr=0.1), [0.1, 0.2]),
    lambda swa, L: swa.AveragedModel(L.nn.Linear(1, 1), avg_fn=swa.get_swa_avg_fn(),
                                     multi_avg_fn=swa.get_swa_multi_avg_fn()),
], ids=["ema-multi-decay", "ema-decay", "strategy", "anneal-epochs", "swa-lr-list", "two-fns"])
def test_errors_as_torch(call):
    got = []
    for swa, L in ((eswa, E), (tswa, torch)):
        with pytest.raises(Exception) as info:
            call(swa, L)
        base = next(c for c in type(info.value).__mro__
                    if c.__module__ == "builtins" and issubclass(c, Exception))
        got.append((base.__name__, str(info.value)))
    assert got[0] == got[1]


def test_the_copy_is_independent_and_forward_calls_it():
    model = _model(E, "float64")
    averaged = eswa.AveragedModel(model)
    with E.no_grad():
        averaged.module[0].weight.add_(1.0)
    assert not E.equal(model[0].weight, averaged.module[0].weight)
    x = E.tensor(X)
    model.eval()
    averaged.eval()
    assert E.equal(averaged(x), averaged.module(x))
    assert [n for n, _ in averaged.named_buffers()][0] == "n_averaged"
    assert copy.deepcopy(averaged).n_averaged.dtype == E.int64
