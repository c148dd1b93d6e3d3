"""Run one program against the engine and against torch 2.13 and compare everything a program
can observe: the structure of the result, each tensor's dtype, shape, values, ``requires_grad``
and ``grad_fn`` name, the gradients of the leaves, and (when both fail) the exception class and
message.

A case is a function ``case(m, F, leaf)``: ``m`` is ``engine`` or ``torch``, ``F`` is where the
``torch.nn.functional`` ops live (``engine`` itself, or ``torch.nn.functional``) and
``leaf(values, dtype=...)`` makes a floating tensor that requires grad (float64 by default).
Tests import this module only after ``pytest.importorskip("torch")``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

import engine

_DTYPES = {engine.float32: torch.float32, engine.float64: torch.float64,
           engine.float16: torch.float16, engine.int64: torch.int64, engine.int32: torch.int32,
           engine.bool_: torch.bool}


class _EngineFunctional:
    """``F`` for the engine: ``engine.nn.functional`` where it has the name (``F.kl_div`` is not
    ``torch.kl_div``), else the op table's function."""

    def __getattr__(self, name: str):
        import engine.nn.functional as functional

        return getattr(functional, name) if name in functional.__all__ else getattr(engine, name)


class Run:
    """One side of a comparison: what the case returned or raised, and its leaves' grads."""

    def __init__(self, lib, case, seed: int = 0):
        self.lib = lib
        self.leaves: list = []
        self.error: BaseException | None = None
        self.grad_error: BaseException | None = None
        self.value = None
        self.grads: list | None = None
        functional = _EngineFunctional() if lib is engine else torch.nn.functional

        def leaf(values, dtype=None, requires_grad=True):
            dt = dtype or (engine.float64 if lib is engine else torch.float64)
            if lib is not engine and isinstance(dt, engine.DType):
                dt = _DTYPES[dt]
            t = lib.tensor(values, dtype=dt, requires_grad=requires_grad)
            self.leaves.append(t)
            return t

        try:
            self.value = case(lib, functional, leaf)
        except Exception as e:  # noqa: BLE001 (compared with the other side)
            self.error = e
            return
        outs = [t for t in _tensors(self.value) if t.requires_grad and t.dtype.is_floating_point]
        if outs and self.leaves:
            try:
                self._grads(lib, outs, seed)
            except Exception as e:  # noqa: BLE001 (compared with the other side)
                self.grad_error = e

    def _grads(self, lib, outs, seed) -> None:
        """The leaves' gradients of a fixed random weighting of the outputs."""
        rng = np.random.default_rng(seed)
        total = None
        for o in outs:
            w = lib.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype)
            term = (o * w).sum()
            total = term if total is None else total + term
        grads = (engine.grad if lib is engine else torch.autograd.grad)(
            total, self.leaves, allow_unused=True)
        self.grads = [None if g is None else _np(g) for g in grads]


def _tensors(value) -> list:
    if isinstance(value, (engine.Tensor, torch.Tensor)):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    return []


def _np(t) -> np.ndarray:
    if isinstance(t, engine.Tensor):
        return engine.to_numpy(t)
    return t.detach().cpu().numpy()


def _dtype_name(t) -> str:
    return str(t.dtype).replace("torch.", "")


def _grad_fn(t):
    """The node's name as ``repr`` shows it (torch's ``name()`` of a few C++ nodes carries a
    ``torch::autograd::`` prefix that its repr leaves out)."""
    fn = t.grad_fn
    if fn is None:
        return None
    name = type(fn).__name__
    return fn.name().rsplit("::", 1)[-1] if name == "CppFunction" else name


def graph_names(t) -> list:
    """The names of every node behind ``t``, depth first along ``next_functions``."""
    out, stack, seen = [], [t.grad_fn], set()
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        out.append(fn.name().split("::")[-1])
        stack.extend(f for f, _ in reversed(fn.next_functions))
    return out


def _base_exception(e: BaseException) -> type:
    for cls in type(e).__mro__:
        if cls in (TypeError, ValueError, IndexError, NotImplementedError, RuntimeError,
                   AssertionError, OverflowError):
            return cls
    return type(e)


def close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    """Equal within tolerance, NaN matching NaN and infinities matching exactly."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "biu" or b.dtype.kind in "biu":
        return bool(np.array_equal(a, b))
    a, b = a.astype(np.float64), b.astype(np.float64)
    both_nan = np.isnan(a) & np.isnan(b)
    with np.errstate(invalid="ignore"):
        ok = both_nan | (a == b) | (np.abs(a - b) <= atol + rtol * np.abs(b))
    return bool(np.all(ok))


_RTOL = {"float16": 2e-3, "float32": 2e-6, "float64": 1e-12}


def compare(case, rtol: float = 0.0, atol: float = 1e-9, grads: bool = True,
            message: bool = True, values: bool = True, graph: bool = True) -> Run:
    """Run ``case`` on both libraries and assert they agree; returns the engine's run.
    Values must agree to ``rtol`` or the result dtype's own tolerance, whichever is larger;
    with ``graph`` the whole chain of node names behind each result must agree too."""
    ours, theirs = Run(engine, case), Run(torch, case)
    assert not isinstance(theirs.error, NameError), f"the case itself is broken: {theirs.error}"
    if theirs.error is not None or ours.error is not None:
        assert ours.error is not None, f"torch raised {theirs.error!r}, the engine returned " \
                                       f"{ours.value!r}"
        assert theirs.error is not None, f"the engine raised {ours.error!r}, torch returned " \
                                         f"{theirs.value!r}"
        assert _base_exception(ours.error) is _base_exception(theirs.error), \
            f"exception class: {ours.error!r} vs torch's {theirs.error!r}"
        if message:
            assert str(ours.error) == str(theirs.error), \
                f"message:\n  ours:  {ours.error}\n  torch: {theirs.error}"
        return ours
    _same_value(ours.value, theirs.value, rtol, atol, values, "result")
    if graph:
        for k, (a, b) in enumerate(zip(_tensors(ours.value), _tensors(theirs.value),
                                       strict=True)):
            assert graph_names(a) == graph_names(b), \
                f"graph of result {k}: {graph_names(a)} vs torch's {graph_names(b)}"
    if grads and (ours.grad_error or theirs.grad_error):
        assert ours.grad_error is not None and theirs.grad_error is not None, \
            f"backward: {ours.grad_error!r} vs torch's {theirs.grad_error!r}"
        assert _base_exception(ours.grad_error) is _base_exception(theirs.grad_error)
        assert str(ours.grad_error) == str(theirs.grad_error), \
            f"backward message:\n  ours:  {ours.grad_error}\n  torch: {theirs.grad_error}"
    elif grads:
        assert (ours.grads is None) == (theirs.grads is None), \
            f"gradients: {ours.grads} vs torch's {theirs.grads}"
        for k, (g, h) in enumerate(zip(ours.grads or (), theirs.grads or (), strict=True)):
            assert (g is None) == (h is None), f"grad of leaf {k}: {g} vs torch's {h}"
            if g is not None:
                tol = max(rtol, _RTOL.get(str(h.dtype), 0.0)) * 10
                assert close(g, h, tol, atol * 10), \
                    f"grad of leaf {k}:\n  ours:  {g}\n  torch: {h}"
    return ours


def _same_value(a, b, rtol, atol, values: bool, where: str) -> None:
    if isinstance(b, torch.Tensor):
        assert isinstance(a, engine.Tensor), f"{where}: {a!r} is not a tensor (torch: {b!r})"
        assert _dtype_name(a) == _dtype_name(b), f"{where}: dtype {a.dtype} vs torch's {b.dtype}"
        assert tuple(a.shape) == tuple(b.shape), \
            f"{where}: shape {tuple(a.shape)} vs torch's {tuple(b.shape)}"
        assert a.requires_grad == b.requires_grad, f"{where}: requires_grad differs"
        assert _grad_fn(a) == _grad_fn(b), \
            f"{where}: grad_fn {_grad_fn(a)} vs torch's {_grad_fn(b)}"
        if values:
            rtol = max(rtol, _RTOL.get(_dtype_name(b), 0.0))
            assert close(_np(a), _np(b), rtol, atol), \
                f"{where} values:\n  ours:  {_np(a)}\n  torch: {_np(b)}"
    elif isinstance(b, (list, tuple)):
        assert isinstance(a, (list, tuple)) and len(a) == len(b), \
            f"{where}: {a!r} vs torch's {b!r}"
        if type(b).__module__ == "torch.return_types":
            assert type(a).__name__ == type(b).__name__, f"{where}: {type(a)} vs {type(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same_value(x, y, rtol, atol, values, f"{where}[{i}]")
    elif isinstance(b, float) and math.isnan(b):
        assert isinstance(a, float) and math.isnan(a), f"{where}: {a!r} vs torch's nan"
    elif isinstance(b, torch.Size):
        assert tuple(a) == tuple(b), f"{where}: {a!r} vs torch's {b!r}"
    elif isinstance(b, torch.dtype):
        assert str(a) == str(b), f"{where}: {a!r} vs torch's {b!r}"
    else:
        assert type(a) is type(b) and a == b, f"{where}: {a!r} vs torch's {b!r}"


# ------------------------------------------ gradients of parameterised functions, both orders
# ``f(m, p)`` computes a tensor from ``p``, a dict of float64 leaves made by ``params(m)`` for
# ``m`` = ``engine`` or ``torch`` (the same values on both sides).

def used_leaves(m, f, params) -> list:
    """The names of the leaves of ``params(m)`` that ``f`` differentiates through."""
    p = params(m)
    out = f(m, p)
    grads = (engine.grad if m is engine else torch.autograd.grad)(
        out.sum(), list(p.values()), allow_unused=True)
    return [k for k, g in zip(p, grads) if g is not None]


def check_second_derivatives(f, params, rtol: float = 1e-10, atol: float = 1e-12,
                             rtol2: float = 1e-9, atol2: float = 1e-12) -> None:
    """First derivatives of a fixed random weighting of ``f``'s output and the derivatives of
    their squared norm (a Hessian-vector product), ours against torch's, over every leaf that
    ``f`` uses; ``None`` second derivatives must be ``None`` on both sides."""
    results = []
    for m in (engine, torch):
        p = params(m)
        out = f(m, p)
        grad = engine.grad if m is engine else torch.autograd.grad
        w = m.tensor(np.random.default_rng(1).standard_normal(tuple(out.shape)),
                     dtype=m.float64)
        leaves = [p[k] for k in used_leaves(m, f, params)]
        first = grad((out * w).sum(), leaves, create_graph=True)
        second = grad(sum((g * g).sum() for g in first), leaves, allow_unused=True)
        results.append(([_np(g) for g in first],
                        [None if g is None else _np(g) for g in second]))
    (f1, s1), (f2, s2) = results
    assert len(f1) == len(f2) and f1, "no leaf is used"
    for a, b in zip(f1, f2, strict=True):
        assert close(a, b, rtol, atol), (a, b)
    for a, b in zip(s1, s2, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            assert close(a, b, rtol2, atol2), (a, b)


def check_gradcheck(f, params, prepare=None) -> None:
    """The engine's gradcheck and gradgradcheck (float64) of ``f`` in the leaves it uses;
    ``prepare(name, leaf)`` may map a perturbed leaf onto a valid input (a symmetric matrix)."""
    p = params(engine)
    keys = used_leaves(engine, f, params)

    def function(*leaves):
        q = dict(p)
        for k, v in zip(keys, leaves):
            q[k] = prepare(k, v) if prepare else v
        return f(engine, q)

    leaves = tuple(p[k] for k in keys)
    assert engine.autograd.gradcheck(function, leaves)
    assert engine.autograd.gradgradcheck(function, leaves)
