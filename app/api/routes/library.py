"""The library catalog: what programs may use from ``torch.nn``, ``torch.optim``,
``torch.utils.data``, ``torch.autograd``, ``torch.func`` and ``torch.distributions``, derived
from the engine packages' ``__all__`` lists (the whitelist the language resolves those names
through). A subpackage named in its parent's ``__all__`` is listed as a package of its own,
not as a member."""

from __future__ import annotations

import importlib
import inspect
from functools import cache
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.responses import OrjsonRoute

router = APIRouter(prefix="/v1", tags=["language"], route_class=OrjsonRoute)

#: torch's name for each engine package, in the catalog's order.
PACKAGES = (
    ("torch.nn", "engine.nn"),
    ("torch.nn.functional", "engine.nn.functional"),
    ("torch.nn.init", "engine.nn.init"),
    ("torch.nn.utils", "engine.nn.utils"),
    ("torch.optim", "engine.optim"),
    ("torch.optim.lr_scheduler", "engine.optim.lr_scheduler"),
    ("torch.utils.data", "engine.utils.data"),
    ("torch.autograd", "engine.autograd"),
    ("torch.autograd.functional", "engine.autograd.functional"),
    ("torch.autograd.forward_ad", "engine.autograd.forward_ad"),
    ("torch.func", "engine.func"),
    ("torch.distributions", "engine.distributions"),
    ("torch.distributions.constraints", "engine.distributions.constraints"),
    ("torch.distributions.kl", "engine.distributions.kl"),
    ("torch.distributions.transforms", "engine.distributions.transforms"),
    ("torch.distributions.constraint_registry", "engine.distributions.constraint_registry"),
)


class LibraryEntry(BaseModel):
    name: str = Field(examples=["torch.nn.Linear"])
    kind: Literal["class", "function", "value"]
    signature: str | None = Field(
        None, examples=["Linear(in_features, out_features, bias=True, device=None, dtype=None)"])
    doc: str


class LibraryPackage(BaseModel):
    name: str = Field(examples=["torch.nn"])
    doc: str
    members: list[LibraryEntry]


class LibraryCatalog(BaseModel):
    packages: list[LibraryPackage]


def _doc(obj: Any) -> str:
    paragraph = (inspect.getdoc(obj) or "").split("\n\n")[0]
    return " ".join(line.strip() for line in paragraph.splitlines())


def _signature(name: str, obj: Any) -> str | None:
    """As torch documents it: parameters and defaults, no annotations, no ``self``."""
    target = obj
    if inspect.isclass(obj):
        target = obj.__new__ if obj.__init__ is object.__init__ else obj.__init__
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    params = [p.replace(annotation=p.empty) for p in sig.parameters.values()]
    if inspect.isclass(obj) and params and params[0].name in ("self", "cls"):
        params = params[1:]
    return name + str(sig.replace(parameters=params, return_annotation=sig.empty))


def _entry(package: str, name: str, obj: Any) -> LibraryEntry:
    if inspect.isclass(obj):
        kind = "class"
    elif callable(obj):
        kind = "function"
    else:
        kind = "value"
    return LibraryEntry(name=f"{package}.{name}", kind=kind,
                        signature=_signature(name, obj) if kind != "value" else None,
                        doc=_doc(obj) if kind != "value" else repr(obj))


@cache
def catalog() -> LibraryCatalog:
    """Every public member of every engine library package present in this build."""
    packages = []
    for torch_name, module_name in PACKAGES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        members = [_entry(torch_name, name, getattr(module, name))
                   for name in getattr(module, "__all__", ())
                   if not inspect.ismodule(getattr(module, name))]
        packages.append(LibraryPackage(name=torch_name, doc=_doc(module), members=members))
    return LibraryCatalog(packages=packages)


@router.get("/library", response_model=LibraryCatalog, summary="The library catalog",
            description="Classes and functions programs may use from `torch.nn` (modules, "
                        "`init`, `utils`, `functional`), `torch.optim` (optimizers, "
                        "`lr_scheduler`), `torch.utils.data`, `torch.autograd`, `torch.func` and "
                        "`torch.distributions` (distributions, `constraints`, `kl`, "
                        "`transforms`), "
                        "with their signatures and a doc line. The functional ops are the op "
                        "table's (`GET /v1/ops`).")
async def get_library() -> LibraryCatalog:
    return catalog()
