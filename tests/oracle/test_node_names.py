"""Graph nodes as torch 2.13 records them, engine and torch side by side: ``name()`` (with
torch's ``torch::autograd::`` prefix on its hand-written C++ nodes), ``type(node).__name__``
(one class per node name: ``MulBackward0``; ``CppFunction`` for the nodes torch gives no class
of their own), the tensor repr's ``grad_fn=<...>``, the node repr and ``next_functions``."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import torch.autograd.forward_ad as tfwAD  # noqa: E402
from torch.autograd.function import once_differentiable as t_once  # noqa: E402

import engine  # noqa: E402
import engine.autograd.forward_ad as efwAD  # noqa: E402
from engine.autograd.function import once_differentiable as e_once  # noqa: E402


def describe(fn, depth: int = 3):
    """A node as a program can see it: name(), class name, repr's head, and its edges
    (recursively, ``depth`` levels)."""
    if fn is None:
        return None
    head = repr(fn).split(" object at ")[0]
    edges = [(describe(f, depth - 1) if depth else "...", nr) for f, nr in fn.next_functions]
    return fn.name(), type(fn).__name__, head, edges


def tensor_view(t):
    return describe(t.grad_fn), repr(t).rsplit("grad_fn=", 1)[-1], t.requires_grad, t.is_leaf


def _copy_slices(m):
    x = m.ones(3, requires_grad=True)
    y = x * 1
    y[0] = 5.0
    return y


def _copy_(m):
    x = m.ones(3, requires_grad=True)
    z = m.zeros(3, dtype=m.float64)
    z.copy_(x)
    return z


def _not_implemented(m):
    return m.floor_divide(m.ones(3, requires_grad=True), m.full((3,), 2.0))


def _scalar_product(m):
    return m.ones(3, requires_grad=True) * 2


def _as_strided(m):
    a = m.ones(3, requires_grad=True).clone()
    v = a[:2]
    a.mul_(2)
    return v


CASES = {"CopySlices": _copy_slices, "CopyBackwards": _copy_,
         "NotImplemented": _not_implemented, "MulBackward0 of a number": _scalar_product,
         "AsStridedBackward0": _as_strided}


@pytest.mark.parametrize("case", sorted(CASES))
def test_nodes_as_torch_names_them(case):
    assert tensor_view(CASES[case](engine)) == tensor_view(CASES[case](torch))


def _once(m, once, two: bool):
    class Twice(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y, x + y

        @staticmethod
        @once
        def backward(ctx, g1, g2):
            return (None, g1 * 2) if two else (g1 * 2, None)

    x = m.ones(3, requires_grad=True)
    b = m.ones(3, requires_grad=True)
    o1, o2 = Twice.apply(x, b)
    g = m.autograd.grad((o1 * o1 + o2 * o2).sum(), [b if two else x], create_graph=True)[0]
    fn = g.grad_fn
    leaves = [f.variable is x or f.variable is b for f, _ in fn.next_functions if f is not None]
    try:
        g.sum().backward()
        error = None
    except RuntimeError as e:
        error = str(e)
    return tensor_view(g), g._version, leaves, error


@pytest.mark.parametrize("two", [False, True])
def test_once_differentiable_records_torchs_error_node(two):
    assert _once(engine, e_once, two) == _once(torch, t_once, two)


def _primals(m, fwAD):
    out = []
    x = m.ones(3, requires_grad=True)
    with fwAD.dual_level():
        out.append(tensor_view(fwAD.unpack_dual(x).primal))
        out.append(tensor_view(fwAD.unpack_dual(x * 2).primal))
        d = fwAD.make_dual(x, m.ones(3))
        p = fwAD.unpack_dual(d).primal
        out.append(tensor_view(p))
        u = fwAD.unpack_dual(d.exp())
        out.append((tensor_view(u.primal), tensor_view(u.tangent)))
        p.sum().backward()
        out.append(x.grad.tolist())
    return out


def test_unpack_dual_primal_is_torchs_identity_view():
    assert _primals(engine, efwAD) == _primals(torch, tfwAD)


def test_accumulate_grad_and_custom_function_nodes():
    def nodes(m):
        class Double(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

        x = m.ones(2, requires_grad=True)
        y = Double.apply(x)
        acc = (x * x).grad_fn.next_functions[0][0]
        return (acc.name(), type(acc).__name__, repr(acc).split(" object")[0],
                describe(y.grad_fn), repr(y).rsplit("grad_fn=", 1)[-1])

    assert nodes(engine) == nodes(torch)


PROGRAM = """\
x = torch.ones(3, requires_grad=True)
y = x * 2
z = x * 1
z[0] = 5.0
for fn in (y.grad_fn, z.grad_fn, y.grad_fn.next_functions[0][0]):
    print(fn.name(), type(fn).__name__, type(fn))
    try:
        fn.foo
    except AttributeError as e:
        print(e)
print(z)
"""


def test_programs_see_torchs_node_classes():
    from tests.app.lang.conftest import our_cells, python_cells

    want = python_cells([PROGRAM], {"torch": torch})
    assert our_cells(["import torch\n" + PROGRAM], "source") == want


# ----------------------------------------------------------------------------- whole graphs
def _graph(ts) -> list:
    """The whole graph behind ``ts`` (names_sweep's description: every node's name(), class
    and edges with their output numbers, breadth first)."""
    from .names_sweep import describe as describe_graph

    return describe_graph([t.grad_fn for t in ts], {})


def _second(m, out, *leaves):
    """``out``'s graph and the graph its create_graph gradients recorded."""
    gs = m.autograd.grad((out * m.linspace(0.5, 1.5, out.numel()).reshape(out.shape)).sum(),
                         leaves, create_graph=True)
    return _graph([out]), _graph(gs)


def _squared(m, out, *leaves):
    """The graph the create_graph gradients of ``(out * out).sum()`` recorded (the formulas of
    linear ops show under a loss that is not)."""
    return _graph(m.autograd.grad((out * out).sum(), leaves, create_graph=True))


def _op(m, name: str):
    """The op table's ``name`` (``special.ndtr``, ``soft_margin_loss``) on ``m``."""
    from .backends import ENGINE, TORCH

    return (ENGINE if m is engine else TORCH).function(name)


def _x(m, *shape, dtype=None):
    data = torch.randn(*shape, generator=torch.Generator().manual_seed(sum(shape)),
                       dtype=torch.float64).tolist()
    return m.tensor(data, dtype=dtype or m.float64, requires_grad=True)


GRAPHS = {
    # nodes of torch's Scalar overloads: one edge, none for the number
    "special.ndtr": lambda m: _graph([_op(m, "special.ndtr")(_x(m, 3))]),
    "xlog1py(t, number)": lambda m: _second(m, _op(m, "special.xlog1py")(a := _x(m, 3), 1.5), a),
    "xlog1py(number, t)": lambda m: _second(m, _op(m, "special.xlog1py")(1.5, a := _x(m, 3)), a),
    "xlogy(t, number)": lambda m: _second(m, m.xlogy(a := _x(m, 3), 2.5), a),
    "xlogy_(number)": lambda m: _graph([(_x(m, 3) * 1).xlogy_(2.5)]),
    # a target without an edge; softplus' and hardswish's double backward without their masks
    "soft_margin_loss": lambda m: _second(
        m, _op(m, "soft_margin_loss")(a := _x(m, 4), _x(m, 4).detach().sign(),
                                            reduction="none"), a),
    "softplus": lambda m: _second(m, _op(m, "softplus")(a := _x(m, 4), beta=2.0), a),
    "hardswish": lambda m: _second(m, _op(m, "hardswish")(a := _x(m, 4) * 4), a),
    # cov's C++ mul(Tensor, Scalar) in its correction
    "cov(aweights)": lambda m: _graph([m.cov(_x(m, 2, 4), aweights=_x(m, 4).abs(),
                                             correction=2)]),
    # native_*_backward's nodes: an edge per tensor argument of torch's schema (mean, rstd,
    # bias; the running statistics), three outputs whatever is undefined
    "layer_norm": lambda m: _second(m, _op(m, "layer_norm")(a := _x(m, 3, 4), (4,), w := _x(
        m, 4), b := _x(m, 4) * 1), a, w, b),
    "layer_norm(bias only)": lambda m: _second(
        m, _op(m, "layer_norm")(_x(m, 3, 4).detach(), (4,), None, b := _x(m, 4)), b),
    "batch_norm": lambda m: _second(m, _op(m, "batch_norm")(
        a := _x(m, 3, 4), _x(m, 4).detach(), _x(m, 4).detach().exp(), w := _x(m, 4),
        b := _x(m, 4), training=True), a, w, b),
    "batch_norm(eval, bias)": lambda m: _second(m, _op(m, "batch_norm")(
        a := _x(m, 3, 4), _x(m, 4).detach(), _x(m, 4).detach().exp(), None, b := _x(m, 4)),
        a, b),
    # convolution_backward's three outputs: the bias' gradient is output 2 without a weight's
    # (the leaves behind a product: an edge shows which output of the node it comes from)
    "conv2d(no weight grad)": lambda m: _second(m, _op(m, "conv2d")(
        (a := _x(m, 1, 2, 4, 4)) * 1, _x(m, 3, 2, 2, 2).detach(), (b := _x(m, 3)) * 1), a, b),
    "conv_transpose1d": lambda m: _second(m, _op(m, "conv_transpose1d")(
        (a := _x(m, 1, 2, 5)) * 1, _x(m, 2, 3, 2).detach(), (b := _x(m, 3)) * 1, stride=2),
        a, b),
    # _cdist_backward(grad, x1, x2, p, result) (x2's: grad.mT, x2, x1, result.mT)
    "cdist": lambda m: _second(m, m.cdist((a := _x(m, 3, 2)) * 1, (b := _x(m, 2, 2)) * 1,
                                          p=1.5), a, b),
    # an edge for per_sample_weights, even absent
    "embedding_bag": lambda m: _graph([_op(m, "embedding_bag")(
        m.tensor([1, 2, 0, 3]), _x(m, 4, 3), m.tensor([0, 2]), mode="mean")]),
    # formulas in torch's form: mm's (mat2.t(), a TBackward0), linalg_inv_ex's
    # (-inverse.mH @ (grad @ inverse.mH)), the reductions' (sum_backward: a 0-d gradient
    # expanded as it is when no dim was named, unsqueezed otherwise; mean_backward divides
    # the expanded gradient; var/std/logsumexp/norm: unsqueezed, then broadcast)
    "mm": lambda m: _second(m, (a := _x(m, 3, 4)) @ (b := _x(m, 4, 2)), a, b),
    "mv": lambda m: _second(m, (a := _x(m, 3, 4)) @ (b := _x(m, 4)), a, b),
    "linalg.inv": lambda m: _second(m, _op(m, "linalg.inv")(a := _x(m, 3, 3)), a),
    "sum()": lambda m: _squared(m, (a := _x(m, 2, 3)).sum(), a),
    "mean()": lambda m: _squared(m, (a := _x(m, 2, 3)).mean(), a),
    "mean((0, 1))": lambda m: _squared(m, (a := _x(m, 2, 3)).mean((0, 1)), a),
    "logsumexp": lambda m: _second(m, (a := _x(m, 3, 4)).logsumexp(1), a),
    "std()": lambda m: _second(m, (a := _x(m, 3, 4)).std(), a),
    "std(1)": lambda m: _second(m, (a := _x(m, 3, 4)).std(1), a),
    "var(correction=0)": lambda m: _squared(m, (a := _x(m, 3, 4)).var(correction=0), a),
    "var(1, keepdim)": lambda m: _squared(m, (a := _x(m, 3, 4)).var(1, keepdim=True), a),
    "std_mean(1)": lambda m: _second(m, m.stack(m.std_mean(a := _x(m, 3, 4), 1)), a),
    "var_mean()": lambda m: _squared(m, m.stack(m.var_mean(a := _x(m, 3, 4))), a),
    "norm()": lambda m: _second(m, (a := _x(m, 3, 4)).norm(), a),
    "norm(dim=1)": lambda m: _second(m, (a := _x(m, 3, 4)).norm(dim=1), a),
    "acosh": lambda m: _second(m, ((a := _x(m, 4)) * a + 1).acosh(), a),
    # session 21: cumprod_backward's ``output * grad``; mish's one tanh node read twice;
    # soft targets smoothed by C++ doubles (MulBackward1, AddBackward1); atan2_backward's
    # one ``recip``; C++ ``a - b`` records ``b`` first (poisson_nll_loss, kl_div)
    "cumprod": lambda m: _second(m, (a := _x(m, 2, 3)).cumprod(1), a),
    "linalg.vander": lambda m: _second(m, _op(m, "linalg.vander")(a := _x(m, 3)), a),
    "mish": lambda m: _second(m, _op(m, "mish")(a := _x(m, 4)), a),
    "cross_entropy(probs, label_smoothing)": lambda m: _second(m, _op(m, "cross_entropy")(
        a := _x(m, 3, 4), (b := _x(m, 3, 4)).softmax(1), label_smoothing=0.25), a, b),
    "atan2": lambda m: _second(m, m.atan2(a := _x(m, 4), b := _x(m, 4)), a, b),
    "atan2(one grad)": lambda m: _second(m, m.atan2(_x(m, 4).detach(), b := _x(m, 4)), b),
    "poisson_nll_loss": lambda m: _second(m, _op(m, "poisson_nll_loss")(
        a := _x(m, 3, 4), _x(m, 3, 4).detach().abs(), reduction="none"), a),
    "kl_div": lambda m: _second(m, m.kl_div(a := _x(m, 3, 4), (b := _x(m, 3, 4)) * b), a, b),
    "kl_div(log_target)": lambda m: _second(m, m.kl_div(a := _x(m, 3, 4), b := _x(m, 3, 4),
                                                          log_target=True), a, b),
}


@pytest.mark.parametrize("case", sorted(GRAPHS))
def test_graphs_as_torch_records_them(case):
    assert GRAPHS[case](engine) == GRAPHS[case](torch)


# ----------------------------------------------------------------------------- the sweep
# tests/oracle/names_sweep.py over one program per op (seed 1): the graphs where the engine
# still records other nodes than torch, each with why; the list only shrinks
KNOWN: dict[str, str] = {
    "hardtanh_ order2": "in place, torch's formula reads the result through a clone "
                        "(CloneBackward0); the engine's HardtanhBackward0 reads it directly",
    "threshold_ order2": "as hardtanh_ (ThresholdBackward1 read directly)",
}


def test_names_sweep_finds_only_the_known_differences():
    import io
    import json

    from . import names_sweep
    from .specs import canonical_names, spec_for
    from .sweep import sweep

    names = [n for n in canonical_names() if spec_for(n) is not None]
    buf = io.StringIO()
    counts = sweep(1, 1, names, buf, check=names_sweep.check, classify=names_sweep.classify)
    assert not counts.get("harness"), buf.getvalue()
    found = {}
    for line in buf.getvalue().splitlines():
        row = json.loads(line)
        found[f"{row['op']} {row['class']}"] = row["problem"]
    new = {k: v for k, v in found.items() if k not in KNOWN}
    agreeing = sorted(k for k in KNOWN if k not in found)
    assert not new, "graphs that differ from torch's:\n" + "\n".join(new.values())
    assert not agreeing, f"these agree with torch now: take them off KNOWN: {agreeing}"


def test_layer_norm_saves_its_bias():
    """torch's NativeLayerNormBackward0 saves ``bias``: changed in place, backward raises."""
    def run(m):
        b = _x(m, 4) * 1
        y = _op(m, "layer_norm")(_x(m, 3, 4), (4,), _x(m, 4), b)
        b.add_(1)
        with pytest.raises(RuntimeError) as e:
            y.sum().backward()
        return str(e.value)

    assert run(engine) == run(torch)


@pytest.mark.parametrize("kw", [{"correction": 2}, {"correction": 3}, {"dim": 0, "correction": 2},
                                {"dim": 0, "correction": 3}])
@pytest.mark.parametrize("fn", ["var", "std"])
def test_var_and_std_gradients_without_degrees_of_freedom(fn, kw):
    """torch's var_backward: over every element ``grad * where(x == mean, nan, inf)``, over a
    dim ``2 / (n - correction)`` even where that is negative (was inf times the deviation)."""
    import warnings

    def run(m):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            getattr(x, fn)(**kw).backward()
        return [str(v) for v in x.grad.tolist()]

    assert run(engine) == run(torch)
