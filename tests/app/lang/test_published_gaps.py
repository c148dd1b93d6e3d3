"""Gaps the published programs like_41 .. like_60 hit, each pinned against torch 2.13 (CPython
running the same cells) in both the source and the JSON form."""

from __future__ import annotations

import pytest

from .conftest import our_cells, python_cells

pytest.importorskip("engine.utils.data")


def _same_as_torch(cells: list[str], form: str) -> None:
    torch = pytest.importorskip("torch")  # the oracle
    assert our_cells(cells, form) == python_cells(cells, {"torch": torch})


#: ``super().__init__()`` in a subclass of a library class whose ``__init__`` is object's
#: (torch's Dataset and IterableDataset define none): object.__init__, which takes no arguments
SUPER_INIT_CELLS = [
    "from torch.utils.data import Dataset, IterableDataset, DataLoader",
    "class Counter(IterableDataset):\n    def __init__(self, n):\n        super().__init__()\n"
    "        self.n = n\n    def __iter__(self):\n        for i in range(self.n):\n"
    "            yield i * i\n"
    "print(list(DataLoader(Counter(5), batch_size=2)))",
    "class Squares(Dataset):\n    def __init__(self, n):\n        super().__init__()\n"
    "        self.n = n\n    def __len__(self):\n        return self.n\n"
    "    def __getitem__(self, i):\n        return i * i\n"
    "print(len(Squares(3)), Squares(3)[2], list(DataLoader(Squares(3), batch_size=3)))",
    "class Bad(Dataset):\n    def __init__(self):\n        super().__init__(1)\nBad()",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_super_init_of_a_dataset_is_objects(form):
    _same_as_torch(SUPER_INIT_CELLS, form)
