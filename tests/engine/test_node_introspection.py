"""Graph nodes' saved values (``y.grad_fn._saved_self``, ``_saved_result``, sizes, scalars,
``_raw_saved_*.register_hooks``; engine/autograd/introspect.py) against torch 2.13 side by side:
for each covered node, every ``_saved_*`` attribute torch's node has (its ``dir()``) is read on
both and compared: tensors by value, dtype, shape and identity (the very input tensor, or a
new tensor on the output's data), numbers and tuples exactly; then again after backward freed
the graph (torch's error for tensors; sizes and numbers still readable)."""

from __future__ import annotations

import numpy as np
import pytest

import engine

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)
A, B = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
M = RNG.standard_normal((4, 2))
W = RNG.standard_normal((2, 4))


def _inputs(m, ga=True, gb=True, gm=True):
    def mk(v, g):
        return m.tensor(v, dtype=m.float64, requires_grad=g)

    return {"a": mk(A, ga), "b": mk(B, gb), "m": mk(M, gm), "w": mk(W, gm)}


CASES = {
    "mul": lambda m, F, t: t["a"] * t["b"],
    "mul scalar": lambda m, F, t: t["a"] * 2.5,
    "mul int scalar": lambda m, F, t: t["a"] * 2,
    "scalar mul": lambda m, F, t: 3.0 * t["a"],
    "mul self": lambda m, F, t: t["a"] * t["a"],
    "add": lambda m, F, t: t["a"] + t["b"],
    "add alpha": lambda m, F, t: m.add(t["a"], t["b"], alpha=2),
    "add float alpha": lambda m, F, t: m.add(t["a"], t["b"], alpha=0.5),
    "add scalar": lambda m, F, t: t["a"] + 2,
    "sub": lambda m, F, t: t["a"] - t["b"],
    "sub alpha": lambda m, F, t: m.sub(t["a"], t["b"], alpha=3),
    "div": lambda m, F, t: t["a"] / t["b"],
    "pow scalar": lambda m, F, t: t["a"] ** 2,
    "pow float": lambda m, F, t: t["a"] ** 2.5,
    "pow tensor": lambda m, F, t: t["a"].abs() ** t["b"],
    "rpow": lambda m, F, t: 2 ** t["a"],
    "exp": lambda m, F, t: t["a"].exp(),
    "tanh": lambda m, F, t: t["a"].tanh(),
    "sigmoid": lambda m, F, t: t["a"].sigmoid(),
    "sqrt": lambda m, F, t: t["a"].abs().sqrt(),
    "relu": lambda m, F, t: t["a"].relu(),
    "log": lambda m, F, t: t["a"].abs().log(),
    "sin": lambda m, F, t: t["a"].sin(),
    "cos": lambda m, F, t: t["a"].cos(),
    "abs": lambda m, F, t: t["a"].abs(),
    "mm": lambda m, F, t: m.mm(t["a"], t["m"]),
    "matmul": lambda m, F, t: t["a"] @ t["m"],
    "matmul transposed": lambda m, F, t: t["a"].t().t() @ t["w"].t(),
    "linear": lambda m, F, t: F.linear(t["a"], t["w"]),
    "mv": lambda m, F, t: t["a"] @ t["m"][:, 0],
    "sum": lambda m, F, t: t["a"].sum(),
    "mean": lambda m, F, t: t["a"].mean(),
    "view": lambda m, F, t: (t["a"] * 1).view(12),
    "reshape": lambda m, F, t: t["a"].reshape(2, 6),
    "expand": lambda m, F, t: t["a"][:, :1].expand(3, 4),
    "max": lambda m, F, t: t["a"].max(),
    "min": lambda m, F, t: t["a"].min(),
    "prod": lambda m, F, t: t["a"].prod(),
    "clamp": lambda m, F, t: t["a"].clamp(-0.5, 0.5),
    "clamp min": lambda m, F, t: t["a"].clamp(min=0.1),
    "clamp max int": lambda m, F, t: t["a"].clamp(max=1),
    "mse": lambda m, F, t: F.mse_loss(t["a"], t["b"]),
    "where": lambda m, F, t: m.where(t["a"] > 0, t["a"], t["b"]),
    "neg": lambda m, F, t: -t["a"],
    "t": lambda m, F, t: t["a"].t(),
    "clone": lambda m, F, t: t["a"].clone(),
}
# what the engine does not keep where torch does (NotSupported, never a made-up value): none
# since session 21 (PowBackward1 keeps its result whichever operand needs a gradient)
KNOWN_ABSENT: dict = {}
GRADS = {"all": (True, True, True), "first only": (True, False, False),
         "second only": (False, True, True)}


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else engine.to_numpy(t.detach())


def _read(node, name):
    try:
        return ("ok", getattr(node, name))
    except Exception as e:  # noqa: BLE001 (compared with torch's)
        return ("raises", e)


def _same(name, ours, theirs, e_inputs, t_inputs, e_y, t_y):
    """Compare one attribute's reading on the engine's and torch's nodes."""
    if theirs[0] == "raises":
        assert ours[0] == "raises", (name, ours)
        assert str(ours[1]) == str(theirs[1]), (name, ours[1], theirs[1])
        return
    if ours[0] == "raises":
        assert isinstance(ours[1], engine.errors.NotSupported), (name, ours[1])
        return "absent"
    o, t = ours[1], theirs[1]
    if name.startswith("_raw_saved_"):
        assert type(o).__name__ == type(t).__name__ == "SavedTensor", (name, o, t)
        return
    if isinstance(t, torch.Tensor):
        assert isinstance(o, engine.Tensor), (name, o, t)
        assert str(o.dtype) == str(t.dtype) and tuple(o.shape) == tuple(t.shape), (name, o, t)
        # (the values themselves are the ops' (the oracle compares them): the last bit aside
        np.testing.assert_allclose(_np(o), _np(t), rtol=1e-14, atol=0, err_msg=name)
        assert o.requires_grad == t.requires_grad, name
        assert (o.grad_fn is None) == (t.grad_fn is None), name
        if t.grad_fn is not None:
            assert o.grad_fn.name() == t.grad_fn.name(), name
        t_ident = [k for k, v in t_inputs.items() if v is t] + (["y"] if t is t_y else [])
        o_ident = [k for k, v in e_inputs.items() if v is o] + (["y"] if o is e_y else [])
        assert o_ident == t_ident, (name, o_ident, t_ident)
        return
    assert type(o) is type(t) and o == t, (name, o, t)


def _saved_names(node) -> list:
    return sorted(n for n in dir(node) if n.startswith(("_saved_", "_raw_saved_")))


# cases of one tensor input: with "second only" nothing requires grad (not run)
_ONE_INPUT = {"mul scalar", "mul int scalar", "scalar mul", "mul self", "add scalar",
              "pow scalar", "pow float", "rpow", "exp", "tanh", "sigmoid", "sqrt", "relu", "log",
              "sin", "cos", "abs", "sum", "mean", "view", "reshape", "expand", "max", "min",
              "prod", "clamp", "clamp min", "clamp max int", "neg", "t", "clone"}
PAIRS = [(c, g) for c in sorted(CASES) for g in sorted(GRADS)
         if not (g == "second only" and c in _ONE_INPUT)]


@pytest.mark.parametrize("case,grads", PAIRS)
def test_saved_values_as_torch(case, grads):
    ga, gb, gm = GRADS[grads]
    ti, ei = _inputs(torch, ga, gb, gm), _inputs(engine, ga, gb, gm)
    ty = CASES[case](torch, torch.nn.functional, ti)
    ey = CASES[case](engine, engine.nn.functional, ei)
    if ty.grad_fn is None:
        assert ey.grad_fn is None
        return
    tn, en = ty.grad_fn, ey.grad_fn
    assert type(tn).__name__ == type(en).__name__
    names = _saved_names(tn)
    absent = []
    for name in names:
        if _same(name, _read(en, name), _read(tn, name), ei, ti, ey, ty) == "absent":
            absent.append(name)
    assert absent == KNOWN_ABSENT.get((case, grads), []), f"{en.name()} does not expose {absent}"
    # an attribute torch's node does not have
    assert not hasattr(en, "_saved_not_there")
    for n in ("_saved_self", "_saved_result", "_saved_other"):
        if n not in names:
            assert not hasattr(en, n), (en.name(), n)
    # after backward: saved tensors freed (torch's error), sizes and numbers still readable
    ty.sum().backward()
    ey.sum().backward()
    for name in names:
        if not name.startswith("_raw_saved_"):
            _same(name, _read(en, name), _read(tn, name), ei, ti, ey, ty)


def test_reductions_dims_are_not_made_up():
    """torch keeps a reduction's dims as given (a negative dim shows as its unsigned 64-bit
    wrap); the engine keeps them normalized: reading is a NotSupported naming it."""
    a = engine.ones(2, 3, requires_grad=True)
    with pytest.raises(engine.errors.NotSupported, match="SumBackward1._saved_dim"):
        _ = a.sum(-1).grad_fn._saved_dim
    assert a.sum(1, keepdim=True).grad_fn._saved_keepdim is True
    assert a.sum(1).grad_fn._saved_self_sym_sizes == (2, 3)
    with pytest.raises(engine.errors.NotSupported, match="SelectBackward0"):
        _ = a[1].grad_fn._saved_dim


def _builtin(e) -> str:
    return next(c.__name__ for c in type(e).__mro__ if c.__module__ == "builtins")


def _hook_run(m, kind):
    log = []
    a = m.tensor([1.0, 2.0, 3.0], dtype=m.float64, requires_grad=True)
    b = a * 2
    y = {"input": lambda: a * b, "output": lambda: b.exp(), "leaf": lambda: a.pow(2)}[kind]()
    raw = y.grad_fn._raw_saved_result if kind == "output" else y.grad_fn._raw_saved_self

    def pack(t):
        log.append(("pack", t is a, t is b, t is y, t.requires_grad, t.grad_fn is None,
                    _np(t).round(9).tolist()))
        return t * 10

    def unpack(p):
        log.append(("unpack", _np(p).round(9).tolist()))
        return p / 10

    assert raw.register_hooks(pack, unpack) is None
    s = y.grad_fn._saved_result if kind == "output" else y.grad_fn._saved_self
    log.append(("read", s is a, s is b, s.requires_grad, s.grad_fn is None, s.is_leaf,
                None if s.grad_fn is None else s.grad_fn.name()))
    for call in (lambda: raw.register_hooks(pack, unpack), lambda: raw.register_hooks(pack),
                 lambda: raw.register_hooks(1, unpack)):
        try:
            call()
        except Exception as e:  # noqa: BLE001
            log.append((_builtin(e), str(e).split("\n")[0]))
    y.sum().backward()
    log.append(("grad", _np(a.grad).round(9).tolist()))
    try:
        raw.register_hooks(pack, unpack)
    except RuntimeError as e:
        log.append(str(e))
    return log


@pytest.mark.parametrize("kind", ["input", "output", "leaf"])
def test_register_hooks_as_torch(kind):
    assert _hook_run(engine, kind) == _hook_run(torch, kind)


def test_hooks_on_a_value_not_saved_and_version_errors():
    for m in (engine, torch):
        a = m.ones(3, requires_grad=True)
        y = a * 2.0
        with pytest.raises(RuntimeError, match="saved tensor with value None is forbidden"):
            y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda p: p)
    outs = []
    for m in (engine, torch):
        b = m.ones(3, requires_grad=True)
        d = b * 1
        e = d.sin()
        d.add_(1)
        with pytest.raises(RuntimeError) as info:
            _ = e.grad_fn._saved_self
        outs.append(str(info.value))
    assert outs[0] == outs[1]


def test_through_the_language():
    from tests.app.lang.published import run_ours, run_torch

    cells = ["import torch\nx = torch.randn(5, requires_grad=True)\ny = x.pow(2)\n"
             "print(x.equal(y.grad_fn._saved_self), x is y.grad_fn._saved_self)\n"
             "y = x.exp()\nprint(y.equal(y.grad_fn._saved_result), y is y.grad_fn._saved_result)\n"
             "def pack_hook(x):\n    print('Packing', x.shape)\n    return x\n"
             "def unpack_hook(x):\n    print('Unpacking', x.shape)\n    return x\n"
             "a = torch.ones(5, requires_grad=True)\nb = a * 2\ny = a * b\n"
             "y.grad_fn._raw_saved_self.register_hooks(pack_hook, unpack_hook)\n"
             "y.grad_fn._raw_saved_other.register_hooks(pack_hook, unpack_hook)\n"
             "y.sum().backward()\nprint(a.grad, y.grad_fn.name(), y.grad_fn.metadata)\n"
             "try:\n    y.grad_fn._saved_self\nexcept RuntimeError as e:\n    print('E', e)\n"
             "try:\n    y.grad_fn._saved_foo\nexcept AttributeError as e:\n    print('E', e)\n"
             "print(type(y.grad_fn._raw_saved_self))\n"
             "print((a.view(1, 5) @ a.view(5, 1)).grad_fn._saved_mat2_sym_sizes)\n"
             "print(torch.add(a, b, alpha=2).grad_fn._saved_alpha)\n"
             "print((a ** 3).grad_fn._saved_exponent)\n"]
    assert run_ours(cells) == run_torch(cells)
