"""Record how torch names the methods of its library classes into
``app/lang/torch_method_names.py``: a bound method prints as ``<bound method SGD.step of ...>``
with the ``__qualname__`` of the function torch's class holds. The language derives the name
from the engine class that defines the method (``Module.parameters``); this records only the
methods whose torch name differs from that (torch defines them elsewhere: each optimizer its
own ``step``, ``ReLU.forward`` where the engine shares one ``forward``). Run with torch
installed after a torch upgrade or when an engine class changes shape:

    PYTHONPATH=. .venv/bin/python scripts/torch_goldens/record_method_names.py
"""

from __future__ import annotations

import inspect
import types
from pathlib import Path

import torch
import torch.distributions
import torch.optim.lr_scheduler
import torch.utils.data

from app.lang.library import resolve_path, torch_class_name

OUT = Path(__file__).resolve().parents[2] / "app/lang/torch_method_names.py"
MODULES = {"torch.nn": torch.nn, "torch.optim": torch.optim,
           "torch.optim.lr_scheduler": torch.optim.lr_scheduler,
           "torch.distributions": torch.distributions, "torch.utils.data": torch.utils.data}


def engine_qualname(cls: type, name: str) -> str | None:
    owner = next((k for k in cls.__mro__ if name in vars(k)), None)
    if owner is None or not owner.__module__.startswith("engine."):
        return None
    return f"{torch_class_name(owner)[1]}.{name}"


def main() -> None:
    table: dict[str, dict[str, str]] = {}
    for path, module in MODULES.items():
        for cname in dir(module):
            theirs = getattr(module, cname)
            if cname.startswith("_") or not isinstance(theirs, type):
                continue
            try:
                ours = resolve_path(f"{path}.{cname}")
            except Exception:  # noqa: BLE001  (a class the engine lacks)
                continue
            if not isinstance(ours, type) or not ours.__module__.startswith("engine."):
                continue
            for name in dir(theirs):
                function = inspect.getattr_static(theirs, name, None)
                if name.startswith("_") or not isinstance(function, types.FunctionType) and \
                        not isinstance(getattr(theirs, name, None), types.FunctionType):
                    continue
                want = getattr(theirs, name).__qualname__
                have = engine_qualname(ours, name)
                if have is not None and have != want:
                    table.setdefault(torch_class_name(ours)[0], {})[name] = want
    lines = ["METHOD_QUALNAMES = {"]
    for path, methods in sorted(table.items()):
        lines.append(f"    {path!r}: {{")
        lines += [f"        {name!r}: {qualname!r}," for name, qualname in sorted(methods.items())]
        lines.append("    },")
    lines.append("}")
    OUT.write_text(
        '"""torch 2.13\'s ``__qualname__`` of the library methods whose torch name is not the '
        "engine's\n(recorded by scripts/torch_goldens/record_method_names.py; "
        'see its docstring)."""\n\n'
        "#: torch class path -> {method name: torch's __qualname__}\n" + "\n".join(lines) + "\n")

if __name__ == "__main__":
    main()
