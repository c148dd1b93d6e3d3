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
