"""Running a ``Program`` on the engine or on torch, and what is observed of the run.

Both backends go through the same steps; each observation is a plain record (``Obs``) so the
comparison never touches either library. Observations, in order: each step's result right
after it ran, the final state of every variable (in-place ops change earlier ones), then the
gradient phase (``.grad`` of every leaf; for order 2 also the first-order gradients as
``grad(create_graph=True)`` returned them). An exception stops the run and is observed as
where it happened, its class and its text.
"""

from __future__ import annotations

import contextlib
import math
import operator
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

import engine
from engine.ops import OPS
from engine.ops.signatures import explain

from .gauge import canonical_obs, fix_for_loss
from .program import DT, TORCH_PATHS, Program, Ref, Step

# --------------------------------------------------------------------------- observations


@dataclass
class TensorObs:
    values: np.ndarray
    dtype: str
    shape: tuple
    requires_grad: bool
    is_leaf: bool
    grad_fn: str | None
    repr: str
    version: int


@dataclass
class ErrorObs:
    where: str
    cls: type
    message: str


@dataclass
class Run:
    obs: list[tuple[str, Any]]
    error: ErrorObs | None = None


def builtin_class(exc: BaseException) -> type:
    """The nearest builtin exception class (what a program's ``except`` clause can name)."""
    for c in type(exc).__mro__:
        if c.__module__ == "builtins":
            return c
    return Exception  # pragma: no cover


def observed(program, lib, observe):
    """``observe(program(lib))``, or ``("raised", class, text)`` when it raises: the nearest
    builtin exception class and the text, which is what the pinned comparisons compare."""
    try:
        return observe(program(lib))
    except Exception as e:  # noqa: BLE001 - the class and text are what is compared
        return ("raised", builtin_class(e).__name__, str(e))


# --------------------------------------------------------------------------- backends

OPERATORS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "@": operator.matmul,
    "&": operator.and_, "|": operator.or_, "^": operator.xor, "==": operator.eq,
    "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
    ">=": operator.ge, "neg": operator.neg, "pos": operator.pos, "invert": operator.invert,
    "abs": abs, "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul,
    "/=": operator.itruediv, "//=": operator.ifloordiv, "%=": operator.imod,
    "**=": operator.ipow, "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
}


class Backend:
    name: str
    Tensor: type

    def tensor(self, values: np.ndarray, dtype: str, requires_grad: bool):
        raise NotImplementedError

    def dtype(self, name: str):
        raise NotImplementedError

    def function(self, name: str):
        raise NotImplementedError

    def grad(self, outputs, inputs, **kw):
        raise NotImplementedError

    def numpy(self, t) -> np.ndarray:
        raise NotImplementedError

    def dtype_name(self, t) -> str:
        return str(t.dtype).removeprefix("torch.")

    def no_grad(self):
        raise NotImplementedError


class EngineBackend(Backend):
    name = "engine"
    Tensor = engine.Tensor

    def tensor(self, values, dtype, requires_grad):
        return engine.tensor(values.copy(), dtype=self.dtype(dtype), requires_grad=requires_grad)

    def dtype(self, name):
        return engine.dtype_from_name(name)

    def function(self, name):
        return OPS[name].fn

    def grad(self, outputs, inputs, **kw):
        return engine.grad(outputs, inputs, **kw)

    def numpy(self, t):
        return engine.to_numpy(t).copy()

    def no_grad(self):
        return engine.no_grad()


def _torch_function(name: str):
    """torch's callable for an op in the table (``torch.x``, or ``F.x`` for nn ops)."""
    d = OPS[name]
    spaces = [("torch", torch), ("F", F), ("torch.linalg", torch.linalg),
              ("torch.special", torch.special)]
    # the pooling ops are F's (torch.max_pool2d refuses return_indices, and
    # torch.adaptive_max_pool1d always returns indices; F's do as the engine's op)
    if d.fn.__module__.rsplit(".", 1)[-1] in ("nn", "loss", "activation", "normalization",
                                              "nn_layers", "pooling", "embedding_bag"):
        spaces.insert(0, spaces.pop(1))
    short = name.removeprefix("linalg_").removeprefix("linalg.")
    if short != name:
        spaces = [("torch.linalg", torch.linalg)]
    if name.startswith("special."):  # torch.special's functions (engine/ops/special.py)
        short, spaces = name.removeprefix("special."), [("torch.special", torch.special)]
    for path, mod in spaces:
        fn = getattr(mod, short, None)
        if fn is not None:
            if path != "torch":
                TORCH_PATHS[name] = f"{path}.{short}"
            return fn
    return None


class TorchBackend(Backend):
    name = "torch"
    Tensor = torch.Tensor

    def __init__(self):
        self._fns: dict[str, Any] = {}

    def tensor(self, values, dtype, requires_grad):
        return torch.tensor(values.copy(), dtype=self.dtype(dtype), requires_grad=requires_grad)

    def dtype(self, name):
        return getattr(torch, name)

    def function(self, name):
        fn = self._fns.get(name)
        if fn is None:
            fn = _torch_function(name)
            if fn is None:
                raise AttributeError(f"module 'torch' has no attribute '{name}'")
            self._fns[name] = fn
        return fn

    def grad(self, outputs, inputs, **kw):
        return torch.autograd.grad(outputs, inputs, **kw)

    def numpy(self, t):
        t = t.detach()
        if t._is_zerotensor():  # what some double-backward formulas return
            return np.zeros(tuple(t.shape), dtype=str(t.dtype).removeprefix("torch."))
        return t.numpy().copy()

    def no_grad(self):
        return torch.no_grad()


ENGINE = EngineBackend()
TORCH = TorchBackend()


# --------------------------------------------------------------------------- running


def _resolve(a, env, be: Backend):
    if isinstance(a, Ref):
        return env[a.name]
    if isinstance(a, DT):
        return be.dtype(a.name)
    if isinstance(a, tuple):
        return tuple(_resolve(x, env, be) for x in a)
    if isinstance(a, list):
        return [_resolve(x, env, be) for x in a]
    if isinstance(a, dict):
        return {k: _resolve(v, env, be) for k, v in a.items()}
    if isinstance(a, np.ndarray):  # a constant tensor written inline (the loss weights)
        return be.tensor(a, _dtype_of(a), False)
    return a


def _dtype_of(a: np.ndarray) -> str:
    return "bool" if a.dtype == np.bool_ else str(a.dtype)


def _as_program_sees(fn, op: str, form: str, args, kwargs):
    """The engine's call as a program makes it: an exception passes through torch's
    argument-parser rules (app/lang does so on its error path, engine/ops/signatures.py)."""
    try:
        return fn(*args, **kwargs)
    except Exception as e:
        seen = explain(op, form, args, kwargs, e)
        if seen is e:
            raise
        raise seen from None


def call_step(step: Step, env: dict, be: Backend):
    args = _resolve(step.args, env, be)
    kwargs = _resolve(step.kwargs, env, be)
    f = step.form
    if f == "function":
        if be is ENGINE:
            return _as_program_sees(be.function(step.op), step.op, f, args, kwargs)
        return be.function(step.op)(*args, **kwargs)
    if f == "method":  # looked up on the class, as ``x.op(...)`` in a program is (torch's
        # texts differ for a bound method: "Tensor.exp() takes ...", not "TensorBase.exp()")
        if be is ENGINE:
            return _as_program_sees(getattr(type(args[0]), step.op), step.op, f, args, kwargs)
        return getattr(type(args[0]), step.op)(*args, **kwargs)
    if f == "getitem":
        return args[0][args[1]]
    if f == "setitem":
        args[0][args[1]] = args[2]
        return None
    if f == "operator":
        return OPERATORS[step.op](*args)
    if f == "attr":
        return getattr(args[0], step.op)
    raise ValueError(f)  # pragma: no cover


def observe(x, be: Backend, values: bool = True, version: bool = True):
    """A plain record of a value (tensors, sizes, tuples, numbers). ``version``: record the
    version counter (torch builds some results and gradients in place, so only the changes
    a program makes are compared: see ``_run``)."""
    if isinstance(x, be.Tensor):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fn = x.grad_fn
                name = None if fn is None else type_name(fn)
                is_leaf = x.is_leaf
            except Exception as e:  # noqa: BLE001 (torch raises for some modified views)
                name = f"<raises {builtin_class(e).__name__}: {e}>"
                is_leaf = None
            return TensorObs(
                values=be.numpy(x) if values else np.zeros(0),
                dtype=be.dtype_name(x), shape=tuple(x.shape), requires_grad=x.requires_grad,
                is_leaf=is_leaf, grad_fn=name, repr=_repr(x) if values else "",
                version=x._version if version else 0)
    if isinstance(x, (tuple, list)):
        kind = "Size" if type(x).__name__ == "Size" else type(x).__name__
        return (kind, tuple(observe(v, be, values, version) for v in x))
    if isinstance(x, (engine.DType, torch.dtype)):
        return ("dtype", str(x))
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    return ("object",)  # hook handles and the like: only their presence is compared


def _repr(x) -> str:
    try:
        return repr(x)
    except Exception as e:  # noqa: BLE001
        return f"<repr raises {builtin_class(e).__name__}: {e}>"


def type_name(fn) -> str:
    """A node's name as the tensor's repr shows it: its class, or for a node torch gives no
    class of its own (``CppFunction``) its ``name()`` without the namespace."""
    name = type(fn).__name__
    return fn.name().rsplit("::", 1)[-1] if name == "CppFunction" else name


def _versions(out, env, born) -> None:
    for name in (() if out is None else out if isinstance(out, tuple) else (out,)):
        v = env[name]
        if hasattr(v, "_version"):
            born[name] = v._version


def _bind(out, result, env):
    if out is None:
        return
    if isinstance(out, tuple):
        for name, v in zip(out, result, strict=True):
            env[name] = v
    else:
        env[out] = result


def run(program: Program, be: Backend, *, default_float64: bool = False) -> Run:
    """Run ``program`` on ``be``. ``default_float64`` (torch only) runs it with torch's
    default dtype set to float64: the reference run of the tolerance rules."""
    ctx = _default_float64() if default_float64 else contextlib.nullcontext()
    with ctx, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _run(program, be)


@contextlib.contextmanager
def _default_float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


def _run(program: Program, be: Backend) -> Run:
    obs: list = []
    env: dict = {}
    vals = program.values
    gauge = dict(program.gauge)
    for lf in program.leaves:
        env[lf.name] = be.tensor(lf.values, lf.dtype, lf.requires_grad)
    last = None
    born: dict = {}  # version counter of each variable when it was bound
    for i, step in enumerate(program.steps):
        try:
            res = call_step(step, env, be)
            _bind(step.out, res, env)
            _versions(step.out, env, born)
        except Exception as e:  # noqa: BLE001 (every failure is an observation)
            return Run(obs, ErrorObs(f"step {i}", builtin_class(e), str(e)))
        last = step
        if step.out is not None:
            o = observe(res, be, vals, False)
            if step.out in gauge:
                o = canonical_obs(gauge[step.out], o)
            obs.append((f"step {i} result", o))
    for name in program.retain:
        try:
            env[name].retain_grad()
        except Exception as e:  # noqa: BLE001
            return Run(obs, ErrorObs(f"{name}.retain_grad()", builtin_class(e), str(e)))
    for name, v in env.items():
        o = observe(v, be, vals)
        if name in gauge:
            o = canonical_obs(gauge[name], o)
        if isinstance(o, TensorObs):  # how many in-place changes it saw since it was bound
            o.version -= born.get(name, 0)
        obs.append((f"final {name}", o))
    if program.order == 0:
        return Run(obs)

    names = program.loss or (() if last is None or last.out is None else
                             last.out if isinstance(last.out, tuple) else (last.out,))
    outs = [fix_for_loss(gauge[n], env[n], be) if n in gauge else env[n] for n in names]
    err = _gradient_phase(program, be, env, outs, obs)
    return Run(obs, err)


def run_steps(program: Program, be: Backend, around=contextlib.nullcontext):
    """The program's variables after its steps on ``be`` (warnings silenced; the steps run
    inside ``around()``), with the losses its gradient phase differentiates: ``(env,
    losses)``, or None when a step raised (the differential suite compares errors; the other
    sweeps skip such programs)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        env: dict = {}
        for lf in program.leaves:
            env[lf.name] = be.tensor(lf.values, lf.dtype, lf.requires_grad)
        last = None
        try:
            with around():
                for step in program.steps:
                    _bind(step.out, call_step(step, env, be), env)
                    last = step
        except Exception:  # noqa: BLE001
            return None
        gauge = dict(program.gauge)
        names = program.loss or (() if last is None or last.out is None else
                                 last.out if isinstance(last.out, tuple) else (last.out,))
        outs = _flat_outputs(be, [fix_for_loss(gauge[n], env[n], be) if n in gauge else env[n]
                                  for n in names])
        return env, outs


def _differentiable(be: Backend, x) -> bool:
    return isinstance(x, be.Tensor) and x.requires_grad and x.dtype.is_floating_point


def _weights(seed: int, shape: tuple, k: int) -> np.ndarray:
    """Loss weights: multiples of 1/4 in [-2, 2], exact in every float dtype."""
    rng = np.random.default_rng([seed, k])
    return rng.integers(-8, 9, size=shape).astype(np.float64) / 4


def _weighted_sum(be: Backend, outs, seed: int):
    total = None
    for k, o in enumerate(outs):
        if not _differentiable(be, o):
            continue
        w = be.tensor(_weights(seed, tuple(o.shape), k), be.dtype_name(o), False)
        term = (o * w).sum()
        total = term if total is None else total + term
    return total


def _flat_outputs(be: Backend, outs) -> list:
    flat = []
    for o in outs:
        if isinstance(o, (tuple, list)):
            flat.extend(_flat_outputs(be, o))
        else:
            flat.append(o)
    return flat


def _is_leaf(x) -> bool:
    try:
        return x.is_leaf
    except Exception:  # noqa: BLE001 (torch raises for some modified views: not a leaf)
        return False


def _gradient_phase(program: Program, be: Backend, env: dict, outs, obs) -> ErrorObs | None:
    # inputs, then leaves the steps made (``torch.ones(2, requires_grad=True)``)
    names = [lf.name for lf in program.leaves if lf.requires_grad]
    names += [n for n, v in env.items() if n not in names and isinstance(v, be.Tensor) and
              _is_leaf(v) and v.requires_grad]
    leaves = [env[n] for n in names]
    vals = program.values
    try:
        loss = _weighted_sum(be, _flat_outputs(be, outs), program.seed)
    except Exception as e:  # noqa: BLE001
        return ErrorObs("loss", builtin_class(e), str(e))
    obs.append(("loss requires grad", loss is not None and loss.requires_grad))
    if loss is None or not loss.requires_grad:
        return None
    try:
        if program.order == 1:
            loss.backward()
        elif leaves:
            gs = be.grad(loss, leaves, create_graph=True, allow_unused=True)
            for name, g in zip(names, gs, strict=True):
                obs.append((f"grad(loss, {name}, create_graph=True)",
                            observe(g, be, vals, False)))
            second = _weighted_sum(be, list(gs), program.seed + 1)
            obs.append(("second loss requires grad",
                        second is not None and second.requires_grad))
            if second is not None and second.requires_grad:
                second.backward()
    except Exception as e:  # noqa: BLE001
        return ErrorObs(f"backward (order {program.order})", builtin_class(e), str(e))
    for name in names:
        obs.append((f"{name}.grad", observe(env[name].grad, be, vals, False)))
    for name in program.retain:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obs.append((f"{name}.grad (retained)", observe(env[name].grad, be, vals, False)))
    return None


def pinned_obs(x):
    """What a pinned case compares of a result: dtype, shape, requires_grad, grad_fn name and
    values (signs of zeros, NaN placement; others to 7 significant digits); lists item by
    item; numbers, strings and None as they are; other objects (a dtype, a Size) as text."""
    if isinstance(x, (list, tuple)):
        return [pinned_obs(i) for i in x]
    if x is None or isinstance(x, (bool, int, str)):
        return x
    if isinstance(x, float):
        return "nan" if x != x else (x, math.copysign(1.0, x))
    if not hasattr(x, "grad_fn"):  # a dtype, a Size ...
        return str(x).replace("torch.", "")
    fn = x.grad_fn
    vals = np.asarray(x.detach().tolist(), dtype=np.float64).reshape(-1)
    return (str(x.dtype).replace("torch.", ""), tuple(x.shape), x.requires_grad,
            None if fn is None else fn.name().replace("torch::autograd::", ""),
            ["nan" if v != v else (float(f"{v:.7g}"), bool(np.signbit(v))) for v in vals])
