"""Pinned regressions of autograd mechanics, each run on the engine and on torch 2.13 side by
side: ``copy.copy`` / ``copy.deepcopy`` of tensors, a view's ``grad_fn`` read after its base was
written in place, nodes recorded by ``create_graph=True``, and the dtype rules of in-place ops
and ``index_put``."""

import copy

import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402


def _observe(x):
    if isinstance(x, (list, tuple)):
        return [_observe(i) for i in x]
    if x is None or isinstance(x, (int, float, str, bool)):
        return x
    fn = x.grad_fn
    return (x.tolist(), str(x.dtype).replace("torch.", ""), tuple(x.shape), x.requires_grad,
            x.is_leaf, None if fn is None else fn.name().replace("torch::autograd::", ""),
            x._version)


def _run(program, T):
    try:
        return _observe(program(T))
    except Exception as e:  # noqa: BLE001 — the class and text are what is compared
        cls = next(c for c in type(e).__mro__ if c.__module__ == "builtins")
        return ("raised", cls.__name__, str(e))


def _same(program):
    got, want = _run(program, engine), _run(program, torch)
    assert got == want


# ----------------------------------------------------------------- copy / deepcopy
def _leaf(T):
    a = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a.grad = T.tensor([5.0, 6.0, 7.0])
    return a


def _copy_of_leaf(T):
    a = _leaf(T)
    b = copy.copy(a)
    b.data[0] = 9.0  # shares storage with a
    return [a.detach(), b, b.grad, b._version]


def _copy_of_non_leaf(T):
    y = _leaf(T) * 2
    c = copy.copy(y)
    return [c, c.is_leaf]


def _deepcopy_of_leaf(T):
    a = _leaf(T)
    d = copy.deepcopy(a)
    d.data[0] = 9.0  # not a's storage
    return [a.detach(), d, d.grad, d.grad is a.grad]


def _deepcopy_of_non_leaf(T):
    return copy.deepcopy(_leaf(T) * 2)


def _deepcopy_of_view_of_requires_grad(T):
    return copy.deepcopy(_leaf(T)[1:])


def _deepcopy_keeps_shared_storage(T):
    base = T.arange(6.0)
    view = base[2:]
    c_base, c_view = copy.deepcopy([base, view])
    c_base[3] = 100.0
    d_view, d_base = copy.deepcopy([view, base])
    d_base[4] = -1.0
    return [base, c_base, c_view, d_view, d_base, c_view._base is None]


def _deepcopy_of_expanded(T):
    e = T.arange(3.0)[None].expand(2, 3)
    f = copy.deepcopy(e)
    f[0, 1] = 7.0  # one element, seen in both rows: the copy keeps the expanded layout
    return [e, f]


def _deepcopy_keeps_dtype_and_flags(T):
    h = T.ones(2, dtype=T.float16)
    i = T.arange(3)
    with T.no_grad():
        u = _leaf(T) * 2
    return [copy.deepcopy(h), copy.deepcopy(i), copy.deepcopy(u)]


@pytest.mark.parametrize("program", [
    _copy_of_leaf, _copy_of_non_leaf, _deepcopy_of_leaf, _deepcopy_of_non_leaf,
    _deepcopy_of_view_of_requires_grad, _deepcopy_keeps_shared_storage, _deepcopy_of_expanded,
    _deepcopy_keeps_dtype_and_flags,
], ids=lambda f: f.__name__.strip("_"))
def test_copy(program):
    _same(program)


def test_deepcopy_keeps_parameters_and_memo():
    for T in (engine, torch):
        p = T.nn.Parameter(T.ones(2))
        q, r = copy.deepcopy([p, p])
        assert isinstance(q, T.nn.Parameter) and q is r and q is not p
        assert isinstance(copy.copy(p), T.nn.Parameter)
        lin = T.nn.Linear(2, 3)
        lin2 = copy.deepcopy(lin)
        assert lin2.weight is not lin.weight and isinstance(lin2.weight, T.nn.Parameter)
        assert lin2.weight.tolist() == lin.weight.tolist() and lin2.weight.requires_grad
