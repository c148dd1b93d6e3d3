"""A session's virtual file store: the only "files" a program has.

``torch.save(obj, PATH)`` writes a checkpoint under the name ``PATH`` here, ``torch.load``,
``os`` and ``os.path`` (``app.lang.checkpoints``) read it; nothing ever reaches the host's file
system. Paths are names: ``"../../etc/passwd"`` is a name like any other, normalized as
``posixpath.normpath`` does (``"./m.pt"`` and ``"m.pt"`` are one file); ``"."`` (the working
directory), ``""`` and ``"/"`` are directories that always exist, any other directory exists
once ``os.makedirs`` / ``os.mkdir`` made it.

The store is part of the session (``Environment.files``): its bytes count against the
session's memory and against ``max_store_bytes``, its entries against ``max_store_files``;
snapshots keep it (``app.services.snapshots``), replay rebuilds it, and it goes with the
session. ``objects`` holds what ``torch.save`` saved whole (modules and program objects, loaded
back only with ``weights_only=False``): a checkpoint names them by number. A store holding such
objects has no plain form, so a session with one is rebuilt by replay.
"""

from __future__ import annotations

import posixpath
from typing import Any

import numpy as np

ROOTS = frozenset({".", "/", "//"})


def normalize(path: str) -> str:
    return posixpath.normpath(path) if path else "."


class FileStore:
    """Files (name -> read-only ``uint8`` array), directories and objects saved whole."""

    __slots__ = ("files", "dirs", "objects", "next_object")

    def __init__(self) -> None:
        self.files: dict[str, np.ndarray] = {}
        self.dirs: set[str] = set()
        self.objects: dict[int, Any] = {}
        self.next_object = 0

    def __deepcopy__(self, memo: dict) -> FileStore:  # never copied along with a value
        return self

    def __copy__(self) -> FileStore:
        return self

    def is_dir(self, name: str) -> bool:
        return name in ROOTS or name in self.dirs

    def exists(self, name: str) -> bool:
        return name in self.files or self.is_dir(name)

    def entries(self) -> int:
        return len(self.files) + len(self.dirs) + len(self.objects)

    def nbytes(self) -> int:
        return sum(int(a.nbytes) for a in self.files.values())

    def put(self, name: str, data: bytes) -> None:
        arr = np.frombuffer(data, dtype=np.uint8).copy()
        arr.flags.writeable = False
        self.files[name] = arr

    def get(self, name: str) -> bytes:
        return self.files[name].tobytes()

    def held(self) -> list[np.ndarray]:
        """The arrays whose bytes the store holds (for the session's memory walk)."""
        return list(self.files.values())

    def __repr__(self) -> str:
        return f"<file store: {len(self.files)} files>"
