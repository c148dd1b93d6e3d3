"""Which dtypes an op's kernel computes: one rule per op (torch 2.13's CPU kernels, found by
experiment), read by the ops that refuse a dtype (``"avg_pool2d" not implemented for 'Byte'``)
and by the ``/v1/ops`` catalog (each op's ``dtypes``: what its input may be).

A rule names torch's kernel (the name in its error text) and the set of dtypes it computes.
An op checks its input with ``check(op, tensor)`` at the point where torch's kernel runs (after
the argument checks torch makes first), so the refusal comes in torch's order. Ops without a
rule have no recorded kernel restriction (``accepted(op)`` is None): their own checks apply
(bitwise ops refuse floats, for example).

tests/oracle/test_kernel_dtypes.py checks every rule against torch for each of the nine dtypes,
and against tests/oracle/goldens/small_int_kernels.json (what the small-int sweep recorded).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import errors
from ..dtypes import ALL

NAMES = tuple(d.name for d in ALL)  # bool, uint8, int8, int16, int32, int64, float16/32/64
FLOATING = frozenset({"float16", "float32", "float64"})
SMALL_INTS = frozenset({"uint8", "int8", "int16"})


@dataclass(frozen=True)
class Kernel:
    """torch's kernel ``name`` (as its error text prints it) and the dtypes it computes."""

    name: str
    accepts: frozenset

    def refusal(self, dtype) -> errors.KernelNotImplemented:
        return errors.KernelNotImplemented(errors.NOT_IMPLEMENTED_FOR.format(
            kernel=self.name, dtype=dtype.scalar_name))


def _all_but(*names: str) -> frozenset:
    return frozenset(NAMES) - frozenset(names)


# op -> its kernel rule (the op table's names; an op that runs another's kernel, as avg_pool1d
# runs avg_pool2d's, has its own entry with that kernel; an in-place twin shares its op's)
RULES: dict[str, Kernel] = {
    "avg_pool1d": Kernel("avg_pool2d", FLOATING | {"int64"}),
    "avg_pool2d": Kernel("avg_pool2d", FLOATING | {"int64"}),
    "avg_pool3d": Kernel("avg_pool3d_out_frame", frozenset({"float32", "float64", "int64"})),
    "adaptive_avg_pool1d": Kernel("adaptive_avg_pool2d", FLOATING),
    "adaptive_avg_pool2d": Kernel("adaptive_avg_pool2d", FLOATING),
    "adaptive_avg_pool3d": Kernel("adaptive_avg_pool3d_cpu", FLOATING),
    "adaptive_max_pool1d": Kernel("adaptive_max_pool2d", FLOATING),
    "adaptive_max_pool2d": Kernel("adaptive_max_pool2d", FLOATING),
    "adaptive_max_pool3d": Kernel("adaptive_max_pool3d_cpu", FLOATING),
    "max_unpool1d": Kernel("max_unpool2d", FLOATING),
    "max_unpool2d": Kernel("max_unpool2d", FLOATING),
    "max_unpool3d": Kernel("max_unpool3d", FLOATING),
}
for _ops, _kernel in (
        (("elu", "elu_", "selu", "selu_", "celu", "celu_"), "elu_cpu"),
        (("leaky_relu", "leaky_relu_"), "leaky_relu_cpu"),
        (("rrelu", "rrelu_"), "leaky_relu_cpu"),  # (training: RRELU_TRAINING)
        (("mish",), "mish_cpu"), (("silu",), "silu_cpu"), (("gelu",), "GeluKernelImpl"),
        (("hardsigmoid",), "hardsigmoid_cpu"), (("hardswish",), "hardswish_cpu"),
        (("hardshrink",), "hardshrink_cpu"), (("softshrink",), "softshrink_check"),
        (("logsigmoid",), "log_sigmoid_cpu"), (("softplus",), "softplus_cpu"),
        (("glu",), "glu_cpu"), (("prelu",), "prelu_cpu"),
        (("layer_norm",), "LayerNormKernelImpl"), (("group_norm",), "GroupNormKernelImpl"),
        (("batch_norm",), "batch_norm")):
    for _op in _ops:
        RULES[_op] = Kernel(_kernel, FLOATING)


# rrelu while training runs its own kernel (no float16); outside training, leaky_relu's
RRELU_TRAINING = Kernel("rrelu_with_noise_out_cpu", frozenset({"float32", "float64"}))


def check(op: str, t, inplace: bool = False, rule: Kernel | None = None,
          kernel: str | None = None) -> None:
    """Raise torch's "not implemented for" error when ``op``'s kernel does not compute
    ``t``'s dtype. ``inplace``: an in-place call checks that ``t`` has no overlapping
    elements first (torch's order); ``rule``: the kernel this call runs, when it is not the
    op's (rrelu while training); ``kernel``: the name torch's error gives this call's kernel,
    when the layout picks another one with the same dtypes (channels-last pooling)."""
    rule = rule or RULES[op]
    if t.dtype.name not in rule.accepts:
        if inplace:
            from .families import check_overlap

            check_overlap(t)
        raise (rule if kernel is None else Kernel(kernel, rule.accepts)).refusal(t.dtype)


def accepted(op: str) -> list[str] | None:
    """The dtypes ``op``'s input may have, in the order of ``engine.dtypes.ALL`` (None: no
    recorded kernel restriction)."""
    rule = RULES.get(op)
    return None if rule is None else [n for n in NAMES if n in rule.accepts]


__all__ = ["Kernel", "RULES", "accepted", "check"]
