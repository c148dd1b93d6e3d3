"""The programs the differential suite runs: input tensors (``Leaf``) and op calls (``Step``),
run the same way on the engine and on torch, observed, and rendered as torch source so that a
failure comes with a reproduction a person can paste into Python.

A program ends with a gradient phase (``order``): 0 runs only the forward, 1 calls
``loss.backward()`` and reads every leaf's ``.grad``, 2 takes ``grad(loss, leaves,
create_graph=True)``, then backward of a weighted sum of those gradients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

FLOATS = ("float64", "float32", "float16")
INTS = ("int64", "int32")
SMALL_INTS = ("uint8", "int8", "int16")  # torch's small integer types (beyond the SPEC's six)
EXACT = INTS + SMALL_INTS + ("bool",)


@dataclass(frozen=True)
class Ref:
    """A program variable used as an argument."""

    name: str


@dataclass(frozen=True)
class DT:
    """A dtype argument (``torch.float32``), mapped with the program's dtypes."""

    name: str


@dataclass
class Leaf:
    """An input tensor built from ``values`` (a NumPy array already exact in ``dtype``)."""

    name: str
    values: np.ndarray
    dtype: str
    requires_grad: bool = False


@dataclass
class Step:
    """One call. ``form``: "function" (``torch.op(...)``), "method" (``x.op(...)``),
    "operator" (``op`` is a Python operator symbol such as ``+``, ``-x``, ``+=``), "getitem"
    (``x[key]``) or "setitem" (``x[key] = value``)."""

    out: str | tuple[str, ...] | None
    op: str
    form: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


@dataclass
class Program:
    leaves: list[Leaf]
    steps: list[Step]
    order: int = 1
    loss: tuple[str, ...] | None = None  # variables in the loss (default: last step's outputs)
    retain: tuple[str, ...] = ()         # non-leaf variables that call retain_grad()
    seed: int = 0                        # for the loss weights
    values: bool = True                  # compare values (off for random ops)
    label: str = ""
    gauge: tuple[tuple[str, str], ...] = ()  # (variable, kind): results with a gauge freedom

    def with_dtypes(self, mapping: dict[str, str]) -> Program:
        """The same program with float dtypes swapped (for torch's float64 reference run)."""

        def conv(a):
            if isinstance(a, DT):
                return DT(mapping.get(a.name, a.name))
            if isinstance(a, tuple):
                return tuple(conv(x) for x in a)
            if isinstance(a, list):
                return [conv(x) for x in a]
            if isinstance(a, dict):
                return {k: conv(v) for k, v in a.items()}
            return a

        leaves = [replace(lf, dtype=mapping.get(lf.dtype, lf.dtype),
                          values=lf.values.astype(_np_dtype(mapping.get(lf.dtype, lf.dtype))))
                  for lf in self.leaves]
        steps = [replace(s, args=conv(s.args), kwargs=conv(s.kwargs)) for s in self.steps]
        return replace(self, leaves=leaves, steps=steps)

    def float_dtypes(self) -> set[str]:
        found = {lf.dtype for lf in self.leaves if lf.dtype in FLOATS}

        def walk(a):
            if isinstance(a, DT) and a.name in FLOATS:
                found.add(a.name)
            elif isinstance(a, (tuple, list)):
                for x in a:
                    walk(x)
            elif isinstance(a, dict):
                for x in a.values():
                    walk(x)

        for s in self.steps:
            walk(s.args)
            walk(s.kwargs)
        return found

    def source(self) -> str:
        """The program as torch code."""
        lines = ["import torch", "import torch.nn.functional as F"]
        for lf in self.leaves:
            rg = ", requires_grad=True" if lf.requires_grad else ""
            make = f"torch.zeros({list(lf.values.shape)}" if lf.values.size == 0 else \
                f"torch.tensor({_lit_array(lf.values)}"
            lines.append(f"{lf.name} = {make}, dtype=torch.{lf.dtype}{rg})")
        for s in self.steps:
            lines.append(render_step(s))
        for name in self.retain:
            lines.append(f"{name}.retain_grad()")
        lines.append(f"# gradient phase: order {self.order}, loss over "
                     f"{', '.join(self.loss) if self.loss else 'the last step'} "
                     f"(weights from seed {self.seed})")
        return "\n".join(lines)


def _np_dtype(name: str):
    return np.bool_ if name == "bool" else np.dtype(name)


def _lit_scalar(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return repr(bool(v))
    if isinstance(v, (int, np.integer)):
        return repr(int(v))
    v = float(v)
    if math.isnan(v):
        return "float('nan')"
    if math.isinf(v):
        return "float('inf')" if v > 0 else "-float('inf')"
    return repr(v)


def _lit_array(a: np.ndarray) -> str:
    if a.ndim == 0:
        return _lit_scalar(a.item())
    if a.size == 0:
        return f"torch.empty({list(a.shape)}).tolist()" if a.ndim > 1 else "[]"
    return "[" + ", ".join(_lit_array(x) for x in a) + "]"


def lit(a: Any) -> str:
    """Python source for an argument."""
    if isinstance(a, Ref):
        return a.name
    if isinstance(a, DT):
        return f"torch.{a.name}"
    if isinstance(a, slice):
        parts = ["" if x is None else lit(x) for x in (a.start, a.stop, a.step)]
        text = f"{parts[0]}:{parts[1]}"
        return text + (f":{parts[2]}" if a.step is not None else "")
    if a is Ellipsis:
        return "..."
    if isinstance(a, tuple):
        inner = ", ".join(lit(x) for x in a)
        return f"({inner},)" if len(a) == 1 else f"({inner})"
    if isinstance(a, list):
        return "[" + ", ".join(lit(x) for x in a) + "]"
    if isinstance(a, (bool, int, float, np.number, np.bool_)):
        return _lit_scalar(a)
    if isinstance(a, np.ndarray):
        return f"torch.tensor({_lit_array(a)})"
    return repr(a)


def _key(k) -> str:
    if isinstance(k, tuple):
        return ", ".join(_key(x) for x in k) if k else "()"
    return lit(k)


UNARY_OPERATORS = {"neg": "-", "pos": "+", "invert": "~"}


def render_step(s: Step) -> str:
    args = [lit(a) for a in s.args] + [f"{k}={lit(v)}" for k, v in s.kwargs.items()]
    out = "" if s.out is None else (
        ", ".join(s.out) + (",") * (len(s.out) == 1) if isinstance(s.out, tuple) else s.out)
    if s.form == "function":
        call = f"{torch_path(s.op)}({', '.join(args)})"
    elif s.form == "method":
        call = f"{args[0]}.{s.op}({', '.join(args[1:])})"
    elif s.form == "getitem":
        call = f"{args[0]}[{_key(s.args[1])}]"
    elif s.form == "setitem":
        return f"{args[0]}[{_key(s.args[1])}] = {args[2]}"
    elif s.form == "operator":
        if s.op in UNARY_OPERATORS:
            call = f"{UNARY_OPERATORS[s.op]}{args[0]}"
        elif s.op == "abs":
            call = f"abs({args[0]})"
        elif s.op.endswith("="):  # augmented assignment rebinds its target
            return f"{args[0]} {s.op} {args[1]}" + (f"; {out} = {args[0]}" if out else "")
        else:
            call = f"{args[0]} {s.op} {args[1]}"
    elif s.form == "attr":
        call = f"{args[0]}.{s.op}"
    else:  # pragma: no cover
        raise ValueError(s.form)
    return f"{out} = {call}" if out else call


# Where torch keeps an op that is not ``torch.<name>`` (filled by backends.torch_function).
TORCH_PATHS: dict[str, str] = {}


def torch_path(name: str) -> str:
    return TORCH_PATHS.get(name, f"torch.{name}")
