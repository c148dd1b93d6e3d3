"""Programs that exercise the transforms, written once for both libraries: each takes the
module (``torch`` or ``engine``) as ``T`` and returns tensors (or tuples/dicts of them).
``scripts/torch_goldens/record_autodiff.py`` runs them with torch and stores the results;
``test_goldens.py`` runs them with the engine and compares."""

from __future__ import annotations

SCENARIOS: dict = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


def _x(T, *shape, scale=1.0, offset=0.0):
    n = 1
    for s in shape:
        n *= s
    return (T.arange(n, dtype=T.float64).reshape(shape) * 0.37 + offset).sin() * scale


# --------------------------------------------------------------------------- functional
@scenario
def functional_vjp(T):
    F = T.autograd.functional

    def exp_reducer(x):
        return x.exp().sum(dim=1)

    x = _x(T, 4, 4)
    return F.vjp(exp_reducer, x, T.ones(4, dtype=T.float64))


@scenario
def functional_vjp_create_graph(T):
    F = T.autograd.functional
    x = _x(T, 4, 4)
    return F.vjp(lambda x: x.exp().sum(dim=1), x, T.ones(4, dtype=T.float64),
                 create_graph=True)


@scenario
def functional_vjp_tuple(T):
    F = T.autograd.functional
    inputs = (_x(T, 2), _x(T, 2, offset=1.0))
    return F.vjp(lambda x, y: 2 * x + 3 * y, inputs, T.ones(2, dtype=T.float64))


@scenario
def functional_jvp(T):
    F = T.autograd.functional
    x = _x(T, 4, 4)
    return F.jvp(lambda x: x.exp().sum(dim=1), x, T.ones(4, 4, dtype=T.float64))


@scenario
def functional_jvp_tuple(T):
    F = T.autograd.functional
    inputs = (_x(T, 2), _x(T, 2, offset=1.0))
    v = (T.ones(2, dtype=T.float64), T.ones(2, dtype=T.float64))
    return F.jvp(lambda x, y: 2 * x + 3 * y, inputs, v)


@scenario
def functional_jacobian(T):
    F = T.autograd.functional
    return F.jacobian(lambda x: x.exp().sum(dim=1), _x(T, 2, 2))


@scenario
def functional_jacobian_create_graph(T):
    F = T.autograd.functional
    return F.jacobian(lambda x: x.exp().sum(dim=1), _x(T, 2, 2), create_graph=True)


@scenario
def functional_jacobian_tuple(T):
    F = T.autograd.functional
    return F.jacobian(lambda x, y: 2 * x.exp() + 3 * y, (_x(T, 2), _x(T, 2, offset=1.0)))


@scenario
def functional_jacobian_tuple_outputs(T):
    F = T.autograd.functional
    return F.jacobian(lambda x, y: (x * y, x.sin().sum()), (_x(T, 3), _x(T, 3, offset=1.0)))


@scenario
def functional_jacobian_vectorize(T):
    F = T.autograd.functional
    W = T.tensor([[2.0, -1.0], [0.0, 1.0]], dtype=T.float64)
    b = T.tensor([1.0, 0.5], dtype=T.float64)
    return F.jacobian(lambda x: x @ W.T + b, _x(T, 4, 2), vectorize=True)


@scenario
def functional_jacobian_forward_mode(T):
    F = T.autograd.functional
    return F.jacobian(lambda x, y: (x * y.cos(), (x ** 2).sum()),
                      (_x(T, 3), _x(T, 3, offset=1.0)), vectorize=True,
                      strategy="forward-mode")


@scenario
def functional_hessian(T):
    F = T.autograd.functional
    return F.hessian(lambda x: x.pow(3).sum(), _x(T, 2, 2))


@scenario
def functional_hessian_tuple(T):
    F = T.autograd.functional
    return F.hessian(lambda x, y: (2 * x.pow(2) + 3 * y.pow(2) + x * y.sin()).sum(),
                     (_x(T, 2), _x(T, 2, offset=1.0)))


@scenario
def functional_hessian_vectorized_forward(T):
    F = T.autograd.functional
    return F.hessian(lambda x: (x.sin() * x.cos().sum()).sum(), _x(T, 3), vectorize=True,
                     outer_jacobian_strategy="forward-mode")


@scenario
def functional_vhp_hvp(T):
    F = T.autograd.functional
    x = _x(T, 2, 2)
    v = T.ones(2, 2, dtype=T.float64)
    return (F.vhp(lambda x: x.pow(3).sum(), x, v), F.hvp(lambda x: x.pow(3).sum(), x, v),
            F.vhp(lambda x: x.pow(3).sum(), x, v, create_graph=True))


@scenario
def functional_vhp_tuple(T):
    F = T.autograd.functional
    inputs = (_x(T, 2), _x(T, 2, offset=1.0))
    v = (T.zeros(2, dtype=T.float64), T.ones(2, dtype=T.float64))
    def f(x, y):
        return (2 * x.pow(2) + 3 * y.pow(2)).sum()

    return F.vhp(f, inputs, v), F.hvp(f, inputs, v)


# --------------------------------------------------------------------------- torch.func
@scenario
def func_grad_argnums_aux(T):
    fn = T.func

    def f(x, y):
        return (x.sin() * y).sum(), {"x2": x * 2}

    x, y = _x(T, 3), _x(T, 3, offset=1.0)
    return (fn.grad(f, argnums=(0, 1), has_aux=True)(x, y),
            fn.grad_and_value(lambda x: (x ** 3).sum())(x))


@scenario
def func_vjp_jvp(T):
    fn = T.func
    x = _x(T, 3)
    out, vjp_fn = fn.vjp(lambda x: (x.sin(), x.exp()), x)
    return out, vjp_fn((T.ones(3, dtype=T.float64), T.ones(3, dtype=T.float64))), \
        fn.jvp(lambda x: x.sin() * x, (x,), (T.ones(3, dtype=T.float64),))


@scenario
def func_jacrev_jacfwd(T):
    fn = T.func

    def f(x, y):
        return x.sin() * y + (x * y).sum()

    x, y = _x(T, 3), _x(T, 3, offset=1.0)
    return (fn.jacrev(f)(x, y), fn.jacfwd(f)(x, y), fn.jacrev(f, argnums=(0, 1))(x, y),
            fn.jacfwd(f, argnums=1)(x, y))


@scenario
def func_hessian_nested(T):
    fn = T.func

    def f(x):
        return (x.sin() * x.cos().sum()).sum() + (x ** 4).sum()

    x = _x(T, 4)
    return (fn.hessian(f)(x), fn.jacfwd(fn.jacrev(f))(x), fn.jacrev(fn.jacrev(f))(x),
            fn.jacfwd(fn.jacfwd(f))(x), fn.jacrev(fn.jacfwd(f))(x), fn.grad(fn.grad(
                lambda x: (x ** 3).sum() * x.sum()))(x[0]))


@scenario
def func_per_sample_grads(T):
    fn = T.func
    W = _x(T, 3, 2)
    b = _x(T, 2, offset=0.5)
    xs = _x(T, 5, 3, offset=2.0)
    ys = _x(T, 5, 2, offset=3.0)

    def loss(params, x, y):
        w, b = params
        pred = (x @ w + b).tanh()
        return ((pred - y) ** 2).mean()

    return fn.vmap(fn.grad(loss), in_dims=(None, 0, 0))((W, b), xs, ys)


@scenario
def func_vmap_dims(T):
    fn = T.func
    a = _x(T, 2, 3, 4)
    b = _x(T, 4, offset=1.0)
    return (fn.vmap(lambda x, y: x @ y, in_dims=(1, None))(a, b),
            fn.vmap(lambda x: x.sum(0), in_dims=2, out_dims=1)(a),
            fn.vmap(fn.vmap(lambda x: x.max()))(a),
            fn.vmap(lambda x: (x.softmax(-1), x.t()))(a),
            fn.vmap(lambda x: x[1:, ::2] * 2)(a),
            fn.vmap(lambda x: T.stack([x, x * 2]).reshape(-1).cumsum(0))(a))


# --------------------------------------------------------------------------- custom Function
@scenario
def custom_function_double_backward(T):
    class Cube(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 3 * x ** 2

    x = _x(T, 3).requires_grad_()
    y = Cube.apply(x)
    (g,) = T.autograd.grad(y.sum(), x, create_graph=True)
    (gg,) = T.autograd.grad(g.sum(), x)
    return y, g, gg, y.grad_fn.name()


# --------------------------------------------------------------------------- tutorials
@scenario
def tutorial_custom_function(T):
    """PyTorch's "Defining new autograd Functions" tutorial (LegendrePolynomial3), unchanged
    but for collecting what it prints."""
    import math

    printed = []

    class LegendrePolynomial3(T.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    dtype = T.float
    device = T.device("cpu")
    x = T.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = T.sin(x)
    a = T.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    b = T.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
    c = T.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    d = T.full((), 0.3, device=device, dtype=dtype, requires_grad=True)
    learning_rate = 5e-6
    for t in range(2000):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            printed.append(loss.item())
        loss.backward()
        with T.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return (T.tensor(printed), T.stack([a, b, c, d]).detach(), y_pred.grad_fn.name(),
            P3(c + d * x).grad_fn.name())
