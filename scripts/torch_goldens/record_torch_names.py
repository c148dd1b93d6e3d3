"""Record torch's public names into ``app/lang/torch_names.py``: for each torch module a
program can name, and for ``torch.Tensor``, the names torch has (``dir``, without ``_`` names).

The language uses them to tell apart a name torch lacks (torch's own AttributeError text,
``module 'torch.autograd' has no attribute 'is_grad_enabled'``) from a name torch has and the
service lacks (``torch.fft.fft is not supported``). Run with torch installed (the ``oracle``
extra) after a torch upgrade:

    .venv/bin/python scripts/torch_goldens/record_torch_names.py
"""

from __future__ import annotations

import importlib
import pkgutil
import textwrap
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parents[2] / "app/lang/torch_names.py"
#: The modules a program reaches (``app.lang.library``: PACKAGES, SUBMODULES and the rest).
MODULES = (
    "torch", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.nn.utils",
    "torch.optim", "torch.optim.lr_scheduler", "torch.utils", "torch.utils.data",
    "torch.utils.hooks", "torch.func",
    "torch.autograd", "torch.autograd.functional", "torch.autograd.forward_ad",
    "torch.autograd.function", "torch.linalg", "torch.special", "torch.sparse", "torch.cuda",
    "torch.accelerator", "torch.backends", "torch.backends.mps", "torch.functional",
)


def public(names: list[str]) -> list[str]:
    return sorted(n for n in set(names) if not n.startswith("_"))


def literal(names: list[str]) -> str:
    lines = textwrap.wrap(" ".join(names), 86, break_on_hyphens=False)
    return "(\n" + "\n".join(f'        "{line} "' for line in lines) + "\n    )"


def main() -> None:
    modules = {name: public(dir(importlib.import_module(name))) for name in MODULES}
    out = [f'"""torch {torch.__version__}\'s public names, recorded by\n'
           "``scripts/torch_goldens/record_torch_names.py`` (data: do not edit by hand).\"\"\"",
           "", "from __future__ import annotations", "",
           f'TORCH_VERSION = "{torch.__version__.split("+")[0]}"', "",
           "#: Module path -> its public names, space separated.",
           "MODULE_NAMES: dict[str, str] = {"]
    for name, names in modules.items():
        out.append(f'    "{name}": {literal(names)},')
    out += ["}", "",
            "#: Package path -> its public submodules, space separated (importable even where",
            "#: ``dir()`` does not show them: ``import torch.nn.utils.prune``).",
            "SUBMODULE_NAMES: dict[str, str] = {"]
    for name in MODULES:
        package = importlib.import_module(name)
        if hasattr(package, "__path__"):
            subs = public([m.name for m in pkgutil.iter_modules(package.__path__)])
            out.append(f'    "{name}": {literal(subs) if subs else chr(34) * 2},')
    out += ["}", "", "#: ``torch.Tensor``'s public attributes and methods, space separated.",
            f"TENSOR_NAMES = {literal(public(dir(torch.Tensor)))[:-1]})", ""]
    OUT.write_text("\n".join(out))
    print(f"wrote {OUT} ({sum(map(len, modules.values()))} module names)")


if __name__ == "__main__":
    main()
