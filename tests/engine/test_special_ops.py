"""Ops of engine/ops/special.py, reduction_more.py and pointwise_inplace.py against torch 2.13
beyond what the differential suite draws: accuracy on wide grids (the NumPy-only special
functions against torch's values), the torch.special namespace, in-place twins of aliases,
and programs reaching them through the language (``torch.asinh``, ``torch.special.x``,
Tensor methods)."""

from __future__ import annotations

import numpy as np
import pytest

import engine
import engine.special
from engine.ops import OPS

torch = pytest.importorskip("torch")
from tests.engine.torch_compare import compare  # noqa: E402

rng = np.random.default_rng(5)
WIDE = np.concatenate([rng.uniform(-30, 30, 4000), rng.uniform(-3, 3, 2000),
                       10 ** rng.uniform(-300, 2.5, 1000), -(10 ** rng.uniform(-300, 2.5, 1000)),
                       [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, 2.0, -1.0, 0.5]])
UNIT = np.concatenate([rng.uniform(0, 1, 4000), 10 ** rng.uniform(-300, 0, 1000),
                       1 - 10 ** rng.uniform(-16, 0, 500), [0.0, 1.0, -0.5, 1.5, np.nan]])

# (engine function, torch function, inputs, largest relative error in float64 ulps)
GRID = [
    (engine.asinh, torch.asinh, WIDE, 2), (engine.acosh, torch.acosh, WIDE, 2),
    (engine.atanh, torch.atanh, UNIT * 2 - 1, 2), (engine.exp2, torch.exp2, WIDE, 2),
    (engine.erfc, torch.erfc, WIDE, 8), (engine.erfinv, torch.erfinv, UNIT * 2 - 1, 8),
    (engine.lgamma, torch.lgamma, np.abs(WIDE), 8), (engine.digamma, torch.digamma,
                                                     np.abs(WIDE), 8),
    (lambda t: engine.polygamma(1, t), lambda t: torch.polygamma(1, t), WIDE, 4),
    (lambda t: engine.polygamma(3, t), lambda t: torch.polygamma(3, t), np.abs(WIDE), 16),
    (engine.i0, torch.i0, WIDE, 8), (engine.special.i0e, torch.special.i0e, WIDE, 8),
    (engine.special.i1, torch.special.i1, WIDE, 8),
    (engine.special.i1e, torch.special.i1e, WIDE, 8),
    (engine.special.erfcx, torch.special.erfcx, WIDE, 8),
    (engine.special.ndtri, torch.special.ndtri, UNIT, 8),
    (engine.special.log_ndtr, torch.special.log_ndtr, WIDE, 8),
    (engine.special.entr, torch.special.entr, WIDE, 2),
]


@pytest.mark.parametrize("ours,theirs,xs,ulps", GRID, ids=lambda v: getattr(v, "__name__", ""))
def test_values_on_a_wide_grid_as_torch(ours, theirs, xs, ulps):
    want = theirs(torch.tensor(xs, dtype=torch.float64)).numpy()
    got = engine.to_numpy(ours(engine.tensor(xs, dtype=engine.float64)))
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.array_equal(np.isinf(got), np.isinf(want))
    fin = np.isfinite(want)
    with np.errstate(all="ignore"):
        err = np.abs(got[fin] - want[fin]) / np.maximum(np.abs(want[fin]), 1e-300)
    assert err.max() <= ulps * 2.0 ** -52, (xs[fin][np.argmax(err)], err.max() / 2.0 ** -52)


def test_special_namespace_matches_torch_special():
    names = [n.removeprefix("special.") for n in OPS if n.startswith("special.")]
    assert all(hasattr(torch.special, n) for n in names)
    assert set(engine.special.__all__) == set(names)
    for n in ("expit", "gammaln", "i1e", "ndtr", "xlog1py", "multigammaln", "round"):
        assert n in names


@pytest.mark.parametrize("name", ["expit", "erf", "ndtr", "i0e", "round", "softmax"])
def test_special_argument_errors_as_torch(name):
    compare(lambda m, F, leaf: getattr(m.special, name)(1.0))


def test_special_xlog1py_numbers_as_torch():
    compare(lambda m, F, leaf: m.special.xlog1py(1.0, 2.0))
    compare(lambda m, F, leaf: m.special.xlog1py(2.5, leaf([0.5, -0.5, 3.0])))


@pytest.mark.parametrize("method,args", [
    ("multiply_", (2.0,)), ("divide_", (4.0,)), ("subtract_", (1.0,)),
    ("true_divide_", (2.0,)), ("greater_", (0.5,)), ("greater_equal_", (0.5,)),
    ("less_", (0.5,)), ("less_equal_", (0.5,)), ("not_equal_", (0.5,)),
    ("arcsinh_", ()), ("arctanh_", ()), ("exp2_", ()), ("erfc_", ()), ("erfinv_", ()),
    ("lgamma_", ()), ("digamma_", ()), ("i0_", ()), ("polygamma_", (2,)),
    ("mvlgamma_", (1,))])
def test_in_place_forms_as_torch(method, args):
    def case(m, F, leaf):
        x = leaf([0.25, 0.5, 0.75]) * 1
        return getattr(x, method)(*args)

    compare(case)


def test_alias_in_place_errors_name_the_alias():
    # the same error as the op's own in-place form, naming the alias (the in-place
    # comparisons' text for a non-number operand differs from torch's: see ops.md)
    for alias, op in (("greater_", "gt_"), ("less_equal_", "le_"), ("not_equal_", "ne_")):
        texts = []
        for name in (alias, op):
            with pytest.raises(TypeError) as info:
                getattr(engine.ones(2), name)("a")
            texts.append(str(info.value))
        assert texts[0].startswith(alias + "(") and texts[0] == texts[1].replace(op, alias)


def test_polygamma_arguments_as_torch():
    compare(lambda m, F, leaf: m.polygamma(1.5, leaf([1.0])))
    compare(lambda m, F, leaf: m.polygamma(-1, leaf([1.0])))
    compare(lambda m, F, leaf: leaf([1.0, 2.0]).polygamma(2))
    compare(lambda m, F, leaf: m.mvlgamma(leaf([2.5]), 0))
    compare(lambda m, F, leaf: m.mvlgamma(leaf([2.5, 3.0]), 3))


def test_cummax_cummin_ties_and_nans_as_torch():
    vals = [1.0, 3.0, 3.0, float("nan"), 2.0, float("nan"), 5.0]
    compare(lambda m, F, leaf: m.cummax(leaf(vals), 0))
    compare(lambda m, F, leaf: m.cummin(leaf(vals), 0))
    compare(lambda m, F, leaf: m.cummax(m.tensor([[1, 5, 5], [2, 0, 7]]), 1))
    compare(lambda m, F, leaf: m.cummin(m.tensor([True, False, True]), 0))


def test_logcumsumexp_infinities_as_torch():
    compare(lambda m, F, leaf: m.logcumsumexp(
        leaf([-float("inf"), 0.0, float("inf"), 1.0, -float("inf")]), 0))


def test_nan_reductions_as_torch():
    vals = [[1.0, float("nan"), 2.0], [float("nan"), float("nan"), float("nan")]]
    compare(lambda m, F, leaf: m.nansum(leaf(vals), 1))
    compare(lambda m, F, leaf: m.nanmean(leaf(vals), 1))
    compare(lambda m, F, leaf: m.nanmean(m.tensor([1, 2])))
    compare(lambda m, F, leaf: m.nansum(m.tensor([True, True])))


PROGRAM = """
import torch
x = torch.tensor([0.3, 0.6, 1.5], dtype=torch.float64, requires_grad=True)
y = torch.asinh(x) + torch.special.expit(x) + torch.special.gammaln(x) + x.digamma()
y = y + torch.nansum(x) + torch.special.i1e(x) + torch.logcumsumexp(x, 0)
z = torch.cummax(x, 0).values.sum() + y.sum()
z.backward()
print(round(z.item(), 10), [round(g, 10) for g in x.grad.tolist()])
v = x.detach().clone()
v.multiply_(2).arcsinh_()
print([round(e, 10) for e in v.tolist()])
"""


def test_a_program_reaches_them_through_the_language():
    from tests.app.lang.test_library_end_to_end import ours, torch_prints

    assert ours(PROGRAM) == torch_prints(PROGRAM)


def test_ldexp_and_shifts_as_torch():
    compare(lambda m, F, leaf: m.ldexp(leaf([0.5, -1.5, 2.0]), m.tensor([1, -2, 0])))
    compare(lambda m, F, leaf: m.ldexp(leaf([0.5]), 2))
    compare(lambda m, F, leaf: m.tensor([1, -8, 3]) << m.tensor([1, 2, 70]))
    compare(lambda m, F, leaf: m.tensor([1, -8, 3]) >> m.tensor([1, 2, 70]))
    compare(lambda m, F, leaf: m.tensor([True]) << 1)
    compare(lambda m, F, leaf: m.tensor([1.0]) << 1)
