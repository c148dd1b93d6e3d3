"""The op catalog, derived from the engine's op table."""

from __future__ import annotations

import inspect
from functools import cache
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

import engine
from app.api.responses import OrjsonRoute
from engine.ops import kernel_dtypes

router = APIRouter(prefix="/v1", tags=["language"], route_class=OrjsonRoute)


class OpInfo(BaseModel):
    name: str
    signature: str = Field(examples=["sum(input, dim=None, keepdim=False, *, dtype=None)"])
    doc: str
    differentiable: bool
    kind: Literal["function", "method", "both"]
    inplace: bool
    aliases: list[str]
    dtypes: list[str] | None = Field(
        default=None, examples=[["int64", "float16", "float32", "float64"]],
        description="The dtypes the op's kernel computes for its input, from the op table's "
                    "kernel rule (torch 2.13's CPU kernels); any other dtype raises torch's "
                    "NotImplementedError (\"avg_pool2d\" not implemented for 'Byte'). null: "
                    "the table records no kernel restriction for the op.")


class OpCatalog(BaseModel):
    ops: list[OpInfo]


@cache
def catalog() -> OpCatalog:
    """One entry per op (an alias is listed under its op, never as an entry of its own); an
    in-place twin of an alias (``arctan2_``) is an alias of the twin (``atan2_``)."""
    table = engine.ops.OPS
    entries: dict[str, OpInfo] = {}
    twin_aliases: dict[str, list[str]] = {}
    for name, op in table.items():
        if name != op.name or op.name in entries:
            continue  # an alias of an op listed under its own name
        base = table.get(op.name[:-1]) if op.inplace else None
        if base is not None and base.name != op.name[:-1] and base.name + "_" in table:
            twin_aliases.setdefault(base.name + "_", []).append(op.name)
            continue
        entries[op.name] = OpInfo(
            name=op.name, signature=_signature(op, base), doc=op.doc,
            differentiable=op.differentiable, kind=op.kind, inplace=op.inplace,
            aliases=list(op.aliases), dtypes=kernel_dtypes.accepted(op.name))
    for name, aliases in twin_aliases.items():
        entries[name].aliases = sorted({*entries[name].aliases, *aliases})
    return OpCatalog(ops=sorted(entries.values(), key=lambda o: o.name))


def _signature(op: Any, base: Any) -> str:
    """The op's signature; an in-place twin's generic ``(*args, **kwargs)`` wrapper shows the
    signature of the op it applies in place, as a method (``add_(other, *, alpha=1)``)."""
    try:
        params = list(inspect.signature(op.fn).parameters.values())
    except (TypeError, ValueError):
        return op.signature
    generic = [p.kind for p in params[1:]] == [inspect.Parameter.VAR_POSITIONAL,
                                                 inspect.Parameter.VAR_KEYWORD]
    if not (op.inplace and generic and base is not None):
        return op.signature
    try:
        base_sig = inspect.signature(base.fn)
    except (TypeError, ValueError):
        return op.signature
    rest = list(base_sig.parameters.values())[1:]  # the tensor changed in place is the receiver
    return op.name + str(base_sig.replace(parameters=rest, return_annotation=base_sig.empty))


@router.get("/ops", response_model=OpCatalog, summary="The op catalog",
            description="Every op a program can call, once, with its aliases, its signature "
                        "(a method's without the tensor it is called on), a one-line doc, "
                        "whether it is differentiable and, where the op table has a kernel "
                        "rule, the dtypes its input may have.")
async def list_ops() -> OpCatalog:
    return catalog()
