"""How methods and builtins print, as torch 2.13 and CPython print them (without addresses:
the language's reprs have none): a C method of ``torch.Size`` or of a graph node is a
``<built-in method ...>``, a method torch writes in Python (``Tensor.backward``) a ``<bound
method Tensor.backward of tensor(...)>``, ``random``'s functions are methods of Python's
hidden ``Random``, ``torch.manual_seed`` a Python function."""

from __future__ import annotations

import re

import pytest

from .conftest import our_cells, python_cells

CELLS = [
    "import torch\nimport random\ns = torch.Size([2])\nx = torch.ones(2)\n"
    "y = torch.ones(2, requires_grad=True) * 2",
    "print(s.numel)", "print(torch.Size.numel)", "print(s.index, s.count)",
    "print(repr(s.numel), [s.numel], f'{s.numel}', str(torch.Size.numel), (s.numel,))",
    "print(x.size, x.sum, x.add_, x.numpy, x.tolist, x.is_floating_point)",
    "print(x.backward)", "print(y.register_hook, [y.unique, y.split])", "print(y.norm)",
    "print(y.grad_fn.register_hook, y.grad_fn.register_prehook)",
    "print(random.random, random.randint, random.seed, random.choices)",
    "print(torch.manual_seed, torch.seed, torch.initial_seed, torch.from_numpy)",
    "print(torch.autograd.grad)", "print(torch.tanh, len, print)",
    "m = torch.nn.Linear(2, 2)\nprint(m.forward, m.parameters)",
    "print({'f': s.numel})",
    "print(torch.no_grad, torch.enable_grad, torch.set_grad_enabled, type(torch.no_grad()))",
    "print(torch.finfo, torch.iinfo, torch.utils.data.DataLoader, torch.utils.data.Dataset)",
    "print(torch.utils.data.TensorDataset, torch.utils.data.RandomSampler)",
]


def _no_addresses(cells: list[tuple]) -> list[tuple]:
    return [([re.sub(r" at 0x[0-9a-f]+", "", line) for line in printed], error)
            for printed, error in cells]


@pytest.mark.parametrize("form", ["source", "json"])
def test_methods_print_as_torch_prints_them(form):
    assert our_cells(CELLS, form) == _no_addresses(python_cells(CELLS))
