"""``torch.device`` values print, compare and hash as torch's (the unindexed ``cuda`` too)."""

from __future__ import annotations

import pytest
import torch

from .conftest import our_cells, python_cells

CELLS = [
    "d = torch.device('cuda')\nprint(d, repr(d), d.type, d.index, d == torch.device('cuda:0'), "
    "d == torch.device('cuda'), d == 'cuda', d != torch.device('cuda', 0))",
    "print(torch.device('cuda', 1), repr(torch.device('cuda:1')), torch.device('cuda:1').index)",
    "print(torch.device('cuda') == torch.device('cpu'), str(torch.device('cuda')), "
    "f'{torch.device(\"cuda\")}', torch.device(torch.device('cuda')))",
    "print(torch.device('cuda:0'), repr(torch.device('cuda', 0)), torch.device('cpu'), "
    "repr(torch.device('cpu')), torch.device('cpu').index)",
    "print({torch.device('cuda'): 1}[torch.device('cuda')], "
    "len({torch.device('cuda'), torch.device('cuda:0')}))",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_devices_print_and_compare_as_torchs(form):
    assert our_cells(CELLS, form) == python_cells(CELLS, {"torch": torch})
