"""``gradcheck`` / ``gradgradcheck``: analytical Jacobians (reverse mode, and forward mode when
asked) against central finite differences, with PyTorch's tolerances and messages."""

from __future__ import annotations

import warnings

import numpy as np

from .. import errors
from ..modes import enable_grad
from ..tensor import Tensor, _wrap

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(errors.EngineRuntimeError):
    """Raised by ``gradcheck``/``gradgradcheck`` when a check fails."""


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _diff_outputs(out) -> list:
    return [o for o in _as_tuple(out) if isinstance(o, Tensor)]


def _host(a):
    return a if isinstance(a, np.ndarray) else a.get()


def _fmt(arr: np.ndarray, dtype) -> str:
    return repr(_wrap(np.ascontiguousarray(arr).astype(dtype.np), dtype))


def _numerical(fn, inputs, outputs, j: int, eps: float) -> list:
    """d outputs / d inputs[j], one (n_in, n_out) array per output, by central differences."""
    x = inputs[j]
    data = x._data
    n_in = data.size
    jac = [np.zeros((n_in, o._data.size)) for o in outputs]
    flat_index = np.ndindex(*data.shape) if data.ndim else [()]
    for k, idx in enumerate(flat_index):
        orig = data[idx].item()
        data[idx] = orig - eps
        lo = [_host(o._data).astype(np.float64).copy() for o in _diff_outputs(fn(*inputs))]
        data[idx] = orig + eps
        hi = [_host(o._data).astype(np.float64).copy() for o in _diff_outputs(fn(*inputs))]
        data[idx] = orig
        for i in range(len(outputs)):
            jac[i][k] = ((hi[i] - lo[i]) / (2 * eps)).reshape(-1)
    return jac


def _analytical(outputs, inputs, wrt: list) -> tuple:
    """Reverse-mode Jacobians: ``jac[i][j]`` is (n_in_j, n_out_i); also the dtypes of the
    gradients that came back."""
    from .engine import run_backward

    jac = [[np.zeros((inputs[j]._data.size, o._data.size)) for j in wrt] for o in outputs]
    dtypes = {}
    for i, o in enumerate(outputs):
        if not o.requires_grad:
            continue
        for k in range(o._data.size):
            seed = o.device.xp.zeros(o._data.shape, dtype=o.dtype.np)
            seed.reshape(-1)[k] = 1
            grads = run_backward([o], [_wrap(seed, o.dtype, o.device)], True, False,
                                 inputs=[inputs[j] for j in wrt], accumulate=False,
                                 allow_unused=True)
            for jj, g in enumerate(grads):
                if g is not None:
                    dtypes[wrt[jj]] = g.dtype
                    jac[i][jj][:, k] = _host(g._data).astype(np.float64).reshape(-1)
    return jac, dtypes


def _forward_jacobians(fn, inputs, wrt: list) -> list:
    """Forward-mode Jacobians ``jac[i][j]`` (n_in_j, n_out_i), one tangent per input element."""
    from . import forward_ad as fw

    result = None
    for jj, j in enumerate(wrt):
        x = inputs[j]
        for k in range(x._data.size):
            tangent = x.device.xp.zeros(x._data.shape, dtype=x.dtype.np)
            tangent.reshape(-1)[k] = 1
            with fw.dual_level():
                duals = list(inputs)
                duals[j] = fw.make_dual(x.detach(), _wrap(tangent, x.dtype, x.device))
                outs = _diff_outputs(fn(*duals))
                tangents = [fw.unpack_dual(o).tangent for o in outs]
            if result is None:
                result = [[np.zeros((inputs[w]._data.size, o._data.size)) for w in wrt]
                          for o in outs]
            for i, t in enumerate(tangents):
                if t is not None:
                    result[i][jj][k] = _host(t._data).astype(np.float64).reshape(-1)
    return result or []


def _fail(msg: str, raise_exception: bool) -> bool:
    if raise_exception:
        raise GradcheckError(msg)
    return False


def _close(a: np.ndarray, n: np.ndarray, rtol: float, atol: float) -> bool:
    return bool(np.allclose(a, n, rtol=rtol, atol=atol))


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: bool | None = None) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against finite differences (float64
    inputs that require grad are checked; others are held fixed)."""
    if masked:
        raise errors.NotSupported("gradcheck(masked=True) is not supported")
    inputs = _as_tuple(inputs)
    wrt = [j for j, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        raise errors.EngineValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of them "
            "have requires_grad=True.")
    for j in wrt:
        if inputs[j].dtype.name != "float64":
            warnings.warn(
                f"Input #{j} requires gradient and is not a double precision floating point or "
                "complex. This check will likely fail if all the inputs are not of double "
                "precision floating point or complex. ", UserWarning, stacklevel=2)
    with enable_grad():
        outputs = _diff_outputs(func(*inputs))
    outputs = [o for o in outputs if o.dtype.is_floating_point]
    if not outputs:
        return _fail("gradcheck: no differentiable (floating point) output", raise_exception)
    numerical = [_numerical(func, inputs, outputs, j, eps) for j in wrt]  # [jj][i]
    if check_backward_ad:
        analytical, dtypes = _analytical(outputs, inputs, wrt)
        for i in range(len(outputs)):
            for jj, j in enumerate(wrt):
                ok = _check_pair(numerical[jj][i], analytical[i][jj], i, j, inputs[j].dtype,
                                 rtol, atol, fast_mode, "", raise_exception)
                if not ok:
                    return False
        if nondet_tol >= 0:
            again, _ = _analytical(outputs, inputs, wrt)
            for i in range(len(outputs)):
                for jj in range(len(wrt)):
                    if not np.allclose(again[i][jj], analytical[i][jj], rtol=0,
                                       atol=nondet_tol):
                        return _fail(
                            "Backward is not reentrant, i.e., running backward with same input "
                            "and grad_output multiple times gives different values, although "
                            "analytical gradient matches numerical gradient.The tolerance for "
                            f"nondeterminism was {nondet_tol}.", raise_exception)
        if check_grad_dtypes:
            for j, dt in dtypes.items():
                if dt is not inputs[j].dtype:
                    return _fail("Gradient has dtype mismatch", raise_exception)
        if check_undefined_grad and not _undefined_grad_ok(func, inputs, wrt):
            return _fail(
                "Expected backward function to handle undefined output grads. Please look at "
                "\"Notes about undefined output gradients\" in \"tools/autograd/derivatives.yaml\"",
                raise_exception)
        if check_batched_grad and not _batched_grad_ok(func, inputs, wrt, outputs, atol, rtol):
            return _fail("gradcheck: batched gradient (vmap over vjp) does not match the "
                         "gradients computed one by one", raise_exception)
    if check_forward_ad or check_batched_forward_grad:
        forward = _forward_jacobians(func, inputs, wrt)
        for i in range(len(outputs)):
            for jj, j in enumerate(wrt):
                ok = _check_pair(numerical[jj][i], forward[i][jj], i, j, inputs[j].dtype,
                                 rtol, atol, fast_mode, "computed with forward mode ",
                                 raise_exception)
                if not ok:
                    return False
    return True


def _check_pair(num, ana, i, j, dtype, rtol, atol, fast_mode, kind, raise_exception) -> bool:
    if fast_mode:
        rng = np.random.default_rng(0)
        u = rng.random(num.shape[0])
        v = rng.random(num.shape[1])
        n_proj = float(u @ num @ v)
        a_proj = float(u @ ana @ v)
        if abs(a_proj - n_proj) <= atol + rtol * abs(n_proj):
            return True
        diff = float(np.abs(ana - num).max()) if num.size else 0.0
        return _fail(
            f"Jacobian {kind}mismatch for output {i} with respect to input {j},\n"
            f"numerical:{n_proj!r}\nanalytical:{a_proj!r}\n\n"
            "The above quantities relating the numerical and analytical jacobians are computed "
            "\nin fast mode. See: https://github.com/pytorch/pytorch/issues/53876 for more "
            "background \nabout fast mode. Below, we recompute numerical and analytical "
            f"jacobians in slow mode:\n\nNumerical:\n {_fmt(num, dtype)}\nAnalytical:\n"
            f"{_fmt(ana, dtype)}\n\nThe max per-element difference (slow mode) is: {diff!r}.\n",
            raise_exception)
    if _close(ana, num, rtol, atol):
        return True
    return _fail(f"Jacobian {kind}mismatch for output {i} with respect to input {j},\n"
                 f"numerical:{_fmt(num, dtype)}\nanalytical:{_fmt(ana, dtype)}\n",
                 raise_exception)


def _undefined_grad_ok(func, inputs, wrt) -> bool:
    """Backward with all-zero output gradients (what an undefined gradient becomes here) must
    give zero (or no) input gradients."""
    from .engine import run_backward

    with enable_grad():
        outs = [o for o in _diff_outputs(func(*inputs))
                if o.dtype.is_floating_point and o.requires_grad]
    if not outs:
        return True
    zeros = [_wrap(o.device.xp.zeros(o._data.shape, dtype=o.dtype.np), o.dtype, o.device)
             for o in outs]
    grads = run_backward(outs, zeros, False, False, inputs=[inputs[j] for j in wrt],
                         accumulate=False, allow_unused=True)
    return all(g is None or not _host(g._data).any() for g in grads)


def _batched_grad_ok(func, inputs, wrt, outputs, atol, rtol) -> bool:
    """vmap over the vjp with a few random cotangents equals the vjps one by one."""
    from ..func import vmap
    from .engine import grad

    rng = np.random.default_rng(0)
    for o in outputs:
        if not o.requires_grad:
            continue
        cot = _wrap(rng.standard_normal((2,) + tuple(o.shape)).astype(o.dtype.np), o.dtype)
        diff_inputs = [inputs[j] for j in wrt]

        def vjp(v, o=o, diff_inputs=diff_inputs):
            return grad([o], diff_inputs, [v], retain_graph=True, allow_unused=True,
                        materialize_grads=True)

        batched = vmap(vjp)(cot)
        for b in range(2):
            single = vjp(cot[b])
            for got, want in zip(batched, single):
                if not np.allclose(_host(got._data[b]), _host(want._data), rtol=rtol,
                                   atol=atol):
                    return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False,
                  masked: bool = False) -> bool:
    """Check second derivatives: ``gradcheck`` of the function mapping (inputs, grad_outputs)
    to the gradients of ``func``'s outputs with respect to its inputs."""
    from ..random import current_generator
    from .engine import run_backward

    inputs = _as_tuple(inputs)
    with enable_grad():
        outputs = [o for o in _diff_outputs(func(*inputs)) if o.dtype.is_floating_point]
    if grad_outputs is None:
        rng = current_generator()._rng
        grad_outputs = []
        for o in outputs:
            arr = rng.standard_normal(tuple(o.shape)).astype(o.dtype.np)
            if gen_non_contig_grad_outputs and arr.ndim:
                wide = np.zeros(arr.shape + (2,), dtype=arr.dtype)
                wide[..., 0] = arr
                arr = wide[..., 0]
            grad_outputs.append(_wrap(arr, o.dtype, o.device).requires_grad_())
    grad_outputs = list(_as_tuple(grad_outputs))
    n_in = len(inputs)
    wrt = [j for j, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def new_func(*args):
        ins, gos = args[:n_in], args[n_in:]
        outs = [o for o in _diff_outputs(func(*ins)) if o.dtype.is_floating_point]
        pairs = [(o, g) for o, g in zip(outs, gos) if o.requires_grad]
        grads = run_backward([p[0] for p in pairs], [p[1] for p in pairs], True, True,
                             inputs=[ins[j] for j in wrt], accumulate=False, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(new_func, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, check_batched_grad=check_batched_grad,
                     check_forward_ad=check_fwd_over_rev, check_backward_ad=check_rev_over_rev,
                     fast_mode=fast_mode, masked=masked)
