"""The op catalog, derived from the engine's op table."""

from __future__ import annotations

from functools import cache
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

import engine
from app.api.responses import OrjsonRoute

router = APIRouter(prefix="/v1", tags=["language"], route_class=OrjsonRoute)


class OpInfo(BaseModel):
    name: str
    signature: str = Field(examples=["sum(input, dim=None, keepdim=False, *, dtype=None)"])
    doc: str
    differentiable: bool
    kind: Literal["function", "method", "both"]
    inplace: bool
    aliases: list[str]


class OpCatalog(BaseModel):
    ops: list[OpInfo]


@cache
def catalog() -> OpCatalog:
    ops = [OpInfo(name=op.name, signature=op.signature, doc=op.doc,
                  differentiable=op.differentiable, kind=op.kind, inplace=op.inplace,
                  aliases=list(op.aliases))
           for op in engine.ops.OPS.values()]
    return OpCatalog(ops=sorted(ops, key=lambda o: o.name))


@router.get("/ops", response_model=OpCatalog, summary="The op catalog",
            description="Every op a program can call, with its signature, a one-line doc and "
                        "whether it is differentiable.")
async def list_ops() -> OpCatalog:
    return catalog()
