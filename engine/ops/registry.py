"""The op table: one ``OpDef`` per op, the single source of truth for names, signatures, docs,
and differentiability. The interpreter, the ``/v1/ops`` catalog and ``Tensor``'s methods all read
it. Family helpers (``unary``, ``binary``, ...) live in ``families.py``.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

OPS: dict[str, OpDef] = {}


@dataclass(frozen=True)
class OpDef:
    name: str
    fn: Callable
    doc: str
    differentiable: bool
    kind: str = "both"            # "function" (torch.x), "method" (t.x) or "both"
    aliases: tuple[str, ...] = ()
    inplace: bool = False
    grad_fns: tuple[str, ...] = field(default=())  # node names it records, for the catalog
    out: object = None  # how the function form takes out= (out_rules.OutRule); None: refused

    @property
    def signature(self) -> str:
        try:
            sig = inspect.signature(self.fn)
        except (TypeError, ValueError):
            return f"{self.name}(...)"
        params = list(sig.parameters.values())
        if self.kind == "method" and params and params[0].name == "self":
            params = params[1:]
        return self.name + str(sig.replace(parameters=params, return_annotation=sig.empty))

    def as_dict(self) -> dict:
        return {"name": self.name, "signature": self.signature, "doc": self.doc,
                "differentiable": self.differentiable, "kind": self.kind,
                "aliases": list(self.aliases), "inplace": self.inplace}


def register(name: str, fn: Callable, *, doc: str | None = None, differentiable: bool = True,
             kind: str = "both", aliases: tuple[str, ...] = (), inplace: bool | None = None,
             grad_fns: tuple[str, ...] = ()) -> OpDef:
    if doc is None:  # the docstring's first paragraph, on one line
        paragraph = (fn.__doc__ or "").strip().split("\n\n")[0]
        doc = " ".join(line.strip() for line in paragraph.splitlines())
    if not doc:
        raise ValueError(f"op {name!r} has no doc line")
    if name in OPS:
        raise ValueError(f"op {name!r} registered twice")
    if inplace is None:
        inplace = name.endswith("_") and not name.startswith("_")
    d = OpDef(name, fn, doc, differentiable, kind, tuple(aliases), inplace, tuple(grad_fns))
    OPS[name] = d
    for a in aliases:
        if a in OPS:
            raise ValueError(f"alias {a!r} clashes with an op")
        OPS[a] = dataclasses.replace(d, fn=_called_as(fn, name, a))
    return d


def _called_as(fn: Callable, name: str, alias: str) -> Callable:
    """``fn`` under the name ``alias``: torch's argument errors name the function called
    (``greater_equal() received an invalid combination ...``, not ``ge()``)."""
    from ..errors import EngineTypeError

    prefix = name + "("

    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TypeError as e:  # (Python's own binding texts too: "got an unexpected ...")
            text = str(e)
            if not text.startswith(prefix):
                raise
            raise EngineTypeError(alias + text[len(name):]) from None

    call.__name__ = call.__qualname__ = alias
    call.__doc__ = fn.__doc__
    call.__wrapped__ = fn  # (its signature, for the catalog)
    for attr in ("operator", "operator_form"):
        if hasattr(fn, attr):
            setattr(call, attr, getattr(fn, attr))
    return call


def op(name: str | None = None, **meta):
    """Decorator form of ``register``: the function's name and first doc line by default."""

    def deco(fn):
        register(name or fn.__name__, fn, **meta)
        return fn

    return deco


def lookup(name: str) -> OpDef | None:
    return OPS.get(name)


def catalog() -> list[dict]:
    """Every op once (aliases folded in), sorted by name."""
    seen, out = set(), []
    for d in OPS.values():
        if d.name not in seen:
            seen.add(d.name)
            out.append(d.as_dict())
    return sorted(out, key=lambda d: d["name"])
