"""NumPy's argument names, as PyTorch's argument parser accepts them: ``axis`` for ``dim``,
``keepdims`` for ``keepdim``, ``x``/``a``/``x1`` for ``input`` and ``x2`` for ``other``
(``torch.sum(x, axis=0, keepdims=True)``).

The table's entries for ops that take a ``dim`` or ``keepdim`` (reductions, scans, softmax, cat,
...) are wrapped to translate the names (their ``input``/``other`` too); elementwise ops are left
alone, so their calls pay nothing, and the Tensor methods and operators installed from the table
keep the plain functions, so the engine's own calls pay nothing either. (PyTorch's Python-level
functions, e.g. ``F.softmax``, do not take these names; the table has one entry per name, so
here they do where another form is the parser's, ``torch.softmax``; the ops whose every form
is a Python function, :data:`PYTHON_WRITTEN`, do not.)
"""

from __future__ import annotations

import dataclasses
import functools
import inspect

from .. import errors

# ops whose every torch form is a Python function (``torch.split``, ``torch.norm``,
# ``torch.unique``, ``F.glu`` ...): Python binds their keywords, so ``axis=`` is an unexpected
# keyword there (tests/oracle/test_ignored_arguments.py derives the set from torch)
PYTHON_WRITTEN = frozenset(("glu", "norm", "normalize", "softmin", "split", "unique",
                            "unique_consecutive"))
ALIASES = {"axis": "dim", "keepdims": "keepdim", "x": "input", "a": "input", "x1": "input",
           "x2": "other"}


def _translating(fn, name: str, aliases: dict):
    keys = frozenset(aliases)

    @functools.wraps(fn)
    def call(*args, **kwargs):
        if not kwargs:
            return fn(*args)
        if not keys.isdisjoint(kwargs):
            for alias in keys.intersection(kwargs):
                real = aliases[alias]
                if real in kwargs:  # PyTorch: the NumPy name is then unexpected
                    raise errors.EngineTypeError(
                        f"{name}() got an unexpected keyword argument '{alias}'")
                kwargs[real] = kwargs.pop(alias)
        return fn(*args, **kwargs)

    operator = getattr(fn, "operator", None)
    if operator is not None:
        call.operator = operator
    return call


def accept_numpy_names(table: dict) -> None:
    """Replace, in ``table``, each op taking a ``dim`` or ``keepdim`` by one that also takes the
    NumPy names of its parameters."""
    done: dict = {}
    for key, d in list(table.items()):
        new = done.get(id(d))
        if new is None:
            try:
                params = inspect.signature(d.fn).parameters
            except (TypeError, ValueError):
                params = {}
            aliases = {a: r for a, r in ALIASES.items() if r in params and a not in params}
            takes_dim = ("dim" in params or "keepdim" in params) and \
                d.name not in PYTHON_WRITTEN
            new = dataclasses.replace(d, fn=_translating(d.fn, d.name, aliases)) \
                if aliases and takes_dim else d
            done[id(d)] = new
        table[key] = new
