"""torch.func details: Jacobians of large outputs by chunks of the basis, what ``jvp`` hands
back, and ``vmap`` over a shared weight computing what the unbatched call computes."""

from __future__ import annotations

import numpy as np
import pytest

import engine
import engine.func as ft
import engine.nn.functional as F
from engine.modes import use_limits


def _predict(weight, bias, x):
    return F.linear(x, weight, bias).tanh()


def _setup(dout=6, din=5, dtype=engine.float64):
    g = engine.Generator().manual_seed(3)
    with engine.use_generator(g):
        return (engine.randn(dout, din, dtype=dtype), engine.randn(dout, dtype=dtype),
                engine.randn(din, dtype=dtype))


@pytest.mark.parametrize("transform", ["jacrev", "jacfwd"])
def test_jacobians_by_chunks_equal_the_whole_basis(monkeypatch, transform):
    w, b, x = _setup()
    jac = getattr(ft, transform)
    whole = jac(jac(_predict, argnums=2), argnums=2)(w, b, x)
    aux_whole = jac(lambda x: (_predict(w, b, x), x.sum()), has_aux=True)(x)
    monkeypatch.setattr(ft, "_CHUNK_ELEMENTS", 7)  # a few rows at a time
    chunked = jac(jac(_predict, argnums=2), argnums=2)(w, b, x)
    aux_chunked = jac(lambda x: (_predict(w, b, x), x.sum()), has_aux=True)(x)
    assert chunked.shape == whole.shape == (6, 5, 5)
    np.testing.assert_array_equal(chunked.numpy(), whole.numpy())
    np.testing.assert_array_equal(aux_chunked[0].numpy(), aux_whole[0].numpy())
    assert aux_chunked[1].item() == aux_whole[1].item()
    two = jac(lambda a, c: (a * c).sum(0), argnums=(0, 1))(w, w.exp())
    monkeypatch.setattr(ft, "_CHUNK_ELEMENTS", 1 << 22)
    again = jac(lambda a, c: (a * c).sum(0), argnums=(0, 1))(w, w.exp())
    for p, q in zip(two, again):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_hessian_by_reverse_over_reverse_stays_under_the_element_limit():
    # the tutorial's 32 x 512 output: a whole basis would be 16384 x 16384 elements
    w, b, x = _setup(32, 512, engine.float32)
    with use_limits(50_000_000):
        rr = ft.jacrev(ft.jacrev(_predict, argnums=2), argnums=2)(w, b, x)
        api = ft.hessian(_predict, argnums=2)(w, b, x)
    assert rr.shape == (32, 512, 512)
    assert (rr - api).abs().max().item() < 1e-5


def test_jacrev_chunk_size_is_the_callers():
    w, b, x = _setup()
    np.testing.assert_array_equal(
        ft.jacrev(_predict, argnums=2, chunk_size=2)(w, b, x).numpy(),
        ft.jacrev(_predict, argnums=2)(w, b, x).numpy())


def test_jvp_outputs_are_detached_unless_an_input_requires_grad():
    x, t = engine.randn(4), engine.randn(4)
    out, tangent = ft.jvp(ft.grad(lambda v: v.sin().sum()), (x,), (t,))
    assert not out.requires_grad and not tangent.requires_grad
    xr = engine.randn(4, requires_grad=True)
    out, tangent = ft.jvp(lambda v: v.sin(), (xr,), (t,))
    assert out.requires_grad and tangent.requires_grad  # torch's too: the formula reads xr


def test_vmap_over_a_shared_weight_is_the_batched_call_bit_for_bit():
    w, b, _ = _setup(33, 31, engine.float32)
    xs = engine.randn(64, 31)
    np.testing.assert_array_equal(
        ft.vmap(_predict, in_dims=(None, None, 0))(w, b, xs).numpy(), _predict(w, b, xs).numpy())
    m = engine.randn(64, 3, 31)
    np.testing.assert_array_equal(ft.vmap(lambda a: a @ w.T)(m).numpy(), (m @ w.T).numpy())


def _stacking_cases(nn):
    mixed = [nn.Linear(2, 2), nn.Linear(2, 2)]
    mixed[1].bias.requires_grad_(False)
    frozen = [nn.Linear(3, 2), nn.Linear(3, 2)]
    for m in frozen:
        m.weight.requires_grad_(False)
    return {"none": [], "sizes": [nn.Linear(2, 2), nn.Linear(2, 3)],
            "classes": [nn.Linear(2, 2), nn.ReLU()],
            "modes": [nn.Linear(2, 2), nn.ReLU().eval()], "requires_grad": mixed,
            "frozen": frozen, "batch_norm": [nn.BatchNorm1d(3), nn.BatchNorm1d(3).train()]}


@pytest.mark.parametrize("case", ["none", "sizes", "classes", "modes", "requires_grad",
                                  "frozen", "batch_norm"])
def test_stack_module_state_as_torch(case):
    torch = pytest.importorskip("torch")
    import engine.nn as enn

    results = []
    for lib, nn, stack_state in ((engine, enn, ft.stack_module_state),
                                 (torch, torch.nn, torch.func.stack_module_state)):
        lib.manual_seed(0)
        try:
            params, buffers = stack_state(_stacking_cases(nn)[case])
        except RuntimeError as e:
            results.append(("error", str(e)))
            continue
        results.append(("ok", [(group, name, tuple(t.shape), str(t.dtype).split(".")[-1],
                                t.requires_grad, t.is_leaf, t.grad_fn is None)
                               for group, d in (("p", params), ("b", buffers))
                               for name, t in d.items()]))
    assert results[0] == results[1]


def test_stacked_parameters_are_new_leaves_holding_copies():
    import engine.nn as nn

    models = [nn.Linear(3, 2), nn.Linear(3, 2)]
    params, _ = ft.stack_module_state(models)
    assert params["weight"].shape == (2, 2, 3) and params["weight"].is_leaf
    np.testing.assert_array_equal(params["weight"][1].detach().numpy(),
                                  models[1].weight.detach().numpy())
    with engine.no_grad():
        models[0].weight.add_(1)
    assert not engine.equal(params["weight"][0], models[0].weight)
    out = ft.vmap(lambda p, x: ft.functional_call(models[0], p, (x,)))(params, engine.ones(2, 3))
    out.sum().backward()
    np.testing.assert_array_equal(params["bias"].grad.numpy(), np.ones((2, 2), np.float32))
    assert models[0].weight.grad is None


def _outer_graph_cases(lib):
    """(name, result) of transforms of functions that close over a parameter ``w`` (the
    program's graph) of inputs that do not require grad; and a MAML-style inner step."""
    func = lib.func
    w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = lib.tensor([0.5, -1.0, 2.0])
    f = lambda xx: (w * xx.sin()).sum()  # noqa: E731
    g = lambda xx: xx.sin().sum()  # noqa: E731 (reaches no parameter)
    two = lambda a, b: (w * a.sin()).sum() + b.cos().sum()  # noqa: E731
    cases = [
        ("grad", func.grad(f)(x)), ("grad of nothing", func.grad(g)(x)),
        ("grad argnums", func.grad(two, argnums=(0, 1))(x, x)),
        ("grad_and_value", func.grad_and_value(f)(x)),
        ("jacrev", func.jacrev(f)(x)), ("jacfwd", func.jacfwd(f)(x)),
        ("jacrev of nothing", func.jacrev(g)(x)), ("hessian", func.hessian(f)(x)),
        ("vjp", func.vjp(lambda xx: w * xx.exp(), x)[1](lib.ones(3))),
        ("vjp value", func.vjp(lambda xx: w * xx.exp(), x)[0]),
        ("jvp", func.jvp(lambda xx: w * xx.exp(), (x,), (lib.ones(3),))),
        ("jvp of nothing", func.jvp(lambda xx: xx.exp(), (x,), (lib.ones(3),))),
    ]
    with lib.no_grad():
        cases.append(("grad under no_grad", func.grad(f)(x)))
    return w, cases


def test_transforms_keep_the_programs_graph_as_torch():
    """A transform's result is in the program's own graph when it depends on a tensor that
    requires grad outside the transform (torch's regular autograd level records it): then it
    has a grad_fn and backward reaches the parameter with torch's gradient; otherwise none."""
    torch = pytest.importorskip("torch")
    w_t, theirs = _outer_graph_cases(torch)
    w_e, ours = _outer_graph_cases(engine)
    from engine.func._pytree import tree_flatten

    for (name, a), (_, b) in zip(theirs, ours):
        ta, tb = torch.utils._pytree.tree_leaves(a), tree_flatten(b)[0]
        assert len(ta) == len(tb), name
        for i, (p, q) in enumerate(zip(ta, tb)):
            assert (p.grad_fn is None) == (q.grad_fn is None), (name, i)
            np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), rtol=1e-6)
            if p.grad_fn is not None:
                w_t.grad = w_e.grad = None
                weights = np.arange(1.0, 1.0 + p.numel(), dtype=np.float32).reshape(p.shape)
                (p * torch.tensor(weights)).sum().backward()
                (q * engine.tensor(weights)).sum().backward()
                np.testing.assert_allclose(w_e.grad.numpy(), w_t.grad.numpy(), rtol=1e-6,
                                           err_msg=f"{name} {i}")


def _node_cases(lib):
    """Transforms whose results keep the program's graph (a closed-over ``w``): the grad_fn
    names torch's regular autograd level records for them."""
    func = lib.func
    w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = lib.tensor([0.5, -1.0, 2.0])
    xs = lib.ones(2, 3)
    t = lib.ones(3)
    cube = lambda xx: (w * xx ** 3).sum()  # noqa: E731
    return [
        ("hessian", func.hessian(cube)(x)),
        ("hessian of w", func.hessian(lambda xx: (xx ** 3).sum())(w)),
        ("jacfwd", func.jacfwd(lambda xx: w * xx.sin())(x)),
        ("jacfwd 0-d", func.jacfwd(lambda xx: w * xx.sin())(x[0])),
        ("jacfwd two", func.jacfwd(lambda a, b: w * a * b, argnums=(0, 1))(x, x[:1])),
        ("jacfwd(jacrev)", func.jacfwd(func.jacrev(cube))(x)),
        ("jacrev", func.jacrev(lambda xx: w * xx.sin())(x)),
        ("jvp mul", func.jvp(lambda xx: w * xx.exp(), (x,), (t,))),
        ("jvp sin", func.jvp(lambda xx: (w * xx).sin(), (x,), (t,))),
        ("jvp identity", func.jvp(lambda xx: xx, (w,), (t,))),
        ("jvp by a number", func.jvp(lambda xx: (xx * w) * 2, (x,), (t,))),
        ("jvp pow", func.jvp(lambda xx: xx.abs() ** w, (x,), (t,))),
        ("jvp w pow", func.jvp(lambda xx: w ** xx, (x,), (t,))),
        ("jvp int", func.jvp(lambda xx: (xx * w) * lib.tensor([1, 2, 3]), (x,), (t,))),
        ("vmap", func.vmap(lambda xx: w * xx)(xs)),
        ("vmap sum", func.vmap(lambda xx: (w * xx).sum())(xs)),
        ("vmap mean", func.vmap(lambda xx: (w * xx).mean())(xs)),
        ("vmap max", func.vmap(lambda xx: (w * xx).max())(xs)),
        ("vmap identity", func.vmap(lambda xx: xx)(w * 1)),
        ("vmap identity in_dims=1", func.vmap(lambda xx: xx, in_dims=1)(w.expand(2, 3))),
        ("vmap identity out_dims", func.vmap(lambda xx: xx, 1, 1)(w.expand(2, 3) * 1)),
        ("vmap constant", func.vmap(lambda xx: w)(xs)),
        ("vmap out_dims", func.vmap(lambda xx: xx + w, out_dims=1)(xs)),
        ("vmap grad", func.vmap(func.grad(lambda xx: (w * xx.sin()).sum()))(xs)),
    ]


def test_transform_results_carry_torchs_node_names():
    """hessian/jacfwd end in a view (torch unflattens the split Jacobian: ViewBackward0, not
    ReshapeAliasBackward0); jvp's primal output is an alias and a product's tangent a sum
    with torch's zero-filled term (AddBackward0); vmap's output is the op's own result (its
    node), an expand, a permute, or the input itself."""
    torch = pytest.importorskip("torch")

    def names(r):
        if isinstance(r, (tuple, list)):
            return [names(v) for v in r]
        return None if r.grad_fn is None else r.grad_fn.name()

    for (name, a), (_, b) in zip(_node_cases(torch), _node_cases(engine), strict=True):
        assert names(b) == names(a), name
    w = engine.tensor([1.0, 2.0], requires_grad=True)
    assert engine.func.vmap(lambda xx: xx)(w) is w  # (torch gives the input back)
