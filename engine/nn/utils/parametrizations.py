"""``torch.nn.utils.parametrizations``: ``orthogonal``, ``weight_norm``, ``spectral_norm`` as
parametrizations (see ``parametrize``), computed as torch 2.13 computes them.

- ``weight_norm``: ``weight = v * (g / ||v||)``, the norm over every dimension but ``dim``;
  for ``dim`` 0 or the last one torch runs its fused kernel, one ``WeightNormInterfaceBackward0``
  node (here too: :func:`weight_norm_interface`), otherwise the composite (``MulBackward0``,
  ``DivBackward0``, ``NormBackward0`` ...).
- ``spectral_norm``: ``weight / sigma`` with ``sigma = vdot(u, W v)``; ``u`` and ``v`` are
  buffers drawn from the session's generator (``normal_``: not torch's stream) then 15 power
  iterations at registration), refined by ``n_power_iterations`` on every read in training
  mode, frozen in eval mode.
- ``orthogonal``: the ``matrix_exp``, ``cayley`` and ``householder`` maps, with torch's
  trivialization (a ``base`` buffer, the original set to ``-I``). ``householder_product`` is
  one ``LinalgHouseholderProductBackward0`` node as torch's, its values and gradient computed
  from the reflections (values agree with LAPACK's to rounding); ``geqrf`` is LAPACK's
  (NumPy's ``qr(mode="raw")``).
"""

from __future__ import annotations

from enum import Enum, auto

import numpy as np

from ... import errors
from ...autograd.graph import record, rename
from ...modes import is_grad_enabled, no_grad
from ...tensor import Tensor, _wrap
from .. import functional as F
from ..modules.module import Module
from . import parametrize

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


def _engine():
    import engine  # (the package imports this module: looked up when first used)

    return engine


# --------------------------------------------------------------------------- weight norm

def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """``torch.norm_except_dim``: the ``pow``-norm of ``v`` over every dimension but ``dim``,
    shaped to broadcast against ``v`` (``dim == -1``: the norm of all of ``v``, 0-d). torch
    calls ``at::norm`` here: its nodes are ``NormBackward0`` / ``NormBackward1``."""
    if dim == -1:
        return _renamed(v.norm(pow), "NormBackward0")
    if dim == 0:
        flat = v.contiguous().view(v.shape[0], -1)
        return _renamed(flat.norm(pow, 1), "NormBackward1").view(
            v.shape[0], *([1] * (v.dim() - 1)))
    if dim == v.dim() - 1:
        flat = v.contiguous().view(-1, v.shape[-1])
        return _renamed(flat.norm(pow, 0), "NormBackward1").view(
            *([1] * (v.dim() - 1)), v.shape[-1])
    return norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)


def _renamed(t: Tensor, name: str) -> Tensor:
    if t.grad_fn is not None:
        rename(t.grad_fn, name)
    return t


def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """``torch._weight_norm``: the fused node for ``dim`` 0 or last, the composite else."""
    if dim == 0 or dim == v.dim() - 1:
        return weight_norm_interface(v, g, dim)
    return v * (g / norm_except_dim(v, 2, dim))


def weight_norm_interface(v: Tensor, g: Tensor, dim: int) -> Tensor:
    """``v * (g / norm)`` as one ``WeightNormInterfaceBackward0`` node (torch's CPU kernel)."""
    with no_grad():
        norm = norm_except_dim(v, 2, dim)
        out = v * (g / norm)
    out = _wrap(out._data, out.dtype, out.device)
    if is_grad_enabled() and (v.requires_grad or g.requires_grad):
        record(out, "WeightNormInterfaceBackward0", _weight_norm_rule, (v, g),
               (v, g, dim), per_input=False)
    return out


def _weight_norm_rule(grad: Tensor, needs: tuple, v: Tensor, g: Tensor, dim: int) -> tuple:
    # w = v * g / n:  dL/dg = sum_{except dim}(grad * v) / n
    #                 dL/dv = (g / n) * (grad - v * sum_{except dim}(grad * v) / n^2)
    norm = norm_except_dim(v, 2, dim)  # (again, so a double backward sees it depend on v)
    reduce = [d for d in range(v.dim()) if d != dim]
    dot = (grad * v).sum(reduce, keepdim=True) if reduce else grad * v
    grad_g = (dot / norm) if needs[1] else None
    grad_v = (g / norm) * (grad - v * (dot / (norm * norm))) if needs[0] else None
    return grad_v, grad_g


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        if dim is None:
            dim = -1
        self.dim = dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as ``g * v / ||v||`` (``original0`` is ``g``,
    ``original1`` is ``v``); a state_dict with the old ``<name>_g`` / ``<name>_v`` keys still
    loads."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def compat_hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                    error_msgs) -> None:
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(compat_hook)
    return module


# --------------------------------------------------------------------------- spectral norm

def normalize_into(x: Tensor, eps: float, out: Tensor) -> Tensor:
    """``F.normalize(x, dim=0, eps=eps, out=out)``: written into ``out`` (no grad)."""
    out.copy_(F.normalize(x, dim=0, eps=eps))
    return out


class _SpectralNorm(Module):
    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise errors.EngineIndexError(
                f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but "
                f"got {dim})")
        if n_power_iterations <= 0:
            raise errors.EngineValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        engine = _engine()
        with no_grad():
            for _ in range(n_power_iterations):
                self._u = normalize_into(engine.mv(weight_mat, self._v), self.eps, self._u)
                self._v = normalize_into(engine.mv(weight_mat.t(), self._u), self.eps, self._v)

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        engine = _engine()
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u = self._u.clone()
        v = self._v.clone()
        sigma = engine.vdot(u, engine.mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Divide ``module.<name>`` by its spectral norm (power-iteration estimate)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise errors.EngineValueError(
            f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# --------------------------------------------------------------------------- orthogonal

def geqrf(a: Tensor) -> tuple[Tensor, Tensor]:
    """LAPACK's QR in its compact form (``torch.geqrf``, no gradient): the reflectors below
    the diagonal, R on and above it, and the reflectors' ``tau``."""
    data = np.asarray(a._data)
    batch = data.shape[:-2]
    m, n = data.shape[-2:]
    flat = data.reshape(-1, m, n)
    hs = np.empty_like(flat)
    taus = np.empty((flat.shape[0], min(m, n)), dtype=flat.dtype)
    for i, mat in enumerate(flat):
        h, tau = np.linalg.qr(mat, mode="raw")
        hs[i] = h.T
        taus[i] = tau
    return (_wrap(hs.reshape(data.shape), a.dtype, a.device),
            _wrap(taus.reshape(*batch, min(m, n)), a.dtype, a.device))


def householder_product(a: Tensor, tau: Tensor) -> Tensor:
    """``torch.linalg.householder_product``: the first ``n`` columns of ``H_1 ... H_k``,
    ``H_i = I - tau_i v_i v_i^T`` with ``v_i`` the ``i``-th column of ``a`` below the diagonal
    and 1 on it; one ``LinalgHouseholderProductBackward0`` node as torch's, whose gradient is the
    reflections' (composed from differentiable ops, run again: higher orders stay exact)."""
    with no_grad():
        q = _reflections(a, tau)
    out = _wrap(q._data, q.dtype, q.device)
    if is_grad_enabled() and (a.requires_grad or tau.requires_grad):
        record(out, "LinalgHouseholderProductBackward0", _householder_rule, (a, tau), (a, tau),
               per_input=False)
    return out


def _householder_rule(grad: Tensor, needs: tuple, a: Tensor, tau: Tensor) -> tuple:
    from ...autograd.engine import run_backward
    from ...modes import set_grad_enabled

    outer = is_grad_enabled()  # (create_graph)
    with set_grad_enabled(True):
        # each needed input through an alias of its own: the paths end there
        slots = tuple(t.view_as(t) if n else t.detach() for t, n in zip((a, tau), needs))
        targets = [t for t, n in zip(slots, needs) if n]
        again = _reflections(*slots)
        got = iter(run_backward([again], [grad], True, outer, inputs=targets,
                                accumulate=False, allow_unused=True))
    engine = _engine()
    res = []
    for t, n in zip((a, tau), needs):
        g = next(got) if n else None
        res.append(engine.zeros_like(t) if n and g is None else g)
    return tuple(res)


def _reflections(a: Tensor, tau: Tensor) -> Tensor:
    engine = _engine()
    m, n = a.shape[-2], a.shape[-1]
    k = tau.shape[-1]
    eye = engine.eye(m, dtype=a.dtype, device=a.device)
    q = eye.expand(*a.shape[:-2], m, m)
    below = a.tril(-1)
    for i in range(k - 1, -1, -1):  # Q = H_1 (H_2 (... H_k I))
        v = (below[..., :, i] + eye[i]).unsqueeze(-1)          # (..., m, 1)
        w = v.mT @ q                                           # (..., 1, m)
        q = q - tau[..., i, None, None] * (v @ w)
    return q[..., :, :n]


def _is_orthogonal(q: Tensor) -> bool:
    engine = _engine()
    n, k = q.shape[-2], q.shape[-1]
    eye = engine.eye(k, dtype=q.dtype, device=q.device)
    eps = 10.0 * n * engine.finfo(q.dtype).eps
    return bool(engine.allclose(q.mT @ q, eye, atol=eps))


def _make_orthogonal(a: Tensor) -> Tensor:
    x, tau = geqrf(a)
    q = householder_product(x, tau)
    q *= x.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)
    return q


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    def __init__(self, weight: Tensor, orthogonal_map: _OrthMaps, *,
                 use_trivialization: bool = True) -> None:
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        engine = _engine()
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                X = engine.cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)],
                               dim=-1)
            A = X - X.mT
            if self.orthogonal_map is _OrthMaps.matrix_exp:
                Q = engine.matrix_exp(A)
            else:
                eye = engine.eye(n, dtype=A.dtype, device=A.device)
                Q = engine.linalg.solve(engine.add(eye, A, alpha=-0.5),
                                        engine.add(eye, A, alpha=0.5))
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = householder_product(A, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if "base" in self._buffers:
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        engine = _engine()
        with no_grad():
            if Q.shape != self.shape:
                raise errors.EngineValueError(
                    f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor "
                    f"of shape {Q.shape}.")
            q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if "base" not in self._buffers:
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise errors.NotSupported(
                        "It is not possible to assign to the matrix exponential or the Cayley "
                        "parametrizations when use_trivialization=False.")
                A, tau = geqrf(Q)
                diag = A.diagonal(dim1=-2, dim2=-1)
                diag.sign_()
                diag[tau == 0.0] *= -1
                return A.mT if transpose else A
            if n == k:
                Q = _make_orthogonal(Q) if not _is_orthogonal(Q) else Q.clone()
            else:
                N = engine.randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype, device=Q.device)
                Q = _make_orthogonal(engine.cat([Q, N], dim=-1))
            self.base = Q
            neg_id = engine.zeros_like(q_init)
            neg_id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_id


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Keep ``module.<name>`` orthogonal (orthonormal columns or rows) through one of three
    maps: ``"matrix_exp"`` (square default), ``"cayley"``, ``"householder"`` (else)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise errors.EngineValueError(
            f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise errors.EngineValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    orth_enum = _OrthMaps.__members__.get(orthogonal_map) \
        if isinstance(orthogonal_map, str) else None
    if orth_enum is None:
        raise errors.EngineValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". Got: '
            f"{orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
