"""``torch.utils.hooks``: the one handle class every hook registration returns (a tensor's,
a graph node's, a module's, an optimizer's), as torch has it: ``remove()`` takes the hook off
again (a second ``remove()`` does nothing), ``with handle:`` removes it on leaving, ``id`` is
the handle's number (one counter for every handle of the process)."""

from __future__ import annotations

import itertools
from typing import Any

__all__ = ["RemovableHandle"]

_ids = itertools.count()


class RemovableHandle:
    """The hook is found by the handle's ``id`` in ``table`` (a dict; ``extra``: more dicts
    keyed the same way), or, where ``table`` is a list of hooks (a tensor's or a graph node's),
    it is the list's entry ``entry`` (the very object)."""

    __slots__ = ("id", "_table", "_extra", "_entry")

    def __init__(self, table: dict | list, extra: tuple = (), entry: Any = None) -> None:
        self.id = next(_ids)
        self._table = table
        self._extra = extra
        self._entry = entry

    def remove(self) -> None:
        table = self._table
        if type(table) is list:
            entry = self._entry
            for i, hook in enumerate(table):
                if hook is entry:
                    del table[i]
                    return
            return
        table.pop(self.id, None)
        for other in self._extra:
            other.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> bool:
        self.remove()
        return False

    def __repr__(self) -> str:
        return f"<torch.utils.hooks.RemovableHandle object at {id(self):#x}>"
