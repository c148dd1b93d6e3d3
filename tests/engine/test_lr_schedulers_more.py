"""The schedulers beyond issue 13's first list (MultiplicativeLR, ConstantLR, LinearLR,
PolynomialLR, CosineAnnealingWarmRestarts, SequentialLR, ChainedScheduler) against torch 2.13:
learning rates bit for bit over 25 epochs on two groups, the warnings, state_dicts, errors."""

from __future__ import annotations

import warnings

import pytest

import engine
from engine.optim import lr_scheduler as es

torch = pytest.importorskip("torch")


def trajectory(lib, build, epochs=None, steps=25):
    nn, optim = (torch.nn, torch.optim) if lib is torch else (engine.nn, engine.optim)
    sched = torch.optim.lr_scheduler if lib is torch else es
    p, q = nn.Parameter(lib.ones(2)), nn.Parameter(lib.ones(1))
    opt = optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1, momentum=0.9)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scheduler = build(sched, opt)
        out = [list(scheduler.get_last_lr())]
        for i in range(steps):
            opt.step()
            scheduler.step() if epochs is None else scheduler.step(epochs[i])
            out.append(list(scheduler.get_last_lr()) + [g["lr"] for g in opt.param_groups])
    return out, sorted({str(w.message) for w in caught})


CASES = {
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lambda e: 0.95),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=4),
    "LinearLR warm-up": lambda S, o: S.LinearLR(o, start_factor=0.1, total_iters=10),
    "LinearLR decay": lambda S, o: S.LinearLR(o, start_factor=1.0, end_factor=0.2,
                                              total_iters=7),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=12, power=2.0),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5),
    "CosineAnnealingWarmRestarts T_mult": lambda S, o: S.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.01),
    "SequentialLR warm-up then cosine": lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.1, total_iters=5), S.CosineAnnealingLR(o, T_max=10)],
        milestones=[5]),
    "SequentialLR of three": lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o, factor=0.2, total_iters=3), S.ExponentialLR(o, gamma=0.9),
            S.StepLR(o, 4, 0.5)], milestones=[6, 12]),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.1, total_iters=2), S.ExponentialLR(o, gamma=0.9)]),
    "ChainedScheduler with optimizer": lambda S, o: S.ChainedScheduler(
        [S.LinearLR(o, total_iters=4), S.MultiStepLR(o, [6, 9])], optimizer=o),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_learning_rates_match_torch_exactly(case):
    assert trajectory(engine, CASES[case]) == trajectory(torch, CASES[case])


@pytest.mark.parametrize("case", ["CosineAnnealingWarmRestarts",
                                  "CosineAnnealingWarmRestarts T_mult"])
def test_warm_restarts_with_fractional_epochs(case):
    epochs = [0.5 * i for i in range(1, 26)]
    assert trajectory(engine, CASES[case], epochs) == trajectory(torch, CASES[case], epochs)


def state(lib):
    nn, optim = (torch.nn, torch.optim) if lib is torch else (engine.nn, engine.optim)
    S = torch.optim.lr_scheduler if lib is torch else es
    opt = optim.SGD([nn.Parameter(lib.ones(1))], lr=1.0)
    seq = S.SequentialLR(opt, [S.ConstantLR(opt, factor=0.5, total_iters=2),
                               S.ExponentialLR(opt, 0.5)], [3])
    for _ in range(4):
        opt.step()
        seq.step()
    sd = seq.state_dict()
    fresh = S.SequentialLR(opt, [S.ConstantLR(opt, factor=0.5, total_iters=2),
                                 S.ExponentialLR(opt, 0.5)], [3])
    fresh.load_state_dict(sd)
    return (sorted(sd), sd["last_epoch"], sd["_milestones"], sd["_schedulers"][1]["last_epoch"],
            fresh.last_epoch, fresh._schedulers[1].last_epoch)


def test_state_dicts_nest_as_torch():
    assert state(engine) == state(torch)


ERRORS = {
    "ConstantLR factor": lambda S, o: S.ConstantLR(o, factor=2.0),
    "LinearLR start": lambda S, o: S.LinearLR(o, start_factor=0.0),
    "LinearLR end": lambda S, o: S.LinearLR(o, end_factor=1.5),
    "warm restarts T_0": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=0),
    "warm restarts T_mult": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    "warm restarts negative epoch": lambda S, o: S.CosineAnnealingWarmRestarts(o, 2).step(-1),
    "sequential milestones": lambda S, o: S.SequentialLR(o, [S.ConstantLR(o)], [2]),
    "sequential none": lambda S, o: S.SequentialLR(o, [], []),
    "chained plateau": lambda S, o: S.ChainedScheduler([S.ReduceLROnPlateau(o)]),
    "chained none": lambda S, o: S.ChainedScheduler([]),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_are_torchs(case):
    texts = []
    for lib in (engine, torch):
        nn, optim = (torch.nn, torch.optim) if lib is torch else (engine.nn, engine.optim)
        S = torch.optim.lr_scheduler if lib is torch else es
        opt = optim.SGD([nn.Parameter(lib.ones(1))], lr=1.0)
        with pytest.raises(ValueError) as info:
            ERRORS[case](S, opt)
        texts.append(str(info.value))
    assert texts[0] == texts[1]
