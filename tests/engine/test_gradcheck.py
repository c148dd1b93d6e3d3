"""Every differentiable op in the table, checked against central finite differences in float64
(first and second order), on contiguous and non-contiguous inputs, and against HIPS autograd
where it has the function. Samples live in ``tests/engine/samples/``."""

from __future__ import annotations

import re

import numpy as np
import pytest

import engine
from engine.ops import OPS
from tests.engine.samples import NOT_GRADCHECKED, SAMPLES, Sample

EPS = 1e-6
OP_NAMES = sorted({d.name for d in OPS.values()})
DIFFERENTIABLE = [n for n in OP_NAMES if OPS[n].differentiable and not OPS[n].inplace]
CASES = [(name, i) for name in DIFFERENTIABLE for i in range(len(SAMPLES.get(name, ())))]


def test_every_differentiable_op_has_samples():
    missing = [n for n in DIFFERENTIABLE if n not in SAMPLES and n not in NOT_GRADCHECKED]
    assert not missing, f"differentiable ops without gradcheck samples: {missing}"


def test_samples_name_real_ops():
    unknown = [n for n in list(SAMPLES) + list(NOT_GRADCHECKED) if n not in OPS]
    assert not unknown, f"samples for ops that are not in the table: {unknown}"


def _diff_positions(sample: Sample) -> list[int]:
    return [i for i, a in enumerate(sample.args)
            if isinstance(a, np.ndarray) and a.dtype.kind == "f"]


def _make_inputs(arrays, noncontig: bool):
    """Float64 tensors requiring grad; with ``noncontig`` they are strided views of a larger
    leaf (every other element of the last axis)."""
    out = []
    for a in arrays:
        if noncontig and a.ndim >= 1 and a.size > 1:
            wide = np.zeros(a.shape + (2,), dtype=np.float64)
            wide[..., 0] = a
            base = engine.tensor(wide, requires_grad=True)
            t = base[..., 0]
            assert not t._data.flags.c_contiguous
            out.append(t)
        else:
            out.append(engine.tensor(a.astype(np.float64), requires_grad=True))
    return out


def _float_outputs(result) -> list:
    items = result if isinstance(result, (tuple, list)) else (result,)
    return [t for t in items if isinstance(t, engine.Tensor) and t.dtype.is_floating_point]


def _on_device(value):
    """Tensors held by a sample (targets, weights, masks) follow the test's default device."""
    if isinstance(value, engine.Tensor):
        dev = engine.default_device()
        return value if value.device == dev else value.to(dev)
    if isinstance(value, (list, tuple)):
        return type(value)(_on_device(v) for v in value)
    return value


def _call(name: str, sample: Sample, pos: list[int], tensors) -> list:
    args = [_on_device(a) for a in sample.args]
    for p, t in zip(pos, tensors):
        args[p] = t
    kwargs = {k: _on_device(v) for k, v in sample.kwargs.items()}
    return _float_outputs(OPS[name].fn(*args, **kwargs))


def _weights(outs, seed: int):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(o.shape) for o in outs]


def _loss(outs, weights):
    total = None
    for o, w in zip(outs, weights):
        term = (o * engine.tensor(w, dtype=o.dtype, device=o.device)).sum()
        total = term if total is None else total + term
    return total


def _numeric(fn, arrays) -> list[np.ndarray]:
    grads = []
    for k, a in enumerate(arrays):
        g = np.zeros_like(a, dtype=np.float64)
        flat = g.reshape(-1)
        for j in range(a.size):
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[k].reshape(-1)[j] += EPS
            minus[k].reshape(-1)[j] -= EPS
            flat[j] = (fn(plus) - fn(minus)) / (2 * EPS)
        grads.append(g)
    return grads


def _as_np(g, like) -> np.ndarray:
    return np.zeros_like(like) if g is None else engine.to_numpy(g).astype(np.float64)


@pytest.mark.parametrize("noncontig", [False, True], ids=["contiguous", "strided"])
@pytest.mark.parametrize("name,index", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_gradcheck(name, index, noncontig, oracle=True):
    sample = SAMPLES[name][index]
    if noncontig and not sample.noncontig:
        pytest.skip("sample opts out of non-contiguous inputs")
    pos = _diff_positions(sample)
    arrays = [np.asarray(sample.args[p], dtype=np.float64) for p in pos]
    assert arrays, f"sample {name}-{index} has no float array to differentiate"
    if noncontig and not any(a.ndim >= 1 and a.size > 1 for a in arrays):
        pytest.skip("no input with more than one element")

    inputs = _make_inputs(arrays, noncontig)
    outs = _call(name, sample, pos, inputs)
    assert outs, "op returned no floating tensor"
    for o in outs:
        assert o.dtype is engine.float64, f"float64 inputs gave {o.dtype}"
    weights = _weights(outs, 1234 + index)
    loss = _loss(outs, weights)
    if sample.grad_error:
        with pytest.raises(RuntimeError, match=re.escape(sample.grad_error)):
            engine.grad(loss, inputs, allow_unused=True)
        return

    def value(arrs):
        with engine.no_grad():
            return _loss(_call(name, sample, pos, _make_inputs(arrs, False)), weights).item()

    analytic = engine.grad(loss, inputs, allow_unused=True, create_graph=sample.second_order)
    for g, t in zip(analytic, inputs):
        if g is not None:
            assert g.shape == t.shape and g.dtype is t.dtype
    numeric = _numeric(value, arrays)
    for k, (g, n) in enumerate(zip(analytic, numeric)):
        np.testing.assert_allclose(_as_np(g, n), n, atol=sample.atol, rtol=sample.rtol,
                                   err_msg=f"first-order gradient of input {k}")

    if sample.second_order:
        rng = np.random.default_rng(99 + index)
        vs = [rng.standard_normal(a.shape) for a in arrays]
        s = None
        for g, v in zip(analytic, vs):
            if g is not None:
                term = (g * engine.tensor(v, device=g.device)).sum()
                s = term if s is None else s + term
        if s is not None and s.requires_grad:
            second = engine.grad(s, inputs, allow_unused=True)
        else:
            second = [None] * len(inputs)

        def first_dot_v(arrs):
            ts = _make_inputs(arrs, False)
            o = _call(name, sample, pos, ts)
            gs = engine.grad(_loss(o, weights), ts, allow_unused=True)
            return sum(float((_as_np(g, v) * v).sum()) for g, v in zip(gs, vs))

        numeric2 = _numeric(first_dot_v, arrays)
        for k, (g, n) in enumerate(zip(second, numeric2)):
            np.testing.assert_allclose(_as_np(g, n), n, atol=sample.atol * 10,
                                       rtol=sample.rtol * 10,
                                       err_msg=f"second-order gradient of input {k}")

    if oracle and sample.oracle is not None and not noncontig:
        _check_oracle(name, sample, pos, arrays, outs[0], weights[0])


def _check_oracle(name: str, sample: Sample, pos, arrays, out, weight):
    autograd = pytest.importorskip("autograd")
    anp = autograd.numpy
    expected = sample.oracle(anp, *arrays)
    np.testing.assert_allclose(engine.to_numpy(out), expected, atol=1e-10, rtol=1e-7,
                               err_msg="value differs from HIPS autograd")
    inputs = [engine.tensor(a, requires_grad=True) for a in arrays]
    first = _call(name, sample, pos, inputs)[0]
    grads = engine.grad((first * engine.tensor(weight)).sum(), inputs, allow_unused=True)
    for k in range(len(arrays)):
        want = autograd.grad(
            lambda *xs: anp.sum(sample.oracle(anp, *xs) * weight), k)(*arrays)
        np.testing.assert_allclose(_as_np(grads[k], arrays[k]), want, atol=1e-9, rtol=1e-6,
                                   err_msg=f"gradient of input {k} differs from HIPS autograd")
