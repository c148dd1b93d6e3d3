"""The engine's exceptions and every PyTorch-mirrored error text, verbatim, in one place."""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises."""


class EngineRuntimeError(EngineError, RuntimeError):
    pass


class EngineTypeError(EngineError, TypeError):
    pass


class EngineValueError(EngineError, ValueError):
    pass


class EngineIndexError(EngineError, IndexError):
    pass


class EngineOverflowError(EngineError, OverflowError):
    pass


class LinAlgError(EngineRuntimeError):
    """``torch.linalg.LinAlgError``: a singular or not positive-definite matrix, an SVD that
    did not converge."""


DEEPCOPY_NON_LEAF = (
    "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at "
    "the moment.  If you were attempting to deepcopy a module, this may be because of a "
    "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001")


class NotSupported(EngineError, NotImplementedError):
    """An op or argument that PyTorch has and this engine does not (yet)."""


class TensorTooLarge(EngineRuntimeError):
    def __init__(self, numel: int, limit: int):
        self.numel, self.limit = numel, limit
        super().__init__(f"result would have {numel} elements, over the limit of {limit}")


def type_name(t) -> str:
    from .dtypes import TYPE_NAMES

    prefix = "torch.cuda." if t.device.type == "cuda" else "torch."
    return prefix + TYPE_NAMES[t.dtype]


def saved_type_name(t) -> str:
    """A tensor's type as torch's version-counter error names it: the legacy class name for
    the eight types that have one (``torch.LongTensor``), else the backend's type name
    (``CPUBoolType``, ``CPUBFloat16Type``, ``CPUComplexFloatType``)."""
    from .dtypes import bool_

    if t.dtype is not bool_ and t.dtype.name in (
            "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"):
        return type_name(t)
    backend = "CUDA" if t.device.type == "cuda" else "CPU"
    return f"{backend}{t.dtype.scalar_name}Type"


def shape_text(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward.")
SCALAR_OUTPUTS = "grad can be implicitly created only for scalar outputs"
NO_GRAD_FN = "element {i} of tensors does not require grad and does not have a grad_fn"
LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
FLOAT_REQUIRES_GRAD = "Only Tensors of floating point and complex dtype can require gradients"
FLOAT_REQUIRES_GRAD_METHOD = "only Tensors of floating point dtype can require gradients"
NUMPY_REQUIRES_GRAD = ("Can't call numpy() on Tensor that requires grad. "
                       "Use tensor.detach().numpy() instead.")
ITEM_MULTI = "a Tensor with {n} elements cannot be converted to Scalar"
BOOL_AMBIGUOUS = "Boolean value of Tensor with more than one value is ambiguous"
UNUSED_INPUT = ("The differentiated Tensor at index {i} appears to not have been used in the "
                "graph. Set allow_unused=True if this is the desired behavior.")
INPUT_NO_GRAD = "One of the differentiated Tensors does not require grad"
INPLACE_MODIFIED = (
    "one of the variables needed for gradient computation has been modified by an inplace "
    "operation: [{type} {shape}]{owner} is at version {version}; expected version {expected} "
    "instead. Hint: enable anomaly detection to find the operation that failed to compute its "
    "gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")
GRAD_SHAPE = ("Mismatch in shape: grad_output[{i}] has a shape of {got} and output[{i}] has a "
              "shape of {want}.")
NONLEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information.")
DIM_RANGE = "Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})"
BROADCAST = ("The size of tensor a ({a}) must match the size of tensor b ({b}) at "
             "non-singleton dimension {dim}")
DEVICE_MISMATCH = ("Expected all tensors to be on the same device, but found at least two "
                   "devices, {a} and {b}!")
LEAF_VIEW_INPLACE = ("a view of a leaf Variable that requires grad is being used in an in-place "
                     "operation.")
INTERNAL_OVERLAP = (
    "unsupported operation: more than one element of the written-to tensor refers to a single "
    "memory location. Please clone() the tensor before performing the operation.")
# torch writes these through an expanded tensor, warning first (TORCH_WARN, text without the
# "(Triggered internally at ...)" location)
EXPANDED_WRITE = ("Use of {op} on expanded tensors is deprecated. Please clone() the tensor "
                  "before performing this operation. This also applies to advanced indexing "
                  "e.g. tensor[{key}] = {value}")
EXPANDED_INDEX_FILL = EXPANDED_WRITE.format(op="index_fill_", key="mask", value="scalar")
EXPANDED_MASKED_FILL = EXPANDED_WRITE.format(op="masked_fill_", key="mask", value="scalar")
EXPANDED_INDEX_PUT = EXPANDED_WRITE.format(op="index_put_", key="indices", value="tensor")
DETACH_VIEW_INPLACE = (
    "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel "
    "(DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP "
    "buckets, and hence detach_() cannot be called on these gradients. To fix this error, please "
    "refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
# in-place on a view that may not be rebased (torch's handle_view_on_rebase): head + tail
VIEW_REBASE_OUTPUT = "Output {nr} of {op} is a view and {modified} modified inplace."
VIEW_REBASE_OUTPUT_NO_GRAD = ("Output {nr} of {op} is a view of a view which was created in "
                              "no_grad mode and {modified} modified inplace with grad mode "
                              "enabled.")
VIEW_REBASE_NO_GRAD = ("A view was created in no_grad mode and {modified} modified inplace with "
                       "grad mode enabled.")
VIEW_MODIFIED = "is being"
VIEW_MODIFIED_INDIRECT = "its base or another view of its base has been"
VIEW_REBASE_MULTI = (
    " This view is the output of a function that returns multiple views. Such functions do not "
    "allow the output views to be modified inplace. You should replace the inplace operation by "
    "an out-of-place one.")
VIEW_REBASE_NO_GRAD_TAIL = (
    " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify "
    "your code by moving both the view and the inplace either both inside the no_grad block (if "
    "you don't want the inplace to be tracked) or both outside (if you want the inplace to be "
    "tracked).")
VIEW_REBASE_CUSTOM_TAIL = (
    " This view was created inside a custom Function (or because an input was returned as-is) "
    "and the autograd logic to handle view+inplace would override the custom backward "
    "associated with the custom Function, leading to incorrect gradients. This behavior is "
    "forbidden. You can fix this by cloning the output of the custom Function.")
BOOL_SUB = ("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
            "or `logical_xor()` operator instead.")
BOOL_SUB_ONE = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
ALPHA_BOOL = "Boolean alpha only supported for Boolean results."
ALPHA_FLOAT = "For integral input tensors, argument alpha must not be a floating point number."
VIEW_NOT_COMPATIBLE = ("view size is not compatible with input tensor's size and stride (at least "
                       "one dimension spans across two contiguous subspaces). Use .reshape(...) "
                       "instead.")


class KernelNotImplemented(EngineError, NotImplementedError):
    """PyTorch's own NotImplementedError: the op has no kernel for this dtype."""


NOT_IMPLEMENTED_FOR = "\"{kernel}\" not implemented for '{dtype}'"
NEG_BOOL = ("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
            "invert a mask, use the `~` or `logical_not()` operator instead.")
POS_BOOL = "The `+` operator, on a bool tensor is not supported."
INT_DIV_ZERO = "ZeroDivisionError"
INT_NEG_POW = "Integers to negative integer powers are not allowed."
NO_DERIVATIVE = "derivative for aten::{op} is not implemented"
MUST_BE_TENSOR = "{op}(): argument '{arg}' (position {pos}) must be Tensor, not {type}"
CLAMP_NO_BOUNDS = "torch.clamp: At least one of 'min' or 'max' must not be None"
WHERE_CONDITION = ("where expected condition to be a boolean tensor, but got a tensor with dtype "
                   "{dtype}")
DTYPE_EXPECTED = "expected dtype {want} for `{arg}` but got dtype {got}"
# what torch's CPU TensorIterator loops assert when operands of several dtypes reach a kernel
# that cannot cast (batch_norm of a strided input with parameters of another dtype)
LOOPS_DYNAMIC_CASTING = ('!needs_dynamic_casting<func_t>::check(iter) INTERNAL ASSERT FAILED at '
                         '"/__w/pytorch/pytorch/aten/src/ATen/native/cpu/Loops.h":311, please '
                         'report a bug to PyTorch. ')


class EngineAssertionError(EngineError, AssertionError):
    """PyTorch's Python-level ``assert`` failures (e.g. ``embedding``'s padding_idx check)."""
