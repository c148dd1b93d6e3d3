"""torch.nn.utils.prune side by side with torch 2.13: names (weight_orig / weight_mask), masks,
the pruned values and gradients, repeated pruning (PruningContainer), global pruning, remove,
is_pruned, the errors. Random methods draw from the session generator: their masks are
checked for what they must be (counts, whole channels), not twinned."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.utils.prune as TP  # noqa: E402

import engine  # noqa: E402
import engine.nn as enn  # noqa: E402
from engine.nn.utils import prune as EP  # noqa: E402
from tests.engine.test_nn_parametrize import close, same_error, twins  # noqa: E402


def conv_twins():
    return twins(lambda: enn.Conv2d(2, 6, 3), lambda: torch.nn.Conv2d(2, 6, 3))


def lenet_twins():
    def make(nn):
        return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 5))

    return twins(lambda: make(enn), lambda: make(torch.nn))


def same_module_state(e, t):
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert list(e.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        close(e.state_dict()[k], v)


@pytest.mark.parametrize("amount", [0.0, 0.3, 5, 0.999, 54])
def test_l1_unstructured(amount):
    e, t = conv_twins()
    EP.l1_unstructured(e, "weight", amount=amount)
    TP.l1_unstructured(t, "weight", amount=amount)
    same_module_state(e, t)
    close(e.weight, t.weight)
    assert e.weight.grad_fn.name() == t.weight.grad_fn.name()
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 5))
    (e(engine.tensor(x)) ** 2).sum().backward()
    (t(torch.tensor(x)) ** 2).sum().backward()
    close(e.weight_orig.grad, t.weight_orig.grad)
    assert EP.is_pruned(e) and TP.is_pruned(t)


@pytest.mark.parametrize("n, dim", [(2, 0), (1, 1), (float("inf"), -1), (-float("inf"), 0)])
def test_ln_structured(n, dim):
    e, t = conv_twins()
    EP.ln_structured(e, "weight", amount=0.5, n=n, dim=dim)
    TP.ln_structured(t, "weight", amount=0.5, n=n, dim=dim)
    same_module_state(e, t)


def test_repeated_pruning_stacks_in_a_container():
    e, t = conv_twins()
    for lib, mod in ((EP, e), (TP, t)):
        lib.ln_structured(mod, "weight", amount=2, n=2, dim=0)
        lib.l1_unstructured(mod, "weight", amount=0.3)
        lib.custom_from_mask(mod, "bias", mask=(engine if lib is EP else torch).tensor(
            [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]))
        lib.identity(mod, "bias")
        lib.l1_unstructured(mod, "bias", amount=1)
    same_module_state(e, t)
    he = [h for h in e._forward_pre_hooks.values()]
    ht = [h for h in t._forward_pre_hooks.values()]
    assert [type(h).__name__ for h in he] == [type(h).__name__ for h in ht]
    names = [[[type(m).__name__ for m in h] for h in hooks] for hooks in (he, ht)]
    assert names[0] == names[1]
    x = np.random.default_rng(1).standard_normal((2, 2, 4, 4))
    close(e(engine.tensor(x)), t(torch.tensor(x)))
    for lib, mod in ((EP, e), (TP, t)):
        lib.remove(mod, "weight")
        lib.remove(mod, "bias")
    same_module_state(e, t)
    assert not EP.is_pruned(e)
    same_error(lambda: EP.remove(e, "weight"), lambda: TP.remove(t, "weight"))


def test_global_unstructured():
    e, t = lenet_twins()
    for lib, mod in ((EP, e), (TP, t)):
        lib.l1_unstructured(mod[3], "bias", amount=1)
        lib.global_unstructured([(mod[0], "weight"), (mod[3], "weight"), (mod[3], "bias")],
                                pruning_method=lib.L1Unstructured, amount=0.4)
    same_module_state(e, t)
    same_error(lambda: EP.global_unstructured([(e[0], "weight")], EP.LnStructured, amount=1,
                                              n=1, dim=0),
               lambda: TP.global_unstructured([(t[0], "weight")], TP.LnStructured, amount=1,
                                              n=1, dim=0))


def test_importance_scores():
    e, t = conv_twins()
    scores = np.random.default_rng(2).standard_normal((6, 2, 3, 3))
    EP.l1_unstructured(e, "weight", amount=10, importance_scores=engine.tensor(scores))
    TP.l1_unstructured(t, "weight", amount=10, importance_scores=torch.tensor(scores))
    same_module_state(e, t)
    same_error(lambda: EP.l1_unstructured(e, "bias", 1, importance_scores=engine.ones(2)),
               lambda: TP.l1_unstructured(t, "bias", 1, importance_scores=torch.ones(2)))


def test_random_methods_prune_what_they_must():
    engine.manual_seed(0)
    m = enn.Conv2d(2, 6, 3)
    EP.random_unstructured(m, "weight", amount=0.25)
    assert int((m.weight_mask == 0).sum()) == round(0.25 * 108)
    EP.random_structured(m, "weight", amount=2, dim=0)
    kept = (m.weight_mask.sum((1, 2, 3)) != 0)
    assert int(kept.sum()) == 4
    # the unstructured zeros stay where they were
    assert int((m.weight_mask == 0).sum()) >= round(0.25 * 108)
    engine.manual_seed(0)
    m2 = enn.Conv2d(2, 6, 3)
    EP.random_unstructured(m2, "weight", amount=0.25)
    EP.random_structured(m2, "weight", amount=2, dim=0)
    assert engine.equal(m.weight_mask, m2.weight_mask)  # the session's generator, reproducible


@pytest.mark.parametrize("call", [
    lambda P, m: P.l1_unstructured(m, "weight", amount=-1),
    lambda P, m: P.l1_unstructured(m, "weight", amount=1.5),
    lambda P, m: P.l1_unstructured(m, "weight", amount="half"),
    lambda P, m: P.l1_unstructured(m, "weight", amount=1000),
    lambda P, m: P.ln_structured(m, "bias", amount=1, n=2, dim=0),
    lambda P, m: P.ln_structured(m, "weight", amount=1, n=2, dim=4),
    lambda P, m: P.random_structured(m, "weight", amount=7, dim=0),
    lambda P, m: P.custom_from_mask(m, "bias", mask=(m.bias[:2] * 0)),
    lambda P, m: P.remove(m, "weight"),
    lambda P, m: P.BasePruningMethod(),
])
def test_errors(call):
    e, t = conv_twins()
    same_error(lambda: call(EP, e), lambda: call(TP, t))
    # a failed pruning leaves the module as it was
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]


def test_custom_method_subclass():
    class EveryOther(EP.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.view(-1)[::2] = 0
            return mask

    class TEveryOther(TP.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.view(-1)[::2] = 0
            return mask

    e, t = conv_twins()
    EveryOther.apply(e, "bias")
    TEveryOther.apply(t, "bias")
    EP.l1_unstructured(e, "bias", amount=1)
    TP.l1_unstructured(t, "bias", amount=1)
    same_module_state(e, t)
    close(EveryOther().prune(e.bias_orig), TEveryOther().prune(t.bias_orig))
