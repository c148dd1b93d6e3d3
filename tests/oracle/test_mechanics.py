"""Pinned regressions of autograd mechanics, each run on the engine and on torch 2.13 side by
side: ``copy.copy`` / ``copy.deepcopy`` of tensors, a view's ``grad_fn`` read after its base was
written in place, nodes recorded by ``create_graph=True``, and the dtype rules of in-place ops
and ``index_put``."""

import copy
import math

import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402

from .backends import observed  # noqa: E402


def _observe(x):
    if isinstance(x, (list, tuple)):
        return [_observe(i) for i in x]
    if x is None or isinstance(x, (int, float, str, bool)):
        return x
    fn = x.grad_fn
    return (_round(x.tolist()), str(x.dtype).replace("torch.", ""), tuple(x.shape), x.requires_grad,
            x.is_leaf, None if fn is None else fn.name().replace("torch::autograd::", ""),
            x._version)


def _round(v):
    """Floats to 10 significant digits (formulas may round differently in the last bits)."""
    if isinstance(v, list):
        return [_round(i) for i in v]
    if isinstance(v, float):
        return "nan" if v != v else float(f"{v:.10g}")
    return v


def _run(program, T):
    return observed(program, T, _observe)


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


# ----------------------------------------------------------------- views after their base changed
def _base_a(T):
    return T.tensor([[1.0, 2, 3], [4, 5, 6]], dtype=T.float64, requires_grad=True)


def _grad_fn_read_after_base_write(T):
    y = _base_a(T) * 2
    v, w, s = y[1:], y.T, y[0]
    y.mul_(3)
    return [v, w, s, v.is_leaf]


def _grad_fn_read_in_no_grad(T):
    y = _base_a(T) * 2
    v = y[:, 1:]
    y.add_(1)
    with T.no_grad():
        name = v.grad_fn.name()
    return [name, v]


def _view_of_a_view_written(T):
    y = _base_a(T) * 2
    v = y[1:]
    v2 = v[:, 1:]
    v.mul_(2)
    return [y, v, v2]


def _multi_output_view_read_after_base_write(T):
    y = _base_a(T) * 2
    u = y.unbind(0)
    y.mul_(2)
    return [u[0].requires_grad, repr(u[0]).replace("engine.", "torch."), u[0].grad_fn]


def _plain_base_copied_from_a_leaf(T):
    a = _base_a(T)
    b = T.zeros(2, 3, dtype=T.float64)
    v, w = b[1:], b.T
    b.copy_(a)
    out = [b, v.requires_grad, v, w]
    (v * a[1:]).sum().backward()  # v's path counts: a silent wrong gradient before
    return out + [a.grad.clone()]


def _plain_base_written_through_a_view(T):
    a = _base_a(T)
    b = T.zeros(2, 3, dtype=T.float64)
    v, w = b[1:], b[:, 0]
    v.copy_(a[:1])
    (w * 3).sum().backward()
    return [b, v, w, a.grad.clone()]


def _plain_base_setitem(T):
    a = _base_a(T)
    b = T.zeros(2, 3, dtype=T.float64)
    row = b[0]
    b[0] = a[1]
    (row ** 2).sum().backward()
    return [b, row, a.grad.clone()]


def _copy_into_integer_and_broadcast(T):
    a = _base_a(T)
    i = T.zeros(2, 3, dtype=T.int64).copy_(a)
    h = T.zeros(2, 2, 3, dtype=T.float16).copy_(a[0])
    h.sum().backward()
    return [i, h, h.grad_fn.next_functions[0][0], a.grad.clone()]


def _copy_shape_errors(T):
    out = []
    for dst, src in (((3,), (2,)), ((3,), (1, 3))):
        try:
            T.zeros(*dst).copy_(T.ones(*src))
        except RuntimeError as e:
            out.append(str(e))
    return out


@pytest.mark.parametrize("program", [
    _grad_fn_read_after_base_write, _grad_fn_read_in_no_grad, _view_of_a_view_written,
    _multi_output_view_read_after_base_write, _plain_base_copied_from_a_leaf,
    _plain_base_written_through_a_view, _plain_base_setitem, _copy_into_integer_and_broadcast,
    _copy_shape_errors,
], ids=lambda f: f.__name__.strip("_"))
def test_views_after_base_write(program):
    _same(program)


# ----------------------------------------------------------------- dtype rules of in-place ops
def _f(T, dtype="float32", rg=False):
    return T.tensor([1.5, 2.0, 3.0], dtype=getattr(T, dtype), requires_grad=rg)


DTYPE_CASES = {
    "float32 mul_ float64": lambda T: _f(T).mul_(_f(T, "float64")),
    "float16 += float64": lambda T: _f(T, "float16").__iadd__(_f(T, "float64") / 7),
    "int32 add_ int64": lambda T: T.tensor([1, 2], dtype=T.int32).add_(T.tensor([1, 2])),
    "int64 mul_ float": lambda T: T.tensor([1, 2, 3]).mul_(_f(T)),
    "int64 add_ 1.5": lambda T: T.tensor([1, 2, 3]).add_(1.5),
    "bool add_ 1": lambda T: T.tensor([True, False]).add_(1),
    "bool mul_ int": lambda T: T.tensor([True, False]).mul_(T.tensor([1, 2])),
    "int div_": lambda T: T.tensor([1, 2]).div_(T.tensor([1, 2])),
    "int div_ floor": lambda T: T.tensor([1, 2]).div_(2, rounding_mode="floor"),
    "addcmul_ float64": lambda T: _f(T).addcmul_(_f(T, "float64"), _f(T)),
    "graph mul_ float64": lambda T: (_f(T, rg=True) * 2).mul_(_f(T, "float64", True)),
    "float64 masked = tensor(-4)": lambda T: _setitem(T, "float64", lambda y: y > 1, T.tensor(-4)),
    "int64 masked = tensor(2.5)": lambda T: _setitem(T, "int64", lambda y: y > 1, T.tensor(2.5)),
    "float64 masked 2-d = [-4.]": lambda T: _setitem(
        T, "float64", lambda y: (slice(None), y[0] > 1), T.tensor([-4.0]), rows=True),
    "float64 index = long": lambda T: _setitem(T, "float64", lambda y: T.tensor([0, 2]),
                                               T.tensor([-4, 5])),
    "float64 masked = float32 vector": lambda T: _setitem(T, "float64", lambda y: y > 1,
                                                          T.tensor([1.0, 2.0])),
    "index_put_ mask": lambda T: _f(T, "float64").index_put_((_f(T) > 1,), T.tensor(-4)),
    "index_put_ long": lambda T: _f(T).index_put_((T.tensor([0]),), _f(T, "float64")[0]),
    "index_put_ accumulate": lambda T: _f(T).index_put_((_f(T) > 1,), _f(T, "float64")[0],
                                                        accumulate=True),
}


def _setitem(T, dtype, key, value, rows=False):
    y = T.tensor([[1.0, 2.0, 3.0]] if rows else [1.0, 2.0, 3.0]).to(getattr(T, dtype))
    y[key(y)] = value
    return y


def _mixed_dtype_gradient(T):
    a = _f(T, rg=True)
    y = (a * 2).half()
    y.add_(a.double())
    z = (a * 1).double()
    z[z > 1.6] = a[0]
    (y.sum() + z.sum()).backward()
    return [y, z, a.grad.clone()]


@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_inplace_dtype_rules(name):
    _same(DTYPE_CASES[name])


def test_inplace_mixed_dtype_gradient():
    _same(_mixed_dtype_gradient)


# ----------------------------------------------------------------- nodes made by create_graph
def _w(T):
    return T.tensor([0.5, -1.0, 2.0, -0.25], dtype=T.float64)


DOUBLE_BACKWARD = {
    "relu": lambda T, F, x: F.relu(x), "relu6": lambda T, F, x: F.relu6(x * 4),
    "leaky_relu": lambda T, F, x: F.leaky_relu(x, 0.1),
    "threshold": lambda T, F, x: F.threshold(x, 0.5, 2.0),
    "hardshrink": lambda T, F, x: F.hardshrink(x), "softshrink": lambda T, F, x: F.softshrink(x),
    "hardtanh": lambda T, F, x: F.hardtanh(x), "hardtanh_": lambda T, F, x: F.hardtanh_(x * 1),
    "rrelu": lambda T, F, x: F.rrelu(x), "tanh": lambda T, F, x: x.tanh(),
    "sigmoid": lambda T, F, x: x.sigmoid(), "elu": lambda T, F, x: F.elu(x),
    "selu": lambda T, F, x: F.selu(x), "celu": lambda T, F, x: F.celu(x, 0.5),
    "softplus": lambda T, F, x: F.softplus(x), "logsigmoid": lambda T, F, x: F.logsigmoid(x),
    "gelu": lambda T, F, x: F.gelu(x), "gelu tanh": lambda T, F, x: F.gelu(x, approximate="tanh"),
    "hardswish": lambda T, F, x: F.hardswish(x),
    "mse_loss": lambda T, F, x: F.mse_loss(x, _w(T)) * _w(T)[0],
    "l1_loss": lambda T, F, x: F.l1_loss(x, _w(T)),
    "huber_loss": lambda T, F, x: F.huber_loss(x, _w(T), delta=0.5),
    "smooth_l1_loss": lambda T, F, x: F.smooth_l1_loss(x, _w(T), reduction="sum"),
    "log_softmax": lambda T, F, x: F.log_softmax(x, 0), "softmax": lambda T, F, x: F.softmax(x, 0),
    "atan2": lambda T, F, x: T.atan2(x, T.tensor(2.0, dtype=T.float64)),
    "atan2 origin": lambda T, F, x: T.atan2(x * 0, x * 0),
    "mul 0-d": lambda T, F, x: x * T.tensor(2.0, dtype=T.float64, requires_grad=True),
    "normalize": lambda T, F, x: F.normalize(x, dim=0),
}


def _double_backward(T, f):
    x = T.tensor([-1.5, 0.3, 2.0, 0.0], dtype=T.float64, requires_grad=True)
    out = f(T, T.nn.functional, x)
    g, = T.autograd.grad((out * (_w(T) if out.ndim else 1.0)).sum(), x, create_graph=True)
    res = [g]
    if g.requires_grad:
        (g * _w(T)).sum().backward()
        res.append(x.grad.clone())
    return res


@pytest.mark.parametrize("name", list(DOUBLE_BACKWARD))
def test_double_backward_nodes(name):
    _same(lambda T: _double_backward(T, DOUBLE_BACKWARD[name]))


def test_hardsigmoid_double_backward_is_not_implemented():
    def program(T):
        x = T.tensor([-1.5, 0.3, 2.0], dtype=T.float64, requires_grad=True)
        g, = T.autograd.grad(T.nn.functional.hardsigmoid(x).sum(), x, create_graph=True)
        assert g.requires_grad and g.grad_fn.name().endswith("NotImplemented")
        g.sum().backward()

    _same(program)


# ----------------------------------------------------------------- node names
def _y(T):
    return T.tensor([[1.0, 2, 3], [4, 5, 6]], requires_grad=True) * 1


NODE_NAMES = {
    "reshape contiguous": lambda T: _y(T).reshape(6),
    "reshape transposed (copy)": lambda T: _y(T).T.reshape(6),
    "reshape transposed (view)": lambda T: _y(T).T.reshape(3, 2),
    "reshape sliced (view)": lambda T: _y(T)[:, 1:].reshape(2, 2),
    "reshape unsqueezed": lambda T: _y(T).unsqueeze(0).reshape(6),
    "flatten transposed": lambda T: _y(T).T.flatten(),
    "flatten sliced": lambda T: _y(T)[:, 1:, None].flatten(1),
    "unflatten transposed": lambda T: _y(T).T.unflatten(0, (3, 1)),
    "view": lambda T: _y(T).view(6),
    "eq_ number": lambda T: _y(T).eq_(2.0),
    "lt_ tensor": lambda T: _y(T).lt_(T.tensor([2.0, 3.0, 1.0], requires_grad=True)),
    "ge_ into a plain int": lambda T: T.tensor([2, -1, 0]).ge_(T.tensor(-1.5, requires_grad=True)),
    "ne_ through a view": lambda T: _eq_view(T),
}


def _eq_view(T):
    y = _y(T)
    y[0].ne_(2.0)
    (y * 3).sum().backward()
    return y


@pytest.mark.parametrize("name", list(NODE_NAMES))
def test_node_names(name):
    _same(NODE_NAMES[name])


def _first_order(T, f, *shapes):
    xs = [T.tensor(s, dtype=T.float64, requires_grad=True) for s in shapes]
    gs = T.autograd.grad(f(T, *xs), xs, create_graph=True, allow_unused=True)
    return list(gs)


FIRST_ORDER = {
    "nll_loss": lambda T, x: T.nn.functional.nll_loss(x, T.tensor([0, 1])),
    "nll_loss sum": lambda T, x: T.nn.functional.nll_loss(x, T.tensor([1, 1]), reduction="sum"),
    "cross_entropy": lambda T, x: T.nn.functional.cross_entropy(x, T.tensor([0, 1])),
    "prod": lambda T, x: x.prod(),
    "prod 0-d": lambda T, x: x.sum().prod() * 2,
    "addcdiv": lambda T, x: T.addcdiv(x, x, x + 3, value=0.5).sum(),
}


@pytest.mark.parametrize("name", list(FIRST_ORDER))
def test_first_order_gradient_nodes(name):
    _same(lambda T: _first_order(T, FIRST_ORDER[name], [[0.2, -0.3], [0.1, 0.9]]))


def _logical_into(T, op):
    x = T.tensor([1.0, 0.0], requires_grad=True)
    r = getattr(x, op)(T.tensor([True, True])) if op != "logical_not_" else x.logical_not_()
    y = T.tensor([1.0, 0.0], requires_grad=True) * 2
    v = y[1:]
    getattr(v, op)(T.tensor([True])) if op != "logical_not_" else v.logical_not_()
    return [r, r.is_leaf, y, v]


@pytest.mark.parametrize("op", ["logical_and_", "logical_or_", "logical_xor_", "logical_not_"])
def test_logical_inplace_skips_autograd_checks(op):
    _same(lambda T: _logical_into(T, op))


def _roll_flat(T):
    x = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    r = T.roll(x.T, -3)
    r.backward(T.tensor([[1.0, 2.0], [3.0, 4.0]]))
    return [r, x.grad.clone()]


def test_roll_without_dims_is_one_node():
    _same(_roll_flat)


def _inplace_activation_nodes(T):
    F = T.nn.functional
    a = T.tensor([1.0, -2.0, 3.0], dtype=T.float64, requires_grad=True)
    outs = [F.hardtanh_(a * 1), F.hardtanh(a * 1, inplace=True), F.relu6(a * 1, inplace=True),
            F.threshold_(a * 1, 0.5, 1.0), F.leaky_relu(a * 1, inplace=True),
            F.elu(a * 1, inplace=True), F.relu_(a * 1)]
    sum(o.sum() for o in outs).backward()
    return outs + [a.grad.clone()]


def test_inplace_activation_nodes():
    _same(_inplace_activation_nodes)


# ----------------------------------------------------------------- signs in double backward
def _signed(x):
    """Values with the sign of every zero and the place of every NaN (``-0.`` vs ``0.``)."""
    if isinstance(x, (list, tuple)):
        return [_signed(i) for i in x]
    if x is None:
        return None
    x_ = x.detach()
    if getattr(x_, "_is_zerotensor", lambda: False)():  # what some torch formulas return
        x_ = x_.new_zeros(x_.shape)
    vals = [("nan" if v != v else "-0" if v == 0 and str(v).startswith("-") else
             float(f"{v:.10g}")) for v in x_.reshape(-1).tolist()]
    fn = x.grad_fn
    return (vals, tuple(x.shape), x.requires_grad,
            None if fn is None else fn.name().replace("torch::autograd::", ""))


_X = [-1.5, 0.3, 2.0, 0.0, -0.0, -4.0, 5.0, -0.4]
_W1 = [0.0, -0.5, 0.0, 1.0, 0.0, 0.0, 2.0, -1.0]   # zeros: first-order gradients of +-0
_W2 = [-1.0, 0.0, 2.0, -0.5, 1.5, -2.0, 0.0, 0.25]


def _signed_double_backward(T, f, nan: bool):
    x = T.tensor(_X[:-1] + [float("nan")] if nan else _X, dtype=T.float64, requires_grad=True)
    out = f(T, T.nn.functional, x)
    w1, w2 = (T.tensor(w, dtype=T.float64) for w in (_W1, _W2))
    g, = T.autograd.grad((out * (w1[:out.shape[-1]] if out.ndim else 1.0)).sum(), x,
                         create_graph=True)
    res = [out, g]
    if g.requires_grad:
        (g * w2).sum().backward()
        res.append(x.grad)
    return _signed(res)


def _t(T):
    return T.tensor([0.5, -1.0, 0.0, -0.0, 2.0, -0.25, 0.0, 1.0], dtype=T.float64)


SIGNED_DOUBLE_BACKWARD = {
    "sigmoid": lambda T, F, x: x.sigmoid(), "logsigmoid": lambda T, F, x: F.logsigmoid(x),
    "elu": lambda T, F, x: F.elu(x), "selu": lambda T, F, x: F.selu(x),
    "celu": lambda T, F, x: F.celu(x, 0.5),
    "gelu": lambda T, F, x: F.gelu(x), "gelu tanh": lambda T, F, x: F.gelu(x, approximate="tanh"),
    "hardswish": lambda T, F, x: F.hardswish(x), "softsign": lambda T, F, x: F.softsign(x),
    "glu": lambda T, F, x: F.glu(x),
    "pad reflect": lambda T, F, x: F.pad(x[None, :5], (2, 1), "reflect"),
    "pad replicate": lambda T, F, x: F.pad(x[None, :6], (1, 1), "replicate"),
    "log_softmax": lambda T, F, x: F.log_softmax(x, 0),
    "mse_loss": lambda T, F, x: F.mse_loss(x, _t(T), reduction="none"),
    "mse_loss mean": lambda T, F, x: F.mse_loss(x, _t(T)),
    "mse_loss weighted": lambda T, F, x: F.mse_loss(x, _t(T), weight=_t(T).abs() + 0.5),
    "mse_loss weighted none": lambda T, F, x: F.mse_loss(_t(T), x, reduction="none",
                                                         weight=_t(T).abs()),
    "l1_loss": lambda T, F, x: F.l1_loss(x, _t(T), reduction="none"),
    "huber_loss": lambda T, F, x: F.huber_loss(x, _t(T), reduction="none", delta=0.5),
    "smooth_l1_loss": lambda T, F, x: F.smooth_l1_loss(x, _t(T), reduction="none", beta=0.5),
    "norm": lambda T, F, x: x.norm(), "norm 1": lambda T, F, x: x.norm(1),
    "norm 3": lambda T, F, x: x.norm(3),
    "vector_norm": lambda T, F, x: T.linalg.vector_norm(x),
    "vector_norm inf": lambda T, F, x: T.linalg.vector_norm(x, float("inf")),
    "cumsum": lambda T, F, x: x.cumsum(0), "pad": lambda T, F, x: F.pad(x, (1, -2)),
}


@pytest.mark.parametrize("nan", [False, True], ids=["finite", "nan"])
@pytest.mark.parametrize("name", list(SIGNED_DOUBLE_BACKWARD))
def test_signed_double_backward(name, nan):
    got, want = (_signed_double_backward(T, SIGNED_DOUBLE_BACKWARD[name], nan)
                 for T in (engine, torch))
    assert got == want


# ----------------------------------------------------------------- ties and NaN in selections
_NAN = float("nan")
SELECTIONS = {
    "kthvalue ties": lambda T: T.kthvalue(T.tensor([[0, 0, -1, 0, -1], [1, -1, 0, 0, 0],
                                                    [0, 0, 1, 0, 0]]), 2),
    "kthvalue nan": lambda T: T.kthvalue(T.tensor([[_NAN, 1.0, 1.0, _NAN, 0.0, 1.0]]), 3),
    "mode nan": lambda T: T.mode(T.tensor([[_NAN, -0.3, -0.5], [-5.0, 0.4, 1.0],
                                           [_NAN, 0.4, -0.5]]), 0),
    "mode nan first": lambda T: T.mode(T.tensor([[_NAN, 1.0], [1.0, _NAN], [_NAN, 1.0]]), 1),
    "cumsum -0.": lambda T: T.tensor([[-0.0, -0.0], [1.0, -0.0]]).cumsum(1),
}


def _ce_grads(T, target, **kw):
    x = T.tensor([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5], [0.25, 0.5, -2.0]], dtype=T.float64,
                 requires_grad=True)
    loss = T.nn.functional.cross_entropy(x, target(T), **kw)
    g, = T.autograd.grad(loss, x, T.zeros_like(loss), create_graph=True)
    return [loss, g]


CLASS_LOSSES = {
    "cross_entropy ignored row": lambda T: _ce_grads(T, lambda T: T.tensor([0, -100, 2]),
                                                     reduction="none"),
    "cross_entropy probabilities": lambda T: _ce_grads(
        T, lambda T: T.tensor([[0.2, 0.3, 0.5]] * 3, dtype=T.float64)),
    "cross_entropy smoothed, NaN weight": lambda T: _ce_grads(
        T, lambda T: T.tensor([0, -100, 2]), reduction="none", label_smoothing=0.2,
        weight=T.tensor([_NAN, 1.0, 2.0], dtype=T.float64)),
}


@pytest.mark.parametrize("name", list(CLASS_LOSSES))
def test_class_losses_as_torch(name):
    assert _signed(CLASS_LOSSES[name](engine)) == _signed(CLASS_LOSSES[name](torch))


@pytest.mark.parametrize("name", list(SELECTIONS))
def test_selections_as_torch(name):
    got, want = (SELECTIONS[name](T) for T in (engine, torch))
    assert _signed(list(got) if isinstance(got, tuple) else got) == \
        _signed(list(want) if isinstance(want, tuple) else want)


# ----------------------------------------------------------------- session 4: CopySlices & co
def _signs(t):
    """The values with the sign of every zero spelled out (``-0.`` and ``0.`` differ)."""
    return [("-0" if math.copysign(1.0, v) < 0 else "+0") if v == 0 else
            _round(v) for v in t.detach().reshape(-1).tolist()]


def _inplace_on_view_zero_signs(T, op, view):
    x = T.tensor([[1.0, -0.0, 0.5], [0.0, -2.0, 0.25]], dtype=T.float64, requires_grad=True)
    y = x * 2
    v = {"ellipsis": lambda: y[...], "slice": lambda: y[:, 1:], "T": lambda: y.T,
         "view": lambda: y.view(3, 2)}[view]()
    getattr(v, op)()
    w = T.tensor([1.0, 0.0, -1.0, 0.0, 2.0, 0.0], dtype=T.float64)
    ((v * w[:v.numel()].reshape(v.shape)).sum() + (y * -w.reshape(2, 3)).sum()).backward()
    return [_signs(x.grad), y.grad_fn.name(), v.grad_fn.name()]


@pytest.mark.parametrize("view", ["ellipsis", "slice", "T", "view"])
@pytest.mark.parametrize("op", ["neg_", "tanh_", "sqrt_", "cos_", "atan_"])
def test_inplace_on_view_keeps_gradient_zero_signs(op, view):
    # CopySlices writes the gradient of the view's old values into the base's gradient (it
    # does not add it to zeros), and a regenerated view's AsStridedBackward0 copies too
    got = _inplace_on_view_zero_signs(engine, op, view)
    want = _inplace_on_view_zero_signs(torch, op, view)
    assert got == want


def _copy_slices_second_order(T):
    x = T.tensor([0.5, -1.0, 2.0], dtype=T.float64, requires_grad=True)
    y = x.clone()
    y[1:].mul_(x[1:])
    (g,) = T.autograd.grad(y.sum(), x, create_graph=True)
    g.sum().backward()
    return [g, x.grad.clone(), y.grad_fn.next_functions[1][0].name()]


def test_copy_slices_gradient_under_create_graph():
    _same(_copy_slices_second_order)


def _fill_expanded_view(T, op):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    v = y[0:1].expand(3)
    getattr(v, op)(*(() if op == "zero_" else (3.0,)))
    out = [y.detach().clone(), v.grad_fn.name()]
    try:
        y.sum().backward()
    except RuntimeError as e:
        out.append(str(e))
    z = T.zeros(2)
    getattr(z[0:1].expand(3), op)(*(() if op == "zero_" else (5.0,)))
    return out + [z]


@pytest.mark.parametrize("op", ["fill_", "zero_"])
def test_fill_writes_an_expanded_view_and_backward_refuses(op):
    _same(lambda T: _fill_expanded_view(T, op))


def _setitem_nodes(T):
    x = T.tensor(1.5, requires_grad=True)
    w = T.tensor(3.0, requires_grad=True)
    outs = []
    for key, value in (((), float("nan")), ((), T.tensor(2.0)), ((...), 2.0),
                       ((...), T.tensor([2.0]))):
        for shape in ((), (1,), (3,)):
            y = (x * T.ones(shape)).clone()
            if shape == () and key == (...) and isinstance(value, float):
                key = ()
            y[key] = value
            outs.append(y)
    y = T.ones(3, requires_grad=True).clone()
    y[...] = w
    y.sum().backward()
    return outs + [y, w.grad.clone()]


def test_setitem_is_copy_or_fill_as_torch_decides():
    _same(_setitem_nodes)


def _broadcast_identity(T):
    a = T.tensor([1.0, 2.0], requires_grad=True)
    b = T.tensor([[1.0], [2.0]])
    c = T.ones(2, 2)
    ra, rb, rc = T.broadcast_tensors(a, b, c)
    return [ra, rb, rc, rc is c, ra.is_leaf, rc.is_leaf]


def test_broadcast_tensors_returns_inputs_of_the_shape_itself():
    _same(_broadcast_identity)


@pytest.mark.parametrize("call", ["torch.flip(x, -1)", "torch.flip(x, 0, 1)", "x.flip(-1)",
                                  "x.flip(0, 1)", "x.flip([0, 1])", "torch.flip(x, [0])",
                                  "x.flip(dims=1)", "x.flip()", "x.flip((0,), 1)",
                                  "torch.true_divide(x, 2, rounding_mode='floor')",
                                  "torch.true_divide(x, 2)", "x.true_divide(x)"])
def test_flip_and_true_divide_arguments(call):
    def run(T):
        x = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        return eval(call, {"torch": T, "x": x})  # noqa: S307 — fixed test expressions

    _same(run)


def _div_second_order_at_inf(T):
    a = T.tensor([0.5, -1.0], requires_grad=True)
    b = T.tensor([-float("inf"), 2.0], requires_grad=True)
    (ga, gb) = T.autograd.grad((a / b).sum(), (a, b), create_graph=True)
    gb.sum().backward()
    return [ga, gb, a.grad.clone(), b.grad.clone()]


def test_div_gradient_formula_is_torchs():
    _same(_div_second_order_at_inf)


def _einsum_chain(T, equation, shapes, dtype):
    def chain(fn):
        if fn is None:
            return None
        name = fn.name().replace("torch::autograd::", "")
        kids = [chain(f) for f, _ in fn.next_functions if f is not None]
        return name if name == "AccumulateGrad" else [name] + kids

    floating = dtype == "float64"
    ops = [(T.arange(int(math.prod(s)), dtype=T.float64).reshape(s) - 1.5).to(
        getattr(T, dtype)).requires_grad_(floating) for s in shapes]
    r = T.einsum(equation, *ops)
    out = [r, chain(r.grad_fn)]
    if floating:
        gs = T.autograd.grad(r.sum(), ops, create_graph=True)
        out += [list(gs)]
    return out


@pytest.mark.parametrize("equation,shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk", [(2, 2, 3), (2, 3, 2)]), ("ii->i", [(3, 3)]),
    ("ij->", [(2, 3)]), ("i,j->ij", [(3,), (2,)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]), ("ij,ij,ij->i", [(2, 3)] * 3),
    ("iij,jk->ik", [(2, 2, 3), (3, 4)]), ("ij,jk->ik", [(2, 1), (3, 4)]),
    ("ijk,jl->il", [(2, 3, 4), (3, 5)]), ("ij,ab->", [(2, 3), (4, 5)]), ("aB", [(2, 3)])])
@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_einsum_records_torchs_chain_of_ops(equation, shapes, dtype):
    _same(lambda T: _einsum_chain(T, equation, shapes, dtype))


def _logit_eps_create_graph(T):
    x = T.tensor([float("nan"), 0.05, 0.5, 2.0], requires_grad=True)
    (g,) = T.autograd.grad(x.logit(eps=0.1).sum(), x, create_graph=True)
    (h,) = T.autograd.grad(x.logit(eps=0.1).sum(), x)
    return [g, h]


def test_logit_eps_gradient_at_nan_as_torch():
    _same(_logit_eps_create_graph)


def _reshape_copy_nodes(T):
    x = T.ones(2, 3, 4, requires_grad=True)
    r = x.permute(1, 0, 2).reshape(6, 4)
    return [r, r.grad_fn.next_functions[0][0].name()]


def test_reshape_that_copies_is_clone_then_unsafe_view():
    _same(_reshape_copy_nodes)


def _zero_ties(T):
    a = T.tensor([-0.0, 0.0, -0.0, 0.0], dtype=T.float64)
    b = T.tensor([0.0, -0.0, -0.0, 0.0], dtype=T.float64)
    outs = [T.maximum(a, b), T.minimum(a, b), T.max(a, b), T.min(a, b), T.clamp_min(a, b),
            T.clamp_max(a, b), T.clamp(a, b, b), T.clamp(a, -0.0, 0.0), T.clamp(a, 0.0, -0.0),
            T.clamp_min(a, 0.0), T.clamp_max(a, -0.0), a.clone().clamp_min_(b),
            T.clamp(T.tensor(-0.0), 0.0)]
    return [_signs(o) for o in outs]


def test_max_min_clamp_keep_the_first_operand_on_ties():
    # torch's scalar loop (small tensors); its SIMD loop differs: docs/oracle.md
    _same(_zero_ties)


def _cumprod_create_graph(T, xs, inplace):
    x = T.tensor(xs, dtype=T.float64, requires_grad=True)
    v = x.clone()
    w = T.tensor([0.5, -1.0, 2.0, 0.25, -0.5, 1.5][:v.numel()], dtype=T.float64)
    y = v.cumprod_(0) if inplace else T.cumprod(v, 0)
    (g,) = T.autograd.grad((y * w).sum(), x, create_graph=True)
    (g * T.arange(1.0, x.numel() + 1, dtype=T.float64)).sum().backward()
    return [_signs(g), g.grad_fn.name(), _signs(x.grad)]


@pytest.mark.parametrize("xs", [[2.0, 3.0, 0.0, 0.0, 5.0], [0.0, -2.0, 3.0],
                                [float("inf"), float("inf"), 0.0, 0.0, -float("inf")],
                                [1.0, -0.0, 2.0, 0.0, 3.0, 4.0]])
@pytest.mark.parametrize("inplace", [False, True])
def test_cumprod_gradient_with_zeros_under_create_graph(xs, inplace):
    # torch writes it slice by slice (CopySlices); values and signs of zero as torch's
    got = _cumprod_create_graph(engine, xs, inplace)
    want = _cumprod_create_graph(torch, xs, inplace)
    assert got == want


def _scans_of_zeros(T):
    x = T.tensor([[-0.0, 1.0], [-0.0, -0.0]], requires_grad=True)
    c = x.cumsum(0)
    b = T.tensor(False)
    b.cumprod_(0)
    return [_signs(c), _signs(T.tensor(-0.0).cumsum(0)), b, b._version]


def test_cumsum_starts_from_plus_zero_and_0d_bool_scans():
    _same(_scans_of_zeros)


def _hypot_mixed_second_order(T):
    x1 = T.tensor([[1.4111328125, 0.396484375, 0.23876953125], [0.050323486328125, -1.546875,
                   0.86474609375], [-0.06219482421875, -0.556640625, 0.9521484375]],
                  dtype=T.float16, requires_grad=True)
    x4 = T.tensor([[-1.6650532212514273, 1.991054723691906, 1.3293844980028156],
                   [0.2701592525937784, 0.4373605481804139, -1.972293681942927],
                   [-1.3403111458944172, -0.1521683618645433, 0.26801446490917025]],
                  dtype=T.float64, requires_grad=True)
    v2 = x1 * 2
    v3 = v2.transpose(0, 1)
    v3.hypot_(x4)
    w = T.tensor([[0.25, -1.5, 0.75], [1.0, 0.5, -0.25], [-2.0, 1.25, 0.5]], dtype=T.float16)
    loss = (v3 * w).sum() + (v2 * w.T).sum()
    g1, g4 = T.autograd.grad(loss, (x1, x4), create_graph=True)
    ((g1 * w).sum() + (g4 * w.double().T).sum()).backward()
    return [g1, g4, x1.grad.clone(), x4.grad.clone()]


def test_hypot_inplace_mixed_dtypes_second_order():
    # the division in hypot's gradient differentiates as torch's (-g * ((a / b) / b)), so the
    # float16 rounding of the saved result enters at the same place
    _same(_hypot_mixed_second_order)


def _cumprod_inf_after_zero(T):
    x = T.tensor([[0.5, 2.0], [0.0, 3.0], [float("inf"), 0.0]], requires_grad=True)
    x.cumprod(0).backward(T.tensor([[2.0, 1.0], [0.5, -1.0], [1.0, 0.25]]))
    return [x.grad]


def test_cumprod_gradient_before_a_zero_ignores_what_follows():
    # torch masks the products past the first zero before its reverse cumsum (inf * 0 there
    # would be NaN)
    _same(_cumprod_inf_after_zero)


# ----------------------------------------------------------------- session 5: normalizations
_BN_LAYOUTS = {"contiguous": lambda x: x, "strided": lambda x: x.transpose(0, 2),
               "channels-last": lambda x: x[:, :, None].permute(0, 3, 2, 1)[:, :, :, :]}


def _batch_norm_dtypes(T, layout, training, dtypes):
    x = T.ones(2, 3, 2, dtype=getattr(T, dtypes[0]))
    x = _BN_LAYOUTS[layout](x if layout != "strided" else x.transpose(0, 2).contiguous())
    w, b, rm, rv = (None if d is None else T.ones(3, dtype=getattr(T, d)) for d in dtypes[1:])
    return T.nn.functional.batch_norm(x, rm, rv, w, b, training=training)


@pytest.mark.parametrize("layout", list(_BN_LAYOUTS))
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("dtypes", [
    ("float32", None, "int64", "float32", "float32"),
    ("float32", "float32", "float64", None, None),
    ("float64", "float32", "float32", None, None),
    ("float16", "float32", None, "float32", "float32"),
    ("float16", "float16", None, "float32", "float32"),
    ("float16", "float32", "float16", None, None),
    ("float64", "float64", "float64", "float64", "float16")])
def test_batch_norm_parameter_dtypes_as_torch(layout, training, dtypes):
    # the mixed-dtype checks, then the kernel's "expected scalar type"; a strided input goes
    # through a TensorIterator loop that asserts instead
    if not training and (dtypes[3] is None or dtypes[4] is None):
        dtypes = dtypes[:3] + ("float32", "float32")
    _same(lambda T: _batch_norm_dtypes(T, layout, training, dtypes))


def _norm_double_backward(T, op, training, use):
    x = T.tensor([[[0.5, -1.0], [2.0, 0.0]], [[1.5, -0.5], [-2.0, 0.25]],
                  [[0.0, 3.0], [-1.0, 1.0]]], dtype=T.float64, requires_grad=True)
    w = T.tensor([0.5, -2.0], dtype=T.float64)
    b = T.tensor([1.0, -0.25], dtype=T.float64)
    if op == "layer_norm":  # (over 4 elements: their gradients are not all cancellation)
        w, b = T.stack([w, w * -3]), T.stack([b, b * 2 + 1])
    w, b = w.requires_grad_(), b.requires_grad_()
    if op == "batch_norm":
        y = T.nn.functional.batch_norm(x, T.tensor([0.1, -0.2], dtype=T.float64),
                                       T.tensor([1.5, 0.5], dtype=T.float64), w, b,
                                       training=training)
    else:
        y = T.nn.functional.layer_norm(x, (2, 2), w, b)
    gs = T.autograd.grad((y * T.arange(12.0, dtype=T.float64).reshape(3, 2, 2).cos()).sum(),
                         (x, w, b), create_graph=True)
    loss = sum((gs[i] * (T.arange(float(gs[i].numel()), dtype=T.float64).reshape(gs[i].shape)
                         .sin() + i)).sum() for i in use)
    loss.backward()
    # (clones: torch's version counters of gradients built in place are not compared)
    return list(gs) + [None if t.grad is None else t.grad.clone() for t in (x, w, b)]


@pytest.mark.parametrize("op,training", [("batch_norm", True), ("batch_norm", False),
                                         ("layer_norm", True)])
@pytest.mark.parametrize("use", [(0,), (1,), (2,), (1, 2), (0, 1, 2)])
def test_normalization_double_backward_is_one_node(op, training, use):
    # torch's Native*NormBackwardBackward0: every first-order gradient comes from one node with
    # edges to the input and the weight; the gradients it returns for the unused ones are None
    _same(lambda T: _norm_double_backward(T, op, training, use))


@pytest.mark.parametrize("dtypes", [
    ("float32", None, "float64"), ("float32", "float32", "int64"), ("float64", "float32", None),
    ("float16", "float32", "float32"), ("float16", "float16", "float32"),
    ("int64", "float32", None), ("int64", None, "float64"), ("int64", "int64", "int64")])
def test_layer_norm_parameter_dtypes_as_torch(dtypes):
    def run(T):
        w, b = (None if d is None else T.full((3,), 0.5, dtype=getattr(T, d)) for d in dtypes[1:])
        x = T.tensor([[1, 2, 3], [3, 0, 3]], dtype=getattr(T, dtypes[0]))
        return T.nn.functional.layer_norm(x, (3,), w, b)

    _same(run)


def test_layer_norm_zero_signs_as_atens_kernel():
    # (x * rstd + (-rstd * mean)) * gamma + beta: x == mean and a zero weight give +0.
    def run(T):
        x = T.tensor([[1.0, 2.0, 3.0, -4.0], [0.0, 0.0, 0.0, 0.0]], dtype=T.float64)
        w = T.tensor([0.0, -0.0, 1.0, -1.0], dtype=T.float64)
        out = [T.nn.functional.layer_norm(x, (4,), w), T.nn.functional.layer_norm(x, (4,)),
               T.nn.functional.layer_norm(x, (4,), None, -w)]
        return [_signs(o) for o in out]

    _same(run)


@pytest.mark.parametrize("dtypes", [("float16", "float32"), ("float16", "float16"),
                                    ("float32", "float32")])
def test_layer_norm_gradients_in_each_operands_dtype(dtypes):
    def run(T):
        x = T.tensor([[0.5, -1.0, 2.0], [1.0, float("inf"), 0.25]], dtype=getattr(T, dtypes[0]),
                     requires_grad=True)
        w, b = (T.tensor(v, dtype=getattr(T, dtypes[1]), requires_grad=True)
                for v in ([1.5, -0.5, 2.0], [0.0, 1.0, -1.0]))
        y = T.nn.functional.layer_norm(x, (3,), w, b)
        y.backward(T.tensor([[1.0, -2.0, 0.5], [0.25, 1.0, -1.0]], dtype=y.dtype))
        return [y, x.grad, w.grad, b.grad]

    _same(run)


_INF = float("inf")


@pytest.mark.parametrize("xs", [[0.0, _INF, 0.0], [1.5, -1.0, 0.0, _INF], [0.0, 2.0, -0.5],
                                [_INF, 0.0, 2.0, 0.0],
                                [[1.0, _INF, 0.0, -1.5], [0.0, 2.0, 3.0, 0.0]]])
@pytest.mark.parametrize("dim", [None, -1])
@pytest.mark.parametrize("order", [1, 2])
def test_prod_gradient_with_zeros_as_torch(xs, dim, order):
    # torch's prod_backward: exclusive cumprods from each side (and zeros for a full product
    # with several zeros outside grad mode); cumprod's own gradient keeps an inf before the
    # first zero out of the products after it
    def run(T):
        x = T.tensor(xs, requires_grad=True)
        y = x.prod() if dim is None else x.prod(dim)
        w = T.full(y.shape, -0.75)
        if order == 1:
            (y * w).sum().backward()
            return [y, x.grad]
        (g,) = T.autograd.grad((y * w).sum(), x, create_graph=True)
        (g * T.linspace(-1.0, 2.0, g.numel()).reshape(g.shape)).sum().backward()
        return [y, g, x.grad.clone()]  # (torch's version counter of a gradient: not compared)

    _same(run)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int64", "bool"])
@pytest.mark.parametrize("lambd", [-0.5, 1e39, _INF, float("nan"), 70000.0, 0.25])
def test_softshrink_argument_checks_as_torch(dtype, lambd):
    _same(lambda T: T.nn.functional.softshrink(T.zeros(2, dtype=getattr(T, dtype)), lambd))


@pytest.mark.parametrize("dtypes", [("float64",) * 3, ("int64",) * 3, ("float16",) * 3,
                                    ("float32", "float64", "float32"),
                                    ("float32", "float32", "int64", "float64"), ("bool",) * 3])
def test_bilinear_dtypes_as_torch(dtypes):
    def run(T):
        x1, x2, w = (T.ones(s, dtype=getattr(T, d)) for s, d in zip(((2, 3), (2, 4), (5, 3, 4)),
                                                                    dtypes, strict=False))
        b = T.ones(5, dtype=getattr(T, dtypes[3])) if len(dtypes) > 3 else None
        return T.nn.functional.bilinear(x1, x2, w, b)

    _same(run)


def _bilinear_orders(T):
    x1 = T.tensor([[0.5, _INF, -1.0], [2.0, 0.0, -0.0]], dtype=T.float64, requires_grad=True)
    x2 = T.tensor([[1.0, -2.0], [-_INF, 0.5]], dtype=T.float64, requires_grad=True)
    w = T.tensor([[[0.0, 1.0], [-1.0, 0.5], [2.0, 0.0]], [[1.5, -0.5], [0.0, -0.0], [1.0, 1.0]]],
                 dtype=T.float64, requires_grad=True)
    y = T.nn.functional.bilinear(x1, x2, w)
    gs = T.autograd.grad((y * T.tensor([[1.0, -0.5], [0.25, 2.0]], dtype=T.float64)).sum(),
                         (x1, x2, w), create_graph=True)
    (gs[2] * T.arange(12.0, dtype=T.float64).reshape(2, 3, 2)).sum().backward()
    return [y] + list(gs) + [None if t.grad is None else t.grad.clone() for t in (x1, x2, w)]


def test_bilinear_is_trilinear_at_every_order():
    # ATen's _trilinear: (x1 * w) contracted first, then with x2, slice by slice over the
    # output features; its gradients are _trilinear again (TrilinearBackward0), so inf and
    # NaN land where torch's do
    _same(_bilinear_orders)


@pytest.mark.parametrize("xs", [[-0.0, -_INF, -0.0], [0.0, _INF, 0.0, 2.0, 0.25, 0.0],
                                [-_INF], [[1.5, 0.0], [0.0, -_INF], [_INF, 0.0]],
                                [0.0, -0.0, _INF], [2.0, _INF, 0.0, -1.0, 0.0, _INF]])
def test_cumprod_gradient_between_zeros_as_torch(xs):
    # at the first zero: the terms up to the next zero (later ones are masked by a product, so
    # an inf between the zeros gives NaN as torch's); a slice of one element hands g through
    def run(T):
        x = T.tensor(xs, dtype=T.float64, requires_grad=True)
        y = x.cumprod(0)
        y.backward(T.linspace(-1.0, 2.0, y.numel(), dtype=T.float64).reshape(y.shape))
        return [y, x.grad.clone()]  # (torch's version counter of a gradient: not compared)

    _same(run)


@pytest.mark.parametrize("dtype", ["float16", "float64"])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_backward_kernel_zero_signs(dtype, training):
    # ATen's kernel: (dy - mean(dy) - (x - mean) * k) * invstd * w (float16 in float), so a
    # zero weight gives the sign of the bracket; grad_weight = dot * invstd
    def run(T):
        dt = getattr(T, dtype)
        x = T.tensor([[-2.0, -1.0, 2.0], [0.0, -1.0, 2.0], [-1.0, 2.0, -2.0], [0.0, -2.0, -2.0]],
                     dtype=dt, requires_grad=True)
        w = T.tensor([1.0, -0.0, 0.0], dtype=dt, requires_grad=True)
        b = T.tensor([0.0, -0.0, 0.5], dtype=dt, requires_grad=True)
        y = T.nn.functional.batch_norm(x, T.zeros(3, dtype=dt), T.ones(3, dtype=dt), w, b,
                                       training=training)
        y.backward(T.tensor([[1.0, -0.5, 0.25]] * 2 + [[-1.0, 0.5, 2.0]] * 2, dtype=dt))
        return [_signs(t) for t in (y, x.grad, w.grad, b.grad)]

    _same(run)
