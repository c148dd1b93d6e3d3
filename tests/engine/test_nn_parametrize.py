"""torch.nn.utils.parametrize / parametrizations and the hook forms of weight_norm /
spectral_norm, side by side with torch 2.13: reprs, state_dict keys, node names, values,
gradients, errors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402
import engine.nn as enn  # noqa: E402
from engine.autograd import gradcheck, gradgradcheck  # noqa: E402
from engine.nn.utils import parametrizations as EP  # noqa: E402
from engine.nn.utils import parametrize as EPZ  # noqa: E402

TP = torch.nn.utils.parametrizations
TPZ = torch.nn.utils.parametrize


def twins(make_engine, make_torch, dtype="float64"):
    """An engine module and a torch one with the same parameters and buffers."""
    e, t = make_engine(), make_torch()
    t = t.double() if dtype == "float64" else t
    e = e.double() if dtype == "float64" else e
    with torch.no_grad():
        for name, p in t.named_parameters():
            dict(e.named_parameters())[name].data = engine.tensor(p.detach().numpy().copy())
    return e, t


def linear_twins(i=3, o=4):
    return twins(lambda: enn.Linear(i, o), lambda: torch.nn.Linear(i, o))


def close(e, t, tol=1e-10):
    np.testing.assert_allclose(np.asarray(e.detach().numpy()), t.detach().numpy(),
                               rtol=tol, atol=tol)


def chain(fn):
    """Node names, depth first, as a nested tuple."""
    if fn is None:
        return None
    return (fn.name().replace("torch::autograd::", ""),
            tuple(chain(n) for n, _ in fn.next_functions))


def error_of(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 (compared)
        return type(exc), str(exc)
    return None


def same_error(fe, ft):
    e, t = error_of(fe), error_of(ft)
    assert e is not None and t is not None, (e, t)
    assert issubclass(e[0], t[0]) or t[0].__name__ in [c.__name__ for c in e[0].__mro__], (e, t)
    assert e[1] == t[1], (e[1], t[1])


# ------------------------------------------------------------------ user parametrizations

class ESym(enn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT

    def right_inverse(self, A):
        return A.triu()


class TSym(torch.nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT

    def right_inverse(self, A):
        return A.triu()


class EScale(enn.Module):
    def forward(self, X):
        return X * 2


class TScale(torch.nn.Module):
    def forward(self, X):
        return X * 2


class ERankOne(enn.Module):
    def forward(self, x, y):
        return x.unsqueeze(-1) @ y.unsqueeze(-2)

    def right_inverse(self, Z):
        return Z[:, 0].clone(), Z[0, :].clone()


class TRankOne(torch.nn.Module):
    def forward(self, x, y):
        return x.unsqueeze(-1) @ y.unsqueeze(-2)

    def right_inverse(self, Z):
        return Z[:, 0].clone(), Z[0, :].clone()


def test_register_repr_state_dict_and_class():
    e, t = linear_twins(4, 4)
    EPZ.register_parametrization(e, "weight", ESym())
    TPZ.register_parametrization(t, "weight", TSym())
    assert repr(e).replace("ESym", "S") == repr(t).replace("TSym", "S")
    assert type(e).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    close(e.weight, t.weight)
    close(e.parametrizations.weight.original, t.parametrizations.weight.original)
    assert chain(e.weight.grad_fn) == chain(t.weight.grad_fn)
    assert EPZ.is_parametrized(e) and EPZ.is_parametrized(e, "weight")
    assert not EPZ.is_parametrized(e, "bias")
    assert EPZ.type_before_parametrizations(e) is enn.Linear
    x = np.random.default_rng(0).standard_normal((2, 4))
    ye, yt = e(engine.tensor(x)), t(torch.tensor(x))
    close(ye, yt)
    ye.sum().backward()
    yt.sum().backward()
    close(e.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad)
    # assigning runs right_inverse
    a = np.random.default_rng(1).standard_normal((4, 4))
    e.weight = engine.tensor(a + a.T)
    t.weight = torch.tensor(a + a.T)
    close(e.parametrizations.weight.original, t.parametrizations.weight.original)
    close(e.weight, t.weight)


def test_several_parametrizations_and_remove():
    e, t = linear_twins(4, 4)
    EPZ.register_parametrization(e, "weight", ESym())
    TPZ.register_parametrization(t, "weight", TSym())
    EPZ.register_parametrization(e, "weight", EScale())
    TPZ.register_parametrization(t, "weight", TScale())
    assert repr(e).replace("ESym", "S").replace("EScale", "C") == \
        repr(t).replace("TSym", "S").replace("TScale", "C")
    close(e.weight, t.weight)
    assert chain(e.weight.grad_fn) == chain(t.weight.grad_fn)
    # EScale has no right_inverse: assignment fails as in torch
    same_error(lambda: setattr(e, "weight", engine.zeros(4, 4, dtype=engine.float64)),
               lambda: setattr(t, "weight", torch.zeros(4, 4, dtype=torch.float64)))
    EPZ.remove_parametrizations(e, "weight", leave_parametrized=False)
    TPZ.remove_parametrizations(t, "weight", leave_parametrized=False)
    assert type(e) is enn.Linear and repr(e) == repr(t)
    close(e.weight, t.weight)
    assert list(e.state_dict()) == list(t.state_dict())
    e2, t2 = linear_twins(4, 4)
    EPZ.register_parametrization(e2, "weight", ESym())
    TPZ.register_parametrization(t2, "weight", TSym())
    EPZ.remove_parametrizations(e2, "weight")
    TPZ.remove_parametrizations(t2, "weight")
    close(e2.weight, t2.weight)
    assert e2.weight.requires_grad and e2.weight.grad_fn is None
    same_error(lambda: EPZ.remove_parametrizations(e2, "weight"),
               lambda: TPZ.remove_parametrizations(t2, "weight"))


def test_tuple_right_inverse_originals():
    e, t = linear_twins(4, 4)
    EPZ.register_parametrization(e, "weight", ERankOne())
    TPZ.register_parametrization(t, "weight", TRankOne())
    assert list(e.state_dict()) == list(t.state_dict())
    close(e.parametrizations.weight.original0, t.parametrizations.weight.original0)
    close(e.weight, t.weight)
    same_error(lambda: EPZ.remove_parametrizations(e, "weight", leave_parametrized=False),
               lambda: TPZ.remove_parametrizations(t, "weight", leave_parametrized=False))
    EPZ.remove_parametrizations(e, "weight")
    TPZ.remove_parametrizations(t, "weight")
    close(e.weight, t.weight)


def test_registration_errors():
    e, t = linear_twins(3, 4)

    class EBad(enn.Module):
        def forward(self, X):
            return X[0]

    class TBad(torch.nn.Module):
        def forward(self, X):
            return X[0]

    same_error(lambda: EPZ.register_parametrization(e, "weight", EBad()),
               lambda: TPZ.register_parametrization(t, "weight", TBad()))
    same_error(lambda: EPZ.register_parametrization(e, "nope", EScale()),
               lambda: TPZ.register_parametrization(t, "nope", TScale()))
    # unsafe=True lets the shape change
    EPZ.register_parametrization(e, "weight", EBad(), unsafe=True)
    TPZ.register_parametrization(t, "weight", TBad(), unsafe=True)
    close(e.weight, t.weight)
    same_error(lambda: EP.orthogonal(enn.Linear(3, 4), orthogonal_map="qr"),
               lambda: TP.orthogonal(torch.nn.Linear(3, 4), orthogonal_map="qr"))
    same_error(lambda: EP.orthogonal(enn.Linear(3, 4), "bias"),
               lambda: TP.orthogonal(torch.nn.Linear(3, 4), "bias"))


def test_cached_computes_once():
    e, _ = linear_twins(4, 4)
    EPZ.register_parametrization(e, "weight", ESym())
    with EPZ.cached():
        a = e.weight
        with EPZ.cached():
            assert e.weight is a
        assert e.weight is a
    assert e.weight is not a


for _e, _t, _name in ((ESym, TSym, "Sym"), (EScale, TScale, "Scale"),
                      (ERankOne, TRankOne, "RankOne")):
    _e.__name__ = _e.__qualname__ = _t.__name__ = _t.__qualname__ = _name


# ------------------------------------------------------------------ parametrizations

@pytest.mark.parametrize("dim", [0, 1, None, -1])
def test_weight_norm_parametrization(dim):
    e, t = linear_twins(3, 4)
    EP.weight_norm(e, dim=dim)
    TP.weight_norm(t, dim=dim)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        close(e.state_dict()[k], v)
    assert chain(e.weight.grad_fn) == chain(t.weight.grad_fn)
    close(e.weight, t.weight)
    x = np.random.default_rng(0).standard_normal((2, 3))
    (e(engine.tensor(x)) ** 2).sum().backward()
    (t(torch.tensor(x)) ** 2).sum().backward()
    for name in ("original0", "original1"):
        close(getattr(e.parametrizations.weight, name).grad,
              getattr(t.parametrizations.weight, name).grad)


@pytest.mark.parametrize("dim", [0, 1, 2, -1, None])
def test_weight_norm_conv_dims(dim):
    e, t = twins(lambda: enn.Conv1d(2, 3, 2), lambda: torch.nn.Conv1d(2, 3, 2))
    EP.weight_norm(e, dim=dim)
    TP.weight_norm(t, dim=dim)
    assert list(e.state_dict()) == list(t.state_dict())
    assert chain(e.weight.grad_fn) == chain(t.weight.grad_fn)
    close(e.weight, t.weight)
    (e.weight ** 2).sum().backward()
    (t.weight ** 2).sum().backward()
    for name in ("original0", "original1"):
        close(getattr(e.parametrizations.weight, name).grad,
              getattr(t.parametrizations.weight, name).grad)


def test_weight_norm_interface_gradcheck():
    from engine.nn.utils.parametrizations import _weight_norm

    rng = np.random.default_rng(0)
    v = engine.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    for dim, gshape in ((0, (3, 1)), (1, (1, 4))):
        g = engine.tensor(rng.standard_normal(gshape), requires_grad=True)
        assert gradcheck(lambda a, b, d=dim: _weight_norm(a, b, d), (v, g))
        assert gradgradcheck(lambda a, b, d=dim: _weight_norm(a, b, d), (v, g))


def test_weight_norm_loads_old_keys():
    e, t = linear_twins(3, 4)
    with pytest.warns(FutureWarning):
        enn.utils.weight_norm(e)
    old = e.state_dict()
    e2, _ = linear_twins(3, 4)
    EP.weight_norm(e2)
    e2.load_state_dict(old)
    close(e2.parametrizations.weight.original0, old["weight_g"])
    close(e2.weight, e.weight)


def test_spectral_norm_parametrization():
    e, t = linear_twins(3, 5)
    EP.spectral_norm(e)
    TP.spectral_norm(t)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    se, st = e.parametrizations.weight[0], t.parametrizations.weight[0]
    # the draws are the session generator's: give both the same u, v
    se._u.copy_(engine.tensor(st._u.numpy()))
    se._v.copy_(engine.tensor(st._v.numpy()))
    we, wt = e.weight, t.weight  # (training: one power iteration each)
    close(we, wt)
    close(se._u, st._u)
    assert chain(we.grad_fn) == chain(wt.grad_fn)
    we.sum().backward()
    wt.sum().backward()
    close(e.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad)
    e.eval()
    t.eval()
    u = se._u.clone()
    close(e.weight, t.weight)
    close(se._u, u)  # frozen in eval mode
    same_error(lambda: EP.spectral_norm(enn.Linear(3, 4), n_power_iterations=0),
               lambda: TP.spectral_norm(torch.nn.Linear(3, 4), n_power_iterations=0))
    same_error(lambda: EP.spectral_norm(enn.Linear(3, 4), dim=2),
               lambda: TP.spectral_norm(torch.nn.Linear(3, 4), dim=2))


def test_spectral_norm_conv_and_vector():
    e, t = twins(lambda: enn.Conv2d(2, 3, 2), lambda: torch.nn.Conv2d(2, 3, 2))
    EP.spectral_norm(e)
    TP.spectral_norm(t)
    se, st = e.parametrizations.weight[0], t.parametrizations.weight[0]
    se._u.copy_(engine.tensor(st._u.numpy()))
    se._v.copy_(engine.tensor(st._v.numpy()))
    close(e.weight, t.weight)
    e, t = linear_twins(3, 4)
    EP.spectral_norm(e, "bias")
    TP.spectral_norm(t, "bias")
    close(e.bias, t.bias)
    assert list(e.state_dict()) == list(t.state_dict())


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3)])
@pytest.mark.parametrize("omap", ["matrix_exp", "cayley", "householder", None])
def test_orthogonal(shape, omap):
    o, i = shape
    e, t = linear_twins(i, o)
    EP.orthogonal(e, orthogonal_map=omap)
    TP.orthogonal(t, orthogonal_map=omap)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    base_e = e.parametrizations.weight[0].base
    base_t = t.parametrizations.weight[0].base
    close(e.parametrizations.weight.original, t.parametrizations.weight.original)
    if o == i:  # no random completion: the same base
        close(base_e, base_t, 1e-8)
    else:
        base_e.copy_(engine.tensor(base_t.numpy()))
    close(e.weight, t.weight, 1e-8)
    assert chain(e.weight.grad_fn) == chain(t.weight.grad_fn)
    w = e.weight
    k = min(o, i)
    gram = w.mT @ w if o >= i else w @ w.mT
    close(gram, torch.eye(k, dtype=torch.float64), 1e-8)
    # a step away from the origin: the map itself, and its gradient
    rng = np.random.default_rng(3)
    step = rng.standard_normal((o, i)) * 0.3
    with engine.no_grad():
        e.parametrizations.weight.original.add_(engine.tensor(step))
    with torch.no_grad():
        t.parametrizations.weight.original.add_(torch.tensor(step))
    close(e.weight, t.weight, 1e-8)
    (e.weight ** 3).sum().backward()
    (t.weight ** 3).sum().backward()
    close(e.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad,
          1e-7)


@pytest.mark.parametrize("omap", ["householder", "matrix_exp"])
def test_orthogonal_without_trivialization(omap):
    e, t = linear_twins(4, 4)
    EP.orthogonal(e, orthogonal_map=omap, use_trivialization=False)
    TP.orthogonal(t, orthogonal_map=omap, use_trivialization=False)
    assert list(e.state_dict()) == list(t.state_dict())
    close(e.weight, t.weight, 1e-8)
    q = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 4)))[0]
    if omap == "householder":
        e.weight = engine.tensor(q)
        t.weight = torch.tensor(q)
        close(e.weight, t.weight, 1e-8)
    else:
        same_error(lambda: setattr(e, "weight", engine.tensor(q)),
                   lambda: setattr(t, "weight", torch.tensor(q)))


def test_householder_product_gradcheck():
    from engine.nn.utils.parametrizations import householder_product

    rng = np.random.default_rng(0)
    a = engine.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    tau = engine.tensor(rng.standard_normal(3), requires_grad=True)
    ta, tt = torch.tensor(a.detach().numpy()), torch.tensor(tau.detach().numpy())
    close(householder_product(a, tau), torch.linalg.householder_product(ta, tt), 1e-12)
    assert householder_product(a, tau).grad_fn.name() == "LinalgHouseholderProductBackward0"
    assert gradcheck(householder_product, (a, tau))
    assert gradgradcheck(householder_product, (a, tau))
    fixed = tau.detach()
    assert gradgradcheck(lambda x: householder_product(x, fixed), (a,))
    batch = engine.tensor(rng.standard_normal((2, 4, 2)), requires_grad=True)
    taus = engine.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    close(householder_product(batch, taus),
          torch.linalg.householder_product(torch.tensor(batch.detach().numpy()),
                                           torch.tensor(taus.detach().numpy())), 1e-12)
    assert gradcheck(householder_product, (batch, taus))


# ------------------------------------------------------------------ the hook forms

def test_old_weight_norm():
    e, t = linear_twins(3, 4)
    with pytest.warns(FutureWarning, match="deprecated in favor"):
        enn.utils.weight_norm(e)
    with pytest.warns(FutureWarning):
        torch.nn.utils.weight_norm(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    close(e.weight_g, t.weight_g)
    x = np.random.default_rng(0).standard_normal((2, 3))
    ye, yt = e(engine.tensor(x)), t(torch.tensor(x))
    close(ye, yt)
    assert chain(e.weight.grad_fn) == chain(t.weight.grad_fn)
    ye.sum().backward()
    yt.sum().backward()
    close(e.weight_g.grad, t.weight_g.grad)
    close(e.weight_v.grad, t.weight_v.grad)
    same_error(lambda: enn.utils.weight_norm(e), lambda: torch.nn.utils.weight_norm(t))
    enn.utils.remove_weight_norm(e)
    torch.nn.utils.remove_weight_norm(t)
    assert list(e.state_dict()) == list(t.state_dict())
    close(e.weight, t.weight)
    same_error(lambda: enn.utils.remove_weight_norm(e),
               lambda: torch.nn.utils.remove_weight_norm(t))


def test_old_spectral_norm():
    e, t = linear_twins(3, 5)
    enn.utils.spectral_norm(e)
    torch.nn.utils.spectral_norm(t)
    assert list(e.state_dict()) == list(t.state_dict())
    e.weight_u.copy_(engine.tensor(t.weight_u.numpy()))
    e.weight_v.copy_(engine.tensor(t.weight_v.numpy()))
    x = np.random.default_rng(0).standard_normal((2, 3))
    ye, yt = e(engine.tensor(x)), t(torch.tensor(x))
    close(ye, yt)
    close(e.weight_u, t.weight_u)
    assert chain(e.weight.grad_fn) == chain(t.weight.grad_fn)
    ye.sum().backward()
    yt.sum().backward()
    close(e.weight_orig.grad, t.weight_orig.grad)
    e.eval()
    t.eval()
    close(e(engine.tensor(x)), t(torch.tensor(x)))
    same_error(lambda: enn.utils.spectral_norm(e), lambda: torch.nn.utils.spectral_norm(t))
    enn.utils.remove_spectral_norm(e)
    torch.nn.utils.remove_spectral_norm(t)
    assert list(e.state_dict()) == list(t.state_dict())
    close(e.weight, t.weight)


def test_buffer_parametrization_and_transfer():
    e, t = twins(lambda: enn.BatchNorm1d(3), lambda: torch.nn.BatchNorm1d(3))
    EPZ.register_parametrization(e, "running_var", EScale())
    TPZ.register_parametrization(t, "running_var", TScale())
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    close(e.running_var, t.running_var)
    e1, t1 = linear_twins(4, 4)
    e2, t2 = linear_twins(4, 4)
    EPZ.register_parametrization(e1, "weight", ESym())
    TPZ.register_parametrization(t1, "weight", TSym())
    EPZ.transfer_parametrizations_and_params(e1, e2)
    TPZ.transfer_parametrizations_and_params(t1, t2)
    assert repr(e2) == repr(t2)
    assert list(e2.state_dict()) == list(t2.state_dict())
    assert e2.parametrizations.weight.original is e1.parametrizations.weight.original
    close(e2.weight, t2.weight)
