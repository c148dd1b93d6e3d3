"""``torch.autograd.functional``: ``vjp jvp jacobian hessian vhp hvp`` over user functions.

Reverse mode throughout, as PyTorch computes them: ``jvp`` and ``hvp`` use the double-backward
trick, ``jacobian`` one vector-Jacobian product per output element (or all at once through
``vmap`` with ``vectorize=True``), or forward-mode tangents with ``strategy="forward-mode"``.
Inputs are detached copies that require grad (views that keep the graph with ``create_graph``),
so the caller's tensors never collect ``.grad``.
"""

from __future__ import annotations

from .. import errors
from ..modes import enable_grad
from ..tensor import Tensor

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


# --------------------------------------------------------------------------- helpers
def _as_tuple(x, arg_name: str, fn_name: str) -> tuple[bool, tuple]:
    if isinstance(x, tuple):
        items, is_tuple = x, True
    else:
        items, is_tuple = (x,), False
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            if is_tuple:
                raise errors.EngineTypeError(
                    f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                    f"Tensors but the value at index {i} has type {type(el)}.")
            raise errors.EngineTypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors "
                f"but the given {arg_name} has type {type(el)}.")
    return is_tuple, tuple(items)


def _tuple_post(res, to_unpack):
    if isinstance(to_unpack, tuple):
        outer, inner = to_unpack
        if not inner:
            res = tuple(r[0] for r in res)
        if not outer:
            res = res[0]
        return res
    return res if to_unpack else res[0]


def _preprocess(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    out = []
    for x in inputs:
        if create_graph and x.requires_grad:
            out.append(x.view_as(x))  # keeps the graph to the caller's tensor
        else:
            out.append(x.detach().requires_grad_(need_graph))
    return tuple(out)


def _postprocess(x, create_graph: bool):
    if isinstance(x, Tensor):
        return x if create_graph else x.detach()
    return tuple(_postprocess(e, create_graph) for e in x)


def _validate_v(v: tuple, other: tuple, is_other_tuple: bool) -> None:
    if len(other) != len(v):
        if is_other_tuple:
            raise errors.EngineRuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise errors.EngineRuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.shape != el_other.shape:
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise errors.EngineRuntimeError(
                f"{prepend}v has invalid size: should be {el_other.shape} but got {el_v.shape}.")


def _check_requires_grad(inputs: tuple, input_type: str, strict: bool) -> None:
    if not strict:
        return
    for i, x in enumerate(inputs):
        if x is None:
            raise errors.EngineRuntimeError(
                f"The output of the user-provided function is independent of input {i}. This is "
                "not allowed in strict mode.")
        if not x.requires_grad:
            if input_type == "hessian":
                raise errors.EngineRuntimeError(
                    f"The hessian of the user-provided function with respect to input {i} is "
                    "independent of the input. This is not allowed in strict mode. You should "
                    "ensure that your function is thrice differentiable and that the hessian "
                    "depends on the inputs.")
            if input_type == "jacobian":
                raise errors.EngineRuntimeError(
                    "While computing the hessian, found that the jacobian of the user-provided "
                    f"function with respect to input {i} is independent of the input. This is "
                    "not allowed in strict mode. You should ensure that your function is twice "
                    "differentiable and that the jacobian depends on the inputs (this would be "
                    "violated by a linear function for example).")
            if input_type == "grad_inputs":
                raise errors.EngineRuntimeError(
                    f"The gradient with respect to input {i} is independent of the inputs of the "
                    "user-provided function. This is not allowed in strict mode.")
            raise errors.EngineRuntimeError(
                f"Output {i} of the user-provided function does not require gradients. The "
                "outputs must be computed in a differentiable manner from the input when running "
                "in strict mode.")


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    from .engine import run_backward

    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    outs, gos = [], []
    for o, g in zip(outputs, grad_outputs):
        if o is not None and o.requires_grad:
            outs.append(o)
            gos.append(g)
    if not outs:
        return (None,) * len(inputs)
    return tuple(run_backward(outs, gos, retain_graph, create_graph, inputs=list(inputs),
                              accumulate=False, allow_unused=True))


_STAGE_TEXT = {
    "back": "The output of the user-provided function is independent of input {i}. This is not "
            "allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This "
                   "is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} "
                         "in the grad_jacobian. This is not allowed in strict mode as it "
                         "prevents from using the double backward trick to replace forward mode "
                         "AD.",
}
_CREATE_GRAPH_TEXT = {
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   "This is not allowed in strict mode when create_graph=True.",
    "double_back_trick": "The hessian of the user-provided function is independent of input "
                         "{i}. This is not allowed in strict mode when create_graph=True.",
}


def _fill_in_zeros(grads, refs, strict: bool, create_graph: bool, stage: str) -> tuple:
    from ..ops import zeros_like

    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise errors.EngineRuntimeError(_STAGE_TEXT[stage].format(i=i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad and stage in _CREATE_GRAPH_TEXT:
            raise errors.EngineRuntimeError(_CREATE_GRAPH_TEXT[stage].format(i=i))
        res.append(g)
    return tuple(res)


# --------------------------------------------------------------------------- vjp / jvp
def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _preprocess(inputs, create_graph, True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = _preprocess(v, create_graph, False)
            _validate_v(v, outputs, is_outputs_tuple)
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise errors.EngineRuntimeError(
                "The vector v can only be None if the user-provided function returns a single "
                "Tensor with a single element.")
    with enable_grad() if create_graph else _nothing():
        grad_res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        vjp_ = _fill_in_zeros(grad_res, inputs, strict, create_graph, "back")
    return (_tuple_post(_postprocess(outputs, create_graph), is_outputs_tuple),
            _tuple_post(_postprocess(vjp_, create_graph), is_inputs_tuple))


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)`` by the double-backward trick (two reverse passes)."""
    from ..ops import zeros_like

    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _preprocess(inputs, create_graph, True)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            v = _preprocess(v, create_graph, False)
            _validate_v(v, inputs, is_inputs_tuple)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise errors.EngineRuntimeError(
                "The vector v can only be None if the input to the user-provided function is a "
                "single Tensor with a single element.")
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "outputs", strict)
        grad_outputs = tuple(zeros_like(o).requires_grad_(True) for o in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, grad_outputs, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    if create_graph:
        with enable_grad():
            grad_res = _autograd_grad(grad_inputs, grad_outputs, v, create_graph=True)
            jvp_ = _fill_in_zeros(grad_res, outputs, strict, create_graph, "back_trick")
    else:
        grad_res = _autograd_grad(grad_inputs, grad_outputs, v, create_graph=False)
        jvp_ = _fill_in_zeros(grad_res, outputs, strict, create_graph, "back_trick")
    return (_tuple_post(_postprocess(outputs, create_graph), is_outputs_tuple),
            _tuple_post(_postprocess(jvp_, create_graph), is_outputs_tuple))


# --------------------------------------------------------------------------- jacobian
def _basis(t: Tensor) -> Tensor:
    """The standard basis of ``t``'s space, batched: shape (numel,) + t.shape."""
    from ..ops import eye

    n = t.numel()
    return eye(n, dtype=t.dtype, device=t.device).reshape((n,) + tuple(t.shape))


def _split_identity(tensors) -> list:
    """The standard basis of all the tensors' elements together, batched: one identity of
    ``total`` rows split across the tensors, each piece shaped ``(total, *t.shape)`` (the
    tangents of a forward-mode Jacobian, the cotangents of a vectorized reverse one)."""
    from ..ops import cat, zeros

    sizes = [t.numel() for t in tensors]
    total = sum(sizes)
    pieces = []
    offset = 0
    for t, n in zip(tensors, sizes):
        blocks = []
        if offset:
            blocks.append(zeros((n, offset), dtype=t.dtype, device=t.device))
        blocks.append(_eye(n, t))
        if total - offset - n:
            blocks.append(zeros((n, total - offset - n), dtype=t.dtype, device=t.device))
        pieces.append(cat(blocks, 1).t().reshape((total,) + tuple(t.shape)))
        offset += n
    return pieces


def _jacfwd(func, inputs, strict: bool, vectorize: bool):
    from ..func import vmap
    from . import forward_ad as fw

    if strict:
        raise errors.EngineRuntimeError(
            "torch.autograd.functional.jacobian: `strict=True` and `strategy=\"forward-mode\"` "
            "are not supported together (yet). Please either set `strict=False` or "
            "`strategy=\"reverse-mode\"`.")
    if not vectorize:
        raise errors.NotSupported(
            "Computing Jacobian using forward-AD or forward-over-reverse Hessian isonly "
            "implemented for `vectorize=True`.")
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    from ..ops import zeros

    sizes = [x.numel() for x in inputs]
    tangents = _split_identity(inputs)  # one batched tangent per input element
    state = {}

    def push(*ts):
        with fw.nested_level():
            # not detached: inputs that require grad give a Jacobian with a graph, as torch's
            # (hessian's forward-over-reverse answers carry grad_fn=<ReshapeAliasBackward0>)
            duals = tuple(fw.make_dual(x, t) for x, t in zip(inputs, ts))
            outs = func(*duals)
            is_out_tuple, outs = _as_tuple(outs, "outputs of the user-provided function",
                                           "jacobian")
            state["is_outputs_tuple"] = is_out_tuple
            state["outputs"] = tuple(fw.unpack_dual(o).primal for o in outs)
            res = []
            for o in outs:
                t = fw.unpack_dual(o).tangent
                res.append(zeros(o.shape, dtype=o.dtype, device=o.device) if t is None else t)
            return tuple(res)

    jac_cols = vmap(push)(*tangents)  # each (total,) + out.shape
    result = []
    for col, out in zip(jac_cols, state["outputs"]):
        per_input = []
        # torch's steps, so a recorded graph has its nodes: split by input, the batch
        # dimension moved last, reshaped to out.shape + in.shape
        for piece, x in zip(col.split(sizes, 0), inputs):
            moved = piece.permute(*range(1, piece.ndim), 0)
            per_input.append(moved.reshape(tuple(out.shape) + tuple(x.shape)))
        result.append(per_input)
    # Lists, as torch builds them here: where inputs are a tuple and the output is not, the
    # answer is a list of tensors (a tuple in reverse mode); both tuples give a list of lists.
    return _tuple_post(result, (state["is_outputs_tuple"], is_inputs_tuple))


def _eye(n: int, like: Tensor) -> Tensor:
    from ..ops import eye

    return eye(n, dtype=like.dtype, device=like.device)


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: ``jac[i][j]`` has shape
    ``outputs[i].shape + inputs[j].shape`` (tuples folded away where func takes or returns a
    single tensor)."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise errors.EngineAssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise errors.NotSupported(
                "torch.autograd.functional.jacobian: `create_graph=True` and "
                "`strategy=\"forward-mode\"` are not supported together (yet). Please either set "
                "`create_graph=False` or `strategy=\"reverse-mode\"`.")
        return _jacfwd(func, inputs, strict, vectorize)

    from ..ops import stack, zeros

    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _preprocess(inputs, create_graph, True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outputs, "outputs", strict)

        if vectorize:
            if strict:
                raise errors.EngineRuntimeError(
                    "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` "
                    "are not supported together. Please either set `strict=False` or "
                    "`vectorize=False`.")
            return _tuple_post(_jacrev_vectorized(outputs, inputs, create_graph),
                               (is_outputs_tuple, is_inputs_tuple))

        jacobian_ = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]
            flat = out.reshape(-1)
            for j in range(flat.shape[0]):
                vj = _autograd_grad((flat[j],), inputs, retain_graph=True,
                                    create_graph=create_graph)
                for k, (g, x) in enumerate(zip(vj, inputs)):
                    if g is not None:
                        if strict and create_graph and not g.requires_grad:
                            raise errors.EngineRuntimeError(
                                "The jacobian of the user-provided function is independent of "
                                f"input {i}. This is not allowed in strict mode when "
                                "create_graph=True.")
                        rows[k].append(g)
                    else:
                        if strict:
                            raise errors.EngineRuntimeError(
                                f"Output {i} of the user-provided function is independent of "
                                f"input {k}. This is not allowed in strict mode.")
                        rows[k].append(zeros(x.shape, dtype=x.dtype, device=x.device))
            jacobian_.append(tuple(
                stack(r, 0).view(tuple(out.shape) + tuple(x.shape)) if r else
                zeros(tuple(out.shape) + tuple(x.shape), dtype=x.dtype, device=x.device)
                for r, x in zip(rows, inputs)))
        return _tuple_post(_postprocess(tuple(jacobian_), create_graph),
                           (is_outputs_tuple, is_inputs_tuple))


def _jacrev_vectorized(outputs, inputs, create_graph: bool) -> tuple:
    """All vector-Jacobian products at once: ``vmap`` over the identity cotangents."""
    from ..func import vmap
    from ..ops import zeros

    sizes = [o.numel() for o in outputs]
    cotangents = _split_identity(outputs)

    def vjp_(*vs):
        grads = _autograd_grad(outputs, inputs, vs, create_graph=create_graph,
                               retain_graph=True)
        return tuple(zeros(x.shape, dtype=x.dtype, device=x.device) if g is None else g
                     for g, x in zip(grads, inputs))

    rows = vmap(vjp_)(*cotangents)  # each (total,) + input.shape
    result = []
    offset = 0
    for o, n in zip(outputs, sizes):
        result.append(tuple(
            _postprocess(r.narrow(0, offset, n).reshape(tuple(o.shape) + tuple(x.shape)),
                         create_graph) for r, x in zip(rows, inputs)))
        offset += n
    return tuple(result)


def hessian(func, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a scalar function: ``H[i][j]`` has shape
    ``inputs[i].shape + inputs[j].shape``."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise errors.EngineAssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode".')

    def single_output(*inp):
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict)
        if is_out_tuple or not isinstance(out, Tensor):
            raise errors.EngineRuntimeError(
                "The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise errors.EngineRuntimeError(
                "The Tensor returned by the function given to hessian should contain a single "
                "element")
        return out.squeeze()

    def jac_func(*inp):
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(single_output, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _tuple_post(res, (is_inputs_tuple, is_inputs_tuple))


# --------------------------------------------------------------------------- vhp / hvp
def _scalar_output(func, inputs, fn_name: str, strict: bool):
    outputs = func(*inputs)
    is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                          fn_name)
    _check_requires_grad(outputs, "outputs", strict)
    if is_outputs_tuple or not isinstance(outputs[0], Tensor):
        raise errors.EngineRuntimeError(
            f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise errors.EngineRuntimeError(
            f"The Tensor returned by the function given to {fn_name} should contain a single "
            "element")
    return outputs


def _v_or_default(v, inputs, is_inputs_tuple, create_graph, fn_name):
    if v is not None:
        _, v = _as_tuple(v, "v", fn_name)
        v = _preprocess(v, create_graph, False)
        _validate_v(v, inputs, is_inputs_tuple)
        return v
    if len(inputs) != 1 or inputs[0].numel() != 1:
        raise errors.EngineRuntimeError(
            "The vector v can only be None if the input to the user-provided function is a "
            "single Tensor with a single element.")
    return v


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T H)`` for a scalar function."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
        inputs = _preprocess(inputs, create_graph, True)
        v = _v_or_default(v, inputs, is_inputs_tuple, create_graph, "vhp")
        outputs = _scalar_output(func, inputs, "vhp", strict)
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
    with enable_grad() if create_graph else _nothing():
        grad_res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        vhp_ = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back")
    return (_tuple_post(_postprocess(outputs, create_graph), False),
            _tuple_post(_postprocess(vhp_, create_graph), is_inputs_tuple))


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H v)`` for a scalar function, by the double-backward trick."""
    from ..ops import zeros_like

    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hvp")
        inputs = _preprocess(inputs, create_graph, True)
        v = _v_or_default(v, inputs, is_inputs_tuple, create_graph, "hvp")
        outputs = _scalar_output(func, inputs, "hvp", strict)
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        grad_jac = tuple(zeros_like(x).requires_grad_(True) for x in inputs)
        double_back = _autograd_grad(jac, inputs, grad_jac, create_graph=True)
        _check_requires_grad(jac, "hessian", strict)
    with enable_grad() if create_graph else _nothing():
        grad_res = _autograd_grad(double_back, grad_jac, v, create_graph=create_graph)
        hvp_ = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back_trick")
    return (_tuple_post(_postprocess(outputs, create_graph), False),
            _tuple_post(_postprocess(hvp_, create_graph), is_inputs_tuple))
