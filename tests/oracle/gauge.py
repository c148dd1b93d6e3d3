"""Results torch defines only up to a freedom its documentation states, compared up to it.

``torch.linalg.svd`` / ``torch.svd`` and ``torch.linalg.eigh`` document that their singular
vectors / eigenvectors are not unique: each (pair of) vector(s) may be multiplied by -1 (a
phase for complex inputs), the vectors of a repeated value may be any orthonormal basis of its
space, and with ``full_matrices=True`` the columns past ``min(m, n)`` are any orthonormal basis
of the complement. torch's choice is whatever its LAPACK build returns. The oracle therefore:

* observes those vectors in a canonical basis of the same spaces (``canonical``): for every
  group of (numerically) equal values, the orthonormal basis obtained by projecting a fixed
  matrix onto the group's space and orthonormalizing it (positive R diagonal). For a single
  vector this is the vector with the sign that makes its dot product with a fixed vector
  positive. The right vectors of a non-zero singular value follow their left ones (``A v =
  s u`` fixes them); those of zero singular values get their own canonical basis;
* builds the loss of the gradient phase from the sign-fixed vectors (``fix_for_loss``), so the
  loss is a gauge-invariant function of the input, whose gradient torch defines (gradients of
  the eigen/singular VALUES are not touched).

Everything else (dtypes, shapes, grad_fn names, requires_grad, the values themselves, errors) is
compared exactly as for any op.
"""

from __future__ import annotations

import numpy as np

# op name -> (layout of the result tuple): which items hold vectors, and how ("qr": no gauge,
# a documented domain)
GAUGED = {"linalg.svd": "svd", "svd": "svd_v", "linalg.eigh": "eigh", "linalg.qr": "qr",
          "qr": "qr"}
# op name -> a documented domain on the op's INPUT (the first argument)
ON_INPUT = {"linalg.slogdet": "regular", "slogdet": "regular", "logdet": "regular",
            "linalg.det": "regular", "det": "regular", "linalg.inv": "regular",
            "inverse": "regular", "linalg.lstsq/gels": "full_rank", "linalg.inv_ex": "regular",
            "linalg.cond": "regular", "linalg.cholesky_ex": "positive_definite"}
# ops whose programs off the domain (values rounding) still compare whether and how they raise:
# ``linalg.inv`` raises exactly where torch's LU (MKL's getrf) meets an exactly zero pivot,
# which the engine models in MKL's order (engine/ops/decompositions.py ``_getrf``)
ERRORS_ON_INPUT = frozenset(("linalg.inv", "inverse", "linalg.inv_ex", "linalg.cholesky_ex"))
_EPS = {"float64": 2.0 ** -52, "float32": 2.0 ** -23, "float16": 2.0 ** -10}
_TOL = {"float64": 1e-9, "float32": 2e-4, "float16": 2e-2}


def _fixed(m: int, g: int) -> np.ndarray:
    return np.random.default_rng([m, g, 7]).standard_normal((m, max(g, 1)))[:, :g]


def _flip(B: np.ndarray) -> np.ndarray:
    """Signs (per column) that make each column's dot product with a fixed vector positive:
    exact, for a vector that is unique up to its sign."""
    d = np.sign(_fixed(B.shape[0], 1)[:, 0] @ B)
    d[d == 0] = 1
    return d


def _basis(B: np.ndarray) -> np.ndarray:
    """The canonical orthonormal basis of the column space of ``B`` (orthonormal columns):
    one vector keeps its values (its sign fixed); a larger space gets the orthonormalized
    projection of a fixed matrix, rounded (``_snap``) since building it adds rounding."""
    m, g = B.shape
    if g <= 1:
        return B * _flip(B) if g else B
    q, r = np.linalg.qr(B @ (B.T @ _fixed(m, g)))
    d = np.sign(np.diagonal(r))
    d[d == 0] = 1
    return _snap(q * d)


def _snap(x: np.ndarray) -> np.ndarray:
    return np.round(x, 6) + 0.0  # (a rounded zero has no meaningful sign)


def _groups(vals: np.ndarray, tol: float) -> list[list[int]]:
    """Runs of (numerically) equal values in a sorted vector."""
    out: list[list[int]] = []
    scale = float(np.abs(vals).max()) if vals.size else 0.0
    for i, v in enumerate(vals):
        if out and abs(v - vals[out[-1][-1]]) <= tol * max(scale, 1e-30):
            out[-1].append(i)
        else:
            out.append([i])
    return out


def _canon_svd(U: np.ndarray, S: np.ndarray, Vh: np.ndarray, tol: float):
    U, Vh = U.astype(np.float64).copy(), Vh.astype(np.float64).copy()
    k = S.shape[-1]
    if not k or not (np.isfinite(U).all() and np.isfinite(Vh).all() and np.isfinite(S).all()):
        return U, Vh
    big = float(S.max())
    zero = [i for i in range(k) if S[i] <= tol * max(big, 1e-30)]
    for grp in _groups(S, tol):
        grp = [i for i in grp if i not in zero]
        if not grp:
            continue
        if len(grp) == 1:
            d = _flip(U[:, grp])
            U[:, grp] *= d
            Vh[grp, :] *= d[:, None]
            continue
        C = _basis(U[:, grp])
        rot = U[:, grp].T @ C
        U[:, grp] = C
        Vh[grp, :] = _snap(rot.T @ Vh[grp, :])
    # the vectors of zero singular values (and the full_matrices complement): any orthonormal
    # vectors orthogonal to the others (with reduced matrices, fewer than that space holds)
    nz = [i for i in range(k) if i not in zero]
    left = zero + list(range(k, U.shape[1]))
    right = zero + list(range(k, Vh.shape[0]))
    U[:, left] = _complement_basis(U[:, nz], U[:, left])
    Vh[right, :] = _complement_basis(Vh[nz, :].T, Vh[right, :].T).T
    return U, Vh


def _complement_basis(B: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Canonical replacements for the columns ``X``: orthonormal vectors orthogonal to the
    columns of ``B``, as many as ``X`` has (exactly ``X`` with fixed signs when that space is
    one vector)."""
    m, g = X.shape
    if g == 0:
        return X
    if g == 1 and m - B.shape[1] == 1:
        return X * _flip(X)
    q, r = np.linalg.qr((np.eye(m) - B @ B.T) @ _fixed(m, g))
    d = np.sign(np.diagonal(r))
    d[d == 0] = 1
    return _snap(q * d)


def in_domain(program, torch_run) -> bool:
    """Whether torch defines the program's result. ``torch.linalg.qr`` documents that the
    decomposition (and its autodiff) is only well-defined when the first ``min(m, n)`` columns
    are linearly independent: programs whose R has a (numerically) zero diagonal entry there
    are not compared."""
    from .backends import TensorObs

    seen = dict(torch_run.obs)
    for var, kind in program.gauge:
        o = seen.get(f"final {var}")
        if o is None:  # torch raised at the op: its input as the step that made it saw it
            o = _made(program, seen, var)
        if kind == "regular" and not _regular(o):
            return False
        if kind == "full_rank" and not _regular(o, full_rank=True):
            return False
        if kind.startswith("tensor:") and not _tensor_regular(kind, o, seen, program):
            return False
        if kind == "positive_definite" and not _positive_definite(o):
            return False
        if kind in VECTORS and VECTORS[kind] and program.order >= 1 and not _separated(kind, o):
            return False
        if kind != "qr" or not (isinstance(o, tuple) and len(o) == 2 and len(o[1]) == 2):
            continue
        R = o[1][1]
        if not isinstance(R, TensorObs) or not R.values.size:
            continue
        r = R.values.astype(np.float64)
        k = min(r.shape[-2:])
        d = np.abs(np.diagonal(r[..., :k, :k], 0, -2, -1))
        scale = np.abs(r).max(axis=(-2, -1))[..., None]
        if not (d > _TOL.get(R.dtype, 1e-9) * scale).all():
            return False
    return True


def _made(program, seen: dict, var: str):
    """The observation of ``var`` right after the step (or leaf) that made it, or None."""
    from .backends import TensorObs

    for lf in program.leaves:
        if lf.name == var:
            vals = np.asarray(lf.values)
            return TensorObs(vals, lf.dtype, vals.shape, False, True, None, "", 0)
    for i, step in enumerate(program.steps):
        if step.out == var:
            return seen.get(f"step {i} result")
    return None


def _separated(kind: str, o) -> bool:
    """torch documents the gradients through singular vectors / eigenvectors as finite only
    for distinct values and numerically unstable when two are close (they divide by the
    gaps), and for rectangular SVDs also when a singular value is small (they divide by it):
    programs that differentiate through such vectors are compared only when the values are
    apart (relative gap above ``_GAP``) and, rectangular, away from zero."""
    from .backends import TensorObs

    if not (isinstance(o, tuple) and len(o) == 2 and isinstance(o[1], tuple)):
        return True
    vals = o[1][0 if kind == "eigh" else 1]
    if not isinstance(vals, TensorObs) or vals.values.shape[-1:] in ((), (0,), (1,)):
        return True
    v = np.sort(vals.values.astype(np.float64), axis=-1)
    if not np.isfinite(v).all():
        return True
    scale = np.maximum(np.abs(v).max(axis=-1, keepdims=True), 1e-300)
    gap = _GAP.get(vals.dtype, 1e-6)
    if kind != "eigh":  # rectangular: "also unstable when A has small singular values" (1/s)
        U, W = o[1][0], o[1][2]
        m, n = U.shape[-2], W.shape[-1] if kind == "svd" else W.shape[-2]
        if m != n and not (v[..., :1] > gap * scale).all():
            return False
    return bool((np.diff(v, axis=-1) > gap * scale).all())


_GAP = {"float64": 1e-6, "float32": 1e-3}


def _regular(o, full_rank: bool = False) -> bool:
    """``torch.linalg.slogdet`` documents ``(0, -inf)`` for a zero determinant, but for a
    matrix singular to working precision what LU delivers is rounding (a tiny pivot of
    either sign, or an exactly zero one: whether ``linalg.inv`` raises "The diagonal element
    k is zero" or returns entries of 1e15 is MKL's operation order): such inputs are not
    compared (docs/oracle.md). ``full_rank``: a (rectangular) ``A`` of ``linalg.lstsq`` with
    ``driver='gels'``, which torch documents for full-rank matrices only."""
    from .backends import TensorObs

    if not isinstance(o, TensorObs) or o.dtype not in _EPS or not o.values.size or \
            o.values.ndim < 2 or (o.values.shape[-1] != o.values.shape[-2] and not full_rank):
        return True
    a = o.values.astype(np.float64)
    if not np.isfinite(a).all():
        return True
    s = np.linalg.svd(a.reshape((-1,) + a.shape[-2:]), compute_uv=False)
    n = max(a.shape[-2:])
    return bool((s[:, -1] > 10 * n * _EPS[o.dtype] * s[:, 0]).all())


def _positive_definite(o) -> bool:
    """``linalg.cholesky_ex`` on a matrix that is not positive definite returns LAPACK's
    partial factor (undocumented values; tests/engine/test_matrix_build_ops.py checks them):
    programs are compared when both triangles of the input make positive-definite matrices
    (and, off that, whether ``check_errors`` raises)."""
    from .backends import TensorObs

    if not isinstance(o, TensorObs) or o.dtype not in _EPS or not o.values.size or \
            o.values.ndim < 2 or o.values.shape[-1] != o.values.shape[-2]:
        return True
    a = o.values.astype(np.float64)
    if not np.isfinite(a).all():
        return False
    for tri in (np.tril(a), np.triu(a)):
        sym = tri + np.swapaxes(tri, -1, -2) - np.eye(a.shape[-1]) * np.diagonal(
            tri, 0, -2, -1)[..., None, :]
        if not (np.linalg.eigvalsh(sym) > 100 * a.shape[-1] * _EPS[o.dtype] *
                np.abs(sym).max(axis=(-2, -1))[..., None]).all():
            return False
    return True


def tensor_matrix_kind(name: str, args, kwargs) -> str:
    """The domain of ``linalg.tensorinv`` / ``tensorsolve``: the square matrix the op reads
    its input as must be regular (as ``linalg.inv``'s / ``solve``'s input; an expanded layout
    makes it singular). The kind names how to find that matrix: ``tensor:<rows>:<dims>``, rows
    an int (``ind``) or the name of ``B`` (its number of dimensions)."""
    from .program import Ref

    if name == "linalg.tensorinv":
        ind = args[1] if len(args) > 1 else kwargs.get("ind", 2)
        return f"tensor:{int(ind) if isinstance(ind, int) else 0}:"
    b = args[1] if len(args) > 1 else kwargs.get("B")
    dims = args[2] if len(args) > 2 else kwargs.get("dims")
    rows = b.name if isinstance(b, Ref) else "0"
    return f"tensor:{rows}:{','.join(map(str, dims)) if dims else ''}"


def _tensor_regular(kind: str, o, seen: dict, program) -> bool:
    from .backends import TensorObs

    _, rows, dims = kind.split(":")
    if not isinstance(o, TensorObs) or o.dtype not in _EPS or not o.values.size:
        return True
    a = o.values.astype(np.float64)
    if dims:
        moved = [int(d) % a.ndim for d in dims.split(",")]
        a = np.moveaxis(a, moved, list(range(a.ndim - len(moved), a.ndim)))
    if rows.isdigit():
        k = int(rows)
    else:
        b = seen.get(f"final {rows}") or _made(program, seen, rows)
        if not isinstance(b, TensorObs):
            return True
        k = b.values.ndim
    if not 0 < k <= a.ndim:
        return True
    m = int(np.prod(a.shape[:k]))
    if m == 0 or a.size != m * m:
        return True
    mat = TensorObs(a.reshape(m, m), o.dtype, (m, m), False, True, None, "", 0)
    return _regular(mat)


def canonical(kind: str, items: list[np.ndarray], dtype: str) -> list[np.ndarray]:
    """The result's arrays with the vectors in their canonical basis (batch dims kept)."""
    tol = _TOL.get(dtype, 1e-9)
    items = [np.array(x, dtype=np.float64) for x in items]
    if kind in ("svd", "svd_v"):
        U, S, W = items
        if not U.size or not W.size or not np.abs(U).any():
            return items  # empty, or torch.svd(compute_uv=False): zeros
        Vh = np.swapaxes(W, -1, -2) if kind == "svd_v" else W
        for idx in np.ndindex(S.shape[:-1]):
            U[idx], Vh[idx] = _canon_svd(U[idx], S[idx], Vh[idx], tol)
        return [U, S, np.swapaxes(Vh, -1, -2) if kind == "svd_v" else Vh]
    if kind == "qr":
        return items
    L, V = items
    for idx in np.ndindex(L.shape[:-1]):
        if not (np.isfinite(V[idx]).all() and np.isfinite(L[idx]).all()):
            continue
        for grp in _groups(L[idx], tol):
            V[idx][:, grp] = _basis(V[idx][:, grp])
    return [L, V]


VECTORS = {"svd": (0, 2), "svd_v": (0, 2), "eigh": (1,), "qr": ()}


def canonical_obs(kind: str, obs):
    """An observation of the op's result tuple with its vectors in the canonical basis (their
    repr is not compared: the values are)."""
    from .backends import TensorObs

    if not VECTORS.get(kind) or \
            not (isinstance(obs, tuple) and len(obs) == 2 and isinstance(obs[1], tuple)):
        return obs
    items = list(obs[1])
    if not all(isinstance(x, TensorObs) for x in items) or not items[0].values.size and \
            items[0].shape:
        return obs
    arrays = canonical(kind, [x.values for x in items], items[0].dtype)
    for i in VECTORS[kind]:
        x = items[i]
        # (+ 0.: a zero component's sign flips with its vector, so it carries no meaning)
        items[i] = TensorObs((arrays[i] + 0.0).astype(x.values.dtype), x.dtype, x.shape,
                             x.requires_grad, x.is_leaf, x.grad_fn, "", x.version)
    return (obs[0], tuple(items))


def _signs(kind: str, items: list[np.ndarray], dtype: str) -> list[np.ndarray | None]:
    """Per-vector signs s such that ``vector * s`` is the canonical one (up to the rotation
    inside a repeated value's space, where torch's gradient is not finite anyway)."""
    canon = canonical(kind, items, dtype)
    out: list[np.ndarray | None] = [None] * len(items)
    for i in VECTORS[kind]:
        prod = items[i].astype(np.float64) * canon[i]
        rows = kind == "svd" and i == 2  # Vh holds its vectors as rows
        dots = prod.sum(axis=-1 if rows else -2, keepdims=True)
        out[i] = np.where(dots < 0, -1.0, 1.0)
    return out


def fix_for_loss(kind: str, result, be):
    """The op's result with each vector multiplied by its canonical sign (a constant): the
    gradient phase's loss over it is then the same function of the input for any gauge."""
    if not VECTORS.get(kind) or not isinstance(result, (tuple, list)):
        return result
    items = list(result)
    if not items or not all(isinstance(x, be.Tensor) for x in items):
        return result
    try:
        arrays = [be.numpy(x) for x in items]
    except Exception:  # noqa: BLE001
        return result
    if not arrays[0].size:
        return result
    signs = _signs(kind, arrays, be.dtype_name(items[0]))
    for i, s in enumerate(signs):
        if s is not None:
            items[i] = items[i] * be.tensor(s, be.dtype_name(items[i]), False)
    return tuple(items)


def errors_compared(program) -> bool:
    """Whether a program off its op's domain still compares its errors (``ERRORS_ON_INPUT``)."""
    return bool(program.label) and program.label.removeprefix("op ") in ERRORS_ON_INPUT
