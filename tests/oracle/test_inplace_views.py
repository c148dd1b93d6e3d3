"""Pinned regressions, each run on the engine and on torch 2.13 side by side: in-place ops
through every kind of view (the base's gradient, CopySlices / AsStridedBackward0), the views
PyTorch refuses to write into, expanded views, and what each node saves (version counters)."""

import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402

from .backends import observed  # noqa: E402


def _observe(x):
    if isinstance(x, (list, tuple)):
        return [_observe(i) for i in x]
    if x is None or isinstance(x, (int, float, str)):
        return x
    fn = x.grad_fn
    return (x.tolist(), str(x.dtype).replace("torch.", ""), tuple(x.shape), x.requires_grad,
            None if fn is None else fn.name().replace("torch::autograd::", ""), x._version)


def _run(program, T):
    return observed(program, T, _observe)


def _g(t):
    """A gradient, without its version counter (torch may build gradients in place)."""
    return None if t is None else t.detach().clone()


def _same(program):
    assert _run(program, engine) == _run(program, torch)


def _a(T):
    return T.tensor([[1.0, 2, 3], [4, 5, 6]], dtype=T.float64, requires_grad=True)


VIEWS = {
    "T": lambda y: y.T, "t": lambda y: y.t(), "mT": lambda y: y.mT,
    "transpose": lambda y: y.transpose(0, 1), "permute": lambda y: y.permute(1, 0),
    "view": lambda y: y.view(6), "reshape": lambda y: y.reshape(3, 2),
    "flatten": lambda y: y.flatten(), "unsqueeze": lambda y: y.unsqueeze(0),
    "squeeze": lambda y: y.unsqueeze(0).squeeze(0), "narrow": lambda y: y.narrow(1, 1, 2),
    "select": lambda y: y.select(0, 1), "diagonal": lambda y: y.diagonal(),
    "slice": lambda y: y[:, 1:], "two deep": lambda y: y.T.T[1:],
    "expand": lambda y: y[:1].expand(2, 3), "expand one": lambda y: y[0].expand(1, 3),
    "unbind": lambda y: y.unbind(0)[1], "split": lambda y: y.split(1, 1)[1],
    "chunk": lambda y: y.chunk(3, 1)[2], "view of split": lambda y: y.split(1)[0].T,
}
INPLACE = {
    "zero_": lambda v, a: v.zero_(), "fill_": lambda v, a: v.fill_(2.5),
    "mul_": lambda v, a: v.mul_(3), "exp_": lambda v, a: v.exp_(),
    "add_ tensor": lambda v, a: v.add_(a.sum()), "setitem": lambda v, a: v.__setitem__(0, 7.0),
    "copy_": lambda v, a: v.copy_(a.sum().expand(v.shape)),
}


@pytest.mark.parametrize("op", list(INPLACE))
@pytest.mark.parametrize("view", list(VIEWS))
def test_inplace_through_a_view_gives_the_base_torchs_gradient(view, op):
    def program(T):
        a = _a(T)
        y = a * 2
        v = VIEWS[view](y)
        INPLACE[op](v, a)
        (y * T.arange(6.0, dtype=T.float64).reshape(2, 3)).sum().backward()
        # (after a write into a view of it, v's own node is regenerated lazily: see below)
        return [y, v if op != "setitem" else v.detach(), _g(a.grad)]

    _same(program)


def _no_grad_view(T):
    y = _a(T) * 2
    with T.no_grad():
        u = y.T
    u.add_(1)
    return u


def _no_grad_multi(T):
    y = _a(T) * 2
    with T.no_grad():
        u = y.unbind(0)
    u[1].add_(1)
    return u


def _multi_of_plain_with_grad_operand(T):
    a = _a(T)
    z = T.zeros(2, 3, dtype=T.float64)
    z.unbind(0)[1].add_(a[0])
    return z


def _multi_of_plain(T):
    z = T.zeros(2, 3)
    z.unbind(0)[1].add_(1)
    return z


def _multi_of_leaf(T):
    a = _a(T)
    a.unbind(0)[1].add_(1)
    return a


def _detach_view(T):
    v = (_a(T) * 2)[0]
    return v.detach_()


def _detach_plain_view(T):
    return T.zeros(3)[0].detach_()


def _expanded(write):
    def program(T):
        z = T.zeros(1, 3)
        write(z.expand(2, 3), T)
        return z
    return program


def _fill_names(T):
    a = _a(T)
    y, z, w = a * 2, a * 2, a * 2
    b = T.tensor(2.0, dtype=T.float64, requires_grad=True)
    y.fill_(3)
    z.zero_()
    w.fill_(b)
    (y.sum() + z.sum() + w.sum()).backward()
    return [y, z, w, _g(a.grad), _g(b.grad)]


def _view_after_its_base_changed(T):
    a = _a(T)
    y = a * 2
    v = y.T[1:]
    y.mul_(2)
    w = v * 1
    w.sum().backward()
    return [w, _g(a.grad)]


def _view_saved_by_mul_then_written(T):
    a = _a(T)
    y = a * 2
    v = y.T[1:]
    v.mul_(v)
    (y * y).sum().backward()
    return _g(a.grad)


def _second_order_through_a_view(T):
    a = _a(T)
    y = a * 2
    v = y.T
    v.mul_(3)
    g, = T.autograd.grad((y * y).sum(), a, create_graph=True)
    g.sum().backward()
    return [g.detach(), _g(a.grad)]


def _pow_saves_its_input_only(T):
    a = _a(T)
    y = a ** 2
    y.zero_()
    y.sum().backward()
    return _g(a.grad)


def _pow_tensor_exponent_saves_result(T):
    a = _a(T)
    e = T.full((2, 3), 2.0, dtype=T.float64, requires_grad=True)
    y = a ** e
    y.mul_(2)
    y.sum().backward()
    return _g(e.grad)


def _relu_saves_its_result(T):
    a = _a(T)
    y = a * 1
    y.relu_().mul_(2)
    y.sum().backward()
    return _g(a.grad)


def _mul_with_itself(T):
    a = _a(T)
    y = a * 2
    y.mul_(y)
    y.sum().backward()
    return _g(a.grad)


def _t_in_place_on_a_view(T):
    a = _a(T)
    y = a * 2
    v = y[:, :2]
    v.t_()
    v.mul_(2)
    (y * y).sum().backward()
    return [y, v, _g(a.grad)]


def _multi_view_used_after_its_base_changed(T):
    y = _a(T) * 2
    u = y.unbind(0)
    y.mul_(2)
    return u[1] * 1


def _multi_view_used_after_a_sibling_changed(T):
    y = _a(T) * 2
    u = y.T.split(1)
    y[0].zero_()
    return u[0] * 1


def _empty_target(T):
    x = T.zeros([2, 0], dtype=T.int32)
    x.bitwise_and_(T.zeros([0, 2], dtype=T.bool).transpose(0, 1))
    return x


PROGRAMS = [
    _multi_view_used_after_its_base_changed, _multi_view_used_after_a_sibling_changed,
    _empty_target,
    _no_grad_view, _no_grad_multi, _multi_of_plain_with_grad_operand, _multi_of_plain,
    _multi_of_leaf, _detach_view, _detach_plain_view, _fill_names, _view_after_its_base_changed,
    _view_saved_by_mul_then_written, _second_order_through_a_view, _pow_saves_its_input_only,
    _pow_tensor_exponent_saves_result, _relu_saves_its_result, _mul_with_itself,
    _t_in_place_on_a_view,
    _expanded(lambda v, T: v.fill_(2)), _expanded(lambda v, T: v.zero_()),
    _expanded(lambda v, T: v.add_(2)), _expanded(lambda v, T: v.exp_()),
    _expanded(lambda v, T: v.copy_(T.ones(2, 3))),
    _expanded(lambda v, T: v.__setitem__((slice(None), 0), 1.0)),
    _expanded(lambda v, T: v.__setitem__((slice(None), 0), T.ones(2))),
    _expanded(lambda v, T: v.__setitem__(0, 1.0)),
]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__.strip("_"))
def test_in_place_semantics_agree_with_torch(program):
    _same(program)


def test_a_views_grad_fn_is_regenerated_when_read():
    def program(T):
        y = _a(T) * 2
        v = y.T
        y.mul_(2)
        return v.grad_fn.name()

    _same(program)
