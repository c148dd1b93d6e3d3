"""``torch.func``: composable transforms of plain Python functions.

``grad``/``grad_and_value``/``vjp``/``jacrev`` run the reverse-mode engine on fresh views of
their inputs; ``jvp``/``jacfwd`` use forward-mode AD with their own (nestable) dual level;
``vmap`` batches at the array level (``engine.func.batching``); ``jacrev`` and ``jacfwd`` are
``vmap`` over ``vjp`` / ``jvp`` with the standard basis, so all of them compose:
``jacfwd(jacrev(f))``, ``vmap(grad(f))``, ``grad(grad(f))``... Inputs and outputs may be
tuples, lists and dicts of tensors.
"""

from __future__ import annotations

import weakref
from contextvars import ContextVar

from .. import errors
from ..autograd import forward_ad as fw
from ..autograd.engine import run_backward
from ..autograd.graph import AccumulateGrad
from ..modes import _grad_enabled, enable_grad
from ..tensor import Tensor
from ._pytree import TreeSpec, tree_flatten, tree_unflatten
from .vmap import vmap

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp",
           "linearize", "stack_module_state", "vjp", "vmap"]

_depth: ContextVar[int] = ContextVar("func_depth", default=0)


class _Nest:
    """Counts how deep in transforms we are: inside one, results keep their graph."""

    def __enter__(self):
        self._token = _depth.set(_depth.get() + 1)

    def __exit__(self, *exc):
        _depth.reset(self._token)
        return False


def _fn_name(func) -> str:
    return getattr(func, "__name__", type(func).__name__)


def _prep(t):
    """A fresh tensor to differentiate with respect to: a view of ``t`` (so an enclosing
    transform's graph and tangents still reach it) that requires grad."""
    if not isinstance(t, Tensor):
        return t
    if not t.dtype.is_floating_point:
        raise errors.EngineRuntimeError(errors.FLOAT_REQUIRES_GRAD_METHOD)
    v = t.view_as(t)
    if not v.requires_grad:
        v.requires_grad_(True)
        _PREPPED[id(v)] = v
    return v


#: The leaves the transforms made to differentiate with respect to (views of tensors that
#: did not require grad): torch's transforms differentiate them at a level of their own, so a
#: result whose graph reaches nothing else has no ``grad_fn`` outside the transforms.
_PREPPED: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _reaches_outer(t) -> bool:
    """Whether ``t``'s graph reaches a tensor requiring grad outside the transforms (a leaf
    the transforms did not make, such as a parameter a function closes over): then torch
    records the transform's result in the program's own graph too."""
    if not isinstance(t, Tensor) or not t.requires_grad:
        return False
    node = t.grad_fn
    if node is None:
        return _PREPPED.get(id(t)) is not t
    stack, seen = [node], {id(node)}
    while stack:
        node = stack.pop()
        if type(node) is AccumulateGrad:
            if _PREPPED.get(id(node.variable)) is not node.variable:
                return True
            continue
        for edge in node._edges:
            if edge is not None and id(edge[0]) not in seen:
                seen.add(id(edge[0]))
                stack.append(edge[0])
    return False


def _outer_graph(leaves, outer: tuple | None = None) -> bool:
    """At the outermost transform, with grad mode on outside it, whether any of ``leaves`` (a
    function's outputs) is in the program's graph (:func:`_reaches_outer`). ``outer``: the
    transform depth and grad mode where the caller started (default: here and now)."""
    depth, grad_on = outer or (_depth.get(), _grad_enabled.get())
    return depth == 0 and grad_on and any(_reaches_outer(t) for t in leaves)


def _here() -> tuple:
    """The transform depth and grad mode here (for :func:`_outer_graph` later)."""
    return _depth.get(), _grad_enabled.get()


def _keeps_graph(leaves) -> bool:
    if _depth.get() > 0:
        return True
    for t in leaves:
        if isinstance(t, Tensor) and (t.requires_grad or fw._any_tangent((t,))):
            return True
    return False


def _argnums(argnums, n: int, name: str) -> tuple:
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if not nums:
        raise errors.EngineRuntimeError(
            f"{name}: argnums must be non-empty")
    for a in nums:
        if not isinstance(a, int):
            raise errors.EngineRuntimeError(
                f"{name}: argnums must be int or Tuple[int, ...], got: {type(argnums)}")
        if not -n <= a < n:
            raise errors.EngineRuntimeError(
                f"Got argnums={a}, but only {n} positional inputs")
    return tuple(a % n for a in nums)


def _zeros_like(t: Tensor) -> Tensor:
    from ..ops import zeros_like

    return zeros_like(t)


def _detach_tree(x, keep: bool):
    """``x``'s tensors detached, or (``keep``) those whose graph reaches no tensor of the
    program's own graph detached at the outermost transform (their graph then only leads to
    the transforms' own leaves), the others kept."""
    if keep and _depth.get() > 0:
        return x
    leaves, spec = tree_flatten(x)
    return tree_unflatten([v.detach() if isinstance(v, Tensor) and not (keep and (
        v.grad_fn is None or _reaches_outer(v))) else v for v in leaves], spec)


# --------------------------------------------------------------------------- grad
def grad_and_value(func, argnums=0, has_aux: bool = False):
    """``grad_and_value(f)(*args)``: ``(gradient of f w.r.t. args[argnums], f(*args))``."""

    def wrapped(*args, **kwargs):
        nums = _argnums(argnums, len(args), "grad_and_value(f)(*args)")
        keep = _keeps_graph(tree_flatten([args[i] for i in nums])[0])
        outer = _here()
        with _Nest(), enable_grad():
            args = list(args)
            diff = []
            for i in nums:
                leaves, spec = tree_flatten(args[i])
                prepped = [_prep(v) for v in leaves]
                diff.append((prepped, spec))
                args[i] = tree_unflatten(prepped, spec)
            out = func(*args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise errors.EngineRuntimeError(
                        "grad_and_value(f)(*args): output of function f should be a tuple: "
                        "(output, aux) if has_aux is True")
                out, aux = out
            if not isinstance(out, Tensor):
                raise errors.EngineRuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                    f"{type(out)}")
            if out.ndim != 0:
                raise errors.EngineRuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                    f"tensor with {out.ndim} dims. Maybe you wanted to use the vjp or jacrev APIs "
                    "instead?")
            flat_inputs = [t for prepped, _ in diff for t in prepped if isinstance(t, Tensor)]
            keep = keep or _outer_graph((out,), outer)
            if out.requires_grad:
                got = run_backward([out], [None], keep, keep, inputs=flat_inputs,
                                   accumulate=False, allow_unused=True)
            else:
                got = [None] * len(flat_inputs)
            got = iter(got)
            grads = []
            for prepped, spec in diff:
                leaves = []
                for t in prepped:
                    if isinstance(t, Tensor):
                        g = next(got)
                        leaves.append(_zeros_like(t) if g is None else g)
                    else:
                        leaves.append(t)
                grads.append(tree_unflatten(leaves, spec))
        result = grads[0] if not isinstance(argnums, tuple) else tuple(grads)
        if keep:  # (without a kept graph, backward made none: nothing to detach)
            result = _detach_tree(result, keep)
        value = _detach_tree(out, keep)
        if has_aux:
            return result, (value, _detach_tree(aux, keep))
        return result, value

    wrapped.__name__ = f"grad_and_value({_fn_name(func)})"
    return wrapped


def grad(func, argnums=0, has_aux: bool = False):
    """``grad(f)(*args)``: the gradient of scalar ``f`` w.r.t. ``args[argnums]``."""
    gv = grad_and_value(func, argnums, has_aux)

    def wrapped(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        if has_aux:
            return g, value[1]
        return g

    wrapped.__name__ = f"grad({_fn_name(func)})"
    return wrapped


# --------------------------------------------------------------------------- vjp
def vjp(func, *primals, has_aux: bool = False):
    """``(f(*primals), vjp_fn)``; ``vjp_fn(cotangents)`` gives one gradient per primal."""
    keep = _keeps_graph(tree_flatten(primals)[0])
    outer = _here()
    with _Nest(), enable_grad():
        leaves, spec = tree_flatten(primals)
        prepped = [_prep(v) for v in leaves]
        out = func(*tree_unflatten(prepped, spec))
        aux = None
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise errors.EngineRuntimeError(
                    "vjp(f, *primals): output of function f should be a tuple: (output, aux) if "
                    "has_aux is True")
            out, aux = out
        keep = keep or _outer_graph(tree_flatten(out)[0], outer)
    out_leaves, out_spec = tree_flatten(out)
    for o in out_leaves:
        if not isinstance(o, Tensor):
            raise errors.EngineRuntimeError(
                "vjp(f, *primals): Expected f to be a function that has non-empty output, and "
                f"whose output is a Tensor or a (nested) tuple/list/dict of Tensors, got {type(o)}")

    def vjp_fn(*cotangents):
        cts = cotangents[0] if len(cotangents) == 1 and not isinstance(out, tuple) and \
            not isinstance(out, (list, dict)) else cotangents
        if isinstance(out, (list, dict)) and len(cotangents) == 1:
            cts = cotangents[0]
        ct_leaves, _ = tree_flatten(cts)
        if len(ct_leaves) != len(out_leaves):
            raise errors.EngineRuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of "
                "outputs to the function")
        for o, c in zip(out_leaves, ct_leaves):
            if tuple(c.shape) != tuple(o.shape):
                raise errors.EngineRuntimeError(
                    f"Mismatch in shape: grad_output[0] has a shape of {c.shape} and output[0] "
                    f"has a shape of {o.shape}.")
        keep_inner = keep or _keeps_graph(ct_leaves)
        with _Nest(), enable_grad():
            pairs = [(o, c) for o, c in zip(out_leaves, ct_leaves) if o.requires_grad]
            tensors = [t for t in prepped if isinstance(t, Tensor)]
            if pairs:
                got = run_backward([p[0] for p in pairs], [p[1] for p in pairs], True,
                                   keep_inner, inputs=tensors, accumulate=False,
                                   allow_unused=True)
            else:
                got = [None] * len(tensors)
        it = iter(got)
        res = [(_zeros_like(t) if (g := next(it)) is None else g) if isinstance(t, Tensor)
               else t for t in prepped]
        res = tuple(tree_unflatten(res, spec))
        return _detach_tree(res, keep_inner) if keep_inner else res

    value = _detach_tree(out, keep)
    if has_aux:
        return value, vjp_fn, _detach_tree(aux, keep)
    return value, vjp_fn


# --------------------------------------------------------------------------- jvp
def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """``(f(*primals), J tangents)`` by forward-mode AD."""
    if not isinstance(primals, (tuple, list)):
        raise errors.EngineRuntimeError(
            "jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid "
            "to call f(*primals).")
    if strict:
        raise errors.EngineRuntimeError(
            "jvp(f, primals, tangents, strict=True): strict=True is not implemented (PyTorch "
            "does not implement it either)")
    p_leaves, spec = tree_flatten(tuple(primals))
    t_leaves, t_spec = tree_flatten(tuple(tangents))
    if len(p_leaves) != len(t_leaves):
        raise errors.EngineRuntimeError(
            "jvp(f, primals, tangents): Expected primals and tangents to have the same python "
            f"structure. For example, if primals is a tuple of 3 tensors, tangents also must be. "
            f"Got primals with structure {primals} and tangents with structure {tangents}")
    for p, t in zip(p_leaves, t_leaves):
        if tuple(p.shape) != tuple(t.shape):
            raise errors.EngineRuntimeError(
                "jvp(f, primals, tangents): Expected primals and tangents to have the same "
                f"shapes. Got primal shape {tuple(p.shape)} and tangent shape {tuple(t.shape)}")
    keep = _keeps_graph(p_leaves + t_leaves) or (_depth.get() == 0 and _grad_enabled.get())
    with _Nest(), fw.nested_level() as level:
        duals = [fw.make_dual(p, t, level=level) for p, t in zip(p_leaves, t_leaves)]
        out = func(*tree_unflatten(duals, spec))
        aux = None
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise errors.EngineRuntimeError(
                    "jvp(f, primals, tangents): output of function f should be a tuple: "
                    "(output, aux) if has_aux is True")
            out, aux = out
        o_leaves, o_spec = tree_flatten(out)
        prim, tang = [], []
        for o in o_leaves:
            if not isinstance(o, Tensor):
                raise errors.EngineRuntimeError(
                    "jvp(f, primals, tangents): Expected f(*primals) to return only tensors, got "
                    f"unsupported type {type(o)}")
            p, t = fw.unpack_dual(o, level=level)
            prim.append(_unwrapped(o, level))
            tang.append(_zeros_like(p) if t is None else t)
        if aux is not None:
            a_leaves, a_spec = tree_flatten(aux)
            aux = tree_unflatten([fw.unpack_dual(a, level=level).primal
                                  if isinstance(a, Tensor) else a for a in a_leaves], a_spec)
    result = (_detach_tree(tree_unflatten(prim, o_spec), keep),
              _detach_tree(tree_unflatten(tang, o_spec), keep))
    return result + (_detach_tree(aux, keep),) if has_aux else result


def _unwrapped(o: Tensor, level: int) -> Tensor:
    """A primal output of ``jvp``: as torch unwraps it from its level, an alias of ``o``
    without that level's tangent (AliasBackward0 where the program's graph reaches it)."""
    from ..ops.shape import alias

    with fw._Hidden(level):
        return alias(o)


# --------------------------------------------------------------------------- linearize
def linearize(func, *primals):
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` is the tangent of ``func``'s output
    at ``primals`` (``tangents`` shaped as ``primals``); an output's leaves that are not
    tensors come back as they are, a tensor output with no tangent as zeros. As torch, ``func``
    runs twice here (its output, then the evaluation torch traces: its errors, such as an
    integer primal, are raised here). Unlike torch, which replays the traced graph, each
    ``jvp_fn`` call evaluates ``func`` again by forward-mode AD (its value is the same; a
    ``func`` with side effects, such as printing or drawing random numbers, repeats them)."""
    output = func(*primals)
    flat, spec = tree_flatten(primals)
    for p in flat:
        if not isinstance(p, Tensor):
            raise AttributeError(f"'{type(p).__name__}' object has no attribute 'new_empty'")
    for p in flat:
        if not p.dtype.is_floating_point:  # (the engine has no complex dtypes)
            raise errors.EngineValueError("Expected primal to be floating point or complex, "
                                          f"but got: torch.{p.dtype.name}")
    _, out_spec = tree_flatten(output)
    metas = [(tuple(p.shape), p.device, p.dtype) for p in flat]

    def tangents_of(flat_tangents):
        with fw.nested_level() as level:
            duals = [fw.make_dual(p, t, level=level) for p, t in zip(flat, flat_tangents)]
            out = func(*tree_unflatten(duals, spec))
            leaves = []
            for o in tree_flatten(out)[0]:
                if isinstance(o, Tensor):
                    primal, tangent = fw.unpack_dual(o, level=level)
                    o = _zeros_like(primal) if tangent is None else tangent
                leaves.append(o)
        return tree_unflatten(leaves, out_spec)

    tangents_of([_zeros_like(p) for p in flat])  # the evaluation torch traces

    def jvp_fn(*tangents):
        flat_t, t_spec = tree_flatten(tangents)
        if not _same_spec(t_spec, spec):
            raise errors.EngineRuntimeError(
                f"Expected the tangents {_spec_text(t_spec)} to have the same argspec as the "
                f"primals {_spec_text(spec)}")
        for i, (t, (shape, device, dtype)) in enumerate(zip(flat_t, metas)):
            for what, got, want in (("shape", t.shape, shape), ("device", t.device, device),
                                    ("dtype", t.dtype, dtype)):
                if (tuple(got) if what == "shape" else got) != want:
                    if what == "shape":
                        got, want = f"torch.Size({list(got)})", f"torch.Size({list(want)})"
                    raise errors.EngineRuntimeError(
                        f"tangent:{i} with {what} {got} in flattened pytree doesn't match the "
                        f"{what} {want} of the corresponding primal.")
        return tangents_of(flat_t)

    return output, jvp_fn


def _same_spec(a: TreeSpec, b: TreeSpec) -> bool:
    return a.kind == b.kind and a.meta == b.meta and len(a.children) == len(b.children) and \
        all(_same_spec(x, y) for x, y in zip(a.children, b.children))


def _spec_text(spec: TreeSpec, indent: int = 0) -> str:
    """A tree spec as torch's ``TreeSpec`` repr writes it (``TreeSpec(tuple, None, [*,\n  *])``):
    children after the first on their own lines, indented two more per level."""
    if spec.kind == "leaf":
        return "*"
    kind = "namedtuple" if spec.kind == "namedtuple" else spec.kind.__name__
    children = (",\n" + " " * (indent + 2)).join(_spec_text(c, indent + 2)
                                                  for c in spec.children)
    return f"TreeSpec({kind}, {spec.meta!r}, [{children}])"


# --------------------------------------------------------------------------- jacobians
def _basis_rows(leaves, start: int = 0, stop: int | None = None) -> list:
    """Rows ``start:stop`` of the standard basis over all ``leaves`` together, one batched
    tensor per leaf with shape (rows,) + leaf.shape."""
    from ..modes import check_numel
    from ..tensor import _wrap

    total = sum(t.numel() for t in leaves)
    stop = total if stop is None else stop
    out, offset = [], 0
    for t in leaves:
        n = t.numel()
        check_numel((stop - start, n))
        rows = t.device.xp.eye(stop - start, n, k=start - offset, dtype=t.dtype.np)
        out.append(_wrap(rows, t.dtype, t.device).reshape((stop - start,) + tuple(t.shape)))
        offset += n
    return out


#: Elements of a basis chunk (and so of each per-row intermediate) that ``jacrev`` and
#: ``jacfwd`` work on at once when no ``chunk_size`` is given: the Jacobian of an R^n -> R^m
#: function builds an m x m (or n x n) basis, which would otherwise grow with the square of the
#: output (a 32x512 output: 268M elements); cut into chunks, memory grows with the Jacobian.
#: (16M: jacrev(jacrev) of that output took 1.65 s of CPU, 2.7 s with 4M, 2.9 s with 64M.)
_CHUNK_ELEMENTS = 1 << 24


def _over_basis(fn, leaves, chunk_size, row_elements: int, **vmap_kw):
    """``vmap(fn)`` over the standard basis of ``leaves``, by chunks of rows when the basis is
    large and no ``chunk_size`` was given; the per-row results are concatenated along
    ``vmap_kw['out_dims']`` (0 unless given)."""
    total = sum(t.numel() for t in leaves)
    width = max(total, row_elements, 1)
    if chunk_size is not None or total * width <= _CHUNK_ELEMENTS:
        return vmap(fn, chunk_size=chunk_size, **vmap_kw)(*_basis_rows(leaves))
    step = max(1, _CHUNK_ELEMENTS // width)
    parts = [vmap(fn, **vmap_kw)(*_basis_rows(leaves, i, min(i + step, total)))
             for i in range(0, total, step)]
    out_dims = vmap_kw.get("out_dims", 0)
    if not isinstance(out_dims, tuple):
        return _join(parts, out_dims)
    return tuple(parts[0][j] if d is None else _join([p[j] for p in parts], d)
                 for j, d in enumerate(out_dims))


def _join(parts: list, dim: int):
    """Concatenate the chunks' results (trees of tensors) leaf by leaf along ``dim``."""
    from ..ops import cat

    spec = tree_flatten(parts[0])[1]
    columns = [tree_flatten(p)[0] for p in parts]
    joined = [cat(pieces, dim if dim >= 0 else pieces[0].ndim + dim)
              for pieces in zip(*columns)]
    return tree_unflatten(joined, spec)


def _split_jac(col, out_shape, in_leaves, batch_dim_last: bool):
    """Cut a (total,)+out_shape (jacrev) or out_shape+(total,) (jacfwd) block into one
    out_shape + in.shape piece per input leaf."""
    pieces, offset = [], 0
    for t in in_leaves:
        n = t.numel()
        if batch_dim_last:
            # torch's ops (so its node names): split the last dim, then unflatten it into the
            # input's shape (squeeze for a 0-d input): a view, ViewBackward0
            piece = col.narrow(col.ndim - 1, offset, n)
            pieces.append(piece.squeeze(-1) if t.ndim == 0 else
                          piece.unflatten(-1, tuple(t.shape)))
        else:
            piece = col.narrow(0, offset, n)
            moved = piece.movedim(0, -1) if piece.ndim > 1 else piece
            pieces.append(moved.reshape(tuple(out_shape) + tuple(t.shape)))
        offset += n
    return pieces


def _of_argnums(func, args: tuple, kwargs: dict, nums: tuple) -> tuple:
    """``args[i]``'s leaves for each ``i`` of ``nums`` (flattened, in order), their specs,
    and ``func`` as a function of those leaves alone (every other argument as given)."""
    arg_specs, arg_leaves = [], []
    for i in nums:
        leaves, s = tree_flatten(args[i])
        arg_specs.append(s)
        arg_leaves.extend(leaves)

    def f_of_diff(*diff_leaves):
        new_args = list(args)
        it = iter(diff_leaves)
        for i, s in zip(nums, arg_specs):
            new_args[i] = tree_unflatten([next(it) for _ in range(s.num_leaves)], s)
        return func(*new_args, **kwargs)

    return arg_specs, arg_leaves, f_of_diff


def _assemble(per_output, out_spec, arg_specs, argnums):
    """per_output[i] = flat list (over all argnum leaves) of jacobian pieces."""
    result = []
    for pieces in per_output:
        it = iter(pieces)
        per_arg = [tree_unflatten([next(it) for _ in range(s.num_leaves)], s) for s in arg_specs]
        result.append(per_arg[0] if not isinstance(argnums, tuple) else tuple(per_arg))
    return tree_unflatten(result, out_spec)


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None, _preallocate_and_copy=False):
    """The Jacobian by reverse mode: ``vmap`` of ``vjp`` over the output's standard basis."""

    def wrapped(*args, **kwargs):
        nums = _argnums(argnums, len(args), "jacrev(f, ...)(*args)")
        keep = _keeps_graph(tree_flatten(args)[0])
        arg_specs, arg_leaves, f_of_diff = _of_argnums(func, args, kwargs, nums)

        res = vjp(f_of_diff, *arg_leaves, has_aux=has_aux)
        out, vjp_fn = res[0], res[1]
        out_leaves, out_spec = tree_flatten(out)
        keep = keep or _outer_graph(out_leaves)
        rows = _over_basis(lambda *cts: vjp_fn(tree_unflatten(list(cts), out_spec)),
                           out_leaves, chunk_size, sum(t.numel() for t in arg_leaves))
        per_output, offset = [], 0
        for o in out_leaves:
            n = o.numel()
            pieces = []
            for r, t in zip(rows, arg_leaves):
                block = r.narrow(0, offset, n)
                # (torch views each output's block: ViewBackward0 whatever its strides)
                pieces.append(block.view(tuple(o.shape) + tuple(t.shape)))
            per_output.append(pieces)
            offset += n
        jac = _detach_tree(_assemble(per_output, out_spec, arg_specs, argnums), keep)
        return (jac, res[2]) if has_aux else jac

    wrapped.__name__ = f"jacrev({_fn_name(func)})"
    return wrapped


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """The Jacobian by forward mode: ``vmap`` of ``jvp`` over the inputs' standard basis."""

    def wrapped(*args, **kwargs):
        nums = _argnums(argnums, len(args), "jacfwd(f, ...)(*args)")
        keep = _keeps_graph(tree_flatten(args)[0]) or (_depth.get() == 0 and
                                                       _grad_enabled.get())
        arg_specs, arg_leaves, f_of_diff = _of_argnums(func, args, kwargs, nums)

        state = {}

        def push(*ts):
            res = jvp(f_of_diff, tuple(arg_leaves), tuple(ts), has_aux=has_aux)
            state["spec"] = tree_flatten(res[0])[1]
            if has_aux:
                return res[1], res[2]
            return res[1]

        if has_aux:
            tangents, aux = _over_basis(push, arg_leaves, None, 0, randomness=randomness,
                                        out_dims=(-1, None))
        else:
            tangents = _over_basis(push, arg_leaves, None, 0, randomness=randomness,
                                   out_dims=-1)
        t_leaves, out_spec = tree_flatten(tangents)
        per_output = []
        for t in t_leaves:
            out_shape = tuple(t.shape[:-1])
            per_output.append(_split_jac(t, out_shape, arg_leaves, True))
        jac = _detach_tree(_assemble(per_output, out_spec, arg_specs, argnums), keep)
        return (jac, _detach_tree(aux, keep)) if has_aux else jac

    wrapped.__name__ = f"jacfwd({_fn_name(func)})"
    return wrapped


def hessian(func, argnums=0):
    """``jacfwd(jacrev(func, argnums), argnums)``: forward over reverse."""
    return jacfwd(jacrev(func, argnums), argnums)


# --------------------------------------------------------------------------- modules
def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """Call ``module`` with some of its parameters and buffers replaced by the given tensors
    (by dotted name), restoring them afterwards."""
    if isinstance(parameter_and_buffer_dicts, (list, tuple)):
        merged = {}
        for d in parameter_and_buffer_dicts:
            for k, v in d.items():
                if k in merged:
                    raise errors.EngineValueError(
                        f"{k} appeared in multiple dictionaries; behavior of functional call is "
                        "ambiguous")
                merged[k] = v
    else:
        merged = dict(parameter_and_buffer_dicts)
    if strict:
        known = {name for name, _ in module.named_parameters()} | \
            {name for name, _ in module.named_buffers()}
        missing = sorted(known - set(merged))
        unexpected = sorted(set(merged) - known)
        if missing or unexpected:
            parts = []
            if unexpected:
                parts.append("Unexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected))
            if missing:
                parts.append("Missing key(s): " + ", ".join(f"'{k}'" for k in missing))
            raise errors.EngineRuntimeError(
                "Error(s) in reparametrizing for " + type(module).__name__ + ":\n\t" +
                ".\n\t".join(parts) + ".")
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    kwargs = kwargs or {}
    saved = []
    try:
        for name, value in merged.items():
            owner, attr = _owner(module, name)
            table = _slot_table(owner, attr)
            saved.append((table, attr, table[attr]))
            table[attr] = value
        return module(*args, **kwargs)
    finally:
        for table, attr, old in reversed(saved):
            table[attr] = old


def _owner(module, name: str):
    parts = name.split(".")
    owner = module
    for p in parts[:-1]:
        owner = getattr(owner, p)
    return owner, parts[-1]


def _slot_table(owner, attr: str) -> dict:
    for table_name in ("_parameters", "_buffers"):
        table = getattr(owner, table_name, None)
        if isinstance(table, dict) and attr in table:
            return table
    raise errors.EngineAttributeError(
        f"{type(owner).__name__} has no parameter or buffer named {attr!r}") \
        if hasattr(errors, "EngineAttributeError") else AttributeError(
        f"{type(owner).__name__} has no parameter or buffer named {attr!r}")


def stack_module_state(models) -> tuple[dict, dict]:
    """``(params, buffers)``: each parameter and buffer of ``M`` modules of one class stacked
    along a new first dimension, by name (for :func:`vmap` over :func:`functional_call`).
    Stacks of tensors that require grad are new leaves, unrelated to the modules' own."""
    from ..ops.shape import stack

    if len(models) == 0:
        raise errors.EngineRuntimeError(
            "stack_module_state: Expected at least one model, got 0.")
    first = models[0]
    if any(m.training != first.training for m in models):
        raise errors.EngineRuntimeError(
            "stack_module_state: Expected all models to have the same training/eval mode.")
    if any(type(m) is not type(first) for m in models):
        raise errors.EngineRuntimeError(
            "stack_module_state: Expected all models to be of the same class.")

    def stacked(named) -> dict:
        per_model = [dict(named(m)) for m in models]
        out = {}
        for name in per_model[0]:
            tensors = [d[name] for d in per_model]
            wanted = {t.requires_grad for t in tensors}
            if len(wanted) > 1:
                raise errors.EngineRuntimeError(
                    f"Expected {name} from each model to have the same .requires_grad")
            result = stack(tensors)
            out[name] = result.detach().requires_grad_() if True in wanted else result
        return out

    return (stacked(lambda m: m.named_parameters()), stacked(lambda m: m.named_buffers()))
