"""``torch.poisson``, ``torch.binomial``, ``torch._standard_gamma`` (+ ``_standard_gamma_grad``),
``torch.randint_like`` and ``torch.triangular_solve`` against torch 2.13: draws bit for bit
with the generator's state after (the global one and ``generator=``), refusals (class and
text), nodes and gradients."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402
from app.lang import Environment, Limits, compile_source, run_program  # noqa: E402
from engine.ops import OPS  # noqa: E402

from .test_rng_bits import SEEDS, _np, _same  # noqa: E402


def _op(m, name):
    return getattr(torch, name) if m is torch else OPS[name].fn


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", ("float32", "float64"))
def test_sampling_ops_draw_torchs_numbers(seed, dtype):
    def t(m, values):
        return m.tensor(values, dtype=getattr(m, dtype))

    rates = [0.0, 0.5, 3.5, 9.99, 10.0, 12.0, 100.0, 1e6, float("inf")]
    alphas = [0.5, 1.0, 2.5, 1 / 3, 1e-30, 0.0, -1.0, float("nan"), float("inf"), -float("inf")]
    counts = [1.0, 5.0, 10.0, 50.0, 1000.0, 0.0, -3.0]
    for draw in (
        lambda m: _op(m, "poisson")(t(m, rates * 3).reshape(3, 9).t()),  # row-major of result
        lambda m: _op(m, "poisson")(t(m, rates).half() if m is torch else
                                    t(m, rates).to(m.float16)),
        lambda m: _op(m, "binomial")(t(m, counts), t(m, [0.3])),  # broadcast
        lambda m: _op(m, "binomial")(t(m, counts * 2).reshape(2, 7),
                                     t(m, [0.01, 0.3, 0.5, 0.7, 0.99, 1.5, -0.2])),
        lambda m: _op(m, "_standard_gamma")(t(m, alphas * 2).reshape(2, 10).t()),
        lambda m: _op(m, "randint_like")(t(m, [[1.0, 2.0, 3.0]] * 2).t(), 10),
        lambda m: _op(m, "randint_like")(t(m, [1.0] * 20), -3, 2 ** 40, dtype=m.int64),
        lambda m: _op(m, "randint_like")(t(m, [1.0] * 5), m.tensor(7), dtype=m.int32),
        lambda m: _op(m, "randint_like")(t(m, [[1.0, 2.0]] * 3).t(), low=2, high=9,
                                         memory_format=m.contiguous_format),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (binomial's resized output)
            _same(draw, seed)


def test_generator_arguments_draw_from_that_generator():
    for draw in (
        lambda m, g: _op(m, "poisson")(m.tensor([1.0, 20.0, 3.0]), g),
        lambda m, g: _op(m, "poisson")(m.tensor([1.0, 20.0, 3.0]), generator=g),
        lambda m, g: _op(m, "binomial")(m.tensor([5.0, 40.0]), m.tensor([0.5, 0.3]), g),
        lambda m, g: _op(m, "_standard_gamma")(m.tensor([0.5, 4.0], dtype=m.float64),
                                               generator=g),
        lambda m, g: _op(m, "randint_like")(m.zeros(4), 3, 8, generator=g),
    ):
        torch.manual_seed(1)
        engine.manual_seed(1)
        tg, eg = torch.Generator().manual_seed(5), engine.Generator().manual_seed(5)
        a, b = _np(draw(torch, tg)), _np(draw(engine, eg))
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
        assert bytes(_np(tg.get_state())) == bytes(_np(eg.get_state()))
        # the global generator is untouched
        assert bytes(_np(torch.get_rng_state())) == bytes(_np(engine.get_rng_state()))


def _outcome(f):
    try:
        r = f()
    except Exception as e:  # noqa: BLE001
        return next(c.__name__ for c in type(e).__mro__ if c.__module__ == "builtins"), str(e)
    return "ok", tuple(r[0].shape if isinstance(r, tuple) else r.shape)


REFUSALS = {
    "poisson int": ("poisson", lambda m: (m.tensor([1, 2]),), {}),
    "poisson bool": ("poisson", lambda m: (m.tensor([True]),), {}),
    "poisson negative half": ("poisson", lambda m: (m.tensor([-1.0]).half(),), {}),
    "poisson nan": ("poisson", lambda m: (m.tensor([float("nan")]),), {}),
    "poisson number": ("poisson", lambda m: (3.0,), {}),
    "binomial dtypes": ("binomial", lambda m: (m.tensor([5.0]), m.tensor([0.3]).double()), {}),
    "binomial int count": ("binomial", lambda m: (m.tensor([5]), m.tensor([0.3])), {}),
    "binomial int prob": ("binomial", lambda m: (m.tensor([5.0]), m.tensor([3])), {}),
    "binomial half": ("binomial", lambda m: (m.tensor([5.0]).half(), m.tensor([0.3]).half()),
                      {}),
    "binomial half float": ("binomial", lambda m: (m.tensor([5.0]).half(), m.tensor([0.3])),
                            {}),
    "binomial shapes": ("binomial", lambda m: (m.ones(2), m.ones(3)), {}),
    "binomial number": ("binomial", lambda m: (m.ones(2), 0.5), {}),
    "binomial empty": ("binomial", lambda m: (m.ones(0), m.ones(0)), {}),
    "gamma int": ("_standard_gamma", lambda m: (m.tensor([1, 2]),), {}),
    "gamma half": ("_standard_gamma", lambda m: (m.tensor([1.0]).half(),), {}),
    "gamma grad int": ("_standard_gamma_grad", lambda m: (m.tensor([1]), m.tensor([1])), {}),
    "gamma grad half": ("_standard_gamma_grad",
                        lambda m: (m.tensor([1.0]).half(), m.tensor([1.0]).half()), {}),
    "gamma grad dtypes": ("_standard_gamma_grad",
                          lambda m: (m.tensor([1.0]).double(), m.tensor([1.0])), {}),
    "gamma grad shapes": ("_standard_gamma_grad", lambda m: (m.ones(2), m.ones(3)), {}),
    "randint_like no high": ("randint_like", lambda m: (m.ones(2),), {}),
    "randint_like low only": ("randint_like", lambda m: (m.ones(2),), {"low": 3}),
    "randint_like float": ("randint_like", lambda m: (m.ones(2), 10.5), {}),
    "randint_like bool": ("randint_like", lambda m: (m.ones(2), True), {}),
    "randint_like empty range": ("randint_like", lambda m: (m.ones(2), 5, 5), {}),
    "randint_like tensor high": ("randint_like", lambda m: (m.ones(2), m.tensor([3, 4])), {}),
    "randint_like uint8": ("randint_like", lambda m: (m.ones(2).to(m.uint8), 300), {}),
    "randint_like bool out of range": ("randint_like", lambda m: (m.ones(2).bool(), 10), {}),
    "randint_like int grad": ("randint_like", lambda m: (m.ones(2).long(), 10),
                              {"requires_grad": True}),
    "triangular_solve dtypes": ("triangular_solve",
                                lambda m: (m.ones(2, 1).double(), m.ones(2, 3)), {}),
    "triangular_solve square": ("triangular_solve", lambda m: (m.ones(3, 1), m.ones(2, 3)), {}),
    "triangular_solve sizes": ("triangular_solve",
                               lambda m: (m.ones(3, 1).int(), m.ones(2, 2).int()), {}),
    "triangular_solve int": ("triangular_solve",
                             lambda m: (m.ones(2, 1).int(), m.ones(2, 2).int()), {}),
    "triangular_solve half": ("triangular_solve",
                              lambda m: (m.ones(2, 1).half(), m.ones(2, 2).half()), {}),
    "triangular_solve 1-d b": ("triangular_solve", lambda m: (m.ones(2), m.ones(2, 3).int()),
                               {}),
    "triangular_solve 1-d A": ("triangular_solve", lambda m: (m.ones(2, 2), m.ones(2)), {}),
    "triangular_solve batch": ("triangular_solve", lambda m: (m.ones(2, 2, 1), m.ones(3, 2, 2)),
                               {}),
    "triangular_solve empty": ("triangular_solve", lambda m: (m.ones(0, 1), m.ones(0, 0)), {}),
    "triangular_solve no rhs": ("triangular_solve", lambda m: (m.ones(2, 0), m.eye(2)), {}),
    "triangular_solve number": ("triangular_solve", lambda m: (m.ones(2, 1), 3), {}),
    "triangular_solve int flag": ("triangular_solve", lambda m: (m.ones(2, 1), m.eye(2), 1),
                                  {}),
}


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusals_and_edges_are_torchs(case):
    name, args, kwargs = REFUSALS[case]
    ours = _outcome(lambda: OPS[name].fn(*args(engine), **kwargs))
    theirs = _outcome(lambda: getattr(torch, name)(*args(torch), **kwargs))
    assert ours == theirs


def test_gradients_and_nodes():
    torch.manual_seed(3)
    engine.manual_seed(3)
    for m in (torch, engine):
        r = m.tensor([1.0, 2.0, 30.0], requires_grad=True)
        y = _op(m, "poisson")(r)
        assert type(y.grad_fn).__name__ == "PoissonBackward0" if m is torch else \
            y.grad_fn.name() == "PoissonBackward0"
        y.sum().backward()
        assert r.grad.tolist() == [0.0, 0.0, 0.0]
        c = m.tensor([5.0, 10.0], requires_grad=True)
        y = _op(m, "binomial")(c, m.tensor([0.3, 0.5]))
        with pytest.raises(RuntimeError, match="derivative for aten::binomial is not "
                                               "implemented"):
            y.sum().backward()
    grads = []
    for m in (torch, engine):  # the implicit gradient: torch's approximation, bit for bit
        m.manual_seed(4)
        a = m.tensor([0.5, 2.0, 5.0, 40.0], dtype=m.float64, requires_grad=True)
        x = _op(m, "_standard_gamma")(a)
        (g,) = m.autograd.grad(x.sum(), a, create_graph=True)
        assert (type(g.grad_fn).__name__) == "MulBackward0"
        with pytest.raises(NotImplementedError, match="the derivative for "
                                                      "'_standard_gamma_grad' is not"):
            g.sum().backward()
        direct = _op(m, "_standard_gamma_grad")(a, x)
        grads.append((_np(x), _np(g), _np(direct)))
    for theirs, ours in zip(*grads, strict=True):
        assert theirs.tobytes() == ours.tobytes()


@pytest.mark.filterwarnings("ignore:torch.triangular_solve is deprecated")
@pytest.mark.parametrize("upper", (True, False))
@pytest.mark.parametrize("transpose", (True, False))
@pytest.mark.parametrize("unit", (True, False))
def test_triangular_solve_values_layouts_and_gradients(upper, transpose, unit):
    rng = np.random.default_rng(0)
    a = rng.random((2, 1, 3, 3)) + 3 * np.eye(3)
    b = rng.random((4, 3, 2))
    w = np.arange(24.0).reshape(4, 3, 2)
    got = []
    for m in (torch, engine):
        A = m.tensor(a, requires_grad=True)
        B = m.tensor(b, requires_grad=True)
        r = _op(m, "triangular_solve")(B, A, upper, transpose, unit)
        assert type(r).__name__ == "triangular_solve" and len(r) == 2
        assert r.solution is r[0] and r.cloned_coefficient is r[1]
        assert repr(r).startswith("torch.return_types.triangular_solve(\nsolution=tensor(")
        node = r.solution.grad_fn
        assert (type(node).__name__) == "TriangularSolveBackward0"
        assert r.cloned_coefficient.grad_fn is node
        (r.solution * m.tensor(w)).sum().backward(retain_graph=True)
        (r.cloned_coefficient ** 2).sum().backward()
        got.append([(_np(t), t.stride()) for t in (r.solution, r.cloned_coefficient)]
                   + [(_np(A.grad), None), (_np(B.grad), None)])
    for (x, sx), (y, sy) in zip(*got, strict=True):
        assert x.shape == y.shape and sx == sy
        np.testing.assert_allclose(y, x, rtol=1e-12, atol=1e-12)


def test_triangular_solve_gradchecks_and_double_backward_node():
    rng = np.random.default_rng(1)
    A = engine.tensor(rng.random((3, 3)) + 2 * np.eye(3), requires_grad=True)
    b = engine.tensor(rng.random((3, 2)), requires_grad=True)
    ts = OPS["triangular_solve"].fn
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for flags in ((True, False, False), (False, True, False), (True, True, True)):
            def f(b, A, flags=flags):
                return ts(b, A, *flags)

            assert engine.autograd.gradcheck(lambda b, A: f(b, A).solution, (b, A))
            assert engine.autograd.gradgradcheck(lambda b, A: f(b, A).solution, (b, A))
            assert engine.autograd.gradcheck(lambda b, A: f(b, A).cloned_coefficient * 2,
                                             (b, A))
        (g,) = engine.autograd.grad(ts(b, A).solution.sum(), b, create_graph=True)
    assert g.grad_fn.name() == "TriangularSolveBackward0"


def _run(source: str):
    return run_program(compile_source(source), Environment(), Limits(), source=source)


def test_programs_call_them_by_torchs_names():
    prog = ("import torch\ntorch.manual_seed(0)\na = torch.tensor([1., 2.], requires_grad=True)\n"
            "x = torch._standard_gamma(a)\nx.sum().backward()\n"
            "[torch.poisson(torch.tensor([1., 30.])).tolist(),\n"
            " torch.binomial(torch.tensor([5., 10.]), torch.tensor([.3, .5])).tolist(),\n"
            " torch.randint_like(torch.rand(3), 10).tolist(), x.tolist(), a.grad.tolist(),\n"
            " torch._standard_gamma_grad(a, x).tolist(),\n"
            " torch.tensor([[1.], [2.]]).triangular_solve(torch.tensor([[2., 1.], [0., 3.]]))"
            ".solution.tolist()]")
    torch.manual_seed(0)
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    x = torch._standard_gamma(a)
    x.sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = [torch.poisson(torch.tensor([1.0, 30.0])).tolist(),
                torch.binomial(torch.tensor([5.0, 10.0]), torch.tensor([0.3, 0.5])).tolist(),
                torch.randint_like(torch.rand(3), 10).tolist(), x.tolist(), a.grad.tolist(),
                torch._standard_gamma_grad(a, x).tolist(),
                torch.tensor([[1.0], [2.0]]).triangular_solve(
                    torch.tensor([[2.0, 1.0], [0.0, 3.0]])).solution.tolist()]
    assert _run(prog).result == want
