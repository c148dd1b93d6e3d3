"""The op table. Importing this package registers every op and installs the table's methods
and Python operators on ``Tensor``.

Modules by family: creation, pointwise, reduction, linalg, shape, indexing, nn, tensor_methods;
and arrange, comparison, distance, fused, matrices, order_stats, padding, pointwise_extra,
pointwise_more (sgn, signbit, isin), samplers (random draws), scatter (scatter, scatter_reduce,
take, put, masked_select, slice_scatter ...), searching, shape_extra (rot90, diff), shape_more
(tile, ravel, stride, in-place squeeze_ ...), stacking (hstack, tensor_split ...); activation,
loss and normalization (torch.nn.functional). Convolution, pooling and interpolation: conv,
pooling, sampling. torch.linalg (as "linalg.X"): decompositions, norms. NumPy's argument names
(axis=, keepdims=): numpy_names. Statistics (cov, bincount, dist ...): stats_more; matrix_power,
linalg.vecdot ...: linalg_more. result_type, promote_types, can_cast ...: dtype_utils.
"""

from __future__ import annotations

from ..tensor import Tensor
from . import (  # noqa: F401
    activation,
    arrange,
    asarray,
    attention,
    comparison,
    conv,
    creation,
    decompositions,
    distance,
    dtype_utils,
    embedding_bag,
    fractional_pool,
    fused,
    grid_sample,
    index_reduce,
    indexing,
    kernel_draws,
    keywords,
    layouts,
    ldl,
    linalg,
    linalg_ex,
    linalg_extra,
    linalg_more,
    loss,
    lu,
    matrices,
    matrix_build,
    nn,
    nn_layers,
    normalization,
    norms,
    numeric_more,
    numpy_names,
    order_stats,
    out_rules,
    padding,
    pdist,
    pointwise,
    pointwise_binary,
    pointwise_extra,
    pointwise_inplace,
    pointwise_more,
    pooling,
    positional,
    reduction,
    reduction_more,
    samplers,
    sampling,
    scatter,
    searching,
    shape,
    shape_extra,
    shape_more,
    signatures,
    sparse_coo,
    special,
    special_cephes,
    special_more,
    stacking,
    stats_more,
    strided,
    tensor_methods,
    triangular_solve,
    unpool,
)
from ._args import is_scalar
from .registry import OPS, OpDef, catalog, lookup, register

# Every function-style op is importable from here: ``from engine.ops import add``.
globals().update({name: d.fn for name, d in OPS.items()})


def _install_tensor_api() -> None:
    for name, d in OPS.items():
        if d.kind != "function" and not hasattr(Tensor, name):
            setattr(Tensor, name, d.fn)

    def op_(name):
        # an op may name a leaner function for its operator form (``add`` without ``alpha``)
        fn = OPS[name].fn
        fn = getattr(fn, "operator", fn)
        return getattr(fn, "operator_form", fn)  # NotImplemented for a non-number operand

    def guarded(fn):
        # ``x % "a"``: NotImplemented, so Python raises its own TypeError as for torch
        return lambda self, other: fn(self, other) if isinstance(other, Tensor) or \
            is_scalar(other) else NotImplemented

    for name in ("remainder", "matmul"):
        fn = OPS[name].fn
        if not hasattr(fn, "operator_form"):
            fn.operator_form = guarded(getattr(fn, "operator", fn))

    def reflected(name):
        fn = op_(name)
        return lambda self, other: fn(other, self) if isinstance(other, Tensor) or \
            is_scalar(other) else NotImplemented

    binary = {"add": "add", "sub": "sub", "mul": "mul", "truediv": "div",
              "floordiv": "floor_divide", "mod": "remainder", "pow": "pow",
              "matmul": "matmul", "and": "bitwise_and", "or": "bitwise_or",
              "xor": "bitwise_xor", "lshift": "bitwise_left_shift",
              "rshift": "bitwise_right_shift"}
    for py, name in binary.items():
        if name not in OPS:
            continue
        setattr(Tensor, f"__{py}__", op_(name))
        # ``2 * x`` is ``x.__rmul__(2)``: PyTorch computes mul(x, 2) for commutative ops
        commutative = name in ("add", "mul", "bitwise_and", "bitwise_or", "bitwise_xor")
        setattr(Tensor, f"__r{py}__", op_(name) if commutative else reflected(name))
        if name + "_" in OPS:
            setattr(Tensor, f"__i{py}__", op_(name + "_"))
    # as PyTorch writes them: ``4.2 - x`` is rsub (RsubBackward1), ``2 / x`` is
    # ``x.reciprocal() * 2`` (MulBackward0 over ReciprocalBackward0)
    rsub, reciprocal, mul = op_("rsub"), op_("reciprocal"), op_("mul")
    Tensor.__rsub__ = lambda self, other: rsub(self, other) if is_scalar(other) else \
        NotImplemented
    Tensor.__rtruediv__ = lambda self, other: mul(reciprocal(self), other) if \
        is_scalar(other) else NotImplemented
    for py, name in (("eq", "eq"), ("ne", "ne"), ("lt", "lt"), ("le", "le"), ("gt", "gt"),
                     ("ge", "ge")):
        setattr(Tensor, f"__{py}__", op_(name))
    Tensor.__neg__ = op_("neg")
    Tensor.__pos__ = op_("positive") if "positive" in OPS else (lambda self: self)
    if "abs" in OPS:
        Tensor.__abs__ = op_("abs")
    if "bitwise_not" in OPS:
        Tensor.__invert__ = op_("bitwise_not")
    if "getitem" in OPS:
        Tensor.__getitem__ = op_("getitem")
        Tensor.__setitem__ = op_("setitem")
    Tensor.T = property(shape.numpy_T)
    Tensor.mT = property(shape.matrix_T)


pointwise_inplace.alias_twins()  # after every module: aliases registered anywhere
sparse_coo.install_sparse_forms()  # after every module: the dense ops' sparse forms
_install_tensor_api()
keywords.name_function_forms(OPS)  # torch's parser names in Python's keyword texts
keywords.name_methods(Tensor)
numpy_names.accept_numpy_names(OPS)  # after the Tensor methods: those stay the plain functions
out_rules.install(OPS)  # out= on the function forms (the methods stay the plain functions)
positional.install(OPS, Tensor)  # the forms torch binds otherwise (x.softmax(0, torch.float64))
signatures.install_guards(OPS, Tensor)  # last: torch's binding before the ops that need it

__all__ = ["OPS", "OpDef", "catalog", "lookup", "register"]
