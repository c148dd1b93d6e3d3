"""``del t.grad`` as torch's (the grad is None after it; ``data``, ``requires_grad`` and the
read-only attributes refused with torch's texts), and ``torch.device`` equal only to a device
(``torch.device('cpu') == 'cpu'`` is False, as torch's), printing unchanged."""

from __future__ import annotations

import pytest
import torch

from .conftest import our_cells, python_cells

CELLS = [
    "t = torch.ones(2, requires_grad=True)\nt.sum().backward()\nprint(t.grad)\ndel t.grad\n"
    "print(t.grad)\nt.sum().backward()\nprint(t.grad)",
    "del t.data",
    "del t.requires_grad",
    "del t.shape",
    "print(torch.device('cpu') == 'cpu', 'cpu' == torch.device('cpu'), "
    "torch.device('cpu') != 'cpu', torch.ones(1).device == 'cpu', "
    "torch.ones(1).device == torch.device('cpu'), torch.device('cpu') in ['cpu'], "
    "torch.device('cpu') in [torch.device('cpu')])",
    "print(torch.ones(2), torch.ones(2).to('cpu'), repr(torch.device('cpu')), "
    "str(torch.ones(1).device), {torch.device('cpu'): 1}[torch.device('cpu')])",
]


@pytest.mark.parametrize("form", ["source", "json"])
def test_tensor_attribute_deletion_and_device_equality_as_torch(form):
    assert our_cells(CELLS, form) == python_cells(CELLS, {"torch": torch})
